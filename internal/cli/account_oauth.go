package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/store"
)

// accountAddOAuth adds a Gmail or Microsoft 365 mailbox from a refresh
// token obtained elsewhere (scripts, migrations); the web UI gets one
// through the browser flow instead.
func accountAddOAuth(ctx context.Context, app *App, providerName string, args []string) error {
	fs := app.flagSet("account add " + providerName)
	memberEmail, read := app.oauthFlags(fs, providerName)
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
		res, err := adder.AddOAuth(ctx, app.connectorFor(st, adder.Box), m, in)
		if err != nil {
			return err
		}
		a, what, action := res.Account, "added account", store.AuditAccountAdd
		if res.Reconnected {
			what = fmt.Sprintf("reconnected account %s (its sync resumes where it stopped):", a.Handle)
			action = store.AuditAccountReconnect
		}
		app.audit(ctx, st, a.WorkspaceID, action, a.ID, map[string]any{"handle": a.Handle, "provider": a.Provider, "owner": m.Email})
		return app.printID(res.Account.ID, what)
	})
}

// oauthFlags defines the flags of a Gmail or Microsoft 365 mailbox
// (account add and account preview); read reads them after parsing.
func (app *App) oauthFlags(fs *flag.FlagSet, providerName string) (memberEmail *string, read func() (accounts.OAuth, error)) {
	memberEmail = fs.String("member", "", "owner's member email")
	tokenFile := fs.String("refresh-token-file", "", "file holding the OAuth refresh token")
	tokenEnv := fs.String("refresh-token-env", "", "environment variable holding the OAuth refresh token")
	handle := fs.String("handle", "", "mailbox address (default: the address of the provider's profile)")
	return memberEmail, func() (accounts.OAuth, error) {
		if *tokenFile == "" && *tokenEnv == "" {
			return accounts.OAuth{}, usagef("a refresh token is required: --refresh-token-file FILE or --refresh-token-env VAR")
		}
		if *tokenFile != "" && *tokenEnv != "" {
			return accounts.OAuth{}, usagef("give --refresh-token-file or --refresh-token-env, not both")
		}
		refresh, err := app.readSecret(*tokenFile, *tokenEnv)
		if err != nil {
			return accounts.OAuth{}, err
		}
		return accounts.OAuth{Provider: providerName, Token: oauth.Token{RefreshToken: refresh}, Handle: *handle}, nil
	}
}
