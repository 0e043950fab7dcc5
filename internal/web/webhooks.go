package web

import (
	"context"
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
