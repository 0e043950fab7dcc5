package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/store"
)

// A paused mailbox is left out of the periodic round, and a sync job
// queued for it anyway (by push, or before the pause) is cancelled
// without touching the mailbox; once resumed, it syncs.
func TestPausedMailboxIsNotSynced(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		dove := dovecottest.Start(t, dovecottest.Options{})
		raw := "From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Hello\r\n" +
			"Message-ID: <paused@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHello\r\n"
		if err := dove.Append(ctx, "user1", "INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		mb := ingesttest.New(t, db, dove)
		st, ws, a := mb.Store, mb.Workspace, mb.Account
		if _, err := st.SetPaused(ctx, ws.ID, a.ID, true, store.CLI); err != nil {
			t.Fatal(err)
		}

		q, err := NewInserter(db)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.EnqueueAll(ctx); err != nil {
			t.Fatal(err)
		}
		if n := syncJobs(t, db); n != 0 {
			t.Fatalf("the periodic round queued %d syncs of a paused mailbox", n)
		}

		w := &syncWorker{syncer: mb.Syncer}
		err = w.Work(ctx, &river.Job[SyncArgs]{JobRow: &rivertype.JobRow{}, Args: SyncArgs{AccountID: a.ID}})
		var cancelled *rivertype.JobCancelError
		if !errors.As(err, &cancelled) || !errors.Is(err, ingest.ErrPaused) {
			t.Fatalf("sync job of a paused mailbox: %v, want it cancelled as paused", err)
		}
		got, err := st.Account(ctx, ws.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusPaused || got.Counts.Imported != 0 || !got.LastSyncedAt.IsZero() {
			t.Fatalf("paused mailbox was synced: %+v", got)
		}

		if _, err := st.SetPaused(ctx, ws.ID, a.ID, false, store.CLI); err != nil {
			t.Fatal(err)
		}
		if err := q.EnqueueAll(ctx); err != nil {
			t.Fatal(err)
		}
		if n := syncJobs(t, db); n != 1 {
			t.Fatalf("the periodic round queued %d syncs of a resumed mailbox, want 1", n)
		}
		if err := w.Work(ctx, &river.Job[SyncArgs]{JobRow: &rivertype.JobRow{}, Args: SyncArgs{AccountID: a.ID}}); err != nil {
			t.Fatal(err)
		}
		got, err = st.Account(ctx, ws.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusActive || got.Counts.Imported != 1 {
			t.Fatalf("resumed mailbox not synced: %+v", got)
		}
	})
}

// syncJobs counts the sync jobs waiting in River's table.
func syncJobs(t *testing.T, db *database.DB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = $1`, SyncArgs{}.Kind()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
