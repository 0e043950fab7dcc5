package store_test

import (
	"context"
	"database/sql"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// BenchmarkAttachmentDownload streams one stored attachment of each size.
// B/op counts every allocation (each chunk is allocated as it is read);
// peak-heap-MiB is the most heap in use above the start while a download
// runs, which stays near a few chunks (256 KiB each) whatever the file's
// size: the bounded memory downloads promise.
func BenchmarkAttachmentDownload(b *testing.B) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		for _, size := range []int{1 << 20, 16 << 20} {
			b.Run(string(kind)+"/"+sizeName(size), func(b *testing.B) {
				ctx := context.Background()
				st := store.New(dbtest.Open(b, kind))
				ws, err := st.CreateWorkspace(ctx, "bench", nil)
				if err != nil {
					b.Fatal(err)
				}
				data := make([]byte, size)
				var ids map[string]string
				err = st.Tx(ctx, func(tx *sql.Tx) error {
					ids, err = store.InsertMessages(ctx, tx, ws.ID, []*store.NewMessage{{Key: "big@bench", SentAt: time.Now(),
						Attachments:    `[{"Filename":"big.bin","ContentType":"application/octet-stream","Size":1}]`,
						AttachmentData: [][]byte{data}}})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				data = nil
				b.SetBytes(int64(size))
				b.ReportAllocs()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				w := &peakWriter{base: ms.HeapAlloc}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r, err := st.OpenAttachment(ctx, ids["big@bench"], 0)
					if err != nil {
						b.Fatal(err)
					}
					if n, err := io.Copy(w, r); err != nil || n != int64(size) {
						b.Fatalf("read %d bytes: %v", n, err)
					}
				}
				b.ReportMetric(float64(w.peak)/(1<<20), "peak-heap-MiB")
			})
		}
	}
}

// peakWriter discards what it is given and samples the heap in use every
// 16 writes.
type peakWriter struct {
	base, peak uint64
	n          int
}

func (w *peakWriter) Write(p []byte) (int, error) {
	if w.n++; w.n%16 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > w.base && ms.HeapAlloc-w.base > w.peak {
			w.peak = ms.HeapAlloc - w.base
		}
	}
	return len(p), nil
}

func sizeName(n int) string { return strconv.Itoa(n>>20) + "MiB" }
