package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Session is a logged-in web UI session.
type Session struct {
	Member    *Member
	CSRFToken string
	ExpiresAt time.Time
}

// CreateSession starts a session for a member lasting ttl and returns its
// secret token (for the cookie); only a hash of it is stored.
func (s *Store) CreateSession(ctx context.Context, memberID string, ttl time.Duration) (token string, sess *Session, err error) {
	token = NewSecret()
	csrf := NewSecret()
	expires := time.Now().Add(ttl)
	_, err = s.DB.ExecContext(ctx, `INSERT INTO sessions (token_hash, member_id, csrf_token, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hashToken(token), memberID, csrf, now(), expires.UnixMilli())
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, &Session{CSRFToken: csrf, ExpiresAt: expires.UTC()}, nil
}

// SessionByToken returns the live session a cookie token names, with its
// member; an unknown or expired token is ErrNotFound.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	sess := &Session{Member: &Member{}}
	var expires int64
	err := s.DB.QueryRowContext(ctx, `SELECT m.id, m.workspace_id, m.email, m.name, m.role, m.password_hash,
		s.csrf_token, s.expires_at FROM sessions s JOIN members m ON m.id = s.member_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, hashToken(token), now()).
		Scan(&sess.Member.ID, &sess.Member.WorkspaceID, &sess.Member.Email, &sess.Member.Name, &sess.Member.Role,
			&sess.Member.PasswordHash, &sess.CSRFToken, &expires)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	sess.ExpiresAt = FromMillis(expires)
	return sess, nil
}

// DeleteSession ends a session (logout); an unknown token is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteMemberSessions ends every session of a member ("log out
// everywhere").
func (s *Store) DeleteMemberSessions(ctx context.Context, memberID string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1`, memberID); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now()); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}

// MembersByLoginEmail lists the members, in any workspace, who log in
// with this email (the UI login form names no workspace).
func (s *Store) MembersByLoginEmail(ctx context.Context, email string) ([]*Member, error) {
	return queryAll(ctx, s.DB, "find members by email", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE email = $1 ORDER BY created_at, id`, strings.ToLower(strings.TrimSpace(email)))
}
