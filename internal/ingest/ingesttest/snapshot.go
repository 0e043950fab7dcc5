package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailsync/mailsync/internal/database"
)

// Imported is what imports left in a database: enough to tell whether an
// import that was interrupted (killed, cut off, out of disk) ended exactly
// like one that was not, from the same server.
type Imported struct {
	Messages []string // message keys
	Items    []string // "folder/uid status key", one per folder item
	People   []string // person addresses
	Threads  int
}

// Snapshot reads what imports left in db.
func Snapshot(ctx context.Context, db *database.DB) (Imported, error) {
	var s Imported
	for _, q := range []struct {
		dst   *[]string
		query string
	}{
		{&s.Messages, `SELECT message_key FROM messages ORDER BY 1`},
		{&s.Items, `SELECT f.name || '/' || i.uid || ' ' || i.status || ' ' || i.message_key
			FROM folder_items i JOIN folders f ON f.id = i.folder_id ORDER BY 1`},
		{&s.People, `SELECT email FROM person_emails ORDER BY 1`},
	} {
		rows, err := db.QueryContext(ctx, q.query)
		if err != nil {
			return s, err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return s, err
			}
			*q.dst = append(*q.dst, v)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return s, err
		}
	}
	return s, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM threads`).Scan(&s.Threads)
}

// Diff says how got differs from s, "" when it does not.
func (s Imported) Diff(got Imported) string {
	var out []string
	for _, c := range []struct {
		name      string
		want, got []string
	}{{"messages", s.Messages, got.Messages}, {"items", s.Items, got.Items}, {"people", s.People, got.People}} {
		if !slices.Equal(c.want, c.got) {
			out = append(out, fmt.Sprintf("%d %s, want %d", len(c.got), c.name, len(c.want)))
		}
	}
	if s.Threads != got.Threads {
		out = append(out, fmt.Sprintf("%d threads, want %d", got.Threads, s.Threads))
	}
	return strings.Join(out, "; ")
}
