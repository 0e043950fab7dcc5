package push

import (
	"context"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/netguard"
)

// syncingQueue syncs at once what it is asked to, and reports it.
type syncingQueue struct {
	syncer *ingest.Syncer
	done   chan string
}

func (q *syncingQueue) EnqueueSync(ctx context.Context, accountID string) error {
	err := q.syncer.SyncAccount(ctx, accountID)
	q.done <- accountID
	return err
}

func TestNewMailIsPushed(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dove := dovecottest.Start(t, dovecottest.Options{})
	mb := ingesttest.New(t, db, dove)
	st, ws, a, box := mb.Store, mb.Workspace, mb.Account, mb.Box
	syncer := mb.Syncer
	if err := syncer.SyncAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	q := &syncingQueue{syncer: syncer, done: make(chan string, 4)}
	mgr := &Manager{Store: st, Box: box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, Queue: q, Debounce: 100 * time.Millisecond}
	stopped := make(chan struct{})
	go func() { mgr.Run(ctx); close(stopped) }()

	time.Sleep(500 * time.Millisecond) // let the watchers enter IDLE
	raw := "From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Pushed\r\n" +
		"Message-ID: <pushed@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHello\r\n"
	if err := dove.Append(ctx, "user1", "INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-q.done:
		if id != a.ID {
			t.Fatalf("synced %s, want %s", id, a.ID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no sync was asked for within 15 s of new mail")
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
}

func TestDebouncerGroupsBursts(t *testing.T) {
	calls := make(chan struct{}, 10)
	d := newDebouncer(50*time.Millisecond, func() { calls <- struct{}{} })
	for i := 0; i < 5; i++ {
		d.trigger()
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(calls); n != 1 {
		t.Fatalf("%d calls for one burst, want 1", n)
	}
	d.trigger()
	d.stop()
	time.Sleep(100 * time.Millisecond)
	if n := len(calls); n != 1 {
		t.Fatalf("stop did not cancel the pending call")
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
