package graphsync_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/graphsync"
	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

const address = "user1@ourco.example"

// bearer adds an access token, as the OAuth transport would.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// client is the client production code builds: token, retries, at most
// four requests in flight.
func client(token string, base http.RoundTripper) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: httpretry.New(bearer{token, base}, 4)}
}

func open(t testing.TB, fake *graphfake.Server, cfg graphsync.Config) *graphsync.Mailbox {
	t.Helper()
	cfg.BaseURL = fake.URL()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = client("token", nil)
	}
	mb, err := graphsync.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	return mb
}

// memFolder plays the sync core for one folder: it applies batches the
// way the store does and fails the test on a body handed over twice.
type memFolder struct {
	t       testing.TB
	name    string
	items   map[string]provider.Message
	cursor  string
	batches []provider.Batch
	// stopAfter, when positive, cancels the sync once that many batches
	// were applied, like a process stopped midway.
	stopAfter int
	cancel    context.CancelFunc
	// lag makes Known answer from the state before the last batch, as
	// the core does: it stores a batch while the next one is prepared.
	lag    bool
	lagged map[string]provider.Message
}

func newMem(t testing.TB, name string) *memFolder {
	return &memFolder{t: t, name: name, items: map[string]provider.Message{}}
}

func (f *memFolder) request(batchSize int) provider.FolderRequest {
	return provider.FolderRequest{
		Folder: provider.Folder{Name: f.name}, Cursor: f.cursor, BatchSize: batchSize,
		Known: func(_ context.Context, ids []string) (map[string]bool, error) {
			out := map[string]bool{}
			stored := f.items
			if f.lag {
				stored = f.lagged
			}
			for _, id := range ids {
				if _, ok := stored[id]; ok {
					out[id] = true
				}
			}
			return out, nil
		},
	}
}

func (f *memFolder) apply(_ context.Context, b provider.Batch) error {
	f.lagged = maps.Clone(f.items)
	f.batches = append(f.batches, b)
	if f.stopAfter > 0 && len(f.batches) >= f.stopAfter {
		f.cancel()
	}
	for _, id := range b.Removed {
		delete(f.items, id)
	}
	if b.Listing != nil {
		for id := range f.items {
			if !slices.Contains(b.Listing, id) {
				delete(f.items, id)
			}
		}
	}
	for _, m := range b.Messages {
		old, known := f.items[m.ID]
		switch {
		case m.Raw != nil && known:
			f.t.Errorf("%s: body of %s handed over again", f.name, m.ID)
		case m.Raw == nil && !known:
			f.t.Errorf("%s: flag update for unknown %s", f.name, m.ID)
		case m.Raw == nil:
			old.Flags = m.Flags
			m = old
		}
		f.items[m.ID] = m
	}
	f.cursor = b.Cursor
	return nil
}

// sync runs SyncFolder from the stored cursor and returns the batches it sent.
func (f *memFolder) sync(mb *graphsync.Mailbox, batchSize int) ([]provider.Batch, error) {
	n := len(f.batches)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.cancel = cancel
	err := mb.SyncFolder(ctx, f.request(batchSize), f.apply)
	return f.batches[n:], err
}

func (f *memFolder) mustSync(mb *graphsync.Mailbox, batchSize int) []provider.Batch {
	f.t.Helper()
	bs, err := f.sync(mb, batchSize)
	if err != nil {
		f.t.Fatalf("sync %s: %v", f.name, err)
	}
	return bs
}

func (f *memFolder) ids() []string {
	var ids []string
	for id := range f.items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// wantSame fails unless the folder holds exactly the server's messages,
// with their bytes.
func (f *memFolder) wantSame(fake *graphfake.Server, raws map[string][]byte) {
	f.t.Helper()
	want := fake.IDs(f.name)
	if got := f.ids(); !slices.Equal(got, want) {
		f.t.Fatalf("%s holds %d ids, server %d\n got %v\nwant %v", f.name, len(got), len(want), got, want)
	}
	for id, m := range f.items {
		if raw, ok := raws[id]; ok && !bytes.Equal(m.Raw, raw) {
			f.t.Fatalf("%s: message %s body differs", f.name, id)
		}
	}
}

// noBodyTwice fails if any $value was served more than once.
func noBodyTwice(t testing.TB, fake *graphfake.Server) {
	t.Helper()
	for id, n := range fake.BodyFetches() {
		if n > 1 {
			t.Fatalf("body of %s fetched %d times", id, n)
		}
	}
}

var clock = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rawMail makes a message; inReplyTo may be "".
func rawMail(id, from, subject, inReplyTo string) []byte {
	clock = clock.Add(time.Minute)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: User One <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n",
		from, address, subject, clock.Format(time.RFC1123Z), id)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, inReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\nthe figures are attached.\r\n")
	return b.Bytes()
}

// deliver adds n customer messages to folder and returns their bodies by id.
func deliver(fake *graphfake.Server, folder, prefix string, n int, opts ...graphfake.Option) map[string][]byte {
	out := map[string][]byte{}
	for i := range n {
		raw := rawMail(fmt.Sprintf("%s-%03d@acme-corp.com", prefix, i), "Jane Doe <jane.doe@acme-corp.com>",
			fmt.Sprintf("Order %s-%d", prefix, i), "")
		out[fake.Add(folder, raw, opts...)] = raw
	}
	return out
}
