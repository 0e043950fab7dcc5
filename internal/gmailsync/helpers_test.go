package gmailsync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/gmailfake"
	"github.com/mailsync/mailsync/internal/gmailsync"
	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

const address = "user1@ourco.example"

// bearer adds an OAuth access token, as the oauth2 transport would.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// client is an authenticated, retrying client, as the caller of Open
// provides.
func client(token string, retry *httpretry.Transport) *http.Client {
	if retry == nil {
		retry = httpretry.New(http.DefaultTransport, 0)
		retry.BaseDelay = 10 * time.Millisecond
	}
	return &http.Client{Transport: bearer{token: token, base: retry}}
}

func open(t *testing.T, fake *gmailfake.Server) *gmailsync.Mailbox {
	t.Helper()
	// No client-side quota: tests of the quota say so.
	mb, err := gmailsync.Open(context.Background(), gmailsync.Config{BaseURL: fake.URL(), HTTPClient: client("tok", nil),
		UnitsPerSecond: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	return mb
}

// folderStore records what the core would store for one pseudo-folder:
// the items, the cursor and every batch, and checks each batch.
type folderStore struct {
	t      *testing.T
	folder string
	items  map[string]provider.Message
	cursor string
	// bodies counts the batches that delivered each id with a body.
	bodies  map[string]int
	batches []provider.Batch
	// failAt makes the apply of batch number failAt (1-based) fail.
	failAt int
}

var errStop = errors.New("stopped by the test")

func newStore(t *testing.T, folder string) *folderStore {
	return &folderStore{t: t, folder: folder, items: map[string]provider.Message{}, bodies: map[string]int{}}
}

func (s *folderStore) known(_ context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		if _, ok := s.items[id]; ok {
			out[id] = true
		}
	}
	return out, nil
}

func (s *folderStore) apply(_ context.Context, b provider.Batch) error {
	s.t.Helper()
	if s.failAt > 0 && len(s.batches)+1 == s.failAt {
		return errStop
	}
	s.batches = append(s.batches, b)
	if b.Listing == nil && !b.CountRecorded {
		s.t.Errorf("batch without a listing nor CountRecorded: %+v", b)
	}
	if b.Listing != nil && b.Listed != len(b.Listing) {
		s.t.Errorf("listing of %d ids says Listed %d", len(b.Listing), b.Listed)
	}
	for _, id := range b.Removed {
		delete(s.items, id)
	}
	if b.Listing != nil {
		for id := range s.items {
			if !slices.Contains(b.Listing, id) {
				delete(s.items, id)
			}
		}
	}
	for _, m := range b.Messages {
		if m.Raw == nil {
			old, ok := s.items[m.ID]
			if !ok {
				s.t.Errorf("flag update for %s, which is not recorded", m.ID)
			}
			old.Flags = m.Flags
			s.items[m.ID] = old
			continue
		}
		s.bodies[m.ID]++
		s.items[m.ID] = m
	}
	s.cursor = b.Cursor
	return nil
}

func (s *folderStore) sync(mb *gmailsync.Mailbox, batchSize int, refetch ...string) error {
	role := ""
	if s.folder != gmailsync.MailFolder {
		role = provider.RoleCategory
	}
	return mb.SyncFolder(context.Background(), provider.FolderRequest{
		Folder: provider.Folder{Name: s.folder, Role: role}, Cursor: s.cursor, BatchSize: batchSize,
		Known: s.known, Refetch: refetch,
	}, s.apply)
}

func (s *folderStore) mustSync(mb *gmailsync.Mailbox, batchSize int, refetch ...string) {
	s.t.Helper()
	if err := s.sync(mb, batchSize, refetch...); err != nil {
		s.t.Fatalf("sync %s: %v", s.folder, err)
	}
}

func (s *folderStore) ids() []string {
	var out []string
	for id := range s.items {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// wantIDs checks the recorded ids.
func (s *folderStore) wantIDs(want ...string) {
	s.t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := s.ids(); !slices.Equal(got, want) {
		s.t.Fatalf("%s holds %d ids, want %d\n got %v\nwant %v", s.folder, len(got), len(want), got, want)
	}
}

// wantNoDuplicates checks that no body was delivered twice.
func (s *folderStore) wantNoDuplicates() {
	s.t.Helper()
	for id, n := range s.bodies {
		if n > 1 {
			s.t.Fatalf("%s: body of %s delivered %d times", s.folder, id, n)
		}
	}
}

var clock = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// mail makes a message from a customer; refs name the messages it replies to.
func mail(id, subject string, refs ...string) []byte {
	clock = clock.Add(time.Minute)
	h := fmt.Sprintf("From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: User One <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n",
		address, subject, clock.Format(time.RFC1123Z), id)
	if len(refs) > 0 {
		h += fmt.Sprintf("In-Reply-To: <%s>\r\nReferences: <%s>\r\n", refs[len(refs)-1], joinRefs(refs))
	}
	return []byte(h + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\nthe figures.\r\n")
}

func joinRefs(refs []string) string {
	out := refs[0]
	for _, r := range refs[1:] {
		out += "> <" + r
	}
	return out
}

// addMany adds n messages with the given labels and returns their ids.
func addMany(fake *gmailfake.Server, prefix string, n int, labels ...string) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fake.Add(mail(fmt.Sprintf("%s-%d@acme-corp.com", prefix, i), fmt.Sprintf("Order %s-%d", prefix, i)), labels...)
	}
	return ids
}
