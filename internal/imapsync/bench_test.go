package imapsync

import (
	"context"
	"testing"

	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/provider"
)

// BenchmarkSyncFolder measures a first sync of a 5,000-message folder from
// a local Dovecot, with the default batch size.
func BenchmarkSyncFolder(b *testing.B) {
	const n = 5000
	s := dovecottest.Start(b, dovecottest.Options{})
	if err := s.Append(context.Background(), "user1", "INBOX", testMessages(1, n)...); err != nil {
		b.Fatal(err)
	}
	m := dial(b, s, "user1")
	req := provider.FolderRequest{Folder: provider.Folder{Name: "INBOX", Role: provider.RoleInbox}}

	var bytes int64
	for b.Loop() {
		got := 0
		err := m.SyncFolder(context.Background(), req, func(_ context.Context, batch provider.Batch) error {
			got += len(batch.Messages)
			for _, msg := range batch.Messages {
				bytes += int64(len(msg.Raw))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("synced %d messages, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/(1<<20), "MiB/s")
}
