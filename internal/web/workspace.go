package web

import (
	"net/http"

	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// The workspace's settings: today "import internal mail" (SPEC §4.1).
// Every member may read them; only an admin may change them, because they
// decide what is imported into every member's mailboxes.

// requireAdmin answers 403 for a member who is not an admin.
func requireAdmin(m *store.Member, what string) error {
	if m.Role != "admin" {
		return errorf(http.StatusForbidden, "only an admin may change %s", what)
	}
	return nil
}

// setImportInternal changes the setting, acting on the past mail of every
// mailbox of the workspace; a change to the same value does nothing.
func (s *server) setImportInternal(r *http.Request, m *store.Member, on bool) error {
	if err := requireAdmin(m, "the workspace's settings"); err != nil {
		return err
	}
	ws, err := s.cfg.Store.Workspace(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	if ws.ImportInternal == on {
		return nil
	}
	err = s.changeRules(r.Context(), func() (rules.Result, error) {
		return rules.SetImportInternal(r.Context(), s.cfg.Store, m.WorkspaceID, on)
	})
	if err == nil {
		s.audit(r, m, store.AuditWorkspaceUpdate, ws.ID, map[string]any{"importInternal": on})
	}
	return err
}

func (s *server) apiWorkspace(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	ws, err := s.cfg.Store.Workspace(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ws)
}

// apiUpdateWorkspace changes the workspace's settings (admins only); a
// field left out keeps its value.
func (s *server) apiUpdateWorkspace(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if err := requireAdmin(m, "the workspace's settings"); err != nil {
		return err
	}
	var in struct {
		ImportInternal *bool `json:"importInternal"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.ImportInternal != nil {
		if err := s.setImportInternal(r, m, *in.ImportInternal); err != nil {
			return err
		}
	}
	return s.apiWorkspace(w, r, m)
}

func (s *server) uiWorkspace(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if err := requireAdmin(sess.Member, "the workspace's settings"); err != nil {
		return err
	}
	ws, err := s.cfg.Store.Workspace(r.Context(), sess.Member.WorkspaceID)
	if err != nil {
		return err
	}
	// The confirmation is chosen by a code, never echoed from the URL.
	saved := map[string]string{
		"on":  "Saved. The next sync imports the internal emails skipped so far.",
		"off": "Saved. Internal emails already imported have been removed.",
	}[r.URL.Query().Get("saved")]
	s.render(w, r, http.StatusOK, "workspace", page{Title: "Workspace", Nav: "settings", Sub: "workspace",
		Data: map[string]any{"Workspace": ws, "Saved": saved}})
	return nil
}

func (s *server) uiSaveWorkspace(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	on := r.PostFormValue("importInternal") == "on"
	if err := s.setImportInternal(r, sess.Member, on); err != nil {
		return err
	}
	saved := "off"
	if on {
		saved = "on"
	}
	http.Redirect(w, r, "/settings/workspace?saved="+saved, http.StatusSeeOther)
	return nil
}
