package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/webhooks"
)

// newWebhook is the body of POST /api/v1/webhooks.
type newWebhook struct {
	URL   string   `json:"url"`
	Types []string `json:"types"`
}

// addWebhook checks and registers a receiver for an admin, returning it
// and its secret (shown once).
func (s *server) addWebhook(ctx context.Context, m *store.Member, in newWebhook) (*store.Webhook, string, error) {
	if !isAdmin(m) {
		return nil, "", errorf(http.StatusForbidden, "only admins manage webhooks")
	}
	if err := webhooks.ValidTypes(in.Types); err != nil {
		return nil, "", errorf(http.StatusBadRequest, "%v", err)
	}
	if err := webhooks.CheckURL(ctx, s.cfg.Guard, in.URL); err != nil {
		return nil, "", errorf(http.StatusBadRequest, "%v", err)
	}
	secret := webhooks.NewSecret()
	w, err := s.cfg.Store.AddWebhook(ctx, m.WorkspaceID, m.ID, in.URL, in.Types, s.cfg.Box.Seal(secret))
	return w, secret, err
}

func (s *server) apiWebhooks(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if !isAdmin(m) {
		return errorf(http.StatusForbidden, "only admins manage webhooks")
	}
	hooks, err := s.cfg.Store.Webhooks(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hooks)
}

func (s *server) apiAddWebhook(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var in newWebhook
	if err := readJSON(r, &in); err != nil {
		return err
	}
	hook, secret, err := s.addWebhook(r.Context(), m, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"id": hook.ID, "secret": secret})
}

func (s *server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if !isAdmin(m) {
		return errorf(http.StatusForbidden, "only admins manage webhooks")
	}
	if err := s.cfg.Store.DeleteWebhook(r.Context(), m.WorkspaceID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// webhookRow is a webhook ready to show, with why it is not delivering.
type webhookRow struct {
	*store.Webhook
	Why string
}

func (s *server) renderWebhooks(w http.ResponseWriter, r *http.Request, sess *store.Session, status int, data map[string]any) error {
	if !isAdmin(sess.Member) {
		return errorf(http.StatusForbidden, "Only admins manage webhooks.")
	}
	hooks, err := s.cfg.Store.Webhooks(r.Context(), sess.Member.WorkspaceID)
	if err != nil {
		return err
	}
	rows := make([]webhookRow, 0, len(hooks))
	for _, h := range hooks {
		rows = append(rows, webhookRow{h, webhooks.Why(h)})
	}
	data["Hooks"], data["Types"] = rows, store.EventTypes
	s.render(w, r, status, "webhooks", page{Title: "Webhooks", Nav: "settings", Sub: "webhooks", Data: data})
	return nil
}

// uiWebhooks is Settings > Webhooks (admins).
func (s *server) uiWebhooks(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	return s.renderWebhooks(w, r, sess, http.StatusOK, map[string]any{})
}

func (s *server) uiAddWebhook(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "Bad form.")
	}
	in := newWebhook{URL: r.PostFormValue("url"), Types: r.PostForm["type"]}
	_, secret, err := s.addWebhook(r.Context(), sess.Member, in)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusBadRequest {
		return s.renderWebhooks(w, r, sess, http.StatusBadRequest, map[string]any{"URL": in.URL, "Error": he.msg})
	}
	if err != nil {
		return err
	}
	// The secret is shown once, on this answer, never again.
	return s.renderWebhooks(w, r, sess, http.StatusOK, map[string]any{"Secret": secret})
}

func (s *server) uiRemoveWebhook(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if !isAdmin(sess.Member) {
		return errorf(http.StatusForbidden, "Only admins manage webhooks.")
	}
	if err := s.cfg.Store.DeleteWebhook(r.Context(), sess.Member.WorkspaceID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/webhooks", http.StatusSeeOther)
	return nil
}
