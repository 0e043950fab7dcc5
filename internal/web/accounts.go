package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/imapsync"
	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// preset is a well-known IMAP provider the Add account form offers.
type preset struct {
	ID, Label, Host string
	Port            int
	Security        string
}

// presets fill in the Add account form; "custom" leaves it to the user.
var presets = []preset{
	{"gmail", "Gmail", "imap.gmail.com", 993, "tls"},
	{"outlook", "Outlook", "outlook.office365.com", 993, "tls"},
	{"fastmail", "Fastmail", "imap.fastmail.com", 993, "tls"},
	{"icloud", "iCloud", "imap.mail.me.com", 993, "tls"},
	{"custom", "Custom", "", 993, "tls"},
}

// imapConnect dials an IMAP server with the system's roots.
func imapConnect(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
	if a.Provider != "imap" {
		return nil, fmt.Errorf("provider %q is not supported yet", a.Provider)
	}
	return imapsync.Dial(ctx, imapsync.Config{Host: a.Host, Port: a.Port, Security: a.Security,
		Username: a.Username, Password: secret})
}

// imapAccount is what adding an IMAP mailbox needs.
type imapAccount struct {
	Host     string
	Port     int
	Security string
	Username string
	Password string
	Handle   string
	Aliases  []string
}

// normalize checks the form and fills in defaults (port from security,
// handle from an address-like username).
func (in *imapAccount) normalize() error {
	in.Host = strings.TrimSpace(in.Host)
	in.Username = strings.TrimSpace(in.Username)
	in.Handle = strings.TrimSpace(in.Handle)
	if in.Security == "" {
		in.Security = "tls"
	}
	switch in.Security {
	case "tls", "starttls", "none":
	default:
		return errorf(http.StatusBadRequest, "security must be tls, starttls or none, not %q", in.Security)
	}
	if in.Host == "" || in.Username == "" || in.Password == "" {
		return errorf(http.StatusBadRequest, "host, username and password are required")
	}
	if in.Port == 0 {
		in.Port = 143
		if in.Security == "tls" {
			in.Port = 993
		}
	}
	if in.Port < 1 || in.Port > 65535 {
		return errorf(http.StatusBadRequest, "port %d is not a TCP port", in.Port)
	}
	if in.Handle == "" {
		if !looksLikeEmail(in.Username) {
			return errorf(http.StatusBadRequest, "the mailbox address is required when the username is not an email address")
		}
		in.Handle = in.Username
	}
	if !looksLikeEmail(in.Handle) {
		return errorf(http.StatusBadRequest, "%q is not an email address", in.Handle)
	}
	return nil
}

// addIMAPAccount checks the login, stores the mailbox for member m and
// queues its initial import. A refused login or an unreachable server is
// a 422 and nothing is saved.
func (s *server) addIMAPAccount(ctx context.Context, m *store.Member, in imapAccount) (*store.Account, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	candidate := &store.Account{Provider: "imap", Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username}
	if err := s.checkLogin(ctx, candidate, in.Password); err != nil {
		return nil, err
	}
	a, err := s.cfg.Store.AddAccount(ctx, store.NewAccount{
		WorkspaceID: m.WorkspaceID, MemberID: m.ID, Provider: "imap", Handle: in.Handle, Aliases: in.Aliases,
		Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username, SecretEnc: s.cfg.Box.Seal(in.Password),
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, errorf(http.StatusConflict, "mailbox %s is already connected", strings.ToLower(in.Handle))
	}
	if err != nil {
		return nil, err
	}
	if s.cfg.Queue != nil {
		if err := s.cfg.Queue.EnqueueSync(ctx, a.ID); err != nil {
			// The mailbox is saved; the scheduler imports it on its next round.
			s.log.Error("queue initial import", "account", a.ID, "err", err)
		}
	}
	return a, nil
}

// checkLogin connects and lists folders, so that a wrong password or an
// unreachable server is reported now, not as a failed sync later.
func (s *server) checkLogin(ctx context.Context, a *store.Account, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mb, err := s.cfg.Connect(ctx, a, password)
	switch {
	case errors.Is(err, provider.ErrAuth):
		return errorf(http.StatusUnprocessableEntity,
			"The server %s refused the login for %s: check the username and password (an app password may be needed). Nothing was saved.",
			a.Host, a.Username)
	case errors.Is(err, provider.ErrUnreachable):
		return errorf(http.StatusUnprocessableEntity,
			"Cannot reach %s:%d: check the host, port and security. Nothing was saved.", a.Host, a.Port)
	case err != nil:
		s.log.Info("add account: connect failed", "host", a.Host, "err", err)
		return errorf(http.StatusUnprocessableEntity, "Cannot connect to %s:%d: %v. Nothing was saved.", a.Host, a.Port, err)
	}
	defer mb.Close()
	if _, err := mb.Folders(ctx); err != nil {
		return errorf(http.StatusUnprocessableEntity, "Logged in to %s but could not list folders: %v. Nothing was saved.", a.Host, err)
	}
	return nil
}

// ownAccount returns an account member m may change: their own, or any
// of the workspace's for an admin. Another member's account is a 403;
// another workspace's is a 404 like an unknown id.
func (s *server) ownAccount(r *http.Request, m *store.Member, id string) (*store.Account, error) {
	a, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if a.MemberID != m.ID && m.Role != "admin" {
		return nil, errorf(http.StatusForbidden, "only the owner of %s or an admin may change it", a.Handle)
	}
	return a, nil
}

// channelSettings validates a settings change.
func channelSettings(in accountSettingsJSON) (store.ChannelSettings, error) {
	out := store.ChannelSettings{Visibility: in.Visibility, AutoCreate: in.AutoCreate,
		ExcludeGroup: in.ExcludeGroup, ExcludePersonal: in.ExcludePersonal, Folders: in.Folders}
	if in.Visibility != nil {
		if err := visibility.Valid(*in.Visibility); err != nil {
			return out, errorf(http.StatusBadRequest, "%v", err)
		}
	}
	if in.AutoCreate != nil {
		switch *in.AutoCreate {
		case policy.AutoCreateNone, policy.AutoCreateSent, policy.AutoCreateSentAndReceived:
		default:
			return out, errorf(http.StatusBadRequest, "autoCreate must be none, sent or sent-and-received, not %q", *in.AutoCreate)
		}
	}
	if in.Folders != nil {
		var picked []string
		for _, f := range *in.Folders {
			if f = strings.TrimSpace(f); f != "" {
				picked = append(picked, f)
			}
		}
		out.Folders = &picked
	}
	return out, nil
}
