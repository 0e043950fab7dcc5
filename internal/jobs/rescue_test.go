package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// TestAbandonedImportIsRescued leaves a first import as a killed worker
// leaves it (status importing, a lease nobody renews, its River job
// "running" forever) and checks that the mailbox shows importing only
// while the lease lasts, then not_synced, and that a worker resumes it
// through the rescue job alone: the periodic re-sync is an hour away.
func TestAbandonedImportIsRescued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		mb := oneMessageMailbox(t, db)
		st, a := mb.Store, mb.Account
		if err := st.SetChannelStatus(ctx, a.ChannelID, store.StatusImporting, "", false); err != nil {
			t.Fatal(err)
		}
		lease := time.Now().Add(2 * time.Second)
		if ok, err := st.AcquireLease(ctx, a.ChannelID, "gone-host:4242:deadbeef", lease); err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		// The dead worker's job: running, never to finish.
		inserter, err := NewInserter(db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inserter.client.Insert(ctx, SyncArgs{AccountID: a.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
			attempted_at = CURRENT_TIMESTAMP WHERE kind = 'sync_account'`); err != nil {
			t.Fatal(err)
		}
		if got := status(t, st, a); got != store.StatusImporting {
			t.Fatalf("status with a live lease = %s, want importing", got)
		}
		if ids, err := st.AbandonedSyncs(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("abandoned while the lease lasts: %v %v", ids, err)
		}
		time.Sleep(time.Until(lease) + 10*time.Millisecond)
		if got := status(t, st, a); got != store.StatusNotSynced {
			t.Fatalf("status once nobody holds the lease = %s, want not_synced", got)
		}
		if ids, err := st.AbandonedSyncs(ctx); err != nil || len(ids) != 1 || ids[0].AccountID != a.ID {
			t.Fatalf("abandoned after the lease expired = %v %v, want [%s]", ids, err, a.ID)
		}

		q, err := NewWorker(db, Config{Syncer: mb.Syncer, Interval: time.Hour, Rescue: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())
		waitImported(t, st, a)
		if holder, err := st.LeaseHolder(ctx, a.ChannelID); err != nil || holder != "" {
			t.Fatalf("lease after the rescued sync: %q %v", holder, err)
		}
	})
}

func status(t *testing.T, st *store.Store, a *store.Account) string {
	t.Helper()
	got, err := st.AccountByID(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}
