// Package fulltext turns mail into the words the search index holds and
// writes the index rows. The words are cut here, in Go, for both engines:
// SQLite's FTS5 tables and PostgreSQL's tsvector columns receive them
// ready-made (FTS5 splits on spaces only, a tsvector is read verbatim),
// so a query matches exactly the same messages on either database.
package fulltext

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on what is indexed: a body's words past its first MaxBodyBytes
// are not searchable, nor a "word" longer than MaxWordBytes (base64 and
// hex runs, not words anyone types), nor a message's distinct words past
// maxSetBytes (a pathological subject or recipient list: a tsvector
// holds at most 1 MB, and a longer one would fail the import's batch).
const (
	MaxBodyBytes = 100_000
	MaxWordBytes = 64
	maxSetBytes  = 300_000
)

// Words splits text into lowercase words without diacritics ("Café" is
// "cafe"): maximal runs of letters and digits, so that an address
// "jane.doe@acme.example" is the words jane, doe, acme, example. Each
// word is returned once, in order of first appearance.
func Words(text string) []string {
	var out []string
	seen := map[string]bool{}
	each(text, func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	})
	return out
}

// each calls fn with every word of text, repeats included.
func each(text string, fn func(string)) {
	if !isASCII(text) {
		text = norm.NFD.String(text) // letters and their marks apart, to drop the marks
	}
	var b strings.Builder
	emit := func() {
		if b.Len() > 0 && b.Len() <= MaxWordBytes {
			fn(b.String())
		}
		b.Reset()
	}
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r < utf8.RuneSelf:
			emit()
		case unicode.Is(unicode.Mn, r): // a diacritic: the word goes on without it
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			emit()
		}
	}
	emit()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Participant is a name and address of a message.
type Participant struct{ Name, Email string }

// Doc is one message as the index holds it: three word sets, each the
// previous one plus a field, so that a query can be limited to the
// fields a viewer sees by choosing the set (participants; participants
// and subject; everything) instead of filtering words by field.
type Doc struct {
	MessageID, WorkspaceID string
	SentAt                 int64 // unix milliseconds, as messages.sent_at
	P, PS, PSB             string
}

// NewDoc builds the index row of a message.
func NewDoc(messageID, workspaceID string, sentAt int64, subject, body string, participants []Participant) Doc {
	words := map[string]bool{}
	var b strings.Builder
	add := func(text string) {
		each(text, func(w string) {
			if !words[w] && b.Len()+len(w) < maxSetBytes {
				words[w] = true
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(w)
			}
		})
	}
	for _, p := range participants {
		add(p.Name)
		add(p.Email)
	}
	d := Doc{MessageID: messageID, WorkspaceID: workspaceID, SentAt: sentAt}
	d.P = b.String()
	add(subject)
	d.PS = b.String()
	if len(body) > MaxBodyBytes {
		body = body[:MaxBodyBytes]
	}
	add(body)
	d.PSB = b.String()
	return d
}

// Insert writes index rows inside the caller's transaction. The same
// statement runs on both engines: on PostgreSQL message_search is a
// table whose tsvector columns read the words verbatim; on SQLite it is
// a view whose trigger fills the FTS5 tables (migration 0013).
func Insert(ctx context.Context, tx *sql.Tx, docs []Doc) error {
	const cols, per = 6, 200
	for start := 0; start < len(docs); start += per {
		chunk := docs[start:min(start+per, len(docs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO message_search (message_id, workspace_id, sent_at, p, ps, psb) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		for i, d := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
			args = append(args, d.MessageID, d.WorkspaceID, d.SentAt, d.P, d.PS, d.PSB)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("index messages for search: %w", err)
		}
	}
	return nil
}

// Backfill indexes, inside tx, every message that has no index row yet:
// migration 0013 runs it over the messages stored before the index
// existed, 500 messages to a statement. With fts5, it then merges each
// SQLite FTS5 table into one segment: a bulk load leaves about twenty,
// and a query of several words walks every one (measured at a million
// messages: 31-110 ms for a participant's five words, 11 once merged).
func Backfill(ctx context.Context, tx *sql.Tx, fts5 bool) error {
	after := ""
	for {
		docs, last, err := unindexed(ctx, tx, after, 500)
		if err != nil {
			return err
		}
		if last == "" && fts5 {
			return optimize(ctx, tx)
		}
		if last == "" {
			return analyze(ctx, tx)
		}
		if err := Insert(ctx, tx, docs); err != nil {
			return err
		}
		after = last
	}
}

// analyze gives PostgreSQL's planner the statistics of the table the
// backfill just filled. Until autovacuum got to it, a search planned on an
// empty table's estimates: at a million messages each search took about
// 5 s instead of 0.1-0.2 s (bench/README.md, search).
func analyze(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `ANALYZE message_search`); err != nil {
		return fmt.Errorf("analyze message_search: %w", err)
	}
	return nil
}

func optimize(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"search_p", "search_ps", "search_psb"} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+table+`) VALUES ('optimize')`); err != nil {
			return fmt.Errorf("merge %s: %w", table, err)
		}
	}
	return nil
}

// unindexed reads up to n messages without index rows whose id follows
// after, with their participants, and returns their rows and the last id
// read. (The second "> $1" is for PostgreSQL: without it, each call
// merge-joined the messages with every index row from the first,
// quadratic over a backfill.)
func unindexed(ctx context.Context, tx *sql.Tx, after string, n int) ([]Doc, string, error) {
	type msg struct {
		id, ws, subject, body string
		sent                  int64
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.workspace_id, m.sent_at, m.subject, m.text_body FROM messages m
		WHERE m.id > $1 AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.message_id = m.id AND s.message_id > $1)
		ORDER BY m.id LIMIT $2`, after, n)
	if err != nil {
		return nil, "", fmt.Errorf("read messages to index: %w", err)
	}
	var msgs []msg
	for rows.Next() {
		var m msg
		if err := rows.Scan(&m.id, &m.ws, &m.sent, &m.subject, &m.body); err != nil {
			rows.Close()
			return nil, "", err
		}
		msgs = append(msgs, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(msgs) == 0 {
		return nil, "", err
	}
	var q strings.Builder
	args := make([]any, len(msgs))
	for i, m := range msgs {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$%d", i+1)
		args[i] = m.id
	}
	prows, err := tx.QueryContext(ctx, `SELECT message_id, name, email FROM participants WHERE message_id IN (`+q.String()+`)
		ORDER BY message_id, position`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("read participants to index: %w", err)
	}
	parts := map[string][]Participant{}
	for prows.Next() {
		var id string
		var p Participant
		if err := prows.Scan(&id, &p.Name, &p.Email); err != nil {
			prows.Close()
			return nil, "", err
		}
		parts[id] = append(parts[id], p)
	}
	prows.Close()
	if err := prows.Err(); err != nil {
		return nil, "", err
	}
	docs := make([]Doc, len(msgs))
	for i, m := range msgs {
		docs[i] = NewDoc(m.id, m.ws, m.sent, m.subject, m.body, parts[m.id])
	}
	return docs, msgs[len(msgs)-1].id, nil
}
