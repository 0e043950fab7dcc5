package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Audit actions: what changed. Keep the names stable, readers filter on them.
const (
	AuditAccountAdd       = "account.add"
	AuditAccountUpdate    = "account.update" // sharing, folders, exclusions, auto-creation
	AuditAccountRemove    = "account.remove"
	AuditAccountPause     = "account.pause"
	AuditAccountResume    = "account.resume"
	AuditAccountReconnect = "account.credentials"
	AuditBlocklistAdd     = "blocklist.add"
	AuditBlocklistRemove  = "blocklist.remove"
	AuditMemberAdd        = "member.add"
	AuditMemberPassword   = "member.password"
	AuditTokenCreate      = "token.create"
	AuditTokenRevoke      = "token.revoke"
	AuditLogoutEverywhere = "member.logout-everywhere"
	AuditWorkspaceCreate  = "workspace.create"
	AuditWorkspaceUpdate  = "workspace.update"
)

// Actor is who makes a change and from where: a member and the client IP
// of their request, or the operator's command line.
type Actor struct {
	MemberID string // "" for the CLI
	Email    string // the member's login email, or "cli"
	IP       string // client IP, or "cli"
}

// CLI is the operator's command line: it reaches the database directly,
// so no member stands behind it.
var CLI = Actor{Email: "cli", IP: "cli"}

// MemberActor is member m acting from ip.
func MemberActor(m *Member, ip string) Actor {
	return Actor{MemberID: m.ID, Email: m.Email, IP: ip}
}

// AuditEntry is one change recorded in the audit log. Details name the
// settings changed and their new values; callers never put mail content,
// passwords or tokens there.
type AuditEntry struct {
	ID          string         `json:"id"`
	WorkspaceID string         `json:"-"`
	At          time.Time      `json:"at"`
	ActorID     string         `json:"actorId"`
	Actor       string         `json:"actor"`
	IP          string         `json:"ip"`
	Action      string         `json:"action"`
	TargetID    string         `json:"targetId"`
	Details     map[string]any `json:"details"`
}

// Audit records a change made by who in workspace ws.
func (s *Store) Audit(ctx context.Context, ws string, who Actor, action, target string, details map[string]any) error {
	return recordAudit(ctx, s.DB, ws, who, action, target, details)
}

// AuditTx records a change in the transaction that makes it, so that the
// change and its record are committed together or not at all.
func AuditTx(ctx context.Context, tx *sql.Tx, ws string, who Actor, action, target string, details map[string]any) error {
	return recordAudit(ctx, tx, ws, who, action, target, details)
}

func recordAudit(ctx context.Context, q querier, ws string, who Actor, action, target string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log
		(id, workspace_id, actor_id, actor, action, target_id, details, ip, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		NewID(), ws, who.MemberID, who.Email, action, target, string(raw), who.IP, now())
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditLog returns a page of a workspace's audit log, newest first, and
// the number of entries in all.
func (s *Store) AuditLog(ctx context.Context, ws string, limit, offset int) (int, []*AuditEntry, error) {
	var total int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1`, ws).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count audit log: %w", err)
	}
	// Ids are time-ordered: they break ties between entries of the same millisecond.
	entries, err := queryAll(ctx, s.DB, "audit log", scanAuditEntry, `SELECT id, workspace_id, actor_id, actor,
		action, target_id, details, ip, created_at FROM audit_log WHERE workspace_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, ws, limit, offset)
	if err != nil {
		return 0, nil, err
	}
	return total, entries, nil
}

func scanAuditEntry(row interface{ Scan(...any) error }) (*AuditEntry, error) {
	e := &AuditEntry{}
	var details string
	var at int64
	if err := row.Scan(&e.ID, &e.WorkspaceID, &e.ActorID, &e.Actor, &e.Action, &e.TargetID, &details, &e.IP, &at); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return nil, fmt.Errorf("audit entry %s details: %w", e.ID, err)
	}
	e.At = FromMillis(at)
	return e, nil
}

// AuditDetails names the settings a change sets, with their new values,
// for the audit log.
func (in ChannelSettings) AuditDetails() map[string]any {
	d := map[string]any{}
	if in.Visibility != nil {
		d["visibility"] = *in.Visibility
	}
	if in.AutoCreate != nil {
		d["autoCreate"] = *in.AutoCreate
	}
	if in.ExcludeGroup != nil {
		d["excludeGroup"] = *in.ExcludeGroup
	}
	if in.ExcludePersonal != nil {
		d["excludePersonal"] = *in.ExcludePersonal
	}
	if in.Folders != nil {
		d["folders"] = *in.Folders
	}
	return d
}
