package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Item statuses: what became of one message a folder holds.
const (
	ItemImported = "imported"
	ItemSkipped  = "skipped"
	ItemFailed   = "failed"
)

// Folder is a mailbox folder with its sync cursor.
type Folder struct {
	ID        string
	ChannelID string
	Name      string
	Role      string
	Selected  bool
	Cursor    string
	Listed    int
	SyncedAt  time.Time
}

// FolderSpec names a folder the provider reported.
type FolderSpec struct {
	Name     string
	Role     string
	Selected bool
}

// SyncFolders records the provider's folder list for a channel: new
// folders are added, selection is updated, folders gone from the server
// are removed with what they held (their messages are then garbage
// collected if no other folder holds them).
func (s *Store) SyncFolders(ctx context.Context, workspaceID, channelID string, specs []FolderSpec) ([]*Folder, error) {
	// Most syncs find the folders as they were: one read, no write.
	stored, err := folders(ctx, s.DB, channelID)
	if err != nil {
		return nil, err
	}
	if sameFolders(stored, specs) {
		return stored, nil
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		present := map[string]bool{}
		for _, f := range specs {
			present[f.Name] = true
			_, err := tx.ExecContext(ctx, `INSERT INTO folders (id, channel_id, name, role, selected) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (channel_id, name) DO UPDATE SET role = excluded.role, selected = excluded.selected`,
				NewID(), channelID, f.Name, f.Role, f.Selected)
			if err != nil {
				return fmt.Errorf("record folder %s: %w", f.Name, err)
			}
		}
		existing, err := folders(ctx, tx, channelID)
		if err != nil {
			return err
		}
		for _, f := range existing {
			if present[f.Name] {
				continue
			}
			if err := removeFolder(ctx, tx, workspaceID, f.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return folders(ctx, s.DB, channelID)
}

// sameFolders reports whether the stored folders are exactly specs, with
// the same roles and selection.
func sameFolders(stored []*Folder, specs []FolderSpec) bool {
	if len(stored) != len(specs) {
		return false
	}
	byName := make(map[string]*Folder, len(stored))
	for _, f := range stored {
		byName[f.Name] = f
	}
	for _, sp := range specs {
		f, ok := byName[sp.Name]
		if !ok || f.Role != sp.Role || f.Selected != sp.Selected {
			return false
		}
		delete(byName, sp.Name) // a name listed twice is not the same
	}
	return true
}

func removeFolder(ctx context.Context, tx *sql.Tx, workspaceID, folderID string) error {
	ids, err := itemMessageIDs(ctx, tx, folderID, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE id = $1`, folderID); err != nil {
		return fmt.Errorf("remove folder: %w", err)
	}
	return deleteOrphans(ctx, tx, workspaceID, ids)
}

// Folders lists a channel's folders.
func (s *Store) Folders(ctx context.Context, channelID string) ([]*Folder, error) {
	return folders(ctx, s.DB, channelID)
}

func folders(ctx context.Context, q querier, channelID string) ([]*Folder, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, channel_id, name, role, selected, cursor, listed, COALESCE(synced_at, 0)
		FROM folders WHERE channel_id = $1 ORDER BY name`, channelID)
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	var out []*Folder
	for rows.Next() {
		f := &Folder{}
		var synced int64
		if err := rows.Scan(&f.ID, &f.ChannelID, &f.Name, &f.Role, &f.Selected, &f.Cursor, &f.Listed, &synced); err != nil {
			return nil, err
		}
		f.SyncedAt = FromMillis(synced)
		out = append(out, f)
	}
	return out, rows.Err()
}

// SetFolderCursor stores a folder's position; call it in the transaction
// that stored what the cursor covers. listed < 0 keeps the stored count.
func SetFolderCursor(ctx context.Context, tx *sql.Tx, folderID, cursor string, listed int) error {
	var err error
	if listed >= 0 {
		_, err = tx.ExecContext(ctx, `UPDATE folders SET cursor = $1, listed = $2, synced_at = $3 WHERE id = $4`,
			cursor, listed, now(), folderID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE folders SET cursor = $1, synced_at = $2 WHERE id = $3`, cursor, now(), folderID)
	}
	if err != nil {
		return fmt.Errorf("store cursor: %w", err)
	}
	return nil
}

// Item is one provider message in one folder, and what became of it.
type Item struct {
	FolderID   string
	UID        string
	ChannelID  string
	Status     string
	MessageID  string // set when imported
	MessageKey string
	Direction  string
	Rule       string
	Detail     string
	Flags      []string
	ReceivedAt time.Time
	// Facts is what the import rules read of the message, encoded by
	// package rules, so that a rule change can re-decide the item.
	Facts string
}

// PutItems records items, replacing what was recorded for the same uid
// (a refetched item is no longer waiting to be fetched again).
func PutItems(ctx context.Context, tx *sql.Tx, items []Item) error {
	const cols = 12
	for start := 0; start < len(items); start += 200 {
		end := min(start+200, len(items))
		var b strings.Builder
		args := make([]any, 0, (end-start)*cols)
		b.WriteString(`INSERT INTO folder_items (folder_id, uid, channel_id, status, message_id, message_key,
			direction, rule, detail, flags, received_at, facts) VALUES `)
		for i, it := range items[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
			var msgID any
			if it.MessageID != "" {
				msgID = it.MessageID
			}
			args = append(args, it.FolderID, it.UID, it.ChannelID, it.Status, msgID, it.MessageKey,
				it.Direction, it.Rule, it.Detail, strings.Join(it.Flags, " "), Millis(it.ReceivedAt), it.Facts)
		}
		b.WriteString(` ON CONFLICT (folder_id, uid) DO UPDATE SET status = excluded.status, message_id = excluded.message_id,
			message_key = excluded.message_key, direction = excluded.direction, rule = excluded.rule,
			detail = excluded.detail, flags = excluded.flags, received_at = excluded.received_at,
			facts = excluded.facts, refetch = FALSE`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("record folder items: %w", err)
		}
	}
	return nil
}

// UpdateItemFlags records a flag-only change.
func UpdateItemFlags(ctx context.Context, tx *sql.Tx, folderID, uid string, flags []string) error {
	_, err := tx.ExecContext(ctx, `UPDATE folder_items SET flags = $1 WHERE folder_id = $2 AND uid = $3`,
		strings.Join(flags, " "), folderID, uid)
	if err != nil {
		return fmt.Errorf("update flags: %w", err)
	}
	return nil
}

// FolderUIDs returns every uid recorded for a folder.
func FolderUIDs(ctx context.Context, tx *sql.Tx, folderID string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid FROM folder_items WHERE folder_id = $1 AND status <> 'sent'`, folderID)
	if err != nil {
		return nil, fmt.Errorf("folder uids: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		out[uid] = true
	}
	return out, rows.Err()
}

// RemoveItems forgets uids of a folder (expunged on the server) and
// deletes the messages no mailbox holds any more.
func RemoveItems(ctx context.Context, tx *sql.Tx, workspaceID, folderID string, uids []string) error {
	if len(uids) == 0 {
		return nil
	}
	msgIDs, err := itemMessageIDs(ctx, tx, folderID, uids)
	if err != nil {
		return err
	}
	for _, chunk := range chunks(uids, 500) {
		args := append([]any{folderID}, anys(chunk)...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM folder_items WHERE folder_id = $1 AND uid IN (`+
			placeholders(2, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("forget expunged items: %w", err)
		}
	}
	return deleteOrphans(ctx, tx, workspaceID, msgIDs)
}

// ForgetFolderItems forgets every uid of a folder (its UIDVALIDITY
// changed). Messages are kept for now: the re-listing that follows in the
// same sync finds them again by Message-ID; those it does not find are
// deleted by DeleteUnheldMessages at the end of the sync.
func ForgetFolderItems(ctx context.Context, tx *sql.Tx, folderID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM folder_items WHERE folder_id = $1`, folderID); err != nil {
		return fmt.Errorf("forget folder items: %w", err)
	}
	return nil
}

// DeleteUnheldMessages deletes a workspace's messages that no folder holds.
func (s *Store) DeleteUnheldMessages(ctx context.Context, workspaceID string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return deleteOrphanMessages(ctx, tx, workspaceID) })
}

// itemMessageIDs returns the message ids that items of a folder point to
// (all items when uids is nil).
func itemMessageIDs(ctx context.Context, tx *sql.Tx, folderID string, uids []string) ([]string, error) {
	var ids []string
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("item messages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	}
	if uids == nil {
		return ids, scan(tx.QueryContext(ctx, `SELECT message_id FROM folder_items WHERE folder_id = $1 AND message_id IS NOT NULL`, folderID))
	}
	for _, chunk := range chunks(uids, 500) {
		args := append([]any{folderID}, anys(chunk)...)
		if err := scan(tx.QueryContext(ctx, `SELECT message_id FROM folder_items WHERE folder_id = $1 AND message_id IS NOT NULL
			AND uid IN (`+placeholders(2, len(chunk))+`)`, args...)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// ItemStatuses maps each uid recorded for a folder to its status.
func (s *Store) ItemStatuses(ctx context.Context, folderID string) (map[string]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT uid, status FROM folder_items WHERE folder_id = $1 AND status <> 'sent'`, folderID)
	if err != nil {
		return nil, fmt.Errorf("folder items: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uid, status string
		if err := rows.Scan(&uid, &status); err != nil {
			return nil, err
		}
		out[uid] = status
	}
	return out, rows.Err()
}

// ResetFolderCursor makes the next sync list and fetch the folder from
// the start. Nothing is duplicated: items are keyed by uid and messages by
// Message-ID.
func (s *Store) ResetFolderCursor(ctx context.Context, folderID string) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE folders SET cursor = '' WHERE id = $1`, folderID); err != nil {
		return fmt.Errorf("reset folder cursor: %w", err)
	}
	return nil
}

// KnownUIDs returns which of uids are recorded for a folder.
func (s *Store) KnownUIDs(ctx context.Context, folderID string, uids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(uids))
	for start := 0; start < len(uids); start += 500 {
		chunk := uids[start:min(start+500, len(uids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, folderID)
		for _, u := range chunk {
			args = append(args, u)
		}
		rows, err := s.DB.QueryContext(ctx, `SELECT uid FROM folder_items WHERE folder_id = $1 AND uid IN (`+
			placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("known uids: %w", err)
		}
		for rows.Next() {
			var uid string
			if err := rows.Scan(&uid); err != nil {
				rows.Close()
				return nil, err
			}
			out[uid] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountFolderItems returns how many ids are recorded for a folder.
func CountFolderItems(ctx context.Context, tx *sql.Tx, folderID string) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM folder_items WHERE folder_id = $1 AND status <> 'sent'`, folderID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count folder items: %w", err)
	}
	return n, nil
}
