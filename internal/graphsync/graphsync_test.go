package graphsync_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/graphsync"
	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

func TestFoldersAndRoles(t *testing.T) {
	fake := graphfake.Start(t, address)
	fake.AddFolder("Inbox", "Projects")
	fake.AddFolder("Inbox/Projects", "2026")
	fake.AddFolder("", "Customers")
	fake.AddHiddenFolder("", "Hidden Stuff")
	fake.AddFolder("deleteditems", "Old Projects")
	fake.AddFolder("syncissues", "More Issues")
	mb := open(t, fake, graphsync.Config{})

	got, err := mb.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Folder{
		{Name: "Inbox", Role: provider.RoleInbox},
		{Name: "Inbox/Projects"},
		{Name: "Inbox/Projects/2026"},
		{Name: "Sent Items", Role: provider.RoleSent},
		{Name: "Drafts", Role: provider.RoleDrafts},
		{Name: "Deleted Items", Role: provider.RoleTrash},
		{Name: "Deleted Items/Old Projects", Role: provider.RoleTrash},
		{Name: "Junk Email", Role: provider.RoleJunk},
		{Name: "Archive", Role: provider.RoleArchive},
		{Name: "Customers"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("folders\n got %v\nwant %v", got, want)
	}

	// A nested user folder syncs by its path.
	raws := deliver(fake, "Inbox/Projects/2026", "nested", 3)
	f := newMem(t, "Inbox/Projects/2026")
	f.mustSync(mb, 0)
	f.wantSame(fake, raws)
}

func TestInitialSync(t *testing.T) {
	fake := graphfake.Start(t, address)
	raws := deliver(fake, "inbox", "in", 22)
	first := rawMail("thread-1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "Renewal", "")
	reply := rawMail("thread-2@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "Re: Renewal", "thread-1@acme-corp.com")
	readID := fake.Add("inbox", first, graphfake.Read())
	flaggedID := fake.Add("inbox", reply, graphfake.Flagged())
	raws[readID], raws[flaggedID] = first, reply
	mb := open(t, fake, graphsync.Config{PageSize: 10})

	f := newMem(t, "Inbox")
	batches := f.mustSync(mb, 7)
	f.wantSame(fake, raws)
	noBodyTwice(t, fake)
	if n := fake.Requests("$value"); n != 24 {
		t.Errorf("%d bodies fetched, want 24", n)
	}
	for i, b := range batches {
		if len(b.Messages) > 7 || !b.CountRecorded {
			t.Errorf("batch %d: %d messages, CountRecorded %v", i, len(b.Messages), b.CountRecorded)
		}
		if last := i == len(batches)-1; (b.Listing != nil) != last {
			t.Errorf("batch %d: Listing %v; want one only in the last batch", i, b.Listing)
		}
	}
	if last := batches[len(batches)-1]; len(last.Listing) != 24 || !strings.HasPrefix(last.Cursor, "delta:"+fake.URL()) {
		t.Errorf("last batch lists %d ids with cursor %q", len(last.Listing), last.Cursor)
	}
	if got := f.items[readID].Flags; !slices.Equal(got, []string{`\Seen`}) {
		t.Errorf("read message flags %v", got)
	}
	if got := f.items[flaggedID].Flags; !slices.Equal(got, []string{`\Flagged`}) {
		t.Errorf("flagged message flags %v", got)
	}
	if a, b := f.items[readID].ThreadHint, f.items[flaggedID].ThreadHint; a == "" || a != b {
		t.Errorf("thread hints %q and %q: want the reply in its parent's conversation", a, b)
	}
	if got := f.items[readID].InternalDate; got.IsZero() || got.Location() != time.UTC {
		t.Errorf("internal date %v", got)
	}
	if paths := fake.WithoutImmutableID(); len(paths) > 0 {
		t.Errorf("requests without Prefer IdType=ImmutableId: %v", paths)
	}
	if n := fake.Requests("delta"); n != 3 {
		t.Errorf("%d delta pages for 24 messages by 10, want 3", n)
	}
}

func TestIncremental(t *testing.T) {
	fake := graphfake.Start(t, address)
	fake.AddFolder("inbox", "Projects")
	raws := deliver(fake, "inbox", "in", 6)
	ids := fake.IDs("inbox")
	mb := open(t, fake, graphsync.Config{PageSize: 4})
	inbox, projects := newMem(t, "Inbox"), newMem(t, "Inbox/Projects")
	inbox.mustSync(mb, 0)
	projects.mustSync(mb, 0)

	for k, v := range deliver(fake, "inbox", "new", 2) {
		raws[k] = v
	}
	fake.MarkRead(ids[0], true)
	fake.SetFlagged(ids[1], true)
	fake.Delete(ids[2])
	fake.Move(ids[3], "Inbox/Projects")
	before := fake.Requests("$value")

	batches := inbox.mustSync(mb, 0)
	pbatches := projects.mustSync(mb, 0)
	inbox.wantSame(fake, raws)
	projects.wantSame(fake, raws)

	// Two new in Inbox, one moved into Projects; flag changes fetch nothing.
	if n := fake.Requests("$value") - before; n != 3 {
		t.Errorf("%d bodies fetched by the incremental sync, want 3", n)
	}
	if got := inbox.items[ids[0]].Flags; !slices.Equal(got, []string{`\Seen`}) {
		t.Errorf("flags after MarkRead: %v", got)
	}
	if got := inbox.items[ids[1]].Flags; !slices.Equal(got, []string{`\Flagged`}) {
		t.Errorf("flags after flagging: %v", got)
	}
	var removed []string
	for _, b := range append(batches, pbatches...) {
		if b.Listing != nil {
			t.Errorf("incremental batch with a Listing")
		}
		removed = append(removed, b.Removed...)
		for _, m := range b.Messages {
			if m.ID == ids[0] && m.Raw != nil {
				t.Errorf("a read-flag change came with a body")
			}
		}
	}
	slices.Sort(removed)
	if want := []string{ids[2], ids[3]}; !slices.Equal(removed, sortedCopy(want)) {
		t.Errorf("removed %v, want the deleted and the moved message %v", removed, want)
	}
	if _, ok := projects.items[ids[3]]; !ok {
		t.Errorf("moved message not in Projects (immutable id kept)")
	}

	// Nothing changed: one empty batch with the next delta link.
	batches = inbox.mustSync(mb, 0)
	if len(batches) != 1 || len(batches[0].Messages)+len(batches[0].Removed) != 0 || !strings.HasPrefix(batches[0].Cursor, "delta:") {
		t.Errorf("sync without changes sent %+v", batches)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestRejectedDeltaLinkRelistsWithoutDuplicates(t *testing.T) {
	tests := []struct {
		name   string
		cursor func(fake *graphfake.Server, stored string) string
	}{
		{"expired (410 SyncStateNotFound)", func(fake *graphfake.Server, stored string) string {
			fake.ExpireDeltaTokens()
			return stored
		}},
		{"invalid token (400)", func(fake *graphfake.Server, _ string) string {
			return "delta:" + fake.URL() + "/me/mailFolders/" + fake.FolderID("inbox") + "/messages/delta?$deltatoken=garbage"
		}},
		{"link to another host", func(fake *graphfake.Server, stored string) string {
			return strings.Replace(stored, fake.URL(), "https://graph.example.invalid/v1.0", 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := graphfake.Start(t, address)
			raws := deliver(fake, "inbox", "in", 15)
			ids := fake.IDs("inbox")
			mb := open(t, fake, graphsync.Config{PageSize: 4})
			f := newMem(t, "Inbox")
			f.mustSync(mb, 5)

			for k, v := range deliver(fake, "inbox", "late", 3) {
				raws[k] = v
			}
			fake.Delete(ids[4])
			fake.MarkRead(ids[5], true)
			f.cursor = tt.cursor(fake, f.cursor)

			batches := f.mustSync(mb, 5)
			f.wantSame(fake, raws)
			noBodyTwice(t, fake)
			if n := fake.Requests("$value"); n != 18 {
				t.Errorf("%d bodies fetched in all, want 15 + 3", n)
			}
			if got := f.items[ids[5]].Flags; !slices.Equal(got, []string{`\Seen`}) {
				t.Errorf("flags after re-list %v", got)
			}
			if last := batches[len(batches)-1]; last.Listing == nil || !strings.HasPrefix(last.Cursor, "delta:"+fake.URL()) {
				t.Errorf("re-list did not end with a Listing and a delta link: %+v", last)
			}
		})
	}
}

func TestResumeFromNextLink(t *testing.T) {
	fake := graphfake.Start(t, address)
	raws := deliver(fake, "inbox", "in", 30)
	mb := open(t, fake, graphsync.Config{PageSize: 10})
	f := newMem(t, "Inbox")
	f.stopAfter = 4 // two pages of two batches each

	if _, err := f.sync(mb, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted sync: %v", err)
	}
	if len(f.items) != 20 || !strings.HasPrefix(f.cursor, "full:"+fake.URL()) || !strings.Contains(f.cursor, "skiptoken") {
		t.Fatalf("after interruption %d messages, cursor %q; want 20 and the third page's next link", len(f.items), f.cursor)
	}
	pages := fake.Requests("delta")

	f.stopAfter = 0
	f.mustSync(mb, 5)
	f.wantSame(fake, raws)
	noBodyTwice(t, fake)
	if n := fake.Requests("delta") - pages; n != 1 {
		t.Errorf("resumed sync read %d delta pages, want only the third", n)
	}
}

func TestResumeMidPageDuplicatesNothing(t *testing.T) {
	fake := graphfake.Start(t, address)
	raws := deliver(fake, "inbox", "in", 12)
	mb := open(t, fake, graphsync.Config{PageSize: 12})
	f := newMem(t, "Inbox")
	f.stopAfter = 1 // one of the page's three batches

	if _, err := f.sync(mb, 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted sync: %v", err)
	}
	f.stopAfter = 0
	f.mustSync(mb, 4)
	f.wantSame(fake, raws)
	noBodyTwice(t, fake)
	// The page is read again, but the four stored bodies are not.
	if n := fake.Requests("$value"); n != 12 {
		t.Errorf("%d bodies fetched for 12 messages", n)
	}
	for _, b := range f.batches {
		for _, m := range b.Messages {
			if m.Raw == nil && !slices.Contains(f.ids(), m.ID) {
				t.Errorf("flag update for a message never stored")
			}
		}
	}
}

func TestDeletedBeforeBodyIsRemoved(t *testing.T) {
	fake := graphfake.Start(t, address)
	raws := deliver(fake, "inbox", "in", 5)
	victim := fake.IDs("inbox")[2]
	// The message goes away between the delta page and its $value.
	deleting := roundTrip(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Path, victim) && strings.HasSuffix(r.URL.Path, "/$value") {
			fake.Delete(victim)
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	mb := open(t, fake, graphsync.Config{HTTPClient: client("token", deleting)})
	f := newMem(t, "Inbox")
	batches := f.mustSync(mb, 0)
	delete(raws, victim)
	f.wantSame(fake, raws)
	if !slices.Contains(batches[0].Removed, victim) {
		t.Errorf("deleted message not in Removed: %+v", batches[0].Removed)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRefetchAndListIDs(t *testing.T) {
	fake := graphfake.Start(t, address)
	raws := deliver(fake, "inbox", "in", 5)
	ids := fake.IDs("inbox")
	mb := open(t, fake, graphsync.Config{})
	f := newMem(t, "Inbox")
	f.mustSync(mb, 0)

	delete(f.items, ids[1]) // as if a rule had dropped it, to be fetched again
	req := f.request(0)
	req.Refetch = []string{ids[1]}
	if err := mb.SyncFolder(context.Background(), req, f.apply); err != nil {
		t.Fatal(err)
	}
	f.wantSame(fake, raws)
	if n := fake.BodyFetches()[ids[1]]; n != 2 {
		t.Errorf("refetched message's body fetched %d times, want 2", n)
	}

	// Refetched and changed: the delta reports it after the refetch
	// batch, which a core storing one batch behind may not have stored.
	f.lag = true
	delete(f.items, ids[2])
	fake.MarkRead(ids[2], true)
	req = f.request(0)
	req.Refetch = []string{ids[2]}
	if err := mb.SyncFolder(context.Background(), req, f.apply); err != nil {
		t.Fatal(err)
	}
	if n := fake.BodyFetches()[ids[2]]; n != 2 {
		t.Errorf("refetched and changed message's body fetched %d times, want 2", n)
	}
	if got := f.items[ids[2]].Flags; !slices.Equal(got, []string{`\Seen`}) {
		t.Errorf("flags after refetch and change: %v", got)
	}

	got, err := mb.ListIDs(context.Background(), provider.Folder{Name: "Inbox"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(got); !slices.Equal(got, ids) {
		t.Errorf("ListIDs = %v, want %v", got, ids)
	}
}

func TestThrottling(t *testing.T) {
	t.Run("Retry-After honoured", func(t *testing.T) {
		fake := graphfake.Start(t, address)
		raws := deliver(fake, "inbox", "in", 3)
		mb := open(t, fake, graphsync.Config{})
		fake.Throttle(2, time.Second)
		start := time.Now()
		f := newMem(t, "Inbox")
		f.mustSync(mb, 0)
		f.wantSame(fake, raws)
		if byThrottle, _ := fake.Throttled(); byThrottle != 2 {
			t.Errorf("%d throttled answers, want 2", byThrottle)
		}
		if elapsed := time.Since(start); elapsed < 2*time.Second {
			t.Errorf("sync took %v; two Retry-After: 1 must take 2s", elapsed)
		}
	})

	tests := []struct {
		name      string
		inFlight  int // the client's bound; 0: none
		wantLimit bool
	}{
		{"client bounded to 4", 4, false},
		{"unbounded client hits MailboxConcurrency", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := graphfake.Start(t, address)
			fake.SetLatency(20 * time.Millisecond)
			raws := deliver(fake, "inbox", "in", 40)
			hc := &http.Client{Transport: httpretry.New(bearer{"token", http.DefaultTransport}, tt.inFlight)}
			mb := open(t, fake, graphsync.Config{HTTPClient: hc, Concurrency: 8})
			f := newMem(t, "Inbox")
			f.mustSync(mb, 0)
			f.wantSame(fake, raws)
			_, refused := fake.Throttled()
			if (refused > 0) != tt.wantLimit {
				t.Errorf("%d requests refused by the concurrency limit (peak %d in flight)", refused, fake.PeakInFlight())
			}
			if peak := fake.PeakInFlight(); peak > graphfake.DefaultConcurrency {
				t.Errorf("peak %d requests served at once, over the limit", peak)
			}
		})
	}
}

func TestAuthAndIdentity(t *testing.T) {
	fake := graphfake.Start(t, address)
	fake.Authorize = func(token string) bool { return token == "good" }
	ctx := context.Background()

	_, err := graphsync.Open(ctx, graphsync.Config{BaseURL: fake.URL(), HTTPClient: client("revoked", nil)})
	if !errors.Is(err, provider.ErrAuth) {
		t.Fatalf("Open with a bad token: %v, want ErrAuth", err)
	}
	mb, err := graphsync.Open(ctx, graphsync.Config{BaseURL: fake.URL(), HTTPClient: client("good", nil)})
	if err != nil {
		t.Fatal(err)
	}
	fake.Authorize = func(string) bool { return false } // revoked mid-session
	if _, err := mb.Folders(ctx); !errors.Is(err, provider.ErrAuth) {
		t.Fatalf("Folders after revocation: %v, want ErrAuth", err)
	}
	fake.Authorize = nil

	tests := []struct{ mail, upn, want string }{
		{"User1@OurCo.example", "user1@ourco.onmicrosoft.com", "user1@ourco.example"},
		{"", "User1@OurCo.example", "user1@ourco.example"},
	}
	for _, tt := range tests {
		fake.SetProfile("User One", tt.mail, tt.upn)
		addr, aliases, err := mb.Identity(ctx)
		if err != nil || addr != tt.want || len(aliases) != 0 {
			t.Errorf("Identity with mail %q, upn %q = %q, %v, %v; want %q", tt.mail, tt.upn, addr, aliases, err, tt.want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	fake := graphfake.Start(t, address)
	fake.Close() // its port now refuses connections
	hc := &http.Client{Transport: bearer{"token", http.DefaultTransport}}
	_, err := graphsync.Open(context.Background(), graphsync.Config{BaseURL: fake.URL(), HTTPClient: hc})
	if !errors.Is(err, provider.ErrUnreachable) {
		t.Fatalf("Open on a closed port: %v, want ErrUnreachable", err)
	}
}
