package store

import (
	"context"
	"strings"
)

// likePattern turns a user's search text into a case-insensitive LIKE
// pattern matching it anywhere, with LIKE's wildcards escaped.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
}

// SearchPeople lists a workspace's people whose name or any address
// contains q (case-insensitive), at most limit of them.
func (s *Store) SearchPeople(ctx context.Context, workspaceID, q string, limit int) ([]*Person, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.people(ctx, personSelect+` WHERE p.workspace_id = $1 AND (
		LOWER(p.first_name || ' ' || p.last_name) LIKE $2 ESCAPE '\'
		OR p.id IN (SELECT pe.person_id FROM person_emails pe WHERE pe.workspace_id = $1 AND pe.email LIKE $2 ESCAPE '\'))
		ORDER BY p.last_name, p.first_name, p.id LIMIT $3`, workspaceID, likePattern(q), limit)
}

// SearchCompanies lists a workspace's companies whose name or domain
// contains q (case-insensitive), at most limit of them.
func (s *Store) SearchCompanies(ctx context.Context, workspaceID, q string, limit int) ([]*Company, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, s.DB, "search companies", scanCompany, `SELECT id, name, domain FROM companies WHERE workspace_id = $1
		AND (LOWER(name) LIKE $2 ESCAPE '\' OR LOWER(COALESCE(domain, '')) LIKE $2 ESCAPE '\')
		ORDER BY name, id LIMIT $3`, workspaceID, likePattern(q), limit)
}

// PeopleOfCompany lists the people of a company.
func (s *Store) PeopleOfCompany(ctx context.Context, workspaceID, companyID string) ([]*Person, error) {
	return s.people(ctx, personSelect+` WHERE p.workspace_id = $1 AND p.company_id = $2
		ORDER BY p.last_name, p.first_name, p.id`, workspaceID, companyID)
}
