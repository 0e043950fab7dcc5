package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/jobs"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

func runAccount(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync account add|set|list|remove …")
	}
	switch args[0] {
	case "add":
		if len(args) < 2 || args[1] != "imap" {
			return usagef("usage: mailsync account add imap --member E --host H … (only imap can be added from the CLI today)")
		}
		return accountAddIMAP(ctx, app, args[2:])
	case "set":
		return accountSet(ctx, app, args[1:])
	case "list":
		return accountList(ctx, app, args[1:])
	case "remove":
		return accountRemove(ctx, app, args[1:])
	}
	return usagef("unknown account command %q", args[0])
}

func accountAddIMAP(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account add imap")
	memberEmail := fs.String("member", "", "owner's member email")
	host := fs.String("host", "", "IMAP server host")
	port := fs.Int("port", 0, "IMAP server port (default 993 for tls, 143 otherwise)")
	security := fs.String("security", "tls", "tls | starttls | none")
	username := fs.String("username", "", "login username")
	passwordFile := fs.String("password-file", "", "file holding the password")
	passwordEnv := fs.String("password-env", "", "environment variable holding the password")
	handle := fs.String("handle", "", "mailbox address (default: the username when it is an address)")
	var aliases stringList
	fs.Var(&aliases, "alias", "another address of this mailbox (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	switch *security {
	case "tls", "starttls", "none":
	default:
		return usagef("--security must be tls, starttls or none, not %q", *security)
	}
	if *host == "" || *username == "" {
		return usagef("--host and --username are required")
	}
	if *port == 0 {
		*port = 143
		if *security == "tls" {
			*port = 993
		}
	}
	if *port < 1 || *port > 65535 {
		return usagef("--port %d is not a TCP port", *port)
	}
	if *handle == "" {
		if !strings.Contains(*username, "@") {
			return usagef("--handle is required when the username is not an email address")
		}
		*handle = *username
	}
	password, err := app.readSecret(*passwordFile, *passwordEnv)
	if err != nil {
		return err
	}
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	m, err := app.member(ctx, st, ws, *memberEmail)
	if err != nil {
		return err
	}
	box, err := app.box(st.DB)
	if err != nil {
		return err
	}
	candidate := &store.Account{Provider: "imap", Host: *host, Port: *port, Security: *security, Username: *username}
	if err := checkLogin(ctx, app.connector(), candidate, password); err != nil {
		return err
	}
	a, err := st.AddAccount(ctx, store.NewAccount{
		WorkspaceID: ws.ID, MemberID: m.ID, Provider: "imap", Handle: *handle, Aliases: aliases,
		Host: *host, Port: *port, Security: *security, Username: *username, SecretEnc: box.Seal(password),
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("mailbox %s is already connected", *handle)
	}
	if err != nil {
		return err
	}
	// Import at once: a running `serve` or `worker` picks the job up.
	q, err := jobs.NewInserter(st.DB)
	if err != nil {
		return err
	}
	if err := q.EnqueueSync(ctx, a.ID); err != nil {
		return err
	}
	return app.printID(a.ID, "added account")
}

// connector returns the IMAP connector, or the test's.
func (app *App) connector() ingest.ConnectFunc {
	if app.Connect != nil {
		return app.Connect
	}
	return connect.Connector{}.Connect
}

// checkLogin connects and lists folders, so that a wrong password or an
// unreachable server is an error now, not a silent "pending" later.
func checkLogin(ctx context.Context, connect ingest.ConnectFunc, a *store.Account, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mb, err := connect(ctx, a, password)
	switch {
	case errors.Is(err, provider.ErrAuth):
		return fmt.Errorf("login to %s:%d as %s failed: wrong username or password; nothing was saved", a.Host, a.Port, a.Username)
	case errors.Is(err, provider.ErrUnreachable):
		return fmt.Errorf("cannot reach %s:%d (%v): check host, port and security; nothing was saved", a.Host, a.Port, err)
	case err != nil:
		return fmt.Errorf("connect to %s:%d: %w; nothing was saved", a.Host, a.Port, err)
	}
	defer mb.Close()
	if _, err := mb.Folders(ctx); err != nil {
		return fmt.Errorf("list folders on %s: %w; nothing was saved", a.Host, err)
	}
	return nil
}

func accountSet(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account set")
	vis := fs.String("visibility", "", "metadata | subject | everything")
	autoCreate := fs.String("auto-create", "", "none | sent | sent-and-received")
	group := fs.String("exclude-group", "", "true | false")
	personal := fs.String("exclude-personal", "", "true | false")
	folders := fs.String("folders", "", "comma-separated folders to sync (\"default\" for the default set)")
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
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	res, err := rules.UpdateSettings(ctx, st, ws.ID, pos[0], in)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "account %s updated\n", pos[0])
	return app.reportRules(ctx, st, res)
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

// accountJSON is the contract's account list row.
type accountJSON struct {
	ID           string       `json:"id"`
	Member       string       `json:"member"`
	Provider     string       `json:"provider"`
	Handle       string       `json:"handle"`
	Aliases      []string     `json:"aliases"`
	Status       string       `json:"status"`
	LastError    string       `json:"lastError,omitempty"`
	LastSyncedAt *string      `json:"lastSyncedAt"`
	Counts       store.Counts `json:"counts"`
	Visibility   string       `json:"visibility"`
	AutoCreate   string       `json:"autoCreate"`
	ExcludeGroup bool         `json:"excludeGroup"`
	ExcludePers  bool         `json:"excludePersonal"`
	Folders      []string     `json:"folders"`
}

func toAccountJSON(a *store.Account) accountJSON {
	out := accountJSON{ID: a.ID, Member: a.MemberEmail, Provider: a.Provider, Handle: a.Handle, Aliases: a.Aliases,
		Status: a.Status, LastError: a.LastError, Counts: a.Counts, Visibility: a.Visibility, AutoCreate: a.AutoCreate,
		ExcludeGroup: a.ExcludeGroup, ExcludePers: a.ExcludePersonal, Folders: a.Folders}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	if out.Folders == nil {
		out.Folders = []string{}
	}
	if !a.LastSyncedAt.IsZero() {
		s := a.LastSyncedAt.UTC().Format(time.RFC3339)
		out.LastSyncedAt = &s
	}
	return out
}

func accountList(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account list")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	accounts, err := st.Accounts(ctx, ws.ID)
	if err != nil {
		return err
	}
	rows := make([]accountJSON, 0, len(accounts))
	for _, a := range accounts {
		rows = append(rows, toAccountJSON(a))
	}
	if app.json {
		return app.printJSON(rows)
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHANDLE\tMEMBER\tSTATUS\tLISTED\tIMPORTED\tSKIPPED\tFAILED\tLAST SYNC")
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
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	if err := st.DeleteAccount(ctx, ws.ID, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "account %s removed with the messages only it held; contacts stay\n", pos[0])
	return nil
}
