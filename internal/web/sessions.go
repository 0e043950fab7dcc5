package web

import (
	"net/http"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

// routeSessions registers what a member does with their own credentials:
// logging out everywhere, and the API tokens they hold.
func (s *server) routeSessions() {
	s.ui("POST /logout/everywhere", s.postLogoutEverywhere)
	s.ui("GET /settings/tokens", s.uiTokens)
	s.ui("POST /settings/tokens/{id}/revoke", s.uiRevokeToken)
}

// postLogoutEverywhere ends every session of the member, this one too: a
// browser left logged in elsewhere (or a stolen cookie) stops working.
func (s *server) postLogoutEverywhere(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if err := s.cfg.Store.DeleteMemberSessions(r.Context(), sess.Member.ID); err != nil {
		return err
	}
	s.audit(r, sess.Member, store.AuditLogoutEverywhere, sess.Member.ID, nil)
	setCookie(w, r, sessionCookie, "", -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// tokenRow is an API token ready to show.
type tokenRow struct {
	ID, Name, Created, LastUsed string
}

func (s *server) uiTokens(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	tokens, err := s.cfg.Store.Tokens(r.Context(), sess.Member.ID)
	if err != nil {
		return err
	}
	const layout = "2006-01-02 15:04 UTC"
	rows := make([]tokenRow, 0, len(tokens))
	for _, t := range tokens {
		row := tokenRow{ID: t.ID, Name: t.Name, Created: t.CreatedAt.Format(layout), LastUsed: "never"}
		if t.LastUsedAt != nil {
			row.LastUsed = t.LastUsedAt.Format(layout)
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "tokens", page{Title: "Sessions and API tokens", Nav: "settings", Sub: "tokens",
		Data: map[string]any{"Tokens": rows}})
	return nil
}

// uiRevokeToken deletes one of the member's own tokens; anyone else's id
// answers 404 like an unknown one.
func (s *server) uiRevokeToken(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	id := r.PathValue("id")
	if err := s.cfg.Store.RevokeToken(r.Context(), sess.Member.ID, id); err != nil {
		return err
	}
	s.audit(r, sess.Member, store.AuditTokenRevoke, id, nil)
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
	return nil
}
