package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Directory is what contact creation needs to know about a workspace:
// its members' addresses and its suppressions. It is loaded once per sync
// run; the tables are small.
type Directory struct {
	Members           map[string]bool // login emails, mailbox handles and aliases
	SuppressedEmails  map[string]bool
	SuppressedDomains map[string]bool
}

// IsMember reports whether the address belongs to a member.
func (d *Directory) IsMember(email string) bool { return d.Members[email] }

// IsSuppressed reports whether a person with this address was deleted.
func (d *Directory) IsSuppressed(email string) bool { return d.SuppressedEmails[email] }

// IsSuppressedDomain reports whether a company with this domain was deleted.
func (d *Directory) IsSuppressedDomain(domain string) bool { return d.SuppressedDomains[domain] }

// LoadDirectory reads a workspace's member addresses and suppressions.
func (s *Store) LoadDirectory(ctx context.Context, workspaceID string) (*Directory, error) {
	d := &Directory{Members: map[string]bool{}, SuppressedEmails: map[string]bool{}, SuppressedDomains: map[string]bool{}}
	rows, err := s.DB.QueryContext(ctx, `SELECT email FROM members WHERE workspace_id = $1
		UNION SELECT handle FROM connected_accounts WHERE workspace_id = $1
		UNION SELECT al.alias FROM account_aliases al JOIN connected_accounts a ON a.id = al.account_id WHERE a.workspace_id = $1`,
		workspaceID)
	if err != nil {
		return nil, fmt.Errorf("load member addresses: %w", err)
	}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return nil, err
		}
		d.Members[e] = true
	}
	rows.Close()
	rows, err = s.DB.QueryContext(ctx, `SELECT kind, value FROM suppressions WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("load suppressions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, v string
		if err := rows.Scan(&kind, &v); err != nil {
			return nil, err
		}
		if kind == "domain" {
			d.SuppressedDomains[v] = true
		} else {
			d.SuppressedEmails[v] = true
		}
	}
	return d, rows.Err()
}

// PersonIDsByEmail maps addresses to the people owning them.
func PersonIDsByEmail(ctx context.Context, tx *sql.Tx, workspaceID string, emails []string) (map[string]string, error) {
	return personIDsByEmail(ctx, tx, workspaceID, emails)
}

// EnsureCompany returns the id of the workspace's company with this
// domain, creating it when absent. The unique (workspace, domain)
// constraint makes concurrent creations agree on one row.
func EnsureCompany(ctx context.Context, tx *sql.Tx, workspaceID, domain, name string) (string, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO companies (id, workspace_id, name, domain, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, domain) DO NOTHING`,
		NewID(), workspaceID, name, domain, CreatedBySync, now())
	if err != nil {
		return "", fmt.Errorf("create company %s: %w", domain, err)
	}
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM companies WHERE workspace_id = $1 AND domain = $2`,
		workspaceID, domain).Scan(&id); err != nil {
		return "", fmt.Errorf("find company %s: %w", domain, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return id, emitCompanyCreated(ctx, tx, workspaceID, id, name, domain, CreatedBySync)
	}
	return id, nil
}

// CreatePersonIfAbsent creates a person for an address unless one owns it
// already (perhaps created a moment ago by another mailbox's import); it
// reports whether it created one. Past messages re-link to the person.
func CreatePersonIfAbsent(ctx context.Context, tx *sql.Tx, workspaceID string, in NewPerson) (string, bool, error) {
	email := strings.ToLower(strings.TrimSpace(in.Emails[0]))
	id := NewID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO people (id, workspace_id, first_name, last_name, company_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, workspaceID, in.FirstName, in.LastName, nullable(in.CompanyID), in.CreatedBy, now()); err != nil {
		return "", false, fmt.Errorf("create person: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO person_emails (workspace_id, email, person_id, is_primary) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, email) DO NOTHING`, workspaceID, email, id, true)
	if err != nil {
		return "", false, fmt.Errorf("create person email: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Someone else owns the address: undo our row and link to theirs.
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = $1`, id); err != nil {
			return "", false, err
		}
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT person_id FROM person_emails WHERE workspace_id = $1 AND email = $2`,
			workspaceID, email).Scan(&owner)
		return owner, false, err
	}
	if err := emitPersonCreated(ctx, tx, workspaceID, id, email, in); err != nil {
		return "", false, err
	}
	return id, true, relinkPeople(ctx, tx, workspaceID, []string{email})
}
