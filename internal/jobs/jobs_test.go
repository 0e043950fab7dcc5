package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/store"
)

func TestQueuedSyncImportsNewMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		mb := oneMessageMailbox(t, db)
		a := mb.Account

		// Enqueued twice before any worker runs: one job, not two.
		inserter, err := NewInserter(db)
		if err != nil {
			t.Fatal(err)
		}
		first, err := inserter.client.Insert(ctx, SyncArgs{AccountID: a.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := inserter.client.Insert(ctx, SyncArgs{AccountID: a.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first.UniqueSkippedAsDuplicate || !second.UniqueSkippedAsDuplicate {
			t.Fatalf("second sync job of one mailbox was not collapsed into the first")
		}

		syncer := mb.Syncer
		q, err := NewWorker(db, Config{Syncer: syncer, Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())
		waitImported(t, mb.Store, a)
	})
}

// oneMessageMailbox is user1's mailbox, connected and not synced, holding
// one customer message.
func oneMessageMailbox(t *testing.T, db *database.DB) *ingesttest.Mailbox {
	t.Helper()
	dove := dovecottest.Start(t, dovecottest.Options{})
	raw := "From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Hello\r\n" +
		"Message-ID: <queued@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHello\r\n"
	if err := dove.Append(context.Background(), "user1", "INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	return ingesttest.New(t, db, dove)
}

// waitImported waits for a worker to import oneMessageMailbox's message.
func waitImported(t *testing.T, st *store.Store, a *store.Account) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.AccountByID(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.StatusActive && got.Counts.Imported == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued sync did not import the mailbox: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
