package demoserver

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
)

// liveSenders write the mail that keeps arriving in `mailsync demo --serve`:
// people and companies the generated mailbox already knows, and one new.
var liveSenders = []struct{ from, subject string }{
	{"John Smith <john.smith@acme-corp.com>", "Re: Pricing for the Q3 renewal"},
	{"Maria Garcia <maria.garcia@globex.example>", "Meeting notes from today"},
	{"Priya Natarajan <priya@initech.example>", "Quick question about the integration"},
	{"Tom Becker <tom.becker@umbrella.example>", "Invoice and next steps"},
	{"Lena Fischer <lena@newco-labs.example>", "Introduction: Lena from NewCo Labs"},
}

var liveSeq atomic.Int64

// Deliver puts one new message into INBOX, dated now, as if it had just
// arrived; a client in IDLE is told at once.
func (s *Server) Deliver(now time.Time) error {
	n := liveSeq.Add(1)
	m := liveSenders[int(n-1)%len(liveSenders)]
	addr := m.from[strings.IndexByte(m.from, '<')+1 : len(m.from)-1]
	id := fmt.Sprintf("live.%d.%d@%s", now.UnixNano(), n, addr[strings.IndexByte(addr, '@')+1:])
	raw := message(now, m.from, s.username, m.subject, id,
		fmt.Sprintf("Hello,\n\nthis is live demo message %d, sent at %s.\n", n, now.Format(time.Kitchen)))
	if _, err := s.user.Append("INBOX", strings.NewReader(string(raw)), &imap.AppendOptions{Time: now}); err != nil {
		return fmt.Errorf("demoserver: deliver: %w", err)
	}
	return nil
}

// DeliverEvery delivers a new message every interval until ctx ends.
func (s *Server) DeliverEvery(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if err := s.Deliver(now.UTC()); err != nil {
				return err
			}
		}
	}
}
