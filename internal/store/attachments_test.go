package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// TestAttachmentsStoredPerBatch stores a batch of messages whose
// attachments span several multi-row INSERTs (many small files, and files
// of several chunks), reads every one back, and checks that storing the
// batch again, with new messages among it, leaves the stored bytes alone.
func TestAttachmentsStoredPerBatch(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			st := store.New(dbtest.Open(t, kind))
			ws, err := st.CreateWorkspace(ctx, "att", nil)
			if err != nil {
				t.Fatal(err)
			}
			content := func(key string, idx, size int) []byte {
				b := bytes.Repeat([]byte(fmt.Sprintf("%s/%d;", key, idx)), size/8+1)
				return b[:size]
			}
			batch := func(from, to int) []*store.NewMessage {
				var msgs []*store.NewMessage
				for i := from; i < to; i++ {
					key := fmt.Sprintf("m%d@att", i)
					m := &store.NewMessage{Key: key, SentAt: time.Now()}
					switch {
					case i%50 == 0: // three chunks and a bit, then an empty file
						m.AttachmentData = [][]byte{content(key, 0, 3*256<<10+17), {}}
					case i%7 == 0: // no attachment
					default:
						m.AttachmentData = [][]byte{content(key, 0, 100+i), content(key, 1, 1)}
					}
					msgs = append(msgs, m)
				}
				return msgs
			}
			insert := func(msgs []*store.NewMessage) map[string]string {
				var ids map[string]string
				if err := st.Tx(ctx, func(tx *sql.Tx) error {
					var err error
					ids, err = store.InsertMessages(ctx, tx, ws.ID, msgs)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return ids
			}
			check := func(msgs []*store.NewMessage, ids map[string]string) {
				t.Helper()
				for _, m := range msgs {
					for idx, want := range m.AttachmentData {
						r, err := st.OpenAttachment(ctx, ids[m.Key], idx)
						if err != nil {
							t.Fatalf("%s attachment %d: %v", m.Key, idx, err)
						}
						got, err := io.ReadAll(r)
						if err != nil || !bytes.Equal(got, want) {
							t.Fatalf("%s attachment %d: read %d bytes (want %d): %v", m.Key, idx, len(got), len(want), err)
						}
					}
				}
			}
			first := batch(0, 420)
			ids := insert(first)
			check(first, ids)

			// Again, with other bytes for the stored messages (they must
			// be kept as first stored) and 80 new messages.
			again := batch(340, 500)
			for _, m := range again[:80] {
				for i := range m.AttachmentData {
					m.AttachmentData[i] = bytes.ToUpper(m.AttachmentData[i])
				}
			}
			for k, id := range insert(again) {
				if ids[k] != "" && ids[k] != id {
					t.Fatalf("%s: id %s, then %s", k, ids[k], id)
				}
				ids[k] = id
			}
			check(first, ids)
			check(again[80:], ids)
		})
	}
}
