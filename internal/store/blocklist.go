package store

import (
	"context"
	"database/sql"
	"fmt"
)

// AddBlocklistEntry records an entry (already normalized by the caller)
// and marks the rules of the member's mailboxes as changed: their past
// mail is re-decided (package rules) before or by their next sync.
func (s *Store) AddBlocklistEntry(ctx context.Context, memberID, entry string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO blocklist (member_id, entry, created_at) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, memberID, entry, now())
		if err != nil {
			return fmt.Errorf("add blocklist entry: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already there
		}
		return markMemberRules(ctx, tx, memberID)
	})
}

// RemoveBlocklistEntry deletes an entry; removing an absent one is an
// error. Like AddBlocklistEntry it marks the member's mailboxes' rules as
// changed, so that what the entry kept out is fetched again.
func (s *Store) RemoveBlocklistEntry(ctx context.Context, memberID, entry string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM blocklist WHERE member_id = $1 AND entry = $2`, memberID, entry)
		if err != nil {
			return fmt.Errorf("remove blocklist entry: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("blocklist entry %s: %w", entry, ErrNotFound)
		}
		return markMemberRules(ctx, tx, memberID)
	})
}

// Blocklist lists a member's entries.
func (s *Store) Blocklist(ctx context.Context, memberID string) ([]string, error) {
	entries, err := queryStrings(ctx, s.DB, "list blocklist", `SELECT entry FROM blocklist WHERE member_id = $1 ORDER BY entry`, memberID)
	if entries == nil && err == nil {
		entries = []string{} // an empty JSON list, not null
	}
	return entries, err
}
