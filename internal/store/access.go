package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Access request statuses.
const (
	AccessPending = "pending"
	AccessGranted = "granted"
	AccessDenied  = "denied"
	AccessRevoked = "revoked"
)

// Audit actions of access requests.
const (
	AuditAccessRequest = "access.request"
	AuditAccessGrant   = "access.grant"
	AuditAccessDeny    = "access.deny"
	AuditAccessRevoke  = "access.revoke"
)

// AccessRequest is a member's request to read a withheld thread.
type AccessRequest struct {
	ID          string
	WorkspaceID string
	ThreadID    string
	RequesterID string
	Requester   string // login email
	Note        string
	Status      string
	CreatedAt   time.Time
	DecidedByID string
	DecidedBy   string // login email; "" while pending
	DecidedAt   time.Time
}

const accessSelect = `SELECT r.id, r.workspace_id, r.thread_id, r.requester_id, rm.email, r.note, r.status, r.created_at,
	COALESCE(r.decided_by, ''), COALESCE(dm.email, ''), COALESCE(r.decided_at, 0)
	FROM access_requests r JOIN members rm ON rm.id = r.requester_id LEFT JOIN members dm ON dm.id = r.decided_by`

func scanAccess(row interface{ Scan(...any) error }) (*AccessRequest, error) {
	r := &AccessRequest{}
	var created, decided int64
	if err := row.Scan(&r.ID, &r.WorkspaceID, &r.ThreadID, &r.RequesterID, &r.Requester, &r.Note, &r.Status, &created,
		&r.DecidedByID, &r.DecidedBy, &decided); err != nil {
		return nil, err
	}
	r.CreatedAt = FromMillis(created)
	if decided > 0 {
		r.DecidedAt = FromMillis(decided)
	}
	return r, nil
}

// CreateAccessRequest records a pending request, or returns the one the
// member already has pending for the thread: asking twice is one request.
func (s *Store) CreateAccessRequest(ctx context.Context, who Actor, workspaceID, threadID, note string) (*AccessRequest, error) {
	var id string
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM access_requests WHERE workspace_id = $1 AND thread_id = $2
			AND requester_id = $3 AND status = $4`, workspaceID, threadID, who.MemberID, AccessPending).Scan(&id)
		if err == nil {
			return nil
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("find access request: %w", err)
		}
		id = NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_requests (id, workspace_id, thread_id, requester_id, note, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, workspaceID, threadID, who.MemberID, note, AccessPending, now()); err != nil {
			return fmt.Errorf("store access request: %w", err)
		}
		return AuditTx(ctx, tx, workspaceID, who, AuditAccessRequest, id, map[string]any{"threadId": threadID})
	})
	if err != nil {
		return nil, err
	}
	return s.AccessRequest(ctx, workspaceID, id)
}

// AccessRequest returns one request of a workspace.
func (s *Store) AccessRequest(ctx context.Context, workspaceID, id string) (*AccessRequest, error) {
	r, err := scanAccess(s.DB.QueryRowContext(ctx, accessSelect+` WHERE r.workspace_id = $1 AND r.id = $2`, workspaceID, id))
	if err != nil {
		return nil, notFound(err, "access request "+id)
	}
	return r, nil
}

// AccessRequestsFor lists, newest first, the requests a member made and
// those on threads held by one of the member's mailboxes (which the
// member may decide).
func (s *Store) AccessRequestsFor(ctx context.Context, workspaceID, memberID string) ([]*AccessRequest, error) {
	return queryAll(ctx, s.DB, "access requests", scanAccess, accessSelect+` WHERE r.workspace_id = $1 AND (r.requester_id = $2
		OR r.thread_id IN (SELECT m.thread_id FROM messages m JOIN folder_items i ON i.message_id = m.id
			JOIN channels c ON c.id = i.channel_id JOIN connected_accounts a ON a.id = c.account_id
			WHERE a.member_id = $2 AND m.workspace_id = $1))
		ORDER BY r.created_at DESC, r.id DESC`, workspaceID, memberID)
}

// DecideAccessRequest moves a request from status from to status to,
// recording who decided and when; it answers ErrConflict when the request
// is not in status from any more (decided meanwhile).
func (s *Store) DecideAccessRequest(ctx context.Context, who Actor, workspaceID, id, from, to, action string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_requests SET status = $1, decided_by = $2, decided_at = $3
			WHERE workspace_id = $4 AND id = $5 AND status = $6`, to, who.MemberID, now(), workspaceID, id, from)
		if err != nil {
			return fmt.Errorf("decide access request: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("access request %s is not %s: %w", id, from, ErrConflict)
		}
		return AuditTx(ctx, tx, workspaceID, who, action, id, map[string]any{"status": to})
	})
}

// ThreadOwners lists the members owning a mailbox that holds a message of
// the thread: those who decide its access requests.
func (s *Store) ThreadOwners(ctx context.Context, workspaceID, threadID string) ([]string, error) {
	return queryStrings(ctx, s.DB, "thread owners", `SELECT DISTINCT a.member_id FROM messages m
		JOIN folder_items i ON i.message_id = m.id JOIN channels c ON c.id = i.channel_id
		JOIN connected_accounts a ON a.id = c.account_id WHERE m.workspace_id = $1 AND m.thread_id = $2`, workspaceID, threadID)
}

// PendingAccessCount counts the pending requests a member may decide.
func (s *Store) PendingAccessCount(ctx context.Context, workspaceID, memberID string) (int, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_requests r WHERE r.workspace_id = $1 AND r.status = $2
		AND r.requester_id <> $3 AND r.thread_id IN (SELECT m.thread_id FROM messages m JOIN folder_items i ON i.message_id = m.id
			JOIN channels c ON c.id = i.channel_id JOIN connected_accounts a ON a.id = c.account_id
			WHERE a.member_id = $3 AND m.workspace_id = $1)`, workspaceID, AccessPending, memberID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count access requests: %w", err)
	}
	return n, nil
}

// grantsOf maps each of the threads to the members holding a granted
// request on it.
func (s *Store) grantsOf(ctx context.Context, threadIDs []string) (map[string][]string, error) {
	type grant struct{ thread, member string }
	scan := func(row interface{ Scan(...any) error }) (g grant, err error) {
		return g, row.Scan(&g.thread, &g.member)
	}
	out := map[string][]string{}
	for _, chunk := range chunks(threadIDs, 500) {
		gs, err := queryAll(ctx, s.DB, "access grants", scan, `SELECT thread_id, requester_id FROM access_requests
			WHERE status = 'granted' AND thread_id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out[g.thread] = append(out[g.thread], g.member)
		}
	}
	return out, nil
}
