package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// likePattern turns a user's search text into a case-insensitive LIKE
// pattern matching it anywhere, with LIKE's wildcards escaped.
func likePattern(q string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchPeople lists a workspace's people whose full name ("first
// last"), last name or one of whose addresses starts with q
// (case-insensitive), at most limit of them, by name.
//
// Each of the three is a range of an index (migration 0012_people_search):
// the texts from q up to q followed by the greatest code point, in the
// byte order of SQLite's BINARY collation and of PostgreSQL's C and
// C.UTF-8 collations. LIKE 'q%' rechecks the range, so a database whose
// collation orders text otherwise may miss matches but never returns a
// person who does not match. A q in the middle of a word ("oe" for
// "Doe") is not searched: that would read every person (LIKE '%q%').
func (s *Store) SearchPeople(ctx context.Context, workspaceID, q string, limit int) ([]*Person, error) {
	if limit <= 0 {
		limit = 100
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return s.people(ctx, personSelect+` WHERE p.workspace_id = $1 ORDER BY p.last_name, p.first_name, p.id LIMIT $2`,
			workspaceID, limit)
	}
	starts := func(expr string) string {
		return expr + ` >= $2 AND ` + expr + ` < $3 AND ` + expr + ` LIKE $4 ESCAPE '\'`
	}
	// The people are looked up by id: the subqueries scope them to the
	// workspace (SQLite would otherwise read the workspace's people and
	// test each one against the list).
	return s.people(ctx, personSelect+` WHERE p.id IN (
		SELECT id FROM people WHERE workspace_id = $1 AND `+starts(`LOWER(first_name || ' ' || last_name)`)+`
		UNION SELECT id FROM people WHERE workspace_id = $1 AND `+starts(`LOWER(last_name)`)+`
		UNION SELECT person_id FROM person_emails WHERE workspace_id = $1 AND `+starts(`email`)+`)
		ORDER BY p.last_name, p.first_name, p.id LIMIT $5`,
		workspaceID, q, q+string(utf8.MaxRune), likeEscaper.Replace(q)+"%", limit)
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
