package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Workspace is a tenant. Its JSON is what `workspace show --json` and the
// API answer.
type Workspace struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Domains        []string `json:"domains"`        // declared own domains; never nil
	ImportInternal bool     `json:"importInternal"` // SPEC §4.1: import internal mail too
}

// CreateWorkspace creates a workspace with its declared own domains.
func (s *Store) CreateWorkspace(ctx context.Context, name string, domains []string) (*Workspace, error) {
	ws := &Workspace{ID: NewID(), Name: name, Domains: []string{}}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)`,
			ws.ID, name, now()); err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		for _, d := range domains {
			d = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(d, "@")))
			if d == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO workspace_domains (workspace_id, domain) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, ws.ID, d); err != nil {
				return fmt.Errorf("add workspace domain %s: %w", d, err)
			}
			ws.Domains = append(ws.Domains, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// Workspace returns one workspace.
func (s *Store) Workspace(ctx context.Context, id string) (*Workspace, error) {
	ws := &Workspace{Domains: []string{}}
	err := s.DB.QueryRowContext(ctx, `SELECT id, name, import_internal FROM workspaces WHERE id = $1`, id).
		Scan(&ws.ID, &ws.Name, &ws.ImportInternal)
	if err != nil {
		return nil, notFound(err, "workspace "+id)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT domain FROM workspace_domains WHERE workspace_id = $1 ORDER BY domain`, id)
	if err != nil {
		return nil, fmt.Errorf("workspace domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		ws.Domains = append(ws.Domains, d)
	}
	return ws, rows.Err()
}

// WorkspaceIDs lists every workspace id, oldest first.
func (s *Store) WorkspaceIDs(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.DB, "list workspaces", `SELECT id FROM workspaces ORDER BY created_at, id`)
}

// SetImportInternal turns the import of internal mail on or off.
// Every mailbox of the workspace re-decides its past mail.
func (s *Store) SetImportInternal(ctx context.Context, workspaceID string, on bool) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE workspaces SET import_internal = $1 WHERE id = $2`, on, workspaceID); err != nil {
			return fmt.Errorf("set import of internal mail: %w", err)
		}
		return markWorkspaceRules(ctx, tx, workspaceID)
	})
}
