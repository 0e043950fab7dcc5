package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Member is a user of a workspace.
type Member struct {
	ID           string
	WorkspaceID  string
	Email        string
	Name         string
	Role         string // "admin" or "member"
	PasswordHash string
}

// AddMember adds a member; the email must be new in the workspace.
func (s *Store) AddMember(ctx context.Context, workspaceID, email, name string, admin bool) (*Member, error) {
	m := &Member{ID: NewID(), WorkspaceID: workspaceID, Email: strings.ToLower(strings.TrimSpace(email)), Name: name, Role: "member"}
	if admin {
		m.Role = "admin"
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO members (id, workspace_id, email, name, role, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, workspaceID, m.Email, name, m.Role, now())
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("member %s: %w", m.Email, ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	return m, nil
}

const memberColumns = `id, workspace_id, email, name, role, password_hash`

func scanMember(row interface{ Scan(...any) error }) (*Member, error) {
	m := &Member{}
	err := row.Scan(&m.ID, &m.WorkspaceID, &m.Email, &m.Name, &m.Role, &m.PasswordHash)
	return m, err
}

// MemberByEmail finds a member of a workspace by login email.
func (s *Store) MemberByEmail(ctx context.Context, workspaceID, email string) (*Member, error) {
	m, err := scanMember(s.DB.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members
		WHERE workspace_id = $1 AND email = $2`, workspaceID, strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return nil, notFound(err, "member "+email)
	}
	return m, nil
}

// Member returns a member of a workspace by id.
func (s *Store) Member(ctx context.Context, workspaceID, id string) (*Member, error) {
	m, err := scanMember(s.DB.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, notFound(err, "member "+id)
	}
	return m, nil
}

// Members lists a workspace's members.
func (s *Store) Members(ctx context.Context, workspaceID string) ([]*Member, error) {
	return queryAll(ctx, s.DB, "list members", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE workspace_id = $1 ORDER BY email`, workspaceID)
}

// SetMemberPassword stores a password hash (made by the caller with a KDF).
//
// Every UI session of the member ends in the same transaction: whoever
// logged in with the old password is logged out.
func (s *Store) SetMemberPassword(ctx context.Context, memberID, hash string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = $1 WHERE id = $2`, hash, memberID)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("member %s: %w", memberID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1`, memberID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return nil
	})
}

// CreateToken creates an API token for a member and returns its id and
// secret; only a hash of the secret is stored.
func (s *Store) CreateToken(ctx context.Context, memberID, name string) (id, token string, err error) {
	id = NewID()
	token = "ms_" + NewSecret()
	_, err = s.DB.ExecContext(ctx, `INSERT INTO api_tokens (id, member_id, name, token_hash, created_at)
		VALUES ($1, $2, $3, $4, $5)`, id, memberID, name, hashToken(token), now())
	if err != nil {
		return "", "", fmt.Errorf("create token: %w", err)
	}
	return id, token, nil
}

// tokenUseGranularity bounds the writes last-use tracking costs: a token
// used constantly updates its row once a minute.
const tokenUseGranularity = time.Minute

// MemberByToken finds the member owning an API token, and notes the
// token's use.
func (s *Store) MemberByToken(ctx context.Context, token string) (*Member, error) {
	hash := hashToken(token)
	m, err := scanMember(s.DB.QueryRowContext(ctx, `SELECT m.id, m.workspace_id, m.email, m.name, m.role, m.password_hash
		FROM api_tokens t JOIN members m ON m.id = t.member_id WHERE t.token_hash = $1`, hash))
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	at := now()
	if _, err := s.DB.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND last_used_at < $3`,
		at, hash, at-tokenUseGranularity.Milliseconds()); err != nil {
		return nil, fmt.Errorf("token: note use: %w", err)
	}
	return m, nil
}

// Token is an API token as its owner sees it (never its secret).
type Token struct {
	ID, Name   string
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil: never used
}

// Tokens lists a member's API tokens, newest first.
func (s *Store) Tokens(ctx context.Context, memberID string) ([]*Token, error) {
	return queryAll(ctx, s.DB, "list tokens", func(sc interface{ Scan(...any) error }) (*Token, error) {
		var t Token
		var created, used int64
		if err := sc.Scan(&t.ID, &t.Name, &created, &used); err != nil {
			return nil, err
		}
		t.CreatedAt = FromMillis(created)
		if used > 0 {
			u := FromMillis(used)
			t.LastUsedAt = &u
		}
		return &t, nil
	}, `SELECT id, name, created_at, last_used_at FROM api_tokens WHERE member_id = $1 ORDER BY created_at DESC, id`, memberID)
}

// RevokeToken deletes one of a member's API tokens; another member's or
// an unknown id is ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, memberID, id string) error {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = $1 AND member_id = $2`, id, memberID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return nil
}

// hashToken hashes an API token; tokens are long random strings, so a
// plain SHA-256 is enough (no KDF needed, unlike passwords).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
