package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/fulltext"
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
// byte order of SQLite's BINARY collation and of PostgreSQL's "C" (named
// in the comparison, whatever the database's own collation). LIKE 'q%'
// rechecks the range (wildcards in q are escaped). A q in the middle of a
// word ("oe" for "Doe") is not searched: that would read every person
// (LIKE '%q%').
func (s *Store) SearchPeople(ctx context.Context, workspaceID, q string, limit int) ([]*Person, error) {
	if limit <= 0 {
		limit = 100
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return s.people(ctx, personSelect+` WHERE p.workspace_id = $1 ORDER BY p.last_name, p.first_name, p.id LIMIT $2`,
			workspaceID, limit)
	}
	// PostgreSQL compares in the C collation whatever the database's, so
	// that the range is the texts starting with q (migration 0016).
	collate := ""
	if s.DB.Kind == database.Postgres {
		collate = ` COLLATE "C"`
	}
	starts := func(expr string) string {
		ranged := "(" + expr + ")" + collate
		return ranged + ` >= $2 AND ` + ranged + ` < $3 AND ` + expr + ` LIKE $4 ESCAPE '\'`
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

// Where a search hit's words were found, the best first: every word in a
// participant's name or address; in those or the subject; in those, the
// subject or the body. A hit is ranked by it, then newest first.
const (
	FoundInParticipants = 1
	FoundInSubject      = 2
	FoundInBody         = 3
)

// SearchHit is a message a search found and the fields it needed.
type SearchHit struct {
	Message *StoredMessage
	Found   int // FoundInParticipants, FoundInSubject or FoundInBody
}

// SearchMessages finds the messages in which every word (as
// fulltext.Words cuts them) occurs in a field the viewer may see: a
// participant's name or address for anyone, the subject where the viewer
// sees subjects, the body where the viewer sees bodies. Of the bound newest of them, ranked by where the
// words were found then newest first, it returns how many there are and
// the page [offset, offset+limit).
//
// The index holds three word sets per message (participants; plus the
// subject; plus the body: migration 0013), and each is searched only on
// the messages whose subject (body) the viewer sees, by the same level
// test as visibility.For and access grants: a message matching only
// through a withheld field is neither counted nor ranked, and withheld
// words cannot crowd visible matches out of the bound. Package
// visibility checks each hit again against the level it computes.
func (s *Store) SearchMessages(ctx context.Context, workspaceID, viewerID string, words []string, bound, limit, offset int) (int, []SearchHit, error) {
	if len(words) == 0 {
		return 0, nil, nil
	}
	found, err := s.searchFound(ctx, workspaceID, viewerID, words, bound)
	if err != nil {
		return 0, nil, err
	}
	slices.SortFunc(found, func(a, b foundMessage) int {
		return cmp.Or(cmp.Compare(a.found, b.found), cmp.Compare(b.sentAt, a.sentAt), cmp.Compare(a.id, b.id))
	})
	page := found[min(offset, len(found)):min(offset+limit, len(found))]
	if len(page) == 0 {
		return len(found), nil, nil
	}
	ids := make([]string, len(page))
	for i, f := range page {
		ids[i] = f.id
	}
	msgs, err := s.messages(ctx, `m.id IN (`+placeholders(1, len(ids))+`)`, anys(ids)...)
	if err != nil {
		return 0, nil, err
	}
	byID := make(map[string]*StoredMessage, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	hits := make([]SearchHit, 0, len(page))
	for _, f := range page {
		if m := byID[f.id]; m != nil { // nil: deleted since
			hits = append(hits, SearchHit{Message: m, Found: f.found})
		}
	}
	return len(found), hits, nil
}

type foundMessage struct {
	id     string
	found  int
	sentAt int64
}

// searchFound runs the index query: the bound newest messages matching
// for the viewer, each with the best set it matched in.
func (s *Store) searchFound(ctx context.Context, workspaceID, viewerID string, words []string, bound int) ([]foundMessage, error) {
	everything, subject, err := s.viewerChannels(ctx, workspaceID, viewerID)
	if err != nil {
		return nil, err
	}
	args := []any{workspaceID, viewerID, matchQuery(s.DB.Kind, words), bound}
	seenSubject := seenIn(&args, subject)
	seenEverything := seenIn(&args, everything)
	var query string
	if s.DB.Kind == database.Postgres {
		// Planned for its own words each time (an unnamed statement, not
		// pgx's cached prepared one): a rare word is best found through
		// the GIN index, a common one by walking message_search_newest
		// until the newest matches are found; a generic plan would
		// choose one for all.
		args = append([]any{pgx.QueryExecModeExec}, args...)
		query = `SELECT message_id, MIN(found), MAX(sent_at) FROM (
			(SELECT s.message_id, s.sent_at, 1 AS found FROM message_search s
				WHERE s.workspace_id = $1 AND s.p @@ $3::tsquery ORDER BY s.sent_at DESC LIMIT $4)
			UNION ALL
			(SELECT s.message_id, s.sent_at, 2 FROM message_search s
				WHERE s.workspace_id = $1 AND s.ps @@ $3::tsquery AND ` + seenSubject("s.message_id") + `
				ORDER BY s.sent_at DESC LIMIT $4)
			UNION ALL
			(SELECT s.message_id, s.sent_at, 3 FROM message_search s
				WHERE s.workspace_id = $1 AND s.psb @@ $3::tsquery AND ` + seenEverything("s.message_id") + `
				ORDER BY s.sent_at DESC LIMIT $4)) x
			GROUP BY message_id ORDER BY MAX(sent_at) DESC, message_id LIMIT $4`
	} else {
		// FTS5 returns rowids in descending order natively, and a rowid
		// is sent_at * 2^20 + n: each arm stops at its bound newest.
		query = `SELECT message_id, MIN(found), doc >> 20 FROM (
			SELECT * FROM (SELECT d.doc, d.message_id, 1 AS found FROM search_p JOIN search_docs d ON d.doc = search_p.rowid
				WHERE search_p MATCH $3 AND d.workspace_id = $1 ORDER BY search_p.rowid DESC LIMIT $4)
			UNION ALL
			SELECT * FROM (SELECT d.doc, d.message_id, 2 FROM search_ps JOIN search_docs d ON d.doc = search_ps.rowid
				WHERE search_ps MATCH $3 AND d.workspace_id = $1 AND ` + seenSubject("d.message_id") + `
				ORDER BY search_ps.rowid DESC LIMIT $4)
			UNION ALL
			SELECT * FROM (SELECT d.doc, d.message_id, 3 FROM search_psb JOIN search_docs d ON d.doc = search_psb.rowid
				WHERE search_psb MATCH $3 AND d.workspace_id = $1 AND ` + seenEverything("d.message_id") + `
				ORDER BY search_psb.rowid DESC LIMIT $4))
			GROUP BY doc ORDER BY doc DESC LIMIT $4`
	}
	return queryAll(ctx, s.DB, "search messages", func(r interface{ Scan(...any) error }) (foundMessage, error) {
		var f foundMessage
		return f, r.Scan(&f.id, &f.found, &f.sentAt)
	}, query, args...)
}

// viewerChannels returns the workspace's mailboxes whose messages the
// viewer sees whole (the viewer's own and those sharing everything) and
// those whose subjects the viewer sees (these and those sharing the
// subject): the levels of visibility.For, read once per search so that
// each candidate costs one probe of folder_items (reading them in the
// query made PostgreSQL join channels and accounts again for each).
func (s *Store) viewerChannels(ctx context.Context, workspaceID, viewerID string) (everything, subject []string, err error) {
	type channel struct {
		id, visibility string
		own            bool
	}
	chans, err := queryAll(ctx, s.DB, "viewer's mailboxes", func(r interface{ Scan(...any) error }) (channel, error) {
		var c channel
		return c, r.Scan(&c.id, &c.visibility, &c.own)
	}, `SELECT c.id, c.visibility, a.member_id = $2 FROM channels c JOIN connected_accounts a ON a.id = c.account_id
		WHERE c.workspace_id = $1`, workspaceID, viewerID)
	for _, c := range chans {
		if c.own || c.visibility == "everything" {
			everything = append(everything, c.id)
		}
		if c.own || c.visibility == "everything" || c.visibility == "subject" {
			subject = append(subject, c.id)
		}
	}
	return everything, subject, err
}

// seenIn adds channels to args and returns the SQL test that the viewer
// ($2) sees the message whose id is in a column: a mailbox among
// channels holds it, or an access grant opens its thread to the viewer.
// The grants' subquery is uncorrelated: built once per query. (A
// workspace has far fewer mailboxes than the 32,766 parameters SQLite
// takes.)
func seenIn(args *[]any, channels []string) func(id string) string {
	in := "NULL" // no mailbox: only grants
	if len(channels) > 0 {
		in = placeholders(len(*args)+1, len(channels))
		*args = append(*args, anys(channels)...)
	}
	return func(id string) string {
		return `(EXISTS (SELECT 1 FROM folder_items i WHERE i.message_id = ` + id + ` AND i.channel_id IN (` + in + `))
		OR ` + id + ` IN (SELECT gm.id FROM access_requests r JOIN messages gm ON gm.thread_id = r.thread_id
			WHERE r.requester_id = $2 AND r.status = 'granted'))`
	}
}

// matchQuery writes words as the engine's full-text query: all of them,
// whole. Words are letters and digits only (fulltext.Words), so quoting
// them is all the escaping they need. (Matching the last word as a
// prefix, as one types, made FTS5 read every matching word's whole list
// instead of stopping at the newest matches: 78 ms instead of 0.3 for
// "lorem" at 20,000 messages.)
func matchQuery(kind database.Kind, words []string) string {
	if kind == database.Postgres {
		return "'" + strings.Join(words, "' & '") + "'"
	}
	return `"` + strings.Join(words, `" "`) + `"`
}

// indexForSearch writes the search index rows of newly stored messages,
// in the batch's transaction (InsertMessages).
func indexForSearch(ctx context.Context, tx *sql.Tx, workspaceID string, ids map[string]string, fresh []*NewMessage) error {
	docs := make([]fulltext.Doc, len(fresh))
	for i, m := range fresh {
		parts := make([]fulltext.Participant, len(m.Participants))
		for j, p := range m.Participants {
			parts[j] = fulltext.Participant{Name: p.Name, Email: p.Email}
		}
		docs[i] = fulltext.NewDoc(ids[m.Key], workspaceID, Millis(m.SentAt), m.Subject, m.Text, parts)
	}
	return fulltext.Insert(ctx, tx, docs)
}

// IndexUnindexed adds to the search index every message that is not in
// it, in one transaction: what migration 0013 does for the messages
// stored before it, for tools that write messages without the store
// (bench/readbench's generator).
func (s *Store) IndexUnindexed(ctx context.Context) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return fulltext.Backfill(ctx, tx, s.DB.Kind == database.SQLite) })
}
