package store

import (
	"context"
	"fmt"
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

// Search bounds: a query's words past MaxSearchWords are ignored, and
// matches are ranked among the SearchBound newest a viewer may see.
const (
	MaxSearchWords = 8
	SearchBound    = 1000
)

// SearchMessages returns the newest messages, at most bound of them, in
// which every word (lowercase) occurs in a field the viewer may see:
// a participant's name or address for anyone, the subject where the
// viewer sees subjects, the body where the viewer sees bodies.
//
// The level test here mirrors visibility.For and access grants so that
// the bound and the count never include a message that matched only
// through a withheld field (else withheld words would crowd out, and so
// reveal themselves, in a viewer's results). It narrows; package
// visibility still decides, row by row, what matches and what is shown.
//
// This is LIKE over every message of the workspace: fine at tens of
// thousands of messages; beyond, an index (SQLite FTS5, PostgreSQL
// tsvector + GIN) should feed the same per-viewer filter.
func (s *Store) SearchMessages(ctx context.Context, workspaceID, viewerID string, words []string, bound int) ([]*StoredMessage, error) {
	if len(words) == 0 {
		return nil, nil
	}
	args := []any{workspaceID, viewerID}
	var where strings.Builder
	where.WriteString(`m.workspace_id = $1`)
	for _, w := range words {
		args = append(args, likePattern(w))
		n := len(args)
		fmt.Fprintf(&where, ` AND (EXISTS (SELECT 1 FROM participants p WHERE p.message_id = m.id
			AND (LOWER(p.email) LIKE $%[1]d ESCAPE '\' OR LOWER(p.name) LIKE $%[1]d ESCAPE '\'))
			OR (LOWER(m.subject) LIKE $%[1]d ESCAPE '\' AND %[2]s)
			OR (LOWER(m.text_body) LIKE $%[1]d ESCAPE '\' AND %[3]s))`, n,
			seenAt(`'subject', 'everything'`), seenAt(`'everything'`))
	}
	args = append(args, bound)
	fmt.Fprintf(&where, ` ORDER BY m.sent_at DESC, m.id LIMIT $%d`, len(args))
	return s.messages(ctx, where.String(), args...)
}

// seenAt is the SQL test that the viewer ($2) sees message m at one of
// levels: a mailbox holding it is the viewer's own or shares at one of
// them, or an access grant opens its thread to the viewer.
func seenAt(levels string) string {
	return `(EXISTS (SELECT 1 FROM folder_items i JOIN channels c ON c.id = i.channel_id
		JOIN connected_accounts a ON a.id = c.account_id
		WHERE i.message_id = m.id AND (a.member_id = $2 OR c.visibility IN (` + levels + `)))
		OR EXISTS (SELECT 1 FROM access_requests r WHERE r.thread_id = m.thread_id
		AND r.requester_id = $2 AND r.status = 'granted'))`
}
