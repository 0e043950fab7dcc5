package imapsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/provider"
)

func dial(t testing.TB, s *dovecottest.Server, user string) *Mailbox {
	t.Helper()
	m, err := Dial(context.Background(), Config{
		Host: s.Host(), Port: s.Port(), Security: SecurityNone,
		Username: user, Password: s.Password(user),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestDial(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{TLS: true})
	trusted := &tls.Config{RootCAs: s.CACertPool()}
	closed := closedPort(t)

	tests := []struct {
		name    string
		cfg     Config
		wantErr error  // nil: login succeeds
		wantMsg string // in the error message
	}{
		{"plain", Config{Port: s.Port(), Security: SecurityNone, Password: "pass"}, nil, ""},
		{"tls", Config{Port: s.TLSPort(), Security: SecurityTLS, TLSConfig: trusted, Password: "pass"}, nil, ""},
		{"starttls", Config{Port: s.Port(), Security: SecurityStartTLS, TLSConfig: trusted, Password: "pass"}, nil, ""},
		{"wrong password", Config{Port: s.Port(), Security: SecurityNone, Password: "nope"},
			provider.ErrAuth, "wrong username or password"},
		{"wrong password over tls", Config{Port: s.TLSPort(), Security: SecurityTLS, TLSConfig: trusted, Password: "nope"},
			provider.ErrAuth, "wrong username or password"},
		{"closed port", Config{Port: closed, Security: SecurityNone, Password: "pass"},
			provider.ErrUnreachable, net.JoinHostPort(s.Host(), strconv.Itoa(closed))},
		{"untrusted certificate", Config{Port: s.TLSPort(), Security: SecurityTLS, Password: "pass"},
			provider.ErrUnreachable, "certificate"},
		{"tls to a plaintext port", Config{Port: s.Port(), Security: SecurityTLS, TLSConfig: trusted, Password: "pass",
			DialTimeout: 2 * time.Second}, provider.ErrUnreachable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Host, tt.cfg.Username = s.Host(), "user1"
			m, err := Dial(context.Background(), tt.cfg)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if _, err := m.Folders(context.Background()); err != nil {
					t.Errorf("Folders after login: %v", err)
				}
				if err := m.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Dial error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Dial error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestFolders(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	ctx := context.Background()
	for _, f := range []string{"Clients", "Clients/Acme", "Spam"} {
		if err := s.CreateFolder(ctx, "user1", f); err != nil {
			t.Fatal(err)
		}
	}
	folders, err := dial(t, s, "user1").Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string)
	for _, f := range folders {
		got[f.Name] = f.Role
	}
	want := map[string]string{
		"INBOX": provider.RoleInbox, "Drafts": provider.RoleDrafts, "Sent": provider.RoleSent,
		"Trash": provider.RoleTrash, "Archive": provider.RoleArchive, "Junk": provider.RoleJunk,
		"Clients": "", "Clients/Acme": "",
		"Spam": "", // \Junk is claimed by Junk: the name alone does not count
	}
	if len(got) != len(want) {
		t.Errorf("folders %v, want %v", got, want)
	}
	for name, role := range want {
		if r, ok := got[name]; !ok || r != role {
			t.Errorf("folder %q: role %q (listed: %v), want %q", name, r, ok, role)
		}
	}
}

func TestSyncFolder(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	ctx := context.Background()
	if err := s.Append(ctx, "user1", "INBOX", testMessages(1, 1200)...); err != nil {
		t.Fatal(err)
	}
	m := dial(t, s, "user1")
	inbox := provider.Folder{Name: "INBOX", Role: provider.RoleInbox}

	// Initial sync: 3 batches, every UID, increasing cursors.
	batches := syncAll(t, m, provider.FolderRequest{Folder: inbox, BatchSize: 500})
	if sizes := batchSizes(batches); !slices.Equal(sizes, []int{500, 500, 200}) {
		t.Fatalf("batch sizes %v, want [500 500 200]", sizes)
	}
	if got := batches[0].Listing; len(got) != 1200 || got[0] != "1" || got[1199] != "1200" || batches[0].Listed != 1200 {
		t.Errorf("listing of %d ids (Listed %d), want UIDs 1..1200", len(got), batches[0].Listed)
	}
	if batches[0].Reset || batches[1].Listing != nil {
		t.Errorf("first batch Reset %v, second batch listing %d ids: want false, none", batches[0].Reset, len(batches[1].Listing))
	}
	assertCursorsIncrease(t, batches)
	ids := messageIDs(batches)
	if len(ids) != 1200 || ids[0] != "1" || ids[1199] != "1200" {
		t.Fatalf("fetched %d messages, want UIDs 1..1200", len(ids))
	}
	for _, n := range []int{1, 2, 3, 600, 1200} {
		msg := batches[(n-1)/500].Messages[(n-1)%500]
		if !bytes.Equal(msg.Raw, testMessage(n)) {
			t.Errorf("UID %d: raw message differs from message %d", n, n)
		}
		if msg.InternalDate.IsZero() || slices.Contains(msg.Flags, `\Seen`) {
			t.Errorf("UID %d: internal date %v, flags %v", n, msg.InternalDate, msg.Flags)
		}
	}
	cur := batches[len(batches)-1].Cursor

	// Nothing changed: one empty batch with the same cursor and the
	// count, without a listing (STATUS showed nothing new); fetching with
	// BODY.PEEK set no \Seen (that would show as flag changes).
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur})
	if len(batches) != 1 || len(batches[0].Messages) != 0 || batches[0].Listing != nil || batches[0].Listed != 1200 ||
		batches[0].Cursor != cur {
		t.Fatalf("unchanged folder: %d batches, %d messages, listing of %d, Listed %d, cursor %q; want one empty batch "+
			"without listing, Listed 1200, cursor %q", len(batches), len(messageIDs(batches)), len(batches[0].Listing),
			batches[0].Listed, batches[len(batches)-1].Cursor, cur)
	}

	// New messages only: nothing was expunged, so no listing either.
	if err := s.Append(ctx, "user1", "INBOX", testMessages(1201, 1203)...); err != nil {
		t.Fatal(err)
	}
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur})
	if ids := messageIDs(batches); !slices.Equal(ids, []string{"1201", "1202", "1203"}) {
		t.Fatalf("after appending 3: fetched %v, want [1201 1202 1203]", ids)
	}
	if batches[0].Listing != nil || batches[0].Listed != 1203 {
		t.Errorf("after appending 3: listing of %d, Listed %d; want no listing, Listed 1203", len(batches[0].Listing), batches[0].Listed)
	}
	cur = batches[len(batches)-1].Cursor

	// Expunged messages leave the listing.
	if err := s.ExpungeMessageIDs(ctx, "user1", "INBOX", msgID(7), msgID(1202)); err != nil {
		t.Fatal(err)
	}
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur})
	listing := batches[0].Listing
	if len(listing) != 1201 || batches[0].Listed != 1201 || slices.Contains(listing, "7") || slices.Contains(listing, "1202") ||
		!slices.Contains(listing, "8") {
		t.Errorf("after expunging UIDs 7 and 1202: listing of %d (Listed %d), want 1201 without 7 and 1202", len(listing), batches[0].Listed)
	}
	if ids := messageIDs(batches); len(ids) != 0 {
		t.Errorf("after expunge: fetched %v, want nothing", ids)
	}
	cur = batches[len(batches)-1].Cursor

	// A flag change comes alone, without the message.
	if err := s.SetFlag(ctx, "user1", "INBOX", msgID(42), `\Flagged`); err != nil {
		t.Fatal(err)
	}
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur})
	msgs := allMessages(batches)
	if len(msgs) != 1 || msgs[0].ID != "42" || msgs[0].Raw != nil || !slices.Contains(msgs[0].Flags, `\Flagged`) {
		t.Fatalf("after flagging UID 42: got %+v, want one update of 42 with \\Flagged and no Raw", summarize(msgs))
	}
	cur = batches[len(batches)-1].Cursor
	if batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur}); len(allMessages(batches)) != 0 {
		t.Errorf("flag change sent twice: %v", summarize(allMessages(batches)))
	}

	// Refetch brings whole messages again, whatever the cursor.
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur, Refetch: []string{"5", "1201", "7", "junk"}})
	msgs = allMessages(batches)
	if len(msgs) != 2 || msgs[0].ID != "5" || !bytes.Equal(msgs[0].Raw, testMessage(5)) || msgs[1].ID != "1201" {
		t.Errorf("refetch 5, 1201 and expunged 7: got %v, want full messages 5 and 1201", summarize(msgs))
	}
	if got := batches[len(batches)-1].Cursor; got != cur {
		t.Errorf("refetch moved the cursor from %q to %q", cur, got)
	}

	// A new UIDVALIDITY resets the folder and fetches everything again.
	if err := s.ResetUIDValidity(ctx, "user1", "INBOX"); err != nil {
		t.Fatal(err)
	}
	batches = syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur, BatchSize: 1000})
	if !batches[0].Reset || len(batches[0].Listing) != 1201 {
		t.Fatalf("after UIDVALIDITY change: Reset %v, listing %d; want Reset and 1201 ids", batches[0].Reset, len(batches[0].Listing))
	}
	if ids := messageIDs(batches); len(ids) != 1201 || batches[1].Reset {
		t.Errorf("after UIDVALIDITY change: fetched %d messages (second batch Reset %v), want 1201 and one Reset", len(ids), batches[1].Reset)
	}
	if next := syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: batches[len(batches)-1].Cursor}); next[0].Reset {
		t.Error("the cursor after a reset resets again")
	}
}

func TestSyncFolderApplyErrorIsResumable(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	ctx := context.Background()
	if err := s.Append(ctx, "user2", "Archive", testMessages(1, 250)...); err != nil {
		t.Fatal(err)
	}
	m := dial(t, s, "user2")
	req := provider.FolderRequest{Folder: provider.Folder{Name: "Archive", Role: provider.RoleArchive}, BatchSize: 100}

	errDisk := errors.New("disk full")
	var applied []provider.Batch
	err := m.SyncFolder(ctx, req, func(ctx context.Context, b provider.Batch) error {
		if len(applied) == 1 {
			return errDisk
		}
		applied = append(applied, b)
		return nil
	})
	if !errors.Is(err, errDisk) || len(applied) != 1 {
		t.Fatalf("SyncFolder: %v after %d batches; want %v after 1", err, len(applied), errDisk)
	}

	// The session is still usable and resumes after the applied batch.
	req.Cursor = applied[0].Cursor
	batches := syncAll(t, m, req)
	ids := messageIDs(batches)
	if len(ids) != 150 || ids[0] != "101" || ids[149] != "250" {
		t.Errorf("resumed sync fetched %d messages (%v..), want UIDs 101..250", len(ids), ids[:min(len(ids), 1)])
	}
}

func TestSyncFolderCanceled(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	if err := s.Append(context.Background(), "user1", "INBOX", testMessages(1, 300)...); err != nil {
		t.Fatal(err)
	}
	m := dial(t, s, "user1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := m.SyncFolder(ctx, provider.FolderRequest{Folder: provider.Folder{Name: "INBOX"}, BatchSize: 50},
		func(context.Context, provider.Batch) error {
			cancel()
			return nil
		})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SyncFolder after cancel: %v, want context.Canceled", err)
	}
}

func TestIdle(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	m, err := Dial(context.Background(), Config{
		Host: s.Host(), Port: s.Port(), Security: SecurityNone, Username: "user3", Password: s.Password("user3"),
		IdleRefresh: 300 * time.Millisecond, // several IDLE restarts during the test
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 10)
	idleErr := make(chan error, 1)
	go func() {
		idleErr <- m.Idle(ctx, "INBOX", func() { changed <- struct{}{} })
	}()

	for i := 1; i <= 2; i++ {
		time.Sleep(700 * time.Millisecond) // IDLE is running (and was restarted)
		start := time.Now()
		if err := s.Append(context.Background(), "user3", "INBOX", testMessage(i)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changed:
			t.Logf("woke %v after append %d", time.Since(start), i)
		case err := <-idleErr:
			t.Fatalf("Idle returned %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no wake-up within 5s of append %d", i)
		}
	}
	cancel()
	select {
	case err := <-idleErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Idle returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Idle did not return after cancel")
	}
	// The session survives IDLE.
	batches := syncAll(t, m, provider.FolderRequest{Folder: provider.Folder{Name: "INBOX"}})
	if ids := messageIDs(batches); len(ids) != 2 {
		t.Errorf("sync after Idle: %v, want 2 messages", ids)
	}
}

// syncAll runs SyncFolder and returns its batches.
func syncAll(t *testing.T, m *Mailbox, req provider.FolderRequest) []provider.Batch {
	t.Helper()
	var batches []provider.Batch
	err := m.SyncFolder(context.Background(), req, func(_ context.Context, b provider.Batch) error {
		batches = append(batches, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) == 0 {
		t.Fatal("SyncFolder sent no batch, want at least one")
	}
	return batches
}

func allMessages(batches []provider.Batch) []provider.Message {
	var msgs []provider.Message
	for _, b := range batches {
		msgs = append(msgs, b.Messages...)
	}
	return msgs
}

func messageIDs(batches []provider.Batch) []string {
	var ids []string
	for _, m := range allMessages(batches) {
		ids = append(ids, m.ID)
	}
	return ids
}

func batchSizes(batches []provider.Batch) []int {
	var sizes []int
	for _, b := range batches {
		sizes = append(sizes, len(b.Messages))
	}
	return sizes
}

func summarize(msgs []provider.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID+" raw="+strconv.Itoa(len(m.Raw))+" flags="+strings.Join(m.Flags, ","))
	}
	return out
}

func assertCursorsIncrease(t *testing.T, batches []provider.Batch) {
	t.Helper()
	prev := cursor{}
	for i, b := range batches {
		c, err := parseCursor(b.Cursor)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if c.lastUID <= prev.lastUID {
			t.Errorf("batch %d cursor %q does not move past %q", i, b.Cursor, prev)
		}
		if want := b.Messages[len(b.Messages)-1].ID; strconv.Itoa(int(c.lastUID)) != want {
			t.Errorf("batch %d cursor %q, want last UID %s", i, b.Cursor, want)
		}
		prev = c
	}
}
