package graphsync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/graphsync"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// coreFixture is user1's Microsoft 365 mailbox, on the fake, in a
// workspace on ourco.example, synced by the real core.
type coreFixture struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	fake    *graphfake.Server
	ws      *store.Workspace
	account *store.Account
	syncer  *ingest.Syncer
}

func newCoreFixture(t *testing.T, db *database.DB) *coreFixture {
	t.Helper()
	ctx := context.Background()
	fake := graphfake.Start(t, address)
	fake.Authorize = func(token string) bool { return token == "access-token" }
	connect := func(ctx context.Context, _ *store.Account, secret string) (provider.Mailbox, error) {
		return graphsync.Open(ctx, graphsync.Config{BaseURL: fake.URL(), HTTPClient: client(secret, nil), PageSize: 10})
	}
	mb := ingesttest.Setup(t, db, store.NewAccount{Provider: "microsoft"}, "access-token", connect)
	mb.Syncer.BatchSize = 7
	return &coreFixture{t: t, ctx: ctx, st: mb.Store, fake: fake, ws: mb.Workspace, account: mb.Account, syncer: mb.Syncer}
}

func (f *coreFixture) sync() {
	f.t.Helper()
	if err := f.syncer.SyncAccount(f.ctx, f.account.ID); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

func (f *coreFixture) strings(query string, args ...any) []string {
	f.t.Helper()
	rows, err := f.st.DB.QueryContext(f.ctx, query, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (f *coreFixture) storedKeys() []string {
	return f.strings(`SELECT message_key FROM messages WHERE workspace_id = $1 ORDER BY message_key`, f.ws.ID)
}

func (f *coreFixture) counts() store.Counts {
	f.t.Helper()
	a, err := f.st.Account(f.ctx, f.ws.ID, f.account.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.Counts
}

// add puts a message with Message-ID id in folder.
func (f *coreFixture) add(folder, id, from, to string) string {
	raw := []byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: About %s\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n"+
		"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello.\r\n", from, to, id, id))
	return f.fake.Add(folder, raw)
}

func TestThroughTheSyncCore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newCoreFixture(t, db)
		f.fake.AddFolder("Inbox", "Projects")
		customer, user := "Jane Doe <jane.doe@acme-corp.com>", "User One <"+address+">"
		var want []string
		var inboxIDs []string
		for i := range 30 {
			key := fmt.Sprintf("in-%02d@acme-corp.com", i)
			inboxIDs = append(inboxIDs, f.add("inbox", key, customer, user))
			want = append(want, key)
		}
		for i := range 3 {
			key := fmt.Sprintf("proj-%d@acme-corp.com", i)
			f.add("Inbox/Projects", key, customer, user)
			want = append(want, key)
		}
		for i := range 2 {
			key := fmt.Sprintf("sent-%d@ourco.example", i)
			f.add("sentitems", key, user, customer)
			want = append(want, key)
		}
		f.add("inbox", "internal-1@ourco.example", "User Two <user2@ourco.example>", user) // skipped: internal
		f.add("drafts", "draft-1@ourco.example", user, customer)
		f.add("deleteditems", "trash-1@acme-corp.com", customer, user)
		f.add("junkemail", "junk-1@spam.example", "Winner <win@spam.example>", user)
		slices.Sort(want)

		// First import, stopped after a few batches, then resumed.
		ctx, cancel := context.WithCancel(f.ctx)
		f.syncer.OnProgress = func(p ingest.Progress) {
			if p.Imported >= 10 {
				cancel()
			}
		}
		if err := f.syncer.SyncAccount(ctx, f.account.ID); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted sync: %v", err)
		}
		if n := len(f.storedKeys()); n == 0 || n >= len(want) {
			t.Fatalf("%d messages stored by the interrupted import, want some of %d", n, len(want))
		}
		f.syncer.OnProgress = nil
		f.sync()
		if got := f.storedKeys(); !slices.Equal(got, want) {
			t.Fatalf("stored after resume (drafts, trash, junk and internal mail must not be):\n got %v\nwant %v", got, want)
		}
		if got, wantC := f.counts(), (store.Counts{Listed: 36, Imported: 35, Skipped: 1}); got != wantC {
			t.Fatalf("counts %+v, want %+v", got, wantC)
		}
		outgoing := f.strings(`SELECT message_key FROM folder_items WHERE direction = 'outgoing' ORDER BY message_key`)
		if !slices.Equal(outgoing, []string{"sent-0@ourco.example", "sent-1@ourco.example"}) {
			t.Fatalf("outgoing items %v, want the two sent ones", outgoing)
		}
		if paths := f.fake.WithoutImmutableID(); len(paths) > 0 {
			t.Fatalf("requests without immutable ids: %v", paths)
		}

		// A deletion on the server removes the message here.
		f.fake.Delete(inboxIDs[0])
		f.sync()
		if got := f.storedKeys(); len(got) != len(want)-1 || slices.Contains(got, "in-00@acme-corp.com") {
			t.Fatalf("after deletion stored %d: %v", len(got), got)
		}
		if got, wantC := f.counts(), (store.Counts{Listed: 35, Imported: 34, Skipped: 1}); got != wantC {
			t.Fatalf("counts after deletion %+v, want %+v", got, wantC)
		}

		// Lost delta state: a full re-list fetches no body again.
		f.fake.ExpireDeltaTokens()
		f.fake.Delete(inboxIDs[1]) // never reported as @removed: the listing finds it
		bodies := f.fake.Requests("$value")
		f.sync()
		if n := f.fake.Requests("$value") - bodies; n != 0 {
			t.Fatalf("re-list fetched %d bodies again", n)
		}
		if got, wantC := f.counts(), (store.Counts{Listed: 34, Imported: 33, Skipped: 1}); got != wantC {
			t.Fatalf("counts after re-list %+v, want %+v", got, wantC)
		}
		if n := len(f.storedKeys()); n != len(want)-2 {
			t.Fatalf("%d messages after re-list, want %d", n, len(want)-2)
		}
	})
}
