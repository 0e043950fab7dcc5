package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// Two transactions storing a message and its reply at the same time cannot
// see each other's references and start two threads; RepairThreads, run
// after both committed, joins them.
func TestRepairThreadsJoinsConcurrentSplit(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	st := store.New(db)
	ws, err := st.CreateWorkspace(ctx, "w", nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	root := &store.NewMessage{Key: "root@x.example", Subject: "Plan", SentAt: day}
	reply := &store.NewMessage{Key: "reply@x.example", Subject: "Re: Plan", SentAt: day.Add(time.Hour), Refs: []string{"root@x.example"}}

	txA, _ := st.Begin(ctx)
	txB, _ := st.Begin(ctx)
	if _, err := store.InsertMessages(ctx, txA, ws.ID, []*store.NewMessage{root}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.InsertMessages(ctx, txB, ws.ID, []*store.NewMessage{reply}); err != nil {
		t.Fatal(err)
	}
	commit(t, txA)
	commit(t, txB)
	if n := threads(t, db); n != 2 {
		t.Fatalf("setup: %d threads, want the split into 2", n)
	}
	if err := st.RepairThreads(ctx, ws.ID, []string{"reply@x.example"}); err != nil {
		t.Fatal(err)
	}
	if n := threads(t, db); n != 1 {
		t.Fatalf("%d threads after repair, want 1", n)
	}
	var subject string
	var count int
	db.QueryRow(`SELECT subject, message_count FROM threads`).Scan(&subject, &count)
	if subject != "Plan" || count != 2 {
		t.Fatalf("joined thread %q with %d messages, want \"Plan\" with 2", subject, count)
	}
}

func commit(t *testing.T, tx *sql.Tx) {
	t.Helper()
	if err := store.Commit(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
}

func threads(t *testing.T, db *database.DB) int {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM threads`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Ids made in the same millisecond still differ, and sort by time.
func TestNewIDIsUniqueAndTimeOrdered(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 10000; i++ {
		id := store.NewID()
		if seen[id] || len(id) != 32 {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
		if id[:12] < prev {
			t.Fatalf("id %q sorts before an older one (%s)", id, prev)
		}
		prev = id[:12]
	}
}
