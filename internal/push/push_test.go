package push

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// reportingSyncer syncs for real and reports each sync that ended.
type reportingSyncer struct {
	syncer *ingest.Syncer
	done   chan string
}

func (s *reportingSyncer) SyncAccount(ctx context.Context, accountID string) error {
	err := s.syncer.SyncAccount(ctx, accountID)
	s.done <- accountID
	return err
}

// syncedMailbox is user1's mailbox on a new Dovecot, synced once (push
// watches synced mailboxes only).
func syncedMailbox(t *testing.T) (*ingesttest.Mailbox, *dovecottest.Server) {
	t.Helper()
	dove := dovecottest.Start(t, dovecottest.Options{})
	mb := ingesttest.New(t, dbtest.Open(t, database.SQLite), dove)
	if err := mb.Syncer.SyncAccount(context.Background(), mb.Account.ID); err != nil {
		t.Fatal(err)
	}
	return mb, dove
}

func TestNewMailIsPushed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mb, dove := syncedMailbox(t)
	st, ws, a, box := mb.Store, mb.Workspace, mb.Account, mb.Box
	s := &reportingSyncer{syncer: mb.Syncer, done: make(chan string, 4)}
	mgr := &Manager{Store: st, Box: box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, Sync: s}
	stopped := make(chan struct{})
	go func() { mgr.Run(ctx); close(stopped) }()

	deadline := time.Now().Add(10 * time.Second)
	for idle, _ := mgr.Connections(); idle != 1; idle, _ = mgr.Connections() {
		if time.Now().After(deadline) {
			t.Fatalf("%d IDLE sessions, want 1 (INBOX only)", idle)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // IDLE issued
	raw := "From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Pushed\r\n" +
		"Message-ID: <pushed@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHello\r\n"
	if err := dove.Append(ctx, "user1", "INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-s.done:
		if id != a.ID {
			t.Fatalf("synced %s, want %s", id, a.ID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no sync ran within 15 s of new mail")
	}
	got, _ := st.Account(ctx, ws.ID, a.ID)
	if got.Counts.Imported != 1 {
		t.Fatalf("after the pushed sync: %+v", got.Counts)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if idle, polled := mgr.Connections(); idle != 0 || polled != 0 {
		t.Fatalf("after Run returned: %d IDLE, %d polled", idle, polled)
	}
}

// The coalescer starts a sync on the first trigger, without waiting for
// quiet, and runs exactly one more for any number of triggers that came
// while it ran; a busy mailbox is tried again until it is free.
func TestCoalescerLeadingAndTrailing(t *testing.T) {
	tests := []struct {
		name      string
		triggers  int // while the first sync runs
		busy      int // first attempts that find the mailbox busy
		wantSyncs int64
	}{
		{"one change", 0, 0, 1},
		{"burst during a sync", 20, 0, 2},
		{"busy mailbox", 0, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := newCoalescer()
			var calls atomic.Int64
			started := make(chan time.Time, 100)
			release := make(chan struct{})
			go c.run(ctx, func(ctx context.Context) error {
				n := calls.Add(1)
				started <- time.Now()
				if n <= int64(tt.busy) {
					return fmt.Errorf("held: %w", ingest.ErrBusy)
				}
				if n == int64(tt.busy)+1 {
					<-release // the first real sync runs until released
				}
				return nil
			})
			at := time.Now()
			c.trigger()
			first := <-started
			if d := first.Sub(at); d > 50*time.Millisecond {
				t.Fatalf("first sync started %v after the change, want at once", d)
			}
			for i := 0; i < tt.triggers; i++ {
				c.trigger()
			}
			close(release)
			deadline := time.After(5 * time.Second)
			for calls.Load() < tt.wantSyncs {
				select {
				case <-deadline:
					t.Fatalf("%d syncs, want %d", calls.Load(), tt.wantSyncs)
				case <-time.After(10 * time.Millisecond):
				}
			}
			time.Sleep(100 * time.Millisecond)
			if got := calls.Load(); got != tt.wantSyncs {
				t.Fatalf("%d syncs, want %d", got, tt.wantSyncs)
			}
		})
	}
}

// noIdle hides a session's IDLE, as a server without it would.
type noIdle struct{ provider.Mailbox }

// A server without IDLE is polled: new mail arrives with the next poll.
func TestServerWithoutIdleIsPolled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mb, dove := syncedMailbox(t)
	conn := connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect
	s := &reportingSyncer{syncer: mb.Syncer, done: make(chan string, 100)}
	mgr := &Manager{Store: mb.Store, Box: mb.Box, Sync: s, Poll: 200 * time.Millisecond,
		Connect: func(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
			m, err := conn(ctx, a, secret)
			return noIdle{m}, err
		}}
	go mgr.Run(ctx)
	raw := "From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Polled\r\n" +
		"Message-ID: <polled@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHello\r\n"
	if err := dove.Append(ctx, "user1", "INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case <-s.done:
		case <-deadline:
			t.Fatal("the polled mailbox did not get its new mail")
		}
		got, err := mb.Store.AccountByID(ctx, mb.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Counts.Imported == 1 {
			break
		}
	}
	if idle, polled := mgr.Connections(); idle != 0 || polled != 1 {
		t.Fatalf("%d IDLE sessions and %d polled mailboxes, want 0 and 1", idle, polled)
	}
}

func TestPokeNeverBlocks(t *testing.T) {
	m := &Manager{}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			m.Poke()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Poke blocked with nobody reading")
	}
	select {
	case <-m.pokes():
	default:
		t.Fatal("a poke was lost")
	}
}

// A sync ending re-reads the account list only for a mailbox not watched yet.
func TestPokeUnwatched(t *testing.T) {
	m := &Manager{watchers: map[string]context.CancelFunc{"watched": func() {}}}
	m.PokeUnwatched("watched")
	select {
	case <-m.pokes():
		t.Fatal("a watched mailbox's sync asked for a rescan")
	default:
	}
	m.PokeUnwatched("new")
	select {
	case <-m.pokes():
	default:
		t.Fatal("a mailbox not watched yet did not ask for a rescan")
	}
}
