package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// chunkSize bounds the bytes one row of attachment_chunks holds, and so
// the memory one download needs.
const chunkSize = 256 << 10

// putAttachments stores the bytes of the given messages' attachments
// (message id → contents in MIME order), skipping messages whose bytes
// are stored already. One row per chunk and one statement per row keep a
// statement's size bounded too.
func putAttachments(ctx context.Context, tx *sql.Tx, contents map[string][][]byte) error {
	for msgID, parts := range contents {
		if len(parts) == 0 {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachment_chunks WHERE message_id = $1`, msgID).Scan(&n); err != nil {
			return fmt.Errorf("find attachment bytes: %w", err)
		}
		if n > 0 {
			continue
		}
		for idx, data := range parts {
			seq := 0
			for {
				end := min(len(data), chunkSize)
				if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_chunks (message_id, idx, seq, data)
					VALUES ($1, $2, $3, $4)`, msgID, idx, seq, data[:end:end]); err != nil {
					return fmt.Errorf("store attachment bytes: %w", err)
				}
				data, seq = data[end:], seq+1
				if len(data) == 0 {
					break
				}
			}
		}
	}
	return nil
}

// AttachmentReader reads the stored bytes of one attachment, one chunk
// (one query) at a time.
type AttachmentReader struct {
	ctx       context.Context
	db        querier
	messageID string
	idx, seq  int
	buf       []byte
	done      bool
}

// OpenAttachment opens the stored bytes of a message's attachment; it
// answers ErrNotFound when none are stored. Callers check first that the
// viewer may see them (package visibility).
func (s *Store) OpenAttachment(ctx context.Context, messageID string, idx int) (*AttachmentReader, error) {
	r := &AttachmentReader{ctx: ctx, db: s.DB, messageID: messageID, idx: idx}
	if err := r.next(); err != nil {
		return nil, err
	}
	if r.done {
		return nil, fmt.Errorf("attachment %d of message %s: %w", idx, messageID, ErrNotFound)
	}
	return r, nil
}

func (r *AttachmentReader) next() error {
	err := r.db.QueryRowContext(r.ctx, `SELECT data FROM attachment_chunks WHERE message_id = $1 AND idx = $2 AND seq = $3`,
		r.messageID, r.idx, r.seq).Scan(&r.buf)
	if errors.Is(err, sql.ErrNoRows) {
		r.done, r.buf = true, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("read attachment bytes: %w", err)
	}
	r.seq++
	return nil
}

// Read implements io.Reader.
func (r *AttachmentReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
