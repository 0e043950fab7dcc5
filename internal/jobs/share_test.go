package jobs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/store"
)

// A worker started while another is busy with a backlog of first imports
// takes its share of them (PostgreSQL: several workers on one database).
func TestAddedWorkerTakesItsShare(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	users := []string{"user1", "user2", "user3", "user4", "user5", "user6"}
	dove := dovecottest.Start(t, dovecottest.Options{Users: users})
	for i, u := range users {
		var raws [][]byte
		for _, m := range mailgen.Generate(mailgen.Options{N: 150, Seed: uint64(40 + i), Owner: u + "@ourco.example"}) {
			raws = append(raws, m.Raw)
		}
		if err := dove.Append(ctx, u, "INBOX", raws...); err != nil {
			t.Fatal(err)
		}
	}
	mb := ingesttest.New(t, db, dove)
	for _, u := range users[1:] {
		if _, err := mb.Store.AddAccount(ctx, store.NewAccount{WorkspaceID: mb.Workspace.ID, MemberID: mb.Member.ID,
			Provider: "imap", Handle: u + "@ourco.example", Host: dove.Host(), Port: dove.Port(), Security: "none",
			Username: u, SecretEnc: mb.Box.Seal(dovecottest.Password)}); err != nil {
			t.Fatal(err)
		}
	}
	worker := func(synced *atomic.Int32) {
		s := &ingest.Syncer{Store: mb.Store, Box: mb.Box, BatchSize: 5,
			Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect,
			OnFinish: func(p ingest.Progress, _ time.Duration, err error) {
				if err == nil {
					synced.Add(1)
				}
			}}
		q, err := NewWorker(db, Config{Syncer: s, Interval: time.Hour, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Stop(context.Background()) })
	}
	var first, added atomic.Int32
	worker(&first)
	waitFor(t, "the first worker to start importing", func() bool {
		n, _ := mb.Store.MailboxesByStatus(ctx)
		return n[store.StatusImporting] > 0
	})
	worker(&added)
	waitFor(t, "every mailbox imported", func() bool {
		n, _ := mb.Store.MailboxesByStatus(ctx)
		return n[store.StatusActive] == len(users)
	})
	if added.Load() == 0 {
		t.Fatalf("the added worker synced no mailbox (first worker: %d)", first.Load())
	}
	t.Logf("first worker synced %d mailboxes, the added one %d", first.Load(), added.Load())
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
