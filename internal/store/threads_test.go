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

// Two stored threads joined by a later message become one, and the
// person's Emails tab (read through the participants' copy of the thread)
// shows that one thread with its three messages, on both engines.
func TestMergedThreadOnEmailsTab(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		ws, err := st.CreateWorkspace(ctx, "w", nil)
		if err != nil {
			t.Fatal(err)
		}
		co, err := st.AddCompany(ctx, ws.ID, "Acme", "acme.example", store.CreatedByUser)
		if err != nil {
			t.Fatal(err)
		}
		jane, err := st.AddPerson(ctx, ws.ID, store.NewPerson{FirstName: "Jane", Emails: []string{"jane@acme.example"},
			CompanyID: co.ID, CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		from := []store.NewParticipant{{Role: "from", Email: "jane@acme.example", Name: "Jane"}}
		for i, batch := range [][]*store.NewMessage{
			{{Key: "a@x", Subject: "A", SentAt: day, Participants: from}, {Key: "b@x", Subject: "B", SentAt: day.Add(time.Hour), Participants: from}},
			{{Key: "c@x", Subject: "Re: A", SentAt: day.Add(2 * time.Hour), Refs: []string{"a@x", "b@x"}, Participants: from}},
		} {
			err := st.Tx(ctx, func(tx *sql.Tx) error { _, err := store.InsertMessages(ctx, tx, ws.ID, batch); return err })
			if err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
		var stale int
		if err := db.QueryRow(`SELECT COUNT(*) FROM participants p JOIN messages m ON m.id = p.message_id
			WHERE p.thread_id <> m.thread_id`).Scan(&stale); err != nil || stale != 0 {
			t.Fatalf("%d participants on another thread than their message (%v)", stale, err)
		}
		for _, list := range []func(offset int) (int, []*store.ThreadSummary, error){
			func(offset int) (int, []*store.ThreadSummary, error) {
				return st.ThreadsForPerson(ctx, ws.ID, jane.ID, 50, offset)
			},
			func(offset int) (int, []*store.ThreadSummary, error) {
				return st.ThreadsForCompany(ctx, ws.ID, co.ID, 50, offset)
			},
		} {
			total, ts, err := list(0)
			if err != nil {
				t.Fatal(err)
			}
			if total != 1 || len(ts) != 1 || ts[0].MessageCount != 3 || ts[0].Subject != "A" || len(ts[0].Participants) != 1 {
				t.Fatalf("total %d, threads %+v: want the one merged thread \"A\" of 3 messages", total, ts)
			}
			if total, ts, err := list(1); err != nil || total != 1 || len(ts) != 0 {
				t.Fatalf("past the end: total %d, %d threads, %v; want total 1 and no thread", total, len(ts), err)
			}
		}
	})
}
