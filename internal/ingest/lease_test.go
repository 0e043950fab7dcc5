package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/store"
)

// A worker whose lease another process took (it was paused or cut from the
// database past its lease, and a survivor took the mailbox over) commits
// no further batch: the sync stops as busy, records no failure, and the
// new holder resumes from the last cursor committed.
func TestLeaseTakenMidSyncFencesBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		dove := dovecottest.Start(t, dovecottest.Options{})
		var raws [][]byte
		for i := 0; i < 30; i++ {
			raws = append(raws, []byte(fmt.Sprintf("From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\n"+
				"Subject: Order %d\r\nMessage-ID: <fence-%d@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:%02d:00 +0000\r\n\r\nHi\r\n", i, i, i)))
		}
		if err := dove.Append(ctx, "user1", "INBOX", raws...); err != nil {
			t.Fatal(err)
		}
		mb := ingesttest.New(t, db, dove)
		st, a := mb.Store, mb.Account
		s := mb.Syncer
		s.BatchSize = 10
		s.LeaseOwner = "worker-a:1:aaaa"
		stolen := false
		s.OnProgress = func(p ingest.Progress) {
			if p.Imported > 0 && !stolen { // after INBOX's first batch, a survivor takes the lease
				stolen = true
				if _, err := db.ExecContext(ctx, `UPDATE channels SET lease_owner = 'worker-b:2:bbbb', lease_until = $1 WHERE id = $2`,
					time.Now().Add(time.Minute).UnixMilli(), a.ChannelID); err != nil {
					t.Error(err)
				}
			}
		}
		err := s.SyncAccount(ctx, a.ID)
		if !errors.Is(err, ingest.ErrBusy) || !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("sync after losing its lease: %v, want busy (lease lost)", err)
		}
		var items int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM folder_items`).Scan(&items)
		if items != 10 {
			t.Fatalf("%d items stored, want only the first batch (10)", items)
		}
		got, err := st.AccountByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.StatusFailed || got.LastError != "" {
			t.Fatalf("losing the lease recorded a failure: %s %q", got.Status, got.LastError)
		}
		if holder, _ := st.LeaseHolder(ctx, a.ChannelID); holder != "worker-b:2:bbbb" {
			t.Fatalf("the loser released the winner's lease: holder %q", holder)
		}

		// The new holder resumes from the committed cursor.
		if _, err := db.ExecContext(ctx, `UPDATE channels SET lease_until = 0 WHERE id = $1`, a.ChannelID); err != nil {
			t.Fatal(err)
		}
		s.LeaseOwner, s.OnProgress = "worker-b:2:bbbb", nil
		if err := s.SyncAccount(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = st.AccountByID(ctx, a.ID)
		if got.Counts.Imported != 30 || got.Counts.Listed != 30 || got.Status != store.StatusActive {
			t.Fatalf("after the survivor's sync: %s %+v", got.Status, got.Counts)
		}
	})
}

// Two syncs of one mailbox in one process (a pushed sync and a queued
// one share a Syncer) exclude each other like syncs of two processes.
func TestOneSyncPerMailboxInOneProcess(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	dove := dovecottest.Start(t, dovecottest.Options{})
	if err := dove.Append(ctx, "user1", "INBOX", []byte("From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\n"+
		"Subject: Hi\r\nMessage-ID: <one@acme-corp.com>\r\nDate: Mon, 04 May 2026 09:00:00 +0000\r\n\r\nHi\r\n")); err != nil {
		t.Fatal(err)
	}
	mb := ingesttest.New(t, db, dove)
	s := mb.Syncer
	inside, release := make(chan struct{}), make(chan struct{})
	var once bool
	s.OnProgress = func(p ingest.Progress) {
		if !once {
			once = true
			close(inside)
			<-release
		}
	}
	first := make(chan error, 1)
	go func() { first <- s.SyncAccount(ctx, mb.Account.ID) }()
	<-inside
	if err := s.SyncAccount(ctx, mb.Account.ID); !errors.Is(err, ingest.ErrBusy) {
		t.Errorf("second sync of a mailbox being synced in the same process: %v, want busy", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}
