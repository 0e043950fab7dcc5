package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/policy"
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

// addIMAPAccount adds a mailbox for member m through package accounts,
// turning its errors into HTTP statuses: bad input 400, a refused or
// unreachable login 422 (nothing saved), a mailbox already connected 409.
func (s *server) addIMAPAccount(ctx context.Context, m *store.Member, in accounts.IMAP) (*store.Account, error) {
	a, err := accounts.Adder{Store: s.cfg.Store, Box: s.cfg.Box, Connect: s.cfg.Connect, Queue: s.cfg.Queue}.AddIMAP(ctx, m, in)
	var inputErr *accounts.InputError
	var loginErr *accounts.LoginError
	switch {
	case errors.As(err, &inputErr):
		return nil, errorf(http.StatusBadRequest, "%s", inputErr.Msg)
	case errors.As(err, &loginErr):
		return nil, errorf(http.StatusUnprocessableEntity, "%s", capitalize(loginErr.Msg))
	case a != nil && err != nil:
		// Saved; only the queueing failed: the scheduler imports it on its next round.
		s.log.Error("queue initial import", "account", a.ID, "err", err)
		return a, nil
	}
	return a, err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
