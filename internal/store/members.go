package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
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
func (s *Store) SetMemberPassword(ctx context.Context, memberID, hash string) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE members SET password_hash = $1 WHERE id = $2`, hash, memberID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("member %s: %w", memberID, ErrNotFound)
	}
	return nil
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

// MemberByToken finds the member owning an API token.
func (s *Store) MemberByToken(ctx context.Context, token string) (*Member, error) {
	m, err := scanMember(s.DB.QueryRowContext(ctx, `SELECT m.id, m.workspace_id, m.email, m.name, m.role, m.password_hash
		FROM api_tokens t JOIN members m ON m.id = t.member_id WHERE t.token_hash = $1`, hashToken(token)))
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return m, nil
}

// hashToken hashes an API token; tokens are long random strings, so a
// plain SHA-256 is enough (no KDF needed, unlike passwords).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
