// Package accounts connects mailboxes: it checks the input and the login
// before anything is saved, stores the account with its sealed password,
// and queues its first import. The CLI and the web UI both add mailboxes
// through it, so both refuse the same things with the same words.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// InputError is a mistake in what the user typed: nothing was tried.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// LoginError means the server refused the login or could not be reached:
// nothing was saved.
type LoginError struct{ Msg string }

func (e *LoginError) Error() string { return e.Msg }

func inputf(format string, args ...any) error { return &InputError{fmt.Sprintf(format, args...)} }

// IMAP is what adding an IMAP mailbox needs.
type IMAP struct {
	Host     string
	Port     int // 0: 993 with tls, 143 otherwise
	Security string
	Username string
	Password string
	Handle   string // "": the username, when it is an address
	Aliases  []string
}

// Normalize checks the input and fills in the defaults.
func (in *IMAP) Normalize() error {
	in.Host = strings.TrimSpace(in.Host)
	in.Username = strings.TrimSpace(in.Username)
	in.Handle = strings.TrimSpace(in.Handle)
	if in.Security == "" {
		in.Security = "tls"
	}
	switch in.Security {
	case "tls", "starttls", "none":
	default:
		return inputf("security must be tls, starttls or none, not %q", in.Security)
	}
	if in.Host == "" || in.Username == "" {
		return inputf("the server host and the username are required")
	}
	if in.Password == "" {
		return inputf("the password is required")
	}
	if in.Port == 0 {
		in.Port = 143
		if in.Security == "tls" {
			in.Port = 993
		}
	}
	if in.Port < 1 || in.Port > 65535 {
		return inputf("port %d is not a TCP port", in.Port)
	}
	if in.Handle == "" {
		if !looksLikeEmail(in.Username) {
			return inputf("the mailbox address (handle) is required when the username is not an email address")
		}
		in.Handle = in.Username
	}
	if !looksLikeEmail(in.Handle) {
		return inputf("%q is not an email address", in.Handle)
	}
	for _, a := range in.Aliases {
		if !looksLikeEmail(a) {
			return inputf("alias %q is not an email address", a)
		}
	}
	return nil
}

func looksLikeEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

// Enqueuer asks for a sync.
type Enqueuer interface {
	EnqueueSync(ctx context.Context, accountID string) error
}

// Adder adds mailboxes.
type Adder struct {
	Store   *store.Store
	Box     *secrets.Box
	Connect ingest.ConnectFunc
	Queue   Enqueuer // nil: no import is queued (the next periodic round does it)
}

// AddIMAP checks the input and the login, then stores the mailbox for
// member m and queues its first import. A refused login or an unreachable
// server is a *LoginError and nothing is saved; a mailbox already
// connected is store.ErrConflict.
func (ad Adder) AddIMAP(ctx context.Context, m *store.Member, in IMAP) (*store.Account, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	candidate := &store.Account{Provider: "imap", Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username}
	if err := CheckLogin(ctx, ad.Connect, candidate, in.Password); err != nil {
		return nil, err
	}
	a, err := ad.Store.AddAccount(ctx, store.NewAccount{
		WorkspaceID: m.WorkspaceID, MemberID: m.ID, Provider: "imap", Handle: in.Handle, Aliases: in.Aliases,
		Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username, SecretEnc: ad.Box.Seal(in.Password),
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("mailbox %s is already connected: %w", strings.ToLower(in.Handle), store.ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	if ad.Queue != nil {
		if err := ad.Queue.EnqueueSync(ctx, a.ID); err != nil {
			return a, fmt.Errorf("mailbox saved, but its first import could not be queued (the next periodic sync does it): %w", err)
		}
	}
	return a, nil
}

// CheckLogin connects and lists folders, so that a wrong password or an
// unreachable server is reported now, not as a failed sync later.
func CheckLogin(ctx context.Context, connect ingest.ConnectFunc, a *store.Account, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mb, err := Dial(ctx, connect, a, password)
	if err != nil {
		return err
	}
	defer mb.Close()
	if _, err := mb.Folders(ctx); err != nil {
		return &LoginError{fmt.Sprintf("logged in to %s but could not list its folders: %v. Nothing was saved.", a.Host, err)}
	}
	return nil
}

// Dial connects to a mailbox not saved yet; a refused login or an
// unreachable server is a *LoginError that says what to fix.
func Dial(ctx context.Context, connect ingest.ConnectFunc, a *store.Account, password string) (provider.Mailbox, error) {
	mb, err := connect(ctx, a, password)
	switch {
	case errors.Is(err, netguard.ErrForbidden):
		return nil, &LoginError{fmt.Sprintf("refused to connect: %v. Nothing was saved.", err)}
	case errors.Is(err, provider.ErrAuth):
		return nil, &LoginError{fmt.Sprintf("the server %s refused the login for %s (wrong username or password): check the username and password; an app password may be needed. Nothing was saved.",
			a.Host, a.Username)}
	case errors.Is(err, provider.ErrUnreachable):
		return nil, &LoginError{fmt.Sprintf("cannot reach %s:%d (%v): check the host, port and security. Nothing was saved.", a.Host, a.Port, err)}
	case err != nil:
		return nil, &LoginError{fmt.Sprintf("cannot connect to %s:%d: %v. Nothing was saved.", a.Host, a.Port, err)}
	}
	return mb, nil
}
