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
		err = nil
	}
	return a, err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Who may do what with a mailbox: its owner everything; an admin of its
// workspace may remove it, pause and resume its sync and reconcile it
// (the chores of a broken connection), nothing that could widen what the
// admin may read. Every member lists the workspace's mailboxes
// (GET /accounts), so a colleague's mailbox is a 403, not a secret;
// another workspace's is a 404 like an unknown id.

// ownedAccount returns an account only its owner may change: sharing
// level, folders, exclusions, auto-creation.
func (s *server) ownedAccount(r *http.Request, m *store.Member, id string) (*store.Account, error) {
	a, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if a.MemberID != m.ID {
		return nil, errorf(http.StatusForbidden, "only the owner of %s may change its settings", a.Handle)
	}
	return a, nil
}

// managedAccount returns an account member m may remove, pause or resume:
// their own, or any of the workspace's for an admin.
func (s *server) managedAccount(r *http.Request, m *store.Member, id string) (*store.Account, error) {
	a, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if a.MemberID != m.ID && !isAdmin(m) {
		return nil, errorf(http.StatusForbidden, "only the owner of %s or an admin may do this", a.Handle)
	}
	return a, nil
}

// accountAddDetails describes a mailbox added, for the audit log (never
// its password).
func accountAddDetails(a *store.Account) map[string]any {
	return map[string]any{"handle": a.Handle, "provider": a.Provider, "host": a.Host, "username": a.Username}
}

func isAdmin(m *store.Member) bool { return m.Role == "admin" }

// actor is who makes a request, for the audit log.
func actor(r *http.Request, m *store.Member) store.Actor {
	return store.MemberActor(m, clientIP(r))
}

// audit records a change already made. The change stands even if its
// record fails: the failure is logged loudly instead.
func (s *server) audit(r *http.Request, m *store.Member, action, target string, details map[string]any) {
	if err := s.cfg.Store.Audit(r.Context(), m.WorkspaceID, actor(r, m), action, target, details); err != nil {
		s.log.Error("audit log", "action", action, "target", target, "err", err)
	}
}

// settingsDetails names the settings a change sets, with their new
// values, for the audit log.
func settingsDetails(a *store.Account, in store.ChannelSettings) map[string]any {
	d := in.AuditDetails()
	d["handle"] = a.Handle
	return d
}

// setPaused pauses or resumes a mailbox (its owner or an admin); resuming
// queues a sync at once.
func (s *server) setPaused(r *http.Request, m *store.Member, id string, paused bool) (*store.Account, error) {
	a, err := s.managedAccount(r, m, id)
	if err != nil {
		return nil, err
	}
	changed, err := s.cfg.Store.SetPaused(r.Context(), m.WorkspaceID, a.ID, paused, actor(r, m))
	if err != nil {
		return nil, err
	}
	if changed && !paused && s.cfg.Queue != nil {
		if err := s.cfg.Queue.EnqueueSync(r.Context(), a.ID); err != nil {
			// Resumed; the scheduler syncs it on its next round.
			s.log.Error("queue sync after resume", "account", a.ID, "err", err)
		}
	}
	return s.cfg.Store.Account(r.Context(), m.WorkspaceID, a.ID)
}

// removeAccount removes a mailbox (its owner or an admin).
func (s *server) removeAccount(r *http.Request, m *store.Member, id string) error {
	a, err := s.managedAccount(r, m, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteAccount(r.Context(), m.WorkspaceID, a.ID); err != nil {
		return err
	}
	s.audit(r, m, store.AuditAccountRemove, a.ID, map[string]any{"handle": a.Handle, "owner": a.MemberEmail})
	return nil
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
