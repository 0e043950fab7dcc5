package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/jobs"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

func runAccount(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync account add|set|list|remove …")
	}
	switch args[0] {
	case "add":
		if len(args) < 2 {
			return usagef("usage: mailsync account add imap|gmail|microsoft --member E …")
		}
		switch args[1] {
		case "imap":
			return accountAddIMAP(ctx, app, args[2:])
		case oauth.Google, oauth.Microsoft:
			return accountAddOAuth(ctx, app, args[1], args[2:])
		}
		return usagef("unknown provider %q: imap, gmail or microsoft", args[1])
	case "preview":
		if len(args) < 2 {
			return usagef("usage: mailsync account preview imap|gmail|microsoft --member E … [--limit N]")
		}
		switch args[1] {
		case "imap":
			return accountPreviewIMAP(ctx, app, args[2:])
		case oauth.Google, oauth.Microsoft:
			return accountPreviewOAuth(ctx, app, args[1], args[2:])
		}
		return usagef("unknown provider %q: imap, gmail or microsoft", args[1])
	case "set":
		return accountSet(ctx, app, args[1:])
	case "list":
		return accountList(ctx, app, args[1:])
	case "remove":
		return accountRemove(ctx, app, args[1:])
	case "pause":
		return accountPause(ctx, app, args[1:], true)
	case "resume":
		return accountPause(ctx, app, args[1:], false)
	}
	return usagef("unknown account command %q", args[0])
}

// imapFlags defines the flags of an IMAP mailbox (account add imap and
// account preview imap); the returned function reads them after parsing.
func (app *App) imapFlags(fs *flag.FlagSet) (memberEmail *string, read func() (accounts.IMAP, error)) {
	memberEmail = fs.String("member", "", "owner's member email")
	host := fs.String("host", "", "IMAP server host")
	port := fs.Int("port", 0, "IMAP server port (default 993 for tls, 143 otherwise)")
	security := fs.String("security", "tls", "tls | starttls | none")
	username := fs.String("username", "", "login username")
	passwordFile := fs.String("password-file", "", "file holding the password")
	passwordEnv := fs.String("password-env", "", "environment variable holding the password")
	handle := fs.String("handle", "", "mailbox address (default: the username when it is an address)")
	var aliases stringList
	fs.Var(&aliases, "alias", "another address of this mailbox (repeatable)")
	return memberEmail, func() (accounts.IMAP, error) {
		in := accounts.IMAP{Host: *host, Port: *port, Security: *security, Username: *username,
			Handle: *handle, Aliases: aliases}
		var err error
		if in.Password, err = app.readSecret(*passwordFile, *passwordEnv); err != nil {
			return in, err
		}
		if err := in.Normalize(); err != nil {
			return in, usageError{err.Error()}
		}
		return in, nil
	}
}

func accountAddIMAP(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account add imap")
	memberEmail, read := app.imapFlags(fs)
	smtp := addSMTPFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	in, err := read()
	if err != nil {
		return err
	}
	return app.withMember(ctx, *memberEmail, func(st *store.Store, _ *store.Workspace, m *store.Member) error {
		adder, err := app.adder(st)
		if err != nil {
			return err
		}
		a, err := adder.AddIMAP(ctx, m, in)
		if err != nil {
			return err
		}
		if err := smtp.apply(ctx, app, st, a.WorkspaceID, a.ID); err != nil {
			return fmt.Errorf("account %s added, but its SMTP settings were not: %w (fix them with `mailsync account set %s`)", a.ID, err, a.ID)
		}
		app.audit(ctx, st, a.WorkspaceID, store.AuditAccountAdd, a.ID,
			map[string]any{"handle": a.Handle, "provider": a.Provider, "host": a.Host, "username": a.Username, "owner": m.Email})
		return app.printID(a.ID, "added account")
	})
}

// adder adds mailboxes to st and queues their import at once: a running
// `serve` or `worker` picks the job up.
func (app *App) adder(st *store.Store) (accounts.Adder, error) {
	box, err := app.box(st.DB)
	if err != nil {
		return accounts.Adder{}, err
	}
	q, err := jobs.NewInserter(st.DB)
	if err != nil {
		return accounts.Adder{}, err
	}
	return accounts.Adder{Store: st, Box: box, Connect: app.connector(st, box), Queue: q}, nil
}

// connector returns how mailboxes are reached: the test's override, or
// the providers with the OAuth applications of the environment, storing
// rotated tokens through st.
func (app *App) connector(st *store.Store, box *secrets.Box) ingest.ConnectFunc {
	if app.Connect != nil {
		return app.Connect
	}
	return app.connectorFor(st, box).Connect
}

// connectorFor is the connector with the environment's OAuth settings.
func (app *App) connectorFor(st *store.Store, box *secrets.Box) connect.Connector {
	c := connect.Connector{Guard: app.Guard(), OAuth: oauth.FromEnv(app.Getenv), Store: st, Box: box, Log: app.Log}
	if app.Transport != nil {
		c.Transport = app.Transport
	}
	return c
}

func accountSet(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account set")
	vis := fs.String("visibility", "", "metadata | subject | everything")
	autoCreate := fs.String("auto-create", "", "none | sent | sent-and-received")
	group := fs.String("exclude-group", "", "true | false")
	personal := fs.String("exclude-personal", "", "true | false")
	folders := fs.String("folders", "", "comma-separated folders to sync (\"default\" for the default set)")
	smtp := addSMTPFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync account set ID [--visibility …] [--auto-create …] [--exclude-group …] [--exclude-personal …]")
	}
	var in store.ChannelSettings
	if *vis != "" {
		if err := visibility.Valid(*vis); err != nil {
			return usageError{err.Error()}
		}
		in.Visibility = vis
	}
	if *autoCreate != "" {
		switch *autoCreate {
		case "none", "sent", "sent-and-received":
		default:
			return usagef("--auto-create must be none, sent or sent-and-received, not %q", *autoCreate)
		}
		in.AutoCreate = autoCreate
	}
	if in.ExcludeGroup, err = boolFlag("--exclude-group", *group); err != nil {
		return err
	}
	if in.ExcludePersonal, err = boolFlag("--exclude-personal", *personal); err != nil {
		return err
	}
	if *folders != "" {
		var picked []string
		if *folders != "default" {
			for _, f := range strings.Split(*folders, ",") {
				if f = strings.TrimSpace(f); f != "" {
					picked = append(picked, f)
				}
			}
		}
		in.Folders = &picked
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		if _, err := st.Account(ctx, ws.ID, pos[0]); err != nil {
			return err
		}
		if err := smtp.apply(ctx, app, st, ws.ID, pos[0]); err != nil {
			return err
		}
		res, err := rules.UpdateSettings(ctx, st, ws.ID, pos[0], in)
		if err != nil {
			return err
		}
		app.audit(ctx, st, ws.ID, store.AuditAccountUpdate, pos[0], in.AuditDetails())
		fmt.Fprintf(app.Stderr, "account %s updated\n", pos[0])
		return app.reportRules(ctx, st, res)
	})
}

func boolFlag(name, v string) (*bool, error) {
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, usagef("%s must be true or false, not %q", name, v)
	}
	return &b, nil
}

func accountList(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account list")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var accounts []*store.Account
	err := app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		var err error
		accounts, err = st.Accounts(ctx, ws.ID)
		return err
	})
	if err != nil {
		return err
	}
	rows := make([]visibility.AccountView, 0, len(accounts))
	for _, a := range accounts {
		rows = append(rows, visibility.Account(a))
	}
	if app.json {
		return app.printJSON(rows)
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHANDLE\tMEMBER\tSTATUS\tLISTED\tIMPORTED\tSKIPPED\tFAILED\tCAUGHT UP")
	for _, r := range rows {
		last := "never"
		if r.LastSyncedAt != nil {
			last = *r.LastSyncedAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.Handle, r.Member, r.Status,
			r.Counts.Listed, r.Counts.Imported, r.Counts.Skipped, r.Counts.Failed, last)
		if r.LastError != "" {
			fmt.Fprintf(tw, "\t  error: %s\n", r.LastError)
		}
	}
	return tw.Flush()
}

func accountRemove(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account remove")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync account remove ID")
	}
	err = app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		a, err := st.Account(ctx, ws.ID, pos[0])
		if err != nil {
			return err
		}
		if err := st.DeleteAccount(ctx, ws.ID, a.ID); err != nil {
			return err
		}
		app.audit(ctx, st, ws.ID, store.AuditAccountRemove, a.ID, map[string]any{"handle": a.Handle, "owner": a.MemberEmail})
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "account %s removed with the messages only it held; contacts stay\n", pos[0])
	return nil
}
