package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

func allEvents(t *testing.T, st *Store, ws string) []*Event {
	t.Helper()
	evs, err := st.Events(context.Background(), ws, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestEventFeedOrderAndReplay records changes of every kind and reads the
// feed back from every cursor and in pages of every size.
func TestEventFeedOrderAndReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := New(db)
		ws, err := st.CreateWorkspace(ctx, "w", []string{"ourco.example"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateWorkspace(ctx, "other", nil)
		if err != nil {
			t.Fatal(err)
		}
		co, err := st.AddCompany(ctx, ws.ID, "Acme", "acme.example", CreatedByUser)
		if err != nil {
			t.Fatal(err)
		}
		jane, err := st.AddPerson(ctx, ws.ID, NewPerson{FirstName: "Jane", Emails: []string{"jane@acme.example"}, CompanyID: co.ID, CreatedBy: CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddPerson(ctx, other.ID, NewPerson{Emails: []string{"x@y.example"}, CreatedBy: CreatedByUser}); err != nil {
			t.Fatal(err)
		}
		jim, err := st.AddPerson(ctx, ws.ID, NewPerson{Emails: []string{"jim@acme.example"}, CreatedBy: CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		var ids map[string]string
		err = st.Tx(ctx, func(tx *sql.Tx) error {
			ids, err = InsertMessages(ctx, tx, ws.ID, []*NewMessage{
				{Key: "a@acme.example", Subject: "Secret subject", Text: "secret body", SentAt: day,
					Participants: []NewParticipant{{Role: "from", Email: "jane@acme.example"}, {Role: "to", Email: "me@ourco.example"}}},
				{Key: "b@acme.example", SentAt: day.Add(time.Hour), Refs: []string{"a@acme.example"},
					Participants: []NewParticipant{{Role: "from", Email: "me@ourco.example"}, {Role: "to", Email: "jim@acme.example"}}},
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddPersonEmail(ctx, ws.ID, jane.ID, "jane2@acme.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.MergePeople(ctx, ws.ID, jane.ID, jim.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteCompany(ctx, ws.ID, co.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Tx(ctx, func(tx *sql.Tx) error { return deleteOrphans(ctx, tx, ws.ID, []string{ids["b@acme.example"]}) }); err != nil {
			t.Fatal(err)
		}

		evs := allEvents(t, st, ws.ID)
		var types []string
		for i, e := range evs {
			types = append(types, e.Type)
			if e.ID != fmt.Sprint(i+1) {
				t.Errorf("event %d has id %s, want %d", i, e.ID, i+1)
			}
			if string(e.Data) == "" || json.Valid(e.Data) == false {
				t.Errorf("event %s: data %q", e.ID, e.Data)
			}
			if s := string(e.Data); strings.Contains(strings.ToLower(s), "secret") {
				t.Errorf("event %s carries content: %s", e.ID, s)
			}
		}
		want := []string{EventCompanyCreated, EventPersonCreated, EventPersonCreated,
			EventMessageCreated, EventMessageCreated, EventThreadUpdated,
			EventPersonUpdated, EventPersonUpdated, EventPersonDeleted, EventCompanyDeleted,
			EventMessageDeleted, EventThreadUpdated}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Fatalf("types\n got %v\nwant %v", types, want)
		}
		var created map[string]any
		json.Unmarshal(evs[3].Data, &created)
		if created["id"] != ids["a@acme.example"] || created["messageId"] != "a@acme.example" ||
			fmt.Sprint(created["personIds"]) != fmt.Sprint([]any{jane.ID}) || fmt.Sprint(created["companyIds"]) != fmt.Sprint([]any{co.ID}) {
			t.Errorf("message.created data: %v", created)
		}
		if created["sentAt"] != "2026-05-01T09:00:00Z" || created["threadId"] == "" || created["threadId"] == nil {
			t.Errorf("message.created date and thread: %v", created)
		}
		var thread map[string]any
		json.Unmarshal(evs[5].Data, &thread)
		if thread["messageCount"] != float64(2) {
			t.Errorf("thread.updated data: %v", thread)
		}

		// Replay from every cursor, and page through with every limit.
		for after := 0; after <= len(evs); after++ {
			got, err := st.Events(ctx, ws.ID, int64(after), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(evs)-after || (len(got) > 0 && got[0].ID != evs[after].ID) {
				t.Fatalf("after %d: %d events", after, len(got))
			}
		}
		for limit := 1; limit <= len(evs); limit++ {
			var seen []string
			cursor := int64(0)
			for {
				page, err := st.Events(ctx, ws.ID, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				for _, e := range page {
					seen = append(seen, e.Type)
				}
				cursor = page[len(page)-1].Seq
			}
			if fmt.Sprint(seen) != fmt.Sprint(types) {
				t.Fatalf("limit %d: paged feed differs", limit)
			}
		}
		if n := len(allEvents(t, st, other.ID)); n != 1 {
			t.Errorf("other workspace has %d events, want its own 1", n)
		}
		// Retention: pruning removes old events only; cursors stay valid.
		if _, err := db.ExecContext(ctx, `UPDATE events SET occurred_at = $1 WHERE seq <= 3`, Millis(time.Now().Add(-40*24*time.Hour))); err != nil {
			t.Fatal(err)
		}
		n, err := st.PruneEvents(ctx, time.Now().Add(-30*24*time.Hour))
		if err != nil || n < 3 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		rest := allEvents(t, st, ws.ID)
		if len(rest) != len(evs)-3 || rest[0].ID != "4" {
			t.Fatalf("after pruning: %d events from %s", len(rest), rest[0].ID)
		}
	})
}

// TestConcurrentWritersNeverSkip runs writers on PostgreSQL that number
// their event and then dawdle before committing (the worst case: a
// transaction begun outside Store.Tx writes its events at once), while a
// reader follows the feed from its cursor. Had a later number committed
// first, the reader would have passed the earlier one for good.
func TestConcurrentWritersNeverSkip(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	st := New(db)
	ws, err := st.CreateWorkspace(ctx, "w", nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				if err := emitData(ctx, tx, ws.ID, EventPersonUpdated, map[string]any{"id": fmt.Sprintf("%d-%d", w, i)}); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				time.Sleep(time.Duration(rand.IntN(4)) * time.Millisecond)
				if i%5 == 4 {
					tx.Rollback() // a rolled-back transaction leaves no gap behind
					continue
				}
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var read []*Event
	cursor := int64(0)
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := st.Events(ctx, ws.ID, cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if e.Seq != cursor+1 {
				t.Fatalf("reader at %d got %d next: an event was skipped", cursor, e.Seq)
			}
			cursor = e.Seq
			read = append(read, e)
		}
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	committed := writers * (each - each/5)
	if len(read) != committed {
		t.Fatalf("reader saw %d events, %d were committed", len(read), committed)
	}
}

// TestFlushEventsTellsALoneWriter checks the signal the ingest uses to
// skip LinkUnlinked: a transaction's first event follows the number read
// at its start only if no other write of the workspace committed between.
func TestFlushEventsTellsALoneWriter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := New(db)
		ws, err := st.CreateWorkspace(ctx, "w", nil)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		store := func(tx *sql.Tx, key string) {
			t.Helper()
			if _, err := InsertMessages(ctx, tx, ws.ID, []*NewMessage{{Key: key, SentAt: day,
				Participants: []NewParticipant{{Role: "from", Email: "jane@acme.example"}}}}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name      string
			meanwhile func(t *testing.T) // commits between the transaction's start and its flush
			alone     bool
		}{
			{"nothing else", func(*testing.T) {}, true},
			{"a person created", func(t *testing.T) {
				if _, err := st.AddPerson(ctx, ws.ID, NewPerson{Emails: []string{"jane@acme.example"}, CreatedBy: CreatedByUser}); err != nil {
					t.Fatal(err)
				}
			}, false},
			{"another batch", func(t *testing.T) {
				if err := st.Tx(ctx, func(tx *sql.Tx) error { store(tx, "other@acme.example"); return nil }); err != nil {
					t.Fatal(err)
				}
			}, false},
		}
		for i, c := range cases {
			if !c.alone && db.Kind != database.Postgres {
				continue // SQLite runs one write transaction at a time
			}
			tx, err := st.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seq, err := EventSeq(ctx, tx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			store(tx, fmt.Sprintf("m%d@acme.example", i))
			c.meanwhile(t)
			first, err := FlushEvents(ctx, tx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := Commit(ctx, tx); err != nil {
				t.Fatal(err)
			}
			if got := first == seq+1; got != c.alone {
				t.Errorf("%s: counter %d at start, first event %d: alone %v, want %v", c.name, seq, first, got, c.alone)
			}
		}
	})
}

// TestUserLinkAfterALoneBatch is the case the lone-batch signal must not
// miss (PostgreSQL: SQLite runs one write transaction at a time): a batch
// stores an unlinked participant and numbers its events, so it ran alone
// and skips LinkUnlinked; meanwhile a user creates the person owning the
// address. The user's link waits for the batch to commit and then links
// the batch's participant.
func TestUserLinkAfterALoneBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		if db.Kind != database.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		st := New(db)
		ws, err := st.CreateWorkspace(ctx, "w", nil)
		if err != nil {
			t.Fatal(err)
		}
		batch, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seq, err := EventSeq(ctx, batch, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := InsertMessages(ctx, batch, ws.ID, []*NewMessage{{Key: "m1", SentAt: time.Now(),
			Participants: []NewParticipant{{Role: "from", Email: "jane@acme.example"}}}}); err != nil {
			t.Fatal(err)
		}
		first, err := FlushEvents(ctx, batch, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if first != seq+1 {
			t.Fatalf("the batch did not run alone: counter %d at start, first event %d", seq, first)
		}
		added := make(chan error, 1)
		go func() {
			_, err := st.AddPerson(ctx, ws.ID, NewPerson{Emails: []string{"jane@acme.example"}, CreatedBy: CreatedByUser})
			added <- err
		}()
		// Commit the batch only once the user's transaction waits on a lock:
		// without the wait, its link would run before the batch's
		// participant is visible, and the participant would stay unlinked.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var waiting int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			select {
			case err := <-added:
				t.Fatalf("the person was created without waiting for the batch (err %v)", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the user's transaction never waited")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := Commit(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		var unlinked int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM participants WHERE workspace_id = $1 AND person_id IS NULL`,
			ws.ID).Scan(&unlinked); err != nil {
			t.Fatal(err)
		}
		if unlinked != 0 {
			t.Errorf("%d participants left unlinked after a batch that ran alone and a person created meanwhile", unlinked)
		}
	})
}
