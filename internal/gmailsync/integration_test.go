package gmailsync_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/gmailfake"
	"github.com/mailsync/mailsync/internal/gmailsync"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// coreFixture is user1's Gmail mailbox on the fake, synced by the real
// core into a fresh database.
type coreFixture struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	fake    *gmailfake.Server
	account *store.Account
	syncer  *ingest.Syncer
}

func newCoreFixture(t *testing.T, db *database.DB) *coreFixture {
	t.Helper()
	ctx := context.Background()
	fake := gmailfake.Start(t, address)
	connect := func(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
		return gmailsync.Open(ctx, gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("access-for-"+secret, nil),
			UnitsPerSecond: 1e6})
	}
	mb := ingesttest.Setup(t, db, store.NewAccount{Provider: "gmail"}, "refresh-token", connect)
	mb.Syncer.BatchSize = 4
	return &coreFixture{t: t, ctx: ctx, st: mb.Store, fake: fake, account: mb.Account, syncer: mb.Syncer}
}

func (f *coreFixture) sync() {
	f.t.Helper()
	if err := f.syncer.SyncAccount(f.ctx, f.account.ID); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

func (f *coreFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.DB.QueryRowContext(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *coreFixture) wantCounts(want store.Counts) {
	f.t.Helper()
	a, err := f.st.AccountByID(f.ctx, f.account.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if a.Counts != want {
		f.t.Fatalf("counts %+v, want %+v", a.Counts, want)
	}
	if c := a.Counts; c.Listed != c.Imported+c.Skipped+c.Failed {
		f.t.Fatalf("counts do not add up: %+v", c)
	}
}

func (f *coreFixture) stored(key string) bool {
	f.t.Helper()
	return f.count(`SELECT COUNT(*) FROM messages WHERE message_key = $1`, key) == 1
}

func TestThroughTheCore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newCoreFixture(t, db)
		inbox := addMany(f.fake, "in", 10, "INBOX")
		f.fake.Add(mail("promo@shop.example", "50% off"), "INBOX", "CATEGORY_PROMOTIONS")
		f.fake.Add(mail("spam@spam.example", "You won"), "SPAM")
		root := f.fake.Add(mail("root@acme-corp.com", "Contract"))
		// Gmail threads these; their headers do not say so.
		f.fake.AddToThread(f.fake.ThreadID(root), mail("follow@acme-corp.com", "Contract, signed"))
		// Internal mail: listed, skipped by rule.
		f.fake.Add([]byte("From: user2@ourco.example\r\nTo: user1@ourco.example\r\nSubject: Lunch\r\n" +
			"Message-ID: <lunch@ourco.example>\r\nDate: Mon, 2 Mar 2026 12:00:00 +0000\r\n\r\nNoon?\r\n"))

		f.sync()
		f.wantCounts(store.Counts{Listed: 13, Imported: 12, Skipped: 1})
		if f.stored("promo@shop.example") || f.stored("spam@spam.example") {
			t.Fatal("a Promotions or Spam message was imported by default")
		}
		if !f.stored("in-0@acme-corp.com") || f.count(`SELECT COUNT(*) FROM messages`) != 12 {
			t.Fatalf("%d messages stored, want 12", f.count(`SELECT COUNT(*) FROM messages`))
		}
		if n := f.count(`SELECT COUNT(DISTINCT thread_id) FROM messages WHERE message_key IN ('root@acme-corp.com', 'follow@acme-corp.com')`); n != 1 {
			t.Fatalf("messages of one Gmail thread are in %d threads", n)
		}

		// Deletion and trash on the server remove the messages here.
		f.fake.Delete(inbox[0])
		f.fake.Label(inbox[1], []string{"TRASH"}, []string{"INBOX"})
		f.sync()
		if f.stored("in-0@acme-corp.com") || f.stored("in-1@acme-corp.com") {
			t.Fatal("deleted or trashed message still stored")
		}
		f.wantCounts(store.Counts{Listed: 11, Imported: 10, Skipped: 1})

		// An import stopped midway resumes without duplicates.
		more := addMany(f.fake, "more", 9, "INBOX")
		ctx, cancel := context.WithCancel(f.ctx)
		f.syncer.OnProgress = func(p ingest.Progress) {
			if p.Imported >= 4 {
				cancel()
			}
		}
		if err := f.syncer.SyncAccount(ctx, f.account.ID); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled sync returned %v", err)
		}
		f.syncer.OnProgress = nil
		f.sync()
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 19 {
			t.Fatalf("%d messages after the resumed import, want 19", n)
		}
		f.wantCounts(store.Counts{Listed: 20, Imported: 19, Skipped: 1})
		for _, id := range more {
			if n := f.fake.Fetches(id); n > 2 {
				t.Fatalf("%s fetched %d times", id, n)
			}
		}

		// An expired history re-lists: nothing duplicated, nothing refetched.
		f.fake.ExpireHistory()
		f.fake.ResetCounters()
		f.sync()
		if n := f.fake.Requests("messages.get"); n != 0 {
			t.Fatalf("%d bodies fetched again after the history expired", n)
		}
		f.wantCounts(store.Counts{Listed: 20, Imported: 19, Skipped: 1})
		if n := f.count(`SELECT COUNT(*) FROM folder_items`); n != 20 {
			t.Fatalf("%d folder items, want 20", n)
		}
	})
}
