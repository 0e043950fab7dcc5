package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// A change of the rules a channel applies (its settings, its owner's
// blocklist, its workspace's domains) bumps the channel's rules_version in
// the transaction that makes the change. Package rules re-decides the
// channel's items and records the version it applied; until then the
// change is pending, and the next sync applies it.

// markChannelRules records that a channel's rules changed.
func markChannelRules(ctx context.Context, tx *sql.Tx, channelID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE channels SET rules_version = rules_version + 1 WHERE id = $1`, channelID); err != nil {
		return fmt.Errorf("record rule change: %w", err)
	}
	return nil
}

// markMemberRules records that the rules of every mailbox of a member
// changed (its blocklist).
func markMemberRules(ctx context.Context, tx *sql.Tx, memberID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE channels SET rules_version = rules_version + 1
		WHERE account_id IN (SELECT id FROM connected_accounts WHERE member_id = $1)`, memberID); err != nil {
		return fmt.Errorf("record rule change: %w", err)
	}
	return nil
}

// markWorkspaceRules records that the rules of every mailbox of a
// workspace changed (its domains, its import of internal mail).
func markWorkspaceRules(ctx context.Context, q querier, workspaceID string) error {
	if _, err := q.ExecContext(ctx, `UPDATE channels SET rules_version = rules_version + 1 WHERE workspace_id = $1`,
		workspaceID); err != nil {
		return fmt.Errorf("record rule change: %w", err)
	}
	return nil
}

// PendingRules returns the version of a channel's rules and whether its
// items have yet to be re-decided with it.
func (s *Store) PendingRules(ctx context.Context, channelID string) (version int64, pending bool, err error) {
	var applied int64
	err = s.DB.QueryRowContext(ctx, `SELECT rules_version, rules_applied FROM channels WHERE id = $1`, channelID).
		Scan(&version, &applied)
	if err != nil {
		return 0, false, notFound(err, "channel "+channelID)
	}
	return version, applied < version, nil
}

// SetRulesApplied records that a channel's items were re-decided with the
// given version of its rules.
func (s *Store) SetRulesApplied(ctx context.Context, channelID string, version int64) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE channels SET rules_applied = $1 WHERE id = $2 AND rules_applied < $1`,
		version, channelID); err != nil {
		return fmt.Errorf("record applied rules: %w", err)
	}
	return nil
}

// MemberAccountIDs lists the ids of a member's connected accounts.
func (s *Store) MemberAccountIDs(ctx context.Context, memberID string) ([]string, error) {
	return queryStrings(ctx, s.DB, "list member accounts",
		`SELECT id FROM connected_accounts WHERE member_id = $1 ORDER BY created_at, id`, memberID)
}

// WorkspaceAccountIDs lists the ids of every connected account of a
// workspace.
func (s *Store) WorkspaceAccountIDs(ctx context.Context, workspaceID string) ([]string, error) {
	return queryStrings(ctx, s.DB, "list workspace accounts",
		`SELECT id FROM connected_accounts WHERE workspace_id = $1 ORDER BY created_at, id`, workspaceID)
}

// RuleItem is a stored item as a rule change sees it.
type RuleItem struct {
	FolderID, UID string
	Status        string // ItemImported or ItemSkipped
	Rule, Detail  string
	MessageKey    string
	MessageID     string // set when imported
	Facts         string // what the rules read, as package rules encodes it; "" when unknown
	Refetch       bool
}

// RuleItems returns up to limit imported or skipped items of a channel
// that come after the given one in (folder, uid) order; pass a zero
// RuleItem to start.
func (s *Store) RuleItems(ctx context.Context, channelID string, after RuleItem, limit int) ([]RuleItem, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT folder_id, uid, status, rule, detail, message_key,
		COALESCE(message_id, ''), facts, refetch FROM folder_items
		WHERE channel_id = $1 AND status IN ($2, $3) AND (folder_id > $4 OR (folder_id = $4 AND uid > $5))
		ORDER BY folder_id, uid LIMIT $6`, channelID, ItemImported, ItemSkipped, after.FolderID, after.UID, limit)
	if err != nil {
		return nil, fmt.Errorf("list items to re-decide: %w", err)
	}
	defer rows.Close()
	var out []RuleItem
	for rows.Next() {
		var it RuleItem
		if err := rows.Scan(&it.FolderID, &it.UID, &it.Status, &it.Rule, &it.Detail, &it.MessageKey,
			&it.MessageID, &it.Facts, &it.Refetch); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// MessageParticipants returns the stored participants of messages, in
// header order, by message id.
func (s *Store) MessageParticipants(ctx context.Context, messageIDs []string) (map[string][]NewParticipant, error) {
	out := map[string][]NewParticipant{}
	for _, chunk := range chunks(messageIDs, 500) {
		rows, err := s.DB.QueryContext(ctx, `SELECT message_id, role, email, name FROM participants
			WHERE message_id IN (`+placeholders(1, len(chunk))+`) ORDER BY message_id, position`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("load participants: %w", err)
		}
		for rows.Next() {
			var id string
			var p NewParticipant
			if err := rows.Scan(&id, &p.Role, &p.Email, &p.Name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ItemChange is a new decision about a stored item.
type ItemChange struct {
	FolderID, UID string
	// Skip takes an imported item out of the mailbox: it becomes skipped
	// with Rule and Detail, and its message is deleted when no other
	// mailbox holds it.
	Skip bool
	// For a skipped item: its rule and detail now, and whether the next
	// sync fetches it again.
	Rule, Detail string
	Refetch      bool
}

// ChangeItems applies new decisions about a channel's items in one
// transaction and returns how many messages were deleted because no
// mailbox holds them any more.
func (s *Store) ChangeItems(ctx context.Context, workspaceID, channelID string, changes []ItemChange) (deleted int, err error) {
	if len(changes) == 0 {
		return 0, nil
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		var released, keys []string
		for _, c := range changes {
			if !c.Skip {
				if _, err := tx.ExecContext(ctx, `UPDATE folder_items SET rule = $1, detail = $2, refetch = $3
					WHERE folder_id = $4 AND uid = $5 AND status = $6`, c.Rule, c.Detail, c.Refetch, c.FolderID, c.UID, ItemSkipped); err != nil {
					return fmt.Errorf("update skipped item: %w", err)
				}
				continue
			}
			var msgID sql.NullString
			var key string
			err := tx.QueryRowContext(ctx, `SELECT message_id, message_key FROM folder_items WHERE folder_id = $1 AND uid = $2`,
				c.FolderID, c.UID).Scan(&msgID, &key)
			if errors.Is(err, sql.ErrNoRows) {
				continue // expunged meanwhile
			}
			if err != nil {
				return fmt.Errorf("find item: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE folder_items SET status = $1, message_id = NULL, rule = $2, detail = $3,
				refetch = FALSE WHERE folder_id = $4 AND uid = $5`, ItemSkipped, c.Rule, c.Detail, c.FolderID, c.UID); err != nil {
				return fmt.Errorf("skip item: %w", err)
			}
			if msgID.Valid {
				released = append(released, msgID.String)
			}
			keys = append(keys, key)
		}
		if err := ForgetContactDecisions(ctx, tx, channelID, keys); err != nil {
			return err
		}
		var err error
		if deleted, err = countUnheld(ctx, tx, released); err != nil {
			return err
		}
		return deleteOrphans(ctx, tx, workspaceID, released)
	})
	return deleted, err
}

// countUnheld counts the distinct messages among ids that no folder item
// holds.
func countUnheld(ctx context.Context, tx *sql.Tx, ids []string) (int, error) {
	total := 0
	for _, chunk := range chunks(dedupe(ids), 500) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m WHERE id IN (`+placeholders(1, len(chunk))+`)
			AND NOT EXISTS (SELECT 1 FROM folder_items i WHERE i.message_id = m.id)`, anys(chunk)...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count unheld messages: %w", err)
		}
		total += n
	}
	return total, nil
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ForgetContactDecisions deletes the contact decisions recorded for
// messages of a channel that it no longer imports.
func ForgetContactDecisions(ctx context.Context, tx *sql.Tx, channelID string, keys []string) error {
	for _, chunk := range chunks(dedupe(keys), 500) {
		args := append([]any{channelID}, anys(chunk)...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_decisions WHERE channel_id = $1 AND message_key IN (`+
			placeholders(2, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("forget contact decisions: %w", err)
		}
	}
	return nil
}

// RefetchUIDs lists, by folder id, the uids of a channel's folders that
// the next sync fetches again: one statement for the mailbox, however
// many folders it has (most have none to refetch).
func (s *Store) RefetchUIDs(ctx context.Context, channelID string) (map[string][]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT i.folder_id, i.uid FROM folders f
		JOIN folder_items i ON i.folder_id = f.id AND i.refetch
		WHERE f.channel_id = $1 ORDER BY i.folder_id, i.uid`, channelID)
	if err != nil {
		return nil, fmt.Errorf("list items to refetch: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var folder, uid string
		if err := rows.Scan(&folder, &uid); err != nil {
			return nil, err
		}
		out[folder] = append(out[folder], uid)
	}
	return out, rows.Err()
}

// HeldMessageIDs returns the message ids that items of a folder point to,
// among the given uids.
func HeldMessageIDs(ctx context.Context, tx *sql.Tx, folderID string, uids []string) ([]string, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	return itemMessageIDs(ctx, tx, folderID, uids)
}

// DeleteUnheld deletes, among the given messages, those no folder item
// points to any more (after items were re-decided).
func DeleteUnheld(ctx context.Context, tx *sql.Tx, workspaceID string, messageIDs []string) error {
	return deleteOrphans(ctx, tx, workspaceID, dedupe(messageIDs))
}

// IsRetryable reports whether a transaction failed only because another
// one ran at the same time (a deadlock, a serialization failure, a row
// another import inserted first, a busy SQLite file): running it again
// will see the other's work and succeed.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return isUniqueViolation(err) ||
		strings.Contains(s, "SQLSTATE 40P01") || strings.Contains(s, "deadlock detected") ||
		strings.Contains(s, "SQLSTATE 40001") ||
		strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}

// LinkUnlinked links the participants with these addresses that link to
// nobody to the person owning the address, if any. The sync calls it
// after each batch commits: a person another mailbox's import created at
// the same moment could not see this batch's participants, nor this batch
// its person, until both committed.
func (s *Store) LinkUnlinked(ctx context.Context, workspaceID string, emails []string) error {
	if s.DB.Kind != "postgres" {
		return nil // SQLite runs write transactions one at a time: nothing can be missed
	}
	// Only addresses a person owns can need it: most have none.
	owned, err := personIDsByEmail(ctx, s.DB, workspaceID, dedupe(emails))
	if err != nil {
		return err
	}
	emails = emails[:0:0]
	for e := range owned {
		emails = append(emails, e)
	}
	for _, chunk := range chunks(emails, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			linked, err := queryStrings(ctx, tx, "link participants", `UPDATE participants SET person_id = (SELECT pe.person_id FROM person_emails pe
				WHERE pe.workspace_id = participants.workspace_id AND pe.email = participants.email)
				WHERE workspace_id = $1 AND person_id IS NULL AND email IN (`+placeholders(2, len(chunk))+`)
				AND EXISTS (SELECT 1 FROM person_emails pe WHERE pe.workspace_id = participants.workspace_id
					AND pe.email = participants.email) RETURNING message_id`, args...)
			if err != nil {
				return err
			}
			// Only the participants just linked can add a thread to a
			// contact's list; most calls link none.
			return addContactThreadsOfMessages(ctx, tx, dedupe(linked))
		})
		if err != nil {
			return err
		}
	}
	return nil
}
