package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// chunkSize bounds the bytes one row of attachment_chunks holds, and so
// the memory one download needs.
const chunkSize = 256 << 10

// putAttachments stores the bytes of the given messages' attachments
// (message id → contents in MIME order), skipping messages whose bytes
// are stored already. It runs a few statements per batch, not one per
// chunk: one lookup per 500 messages, then multi-row INSERTs of at most
// chunkRowsPerInsert rows and chunkBytesPerInsert bytes each, which keep a statement's
// size bounded (one chunk is at most chunkSize).
func putAttachments(ctx context.Context, tx *sql.Tx, contents map[string][][]byte) error {
	var msgIDs []string
	for msgID, parts := range contents {
		if len(parts) > 0 {
			msgIDs = append(msgIDs, msgID)
		}
	}
	if len(msgIDs) == 0 {
		return nil
	}
	sort.Strings(msgIDs)
	stored := map[string]bool{}
	for _, chunk := range chunks(msgIDs, 500) {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT message_id FROM attachment_chunks
			WHERE message_id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return fmt.Errorf("find attachment bytes: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("find attachment bytes: %w", err)
			}
			stored[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find attachment bytes: %w", err)
		}
	}
	var args []any
	size := 0
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO attachment_chunks (message_id, idx, seq, data) VALUES `)
		for i := 0; i < len(args); i += 4 {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + placeholders(i+1, 4) + ")")
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("store attachment bytes: %w", err)
		}
		args, size = args[:0], 0
		return nil
	}
	for _, msgID := range msgIDs {
		if stored[msgID] {
			continue
		}
		for idx, data := range contents[msgID] {
			seq := 0
			for {
				end := min(len(data), chunkSize)
				if len(args)/4 >= chunkRowsPerInsert || (size > 0 && size+end > chunkBytesPerInsert) {
					if err := flush(); err != nil {
						return err
					}
				}
				args = append(args, msgID, idx, seq, data[:end:end])
				size += end
				data, seq = data[end:], seq+1
				if len(data) == 0 {
					break
				}
			}
		}
	}
	return flush()
}

// chunkRowsPerInsert and chunkBytesPerInsert bound one INSERT of attachment chunks.
const (
	chunkRowsPerInsert  = 200
	chunkBytesPerInsert = 4 * chunkSize
)

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
