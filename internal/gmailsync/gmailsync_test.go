package gmailsync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/gmailfake"
	"github.com/mailsync/mailsync/internal/gmailsync"
	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

func TestInFolder(t *testing.T) {
	tests := []struct {
		labels []string
		want   string // the one pseudo-folder holding it, "" for none
	}{
		{[]string{"INBOX", "UNREAD"}, "Mail"},
		{[]string{"SENT"}, "Mail"},
		{[]string{"Customers/Acme"}, "Mail"}, // archived with a user label
		{nil, "Mail"},                        // archived
		{[]string{"INBOX", "CATEGORY_PERSONAL"}, "Mail"},
		{[]string{"INBOX", "CATEGORY_PROMOTIONS"}, "Promotions"},
		{[]string{"CATEGORY_SOCIAL", "STARRED"}, "Social"},
		{[]string{"INBOX", "CATEGORY_UPDATES"}, "Updates"},
		{[]string{"INBOX", "CATEGORY_FORUMS"}, "Forums"},
		{[]string{"INBOX", "SPAM"}, ""},
		{[]string{"TRASH", "SENT"}, ""},
		{[]string{"DRAFT"}, ""},
		{[]string{"CATEGORY_PROMOTIONS", "TRASH"}, ""},
		{[]string{"CATEGORY_FORUMS", "SPAM"}, ""},
	}
	folders, err := (&gmailsync.Mailbox{}).Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		var in []string
		for _, f := range folders {
			if gmailsync.InFolder(f.Name, tt.labels) {
				in = append(in, f.Name)
			}
		}
		want := []string{}
		if tt.want != "" {
			want = []string{tt.want}
		}
		if !slices.Equal(append([]string{}, in...), want) {
			t.Errorf("labels %v are in %v, want %v", tt.labels, in, want)
		}
	}
}

func TestFolders(t *testing.T) {
	folders, _ := (&gmailsync.Mailbox{}).Folders(context.Background())
	var picked []string
	for _, f := range folders {
		if !f.SkippedByDefault() {
			picked = append(picked, f.Name)
		}
	}
	if !slices.Equal(picked, []string{"Mail"}) || len(folders) != 5 {
		t.Fatalf("folders %v, synced by default %v; want 5 with only Mail by default", folders, picked)
	}
}

func TestInitialListing(t *testing.T) {
	fake := gmailfake.Start(t, address)
	inbox := addMany(fake, "in", 130, "INBOX", "CATEGORY_PERSONAL")
	sent := addMany(fake, "sent", 2, "SENT")
	archived := addMany(fake, "arch", 1, "Customers")
	promo := addMany(fake, "promo", 3, "INBOX", "CATEGORY_PROMOTIONS")
	addMany(fake, "spam", 1, "SPAM")
	addMany(fake, "trash", 1, "TRASH")
	addMany(fake, "draft", 1, "DRAFT")
	addMany(fake, "spampromo", 1, "SPAM", "CATEGORY_PROMOTIONS")
	start := fake.HistoryID()
	mb := open(t, fake)

	mail := newStore(t, "Mail")
	mail.mustSync(mb, 40)
	mail.wantIDs(slices.Concat(inbox, sent, archived)...)
	mail.wantNoDuplicates()
	if want := fmt.Sprintf("history:%d", start); mail.cursor != want {
		t.Fatalf("cursor %q after the listing, want %q", mail.cursor, want)
	}
	for _, b := range mail.batches {
		if len(b.Messages) > 40 {
			t.Fatalf("batch of %d messages, want at most 40", len(b.Messages))
		}
	}
	last := mail.batches[len(mail.batches)-1]
	if len(last.Listing) != 133 || last.Listed != 133 {
		t.Fatalf("last batch lists %d ids (Listed %d), want 133", len(last.Listing), last.Listed)
	}
	m := mail.items[inbox[0]]
	if !strings.Contains(string(m.Raw), "Message-ID: <in-0@acme-corp.com>") || m.ThreadHint != fake.ThreadID(inbox[0]) ||
		!slices.Equal(m.Flags, []string{"INBOX", "CATEGORY_PERSONAL"}) || m.InternalDate.IsZero() {
		t.Fatalf("message converted badly: %+v", m)
	}

	promos := newStore(t, "Promotions")
	promos.mustSync(mb, 40)
	promos.wantIDs(promo...)
	if n := fake.MaxFetches(); n != 1 {
		t.Fatalf("a message was fetched %d times", n)
	}
	ids, err := mb.ListIDs(context.Background(), provider.Folder{Name: "Mail"})
	if err != nil || len(ids) != 133 {
		t.Fatalf("ListIDs: %d ids, %v; want 133", len(ids), err)
	}
}

func TestIncremental(t *testing.T) {
	fake := gmailfake.Start(t, address)
	inbox := addMany(fake, "in", 6, "INBOX")
	promo := addMany(fake, "promo", 2, "INBOX", "CATEGORY_PROMOTIONS")
	mb := open(t, fake)
	stores := map[string]*folderStore{}
	for _, f := range []string{"Mail", "Promotions", "Social"} {
		stores[f] = newStore(t, f)
		stores[f].mustSync(mb, 3)
	}

	added := addMany(fake, "new", 4, "INBOX")
	fake.Delete(inbox[0])
	fake.Label(inbox[1], []string{"TRASH"}, []string{"INBOX"})
	fake.Label(inbox[2], []string{"SPAM"}, nil)
	fake.Label(inbox[3], []string{"STARRED"}, nil)
	fake.Label(promo[0], nil, []string{"CATEGORY_PROMOTIONS"}) // moved to Primary
	fake.Label(inbox[4], []string{"CATEGORY_SOCIAL"}, nil)
	fake.Label(added[0], []string{"STARRED"}, nil) // added, then starred: one fetch
	fake.Delete(added[1])                          // added, then deleted: never fetched
	fake.Label(promo[1], []string{"UNREAD"}, nil)  // a change in a folder not its own
	fake.ResetCounters()

	for _, s := range stores {
		s.mustSync(mb, 3)
		s.wantNoDuplicates()
		if want := fmt.Sprintf("history:%d", fake.HistoryID()); s.cursor != want {
			t.Fatalf("%s cursor %q, want %q", s.folder, s.cursor, want)
		}
	}
	stores["Mail"].wantIDs(inbox[3], inbox[5], promo[0], added[0], added[2], added[3])
	stores["Promotions"].wantIDs(promo[1])
	stores["Social"].wantIDs(inbox[4])
	if f := stores["Mail"].items[inbox[3]].Flags; !slices.Contains(f, "STARRED") {
		t.Fatalf("starred message has flags %v", f)
	}
	if f := stores["Mail"].items[added[0]].Flags; !slices.Contains(f, "STARRED") {
		t.Fatalf("new starred message has flags %v", f)
	}
	if f := stores["Promotions"].items[promo[1]].Flags; !slices.Contains(f, "UNREAD") {
		t.Fatalf("flag change in Promotions not applied: %v", f)
	}
	if n := fake.Fetches(added[1]); n != 0 {
		t.Fatalf("a message deleted before the sync was fetched %d times", n)
	}
	// New bodies: 3 new messages in Mail, promo[0] entering Mail, inbox[4] entering Social.
	if n := fake.Requests("messages.get"); n != 5 {
		t.Fatalf("%d messages.get calls, want 5", n)
	}

	// Nothing changed: one history call per folder, an empty batch that
	// keeps the cursor.
	before := len(stores["Mail"].batches)
	stores["Mail"].mustSync(mb, 3)
	if b := stores["Mail"].batches[before:]; len(b) != 1 || len(b[0].Messages)+len(b[0].Removed) != 0 {
		t.Fatalf("sync without changes sent %+v", b)
	}
}

func TestExpiredHistoryRelistsWithoutDuplicates(t *testing.T) {
	fake := gmailfake.Start(t, address)
	old := addMany(fake, "old", 30, "INBOX")
	mb := open(t, fake)
	mail := newStore(t, "Mail")
	mail.mustSync(mb, 10)

	added := addMany(fake, "new", 3, "INBOX")
	fake.Delete(old[0])
	fake.Label(old[1], []string{"CATEGORY_PROMOTIONS"}, nil)
	fake.ExpireHistory()
	fake.ResetCounters()
	mail.mustSync(mb, 10)

	mail.wantIDs(slices.Concat(old[2:], added)...)
	mail.wantNoDuplicates()
	if fake.Requests("history.list") != 1 || fake.Requests("messages.get") != 3 {
		t.Fatalf("history.list %d, messages.get %d; want 1 and only the 3 new messages fetched",
			fake.Requests("history.list"), fake.Requests("messages.get"))
	}
	for _, id := range old[2:] {
		if fake.Fetches(id) != 0 {
			t.Fatalf("%s fetched again after the history expired", id)
		}
	}
	if want := fmt.Sprintf("history:%d", fake.HistoryID()); mail.cursor != want {
		t.Fatalf("cursor %q, want %q", mail.cursor, want)
	}
}

// A listing stopped midway (crash between batches) resumes from its page
// token: nothing fetched twice, nothing lost, deletions found by the
// final listing, changes made meanwhile found by the history.
func TestResumeMidListing(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rejectTokens bool
		// messages.list calls: 2 before the stop; then pages 2 and 3 and a
		// 3-page ids pass when resumed, or a refused page 2 and 3 pages
		// when listed again.
		wantLists int
	}{{"stored page token", false, 7}, {"page token rejected", true, 6}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := gmailfake.Start(t, address)
			ids := addMany(fake, "m", 1100, "INBOX") // three pages of 500
			mb := open(t, fake)
			mail := newStore(t, "Mail")
			mail.failAt = 8 // 100 per batch: stopped inside the second page
			if err := mail.sync(mb, 100); !errors.Is(err, errStop) {
				t.Fatalf("sync returned %v, want the apply error", err)
			}
			if !strings.HasPrefix(mail.cursor, "full:") || strings.HasSuffix(mail.cursor, ":") {
				t.Fatalf("cursor %q after a stop in page 2, want a full listing with a page token", mail.cursor)
			}
			if tc.rejectTokens {
				fake.InvalidatePageTokens()
			}
			fake.Delete(ids[1099]) // listed in page 1 (newest first), fetched
			fake.Delete(ids[0])    // in page 3, not fetched yet
			late := fake.Add(mail0("late@acme-corp.com"))
			mail.failAt = 0
			mail.mustSync(mb, 100)
			mail.mustSync(mb, 100) // the history since the listing began
			mail.wantIDs(append(slices.Clone(ids[1:1099]), late)...)
			mail.wantNoDuplicates()
			if n := fake.Requests("messages.list"); n != tc.wantLists {
				t.Fatalf("%d messages.list calls, want %d", n, tc.wantLists)
			}
			// Only the batch that failed to apply was fetched twice.
			twice := 0
			for _, id := range ids {
				if fake.Fetches(id) > 1 {
					twice++
				}
			}
			if twice > 100 {
				t.Fatalf("%d messages fetched twice, want at most the 100 of the failed batch", twice)
			}
		})
	}
}

func mail0(id string) []byte { return mail(id, "Late") }

func TestRefetch(t *testing.T) {
	fake := gmailfake.Start(t, address)
	ids := addMany(fake, "m", 3, "INBOX")
	mb := open(t, fake)
	mail := newStore(t, "Mail")
	mail.mustSync(mb, 10)
	cursor := mail.cursor
	fake.Delete(ids[1])
	mail.mustSync(mb, 10, ids[0], ids[1])
	mail.wantIDs(ids[0], ids[2])
	if mail.bodies[ids[0]] != 2 {
		t.Fatalf("refetched message delivered %d times, want 2", mail.bodies[ids[0]])
	}
	if mail.batches[1].Cursor != cursor {
		t.Fatalf("refetch batch moved the cursor to %q", mail.batches[1].Cursor)
	}
}

func TestThreadHint(t *testing.T) {
	fake := gmailfake.Start(t, address)
	root := fake.Add(mail("root@acme-corp.com", "Contract"))
	reply := fake.Add(mail("reply@ourco.example", "Re: Contract", "root@acme-corp.com"), "SENT")
	other := fake.Add(mail("other@acme-corp.com", "Other"))
	mb := open(t, fake)
	mail := newStore(t, "Mail")
	mail.mustSync(mb, 10)
	h := func(id string) string { return mail.items[id].ThreadHint }
	if h(root) == "" || h(root) != h(reply) || h(root) == h(other) {
		t.Fatalf("thread hints root %q reply %q other %q", h(root), h(reply), h(other))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	fake := gmailfake.Start(t, address)
	ids := addMany(fake, "m", 5, "INBOX")
	var mu sync.Mutex
	var waits []time.Duration
	retry := httpretry.New(http.DefaultTransport, 0)
	retry.OnRetry = func(status int, wait time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if status == http.StatusTooManyRequests {
			waits = append(waits, wait)
		}
	}
	fake.Throttle(2, time.Second)
	began := time.Now()
	mb, err := gmailsync.Open(context.Background(), gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("tok", retry)})
	if err != nil {
		t.Fatal(err)
	}
	mail := newStore(t, "Mail")
	mail.mustSync(mb, 10)
	mail.wantIDs(ids...)
	if !slices.Equal(waits, []time.Duration{time.Second, time.Second}) || time.Since(began) < 2*time.Second {
		t.Fatalf("waits %v in %v, want two waits of the Retry-After second", waits, time.Since(began))
	}
}

func TestAuthErrors(t *testing.T) {
	fake := gmailfake.Start(t, address)
	addMany(fake, "m", 3, "INBOX")
	fake.Authorize = func(token string) bool { return token == "good" }
	ctx := context.Background()
	_, err := gmailsync.Open(ctx, gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("revoked", nil)})
	if !errors.Is(err, provider.ErrAuth) {
		t.Fatalf("Open with a refused token: %v, want ErrAuth", err)
	}
	mb, err := gmailsync.Open(ctx, gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("good", nil)})
	if err != nil {
		t.Fatal(err)
	}
	fake.Authorize = func(string) bool { return false } // revoked while syncing
	if err := newStore(t, "Mail").sync(mb, 10); !errors.Is(err, provider.ErrAuth) {
		t.Fatalf("sync after revocation: %v, want ErrAuth", err)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/"
	srv.Close()
	_, err := gmailsync.Open(context.Background(), gmailsync.Config{BaseURL: url, HTTPClient: &http.Client{}})
	if !errors.Is(err, provider.ErrUnreachable) || errors.Is(err, provider.ErrAuth) {
		t.Fatalf("Open on a closed port: %v, want ErrUnreachable", err)
	}
}

func TestIdentity(t *testing.T) {
	fake := gmailfake.Start(t, "User1@OurCo.example")
	fake.SetAliases("Sales@ourco.example", "user1@ourco.example", "u1@ourco-alias.example")
	mb := open(t, fake)
	addr, aliases, err := mb.Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if addr != address || !slices.Equal(aliases, []string{"sales@ourco.example", "u1@ourco-alias.example"}) {
		t.Fatalf("identity %q %v", addr, aliases)
	}
}

func TestBadCursor(t *testing.T) {
	fake := gmailfake.Start(t, address)
	mb := open(t, fake)
	for _, c := range []string{"history:", "history:abc", "full:0:x", "delta:12", "history:12:tok"} {
		err := mb.SyncFolder(context.Background(), provider.FolderRequest{Folder: provider.Folder{Name: "Mail"}, Cursor: c},
			func(context.Context, provider.Batch) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "bad cursor") {
			t.Errorf("cursor %q: %v, want a bad cursor error", c, err)
		}
	}
}

// TestQuota imports 150 messages against the fake with Gmail's quota
// enforced: the limiter keeps the sync under it, so no request is
// refused, and the rate is what 250 units per second allow.
func TestQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 3 seconds")
	}
	fake := gmailfake.Start(t, address)
	const n = 150
	ids := addMany(fake, "m", n, "INBOX")
	fake.EnforceQuota = true
	var throttled int
	var mu sync.Mutex
	retry := httpretry.New(http.DefaultTransport, 0)
	retry.OnRetry = func(status int, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		throttled++
	}
	began := time.Now()
	mb, err := gmailsync.Open(context.Background(), gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("tok", retry)})
	if err != nil {
		t.Fatal(err)
	}
	mail := newStore(t, "Mail")
	mail.mustSync(mb, 100)
	elapsed := time.Since(began)
	mail.wantIDs(ids...)
	// 150 gets at 5 units, 2 lists at 5, 2 profile reads: 762 units,
	// 25 of them in the limiter's burst: at least 2.9 s at 250 units/s.
	if min := 2900 * time.Millisecond; elapsed < min {
		t.Fatalf("%d messages in %v: faster than the quota allows (%v)", n, elapsed, min)
	}
	if throttled > 0 {
		t.Fatalf("%d requests throttled, want the limiter to stay under the quota", throttled)
	}
	t.Logf("%d messages in %v (%.1f messages/s), %d throttled", n, elapsed.Round(time.Millisecond),
		n/elapsed.Seconds(), throttled)
}
