package web

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/mailsync/mailsync/internal/access"
	"github.com/mailsync/mailsync/internal/store"
)

// accessRequestJSON is the body of POST /threads/{id}/access-requests.
type accessRequestJSON struct {
	Note string `json:"note"`
}

func (s *server) apiRequestAccess(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var body accessRequestJSON
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil && err != io.EOF {
		return errorf(http.StatusBadRequest, "body must be JSON like {\"note\": \"why you need it\"} (or empty)")
	}
	req, err := access.Request(r.Context(), s.cfg.Store, actor(r, m), m, r.PathValue("id"), body.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, access.ViewOf(req))
}

func (s *server) apiAccessRequests(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	rs, err := s.cfg.Store.AccessRequestsFor(r.Context(), m.WorkspaceID, m.ID)
	if err != nil {
		return err
	}
	out := make([]access.View, 0, len(rs))
	for _, req := range rs {
		out = append(out, access.ViewOf(req))
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiDecideAccess returns the handler of POST /access-requests/{id}/ACTION.
func (s *server) apiDecideAccess(action string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, m *store.Member) error {
		req, err := access.Decide(r.Context(), s.cfg.Store, actor(r, m), m, r.PathValue("id"), action)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, access.ViewOf(req))
	}
}

// uiRequestAccess is the "Request access" form of a withheld thread.
func (s *server) uiRequestAccess(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	m := sess.Member
	if _, err := access.Request(r.Context(), s.cfg.Store, actor(r, m), m, r.PathValue("id"),
		r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/threads/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

// uiAccess lists the requests a member made and those they may decide.
func (s *server) uiAccess(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	rs, err := s.cfg.Store.AccessRequestsFor(r.Context(), sess.Member.WorkspaceID, sess.Member.ID)
	if err != nil {
		return err
	}
	var mine, theirs []*store.AccessRequest
	for _, req := range rs {
		if req.RequesterID == sess.Member.ID {
			mine = append(mine, req)
		} else {
			theirs = append(theirs, req)
		}
	}
	s.render(w, r, http.StatusOK, "access", page{Title: "Access requests", Nav: "access",
		Data: map[string]any{"Mine": mine, "Theirs": theirs}})
	return nil
}

// uiDecideAccess is the Grant / Deny / Revoke button of a request.
func (s *server) uiDecideAccess(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	action := r.PathValue("action")
	if action != "grant" && action != "deny" && action != "revoke" {
		return store.ErrNotFound
	}
	m := sess.Member
	if _, err := access.Decide(r.Context(), s.cfg.Store, actor(r, m), m, r.PathValue("id"), action); err != nil {
		return err
	}
	http.Redirect(w, r, "/access", http.StatusSeeOther)
	return nil
}

// myAccessRequest is the status of the member's live request on a thread:
// "pending", "granted", or "" when they have none.
func (s *server) myAccessRequest(r *http.Request, m *store.Member, threadID string) (string, error) {
	rs, err := s.cfg.Store.AccessRequestsFor(r.Context(), m.WorkspaceID, m.ID)
	if err != nil {
		return "", err
	}
	status := ""
	for _, req := range rs {
		if req.ThreadID == threadID && req.RequesterID == m.ID && (req.Status == store.AccessPending || req.Status == store.AccessGranted) {
			status = req.Status
		}
	}
	return status, nil
}
