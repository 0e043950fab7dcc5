package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// OAuth is what adding a Gmail or Microsoft 365 mailbox needs.
type OAuth struct {
	Provider string // oauth.Google ("gmail") or oauth.Microsoft
	Token    oauth.Token
	Handle   string // "": the address the provider's profile gives
}

// OAuthResult says what AddOAuth did.
type OAuthResult struct {
	Account *store.Account
	// Reconnected is set when the member's mailbox was already connected
	// (a revoked grant being renewed): its secret was replaced and its
	// sync resumes from its cursors.
	Reconnected bool
}

// AddOAuth checks the grant (a token refresh and a profile read), then
// stores the mailbox for member m with the token as it stands after the
// check (a provider may have rotated it) and queues its import. The same
// member connecting the same address again replaces the grant: that is
// how a mailbox in failed_auth is reconnected. A refused grant is a
// *LoginError and nothing is saved.
func (ad Adder) AddOAuth(ctx context.Context, c connect.Connector, m *store.Member, in OAuth) (*OAuthResult, error) {
	checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mb, handle, aliases, err := DialOAuth(checkCtx, c, in)
	if err != nil {
		return nil, err
	}
	defer mb.Close()
	secret := ad.Box.Seal(mb.Secret())
	existing, err := ad.Store.AccountByHandle(ctx, m.WorkspaceID, in.Provider, handle)
	switch {
	case err == nil && existing.MemberID != m.ID:
		return nil, fmt.Errorf("mailbox %s is already connected by %s: %w", handle, existing.MemberEmail, store.ErrConflict)
	case err == nil:
		if err := ad.Store.SetAccountSecret(ctx, existing.ID, secret); err != nil {
			return nil, err
		}
		return &OAuthResult{Account: existing, Reconnected: true}, ad.queue(ctx, existing)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	a, err := ad.Store.AddAccount(ctx, store.NewAccount{WorkspaceID: m.WorkspaceID, MemberID: m.ID,
		Provider: in.Provider, Handle: handle, Aliases: aliases, SecretEnc: secret})
	if err != nil {
		return nil, err
	}
	return &OAuthResult{Account: a}, ad.queue(ctx, a)
}

func (ad Adder) queue(ctx context.Context, a *store.Account) error {
	if ad.Queue == nil {
		return nil
	}
	if err := ad.Queue.EnqueueSync(ctx, a.ID); err != nil {
		return fmt.Errorf("mailbox saved, but its import could not be queued (the next periodic sync does it): %w", err)
	}
	return nil
}

// grantError words a failed grant check for the person adding the mailbox.
func grantError(app oauth.App, err error) error {
	switch {
	case errors.Is(err, provider.ErrAuth):
		return &LoginError{fmt.Sprintf("%s refused access to the mailbox: %v. Nothing was saved.", app.Label(), err)}
	case errors.Is(err, provider.ErrUnreachable):
		return &LoginError{fmt.Sprintf("cannot reach %s: %v. Nothing was saved.", app.Label(), err)}
	}
	return &LoginError{fmt.Sprintf("could not check the %s grant: %v. Nothing was saved.", app.Label(), err)}
}

// DialOAuth connects to a Gmail or Microsoft 365 mailbox that is not
// saved, with a refresh token, and returns it with its address (the
// handle given, or the profile's) and aliases. A refused grant is a
// *LoginError that says what to do. Nothing is stored.
func DialOAuth(ctx context.Context, c connect.Connector, in OAuth) (connect.APIMailbox, string, []string, error) {
	app, ok := c.OAuth.App(in.Provider)
	if !ok || in.Provider == "google" {
		return nil, "", nil, inputf("provider must be gmail or microsoft, not %q", in.Provider)
	}
	if strings.TrimSpace(in.Token.RefreshToken) == "" {
		return nil, "", nil, inputf("the refresh token is empty")
	}
	if in.Handle != "" && !looksLikeEmail(in.Handle) {
		return nil, "", nil, inputf("%q is not an email address", in.Handle)
	}
	mb, err := c.ConnectAPI(ctx, &store.Account{Provider: in.Provider, Handle: in.Handle}, in.Token.Encode())
	if err != nil {
		return nil, "", nil, grantError(app, err)
	}
	address, aliases, err := mb.Identity(ctx)
	if err != nil {
		mb.Close()
		return nil, "", nil, grantError(app, err)
	}
	handle := strings.ToLower(strings.TrimSpace(in.Handle))
	if handle == "" {
		handle = address
	}
	if !looksLikeEmail(handle) {
		mb.Close()
		return nil, "", nil, &LoginError{fmt.Sprintf("%s gave no usable address for this mailbox (%q): pass --handle. Nothing was saved.", app.Label(), address)}
	}
	return mb, handle, aliases, nil
}
