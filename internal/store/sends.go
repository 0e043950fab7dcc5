package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ItemSent marks the folder item of a message mailsync sent and stored at
// once, before a sync saw its copy in the Sent folder. Its uid is a
// placeholder ("sent:" + Message-ID): listings, counts and reconciliation
// leave it out, and the sync that records the real copy (same Message-ID,
// same channel) drops it in the same transaction, so the message keeps
// its id and is stored once.
const ItemSent = "sent"

// SentUID is the placeholder uid of a sent message.
func SentUID(key string) string { return "sent:" + key }

// DropSentPlaceholders removes a channel's placeholders for the given
// message keys: the sync has found their real copies.
func DropSentPlaceholders(ctx context.Context, tx *sql.Tx, channelID string, keys []string) error {
	for _, chunk := range chunks(keys, 500) {
		args := append([]any{channelID, ItemSent}, anys(chunk)...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM folder_items WHERE channel_id = $1 AND status = $2
			AND message_key IN (`+placeholders(3, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("drop sent placeholders: %w", err)
		}
	}
	return nil
}

// EnsureFolder returns a channel's folder by name, adding it (selected)
// when the channel has not listed it yet.
func (s *Store) EnsureFolder(ctx context.Context, channelID, name, role string) (*Folder, error) {
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO folders (id, channel_id, name, role, selected) VALUES ($1, $2, $3, $4, TRUE)
		ON CONFLICT (channel_id, name) DO NOTHING`, NewID(), channelID, name, role); err != nil {
		return nil, fmt.Errorf("add folder %s: %w", name, err)
	}
	fs, err := folders(ctx, s.DB, channelID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("folder %s: %w", name, ErrNotFound)
}

// Send is the record of a send asked with an idempotency key.
type Send struct {
	Status                        string // "sending" or "sent"
	MessageID, MessageKey, Thread string
}

// ErrSendInProgress: a send with the same idempotency key is under way.
var ErrSendInProgress = errors.New("a send with this idempotency key is in progress")

// BeginSend claims an idempotency key for an account. It returns nil when
// the key is new (the caller sends, then calls FinishSend or AbandonSend),
// the first send's record when it was sent, and ErrSendInProgress while
// it is being sent.
func (s *Store) BeginSend(ctx context.Context, accountID, key string) (*Send, error) {
	res, err := s.DB.ExecContext(ctx, `INSERT INTO sends (account_id, idem_key, status, created_at) VALUES ($1, $2, 'sending', $3)
		ON CONFLICT (account_id, idem_key) DO NOTHING`, accountID, key, now())
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	sd := &Send{}
	if err := s.DB.QueryRowContext(ctx, `SELECT status, message_id, message_key, thread_id FROM sends
		WHERE account_id = $1 AND idem_key = $2`, accountID, key).Scan(&sd.Status, &sd.MessageID, &sd.MessageKey, &sd.Thread); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if sd.Status != "sent" {
		return nil, ErrSendInProgress
	}
	return sd, nil
}

// FinishSend records the result of a send under its key.
func (s *Store) FinishSend(ctx context.Context, accountID, key string, sd Send) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE sends SET status = 'sent', message_id = $1, message_key = $2, thread_id = $3
		WHERE account_id = $4 AND idem_key = $5`, sd.MessageID, sd.MessageKey, sd.Thread, accountID, key); err != nil {
		return fmt.Errorf("record send: %w", err)
	}
	return nil
}

// AbandonSend releases a key whose send failed: nothing was sent, so a
// retry may send.
func (s *Store) AbandonSend(ctx context.Context, accountID, key string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sends WHERE account_id = $1 AND idem_key = $2 AND status = 'sending'`,
		accountID, key); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// MessageReferences returns the Message-IDs a stored message names
// (In-Reply-To and References), oldest known message first, without its
// own id and without mailsync's provider thread hints.
func (s *Store) MessageReferences(ctx context.Context, workspaceID, messageID string) ([]string, error) {
	return queryStrings(ctx, s.DB, "message references", `SELECT r.ref FROM message_refs r
		JOIN messages own ON own.id = r.message_id
		LEFT JOIN messages m ON m.workspace_id = r.workspace_id AND m.message_key = r.ref
		WHERE r.workspace_id = $1 AND r.message_id = $2 AND r.ref <> own.message_key
			AND r.ref NOT LIKE 'thread-hint.%'
		ORDER BY COALESCE(m.sent_at, 0), r.ref`, workspaceID, messageID)
}
