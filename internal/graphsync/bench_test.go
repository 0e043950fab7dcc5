package graphsync_test

import (
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/graphsync"
)

// BenchmarkInitialSync measures a first sync of a 500-message folder
// through the production client (retries, 4 requests in flight) against
// the fake with its MailboxConcurrency limit, with and without latency.
func BenchmarkInitialSync(b *testing.B) {
	const n = 500
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("latency="+latency.String(), func(b *testing.B) {
			fake := graphfake.Start(b, address)
			deliver(fake, "inbox", "bench", n)
			fake.SetLatency(latency)
			mb := open(b, fake, graphsync.Config{})
			for b.Loop() {
				f := newMem(b, "Inbox")
				f.mustSync(mb, 0)
				if len(f.items) != n {
					b.Fatalf("synced %d messages, want %d", len(f.items), n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
			if _, refused := fake.Throttled(); refused > 0 {
				b.Errorf("%d requests refused by the concurrency limit", refused)
			}
		})
	}
}
