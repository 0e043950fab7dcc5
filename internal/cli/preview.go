package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/preview"
	"github.com/mailsync/mailsync/internal/store"
)

// accountPreviewIMAP reads the newest messages of a mailbox not connected
// yet and prints what an import would do, storing nothing.
func accountPreviewIMAP(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("account preview imap")
	memberEmail, read := app.imapFlags(fs)
	addSMTPFlags(fs) // the flags of account add, accepted: a preview sends nothing
	limit := fs.Int("limit", preview.DefaultLimit, "how many of the newest messages to read")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	in, err := read()
	if err != nil {
		return err
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	return app.withMember(ctx, *memberEmail, func(st *store.Store, ws *store.Workspace, m *store.Member) error {
		box, err := app.box(st.DB)
		if err != nil {
			return err
		}
		candidate := &store.Account{WorkspaceID: ws.ID, MemberID: m.ID, Provider: "imap", Handle: in.Handle,
			Aliases: in.Aliases, Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username}
		res, err := preview.ForAccount(ctx, st, app.connector(st, box), candidate, in.Password, *limit)
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(res)
		}
		printPreview(app, in.Handle, res)
		return nil
	})
}

// accountPreviewOAuth previews a Gmail or Microsoft 365 mailbox from a
// refresh token, storing nothing (not even a rotated token).
func accountPreviewOAuth(ctx context.Context, app *App, providerName string, args []string) error {
	fs := app.flagSet("account preview " + providerName)
	memberEmail, read := app.oauthFlags(fs, providerName)
	limit := fs.Int("limit", preview.DefaultLimit, "how many of the newest messages to read")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	in, err := read()
	if err != nil {
		return err
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	return app.withMember(ctx, *memberEmail, func(st *store.Store, ws *store.Workspace, m *store.Member) error {
		c := app.connectorFor(st, nil) // no box: a rotated token is not stored
		c.Store = nil
		mb, handle, aliases, err := accounts.DialOAuth(ctx, c, in)
		if err != nil {
			return err
		}
		defer mb.Close()
		a := &store.Account{WorkspaceID: ws.ID, MemberID: m.ID, Provider: providerName, Handle: handle, Aliases: aliases}
		res, err := preview.ForMailbox(ctx, st, mb, a, *limit)
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(res)
		}
		printPreview(app, handle, res)
		return nil
	})
}

// printPreview prints a preview for people.
func printPreview(app *App, handle string, res *preview.Result) {
	w := app.Stdout
	fmt.Fprintf(w, "Preview of %s: the newest %d messages (nothing was saved)\n", handle, res.Listed)
	fmt.Fprintf(w, "  would import %d\n", res.WouldImport)
	rules := make([]string, 0, len(res.WouldSkip))
	for r := range res.WouldSkip {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		fmt.Fprintf(w, "  would skip %d (%s)\n", res.WouldSkip[r], r)
	}
	fmt.Fprintf(w, "\nWould create %d people:\n", len(res.WouldCreate.People))
	for _, p := range res.WouldCreate.People {
		fmt.Fprintf(w, "  %-28s %s\n", p.Name, p.Email)
	}
	fmt.Fprintf(w, "\nWould create %d companies:\n", len(res.WouldCreate.Companies))
	for _, c := range res.WouldCreate.Companies {
		fmt.Fprintf(w, "  %-28s %s\n", c.Name, c.Domain)
	}
}
