package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Company is a CRM organization.
type Company struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Domain *string `json:"domain"`
}

// AddCompany creates a company; its domain, when given, must be free.
// A company created by a user lifts the suppression of its domain.
func (s *Store) AddCompany(ctx context.Context, workspaceID, name, domain, createdBy string) (*Company, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	c := &Company{ID: NewID(), Name: name}
	if domain != "" {
		c.Domain = &domain
	}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO companies (id, workspace_id, name, domain, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, workspaceID, name, nullable(domain), createdBy, now())
		if isUniqueViolation(err) {
			return fmt.Errorf("company with domain %s: %w", domain, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("add company: %w", err)
		}
		if createdBy == CreatedByUser && domain != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE workspace_id = $1 AND kind = 'domain' AND value = $2`,
				workspaceID, domain); err != nil {
				return fmt.Errorf("lift suppression: %w", err)
			}
		}
		return emitCompanyCreated(ctx, tx, workspaceID, c.ID, name, domain, createdBy)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Companies lists a workspace's companies.
func (s *Store) Companies(ctx context.Context, workspaceID string) ([]*Company, error) {
	return queryAll(ctx, s.DB, "list companies", scanCompany,
		`SELECT id, name, domain FROM companies WHERE workspace_id = $1 ORDER BY name, id`, workspaceID)
}

func scanCompany(row interface{ Scan(...any) error }) (*Company, error) {
	c := &Company{}
	var domain sql.NullString
	if err := row.Scan(&c.ID, &c.Name, &domain); err != nil {
		return nil, err
	}
	if domain.Valid {
		c.Domain = &domain.String
	}
	return c, nil
}

// Company returns one company.
func (s *Store) Company(ctx context.Context, workspaceID, id string) (*Company, error) {
	c, err := scanCompany(s.DB.QueryRowContext(ctx, `SELECT id, name, domain FROM companies WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id))
	if err != nil {
		return nil, notFound(err, "company "+id)
	}
	return c, nil
}

// DeleteCompany deletes a company and suppresses its domain, so sync never
// creates it again. Its people stay, without a company.
func (s *Store) DeleteCompany(ctx context.Context, workspaceID, id string) error {
	c, err := s.Company(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if c.Domain != nil {
			if err := suppress(ctx, tx, workspaceID, "domain", *c.Domain); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET company_id = NULL WHERE company_id = $1`, id); err != nil {
			return fmt.Errorf("detach people: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM companies WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete company: %w", err)
		}
		return emitData(ctx, tx, workspaceID, EventCompanyDeleted, map[string]any{"id": id})
	})
}

func emitCompanyCreated(ctx context.Context, tx *sql.Tx, workspaceID, id, name, domain, createdBy string) error {
	return emitData(ctx, tx, workspaceID, EventCompanyCreated, map[string]any{"id": id, "name": name,
		"domain": nullable(domain), "createdBy": createdBy})
}
