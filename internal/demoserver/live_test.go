package demoserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestDeliverEveryAddsNewMail checks the live mail of `demo --serve`: new
// messages arrive in INBOX, each with its own Message-ID, until the context ends.
func TestDeliverEveryAddsNewMail(t *testing.T) {
	s, err := Start(t.Context(), Options{Messages: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := login(t, s)
	defer c.Close()
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	before := sel.NumMessages

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.DeliverEvery(ctx, 20*time.Millisecond) }()
	deadline := time.Now().Add(5 * time.Second)
	var after uint32
	for after < before+3 && time.Now().Before(deadline) {
		time.Sleep(30 * time.Millisecond)
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		after = *st.NumMessages
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("DeliverEvery: %v", err)
	}
	if after < before+3 {
		t.Fatalf("INBOX has %d messages, want at least %d", after, before+3)
	}
	seq := imap.SeqSetNum(before+1, before+2)
	msgs, err := c.Fetch(seq, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Envelope.MessageID == msgs[1].Envelope.MessageID ||
		!strings.HasPrefix(msgs[0].Envelope.MessageID, "live.") {
		t.Fatalf("new messages: %+v", msgs)
	}
}
