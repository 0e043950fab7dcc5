package imapsync

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/provider"
)

// TestSyncFolderFastPaths pins what the cursor's count and UIDNEXT let a
// sync skip, and that every change still gets through. Each sync runs in
// a session of its own, as mailsync's syncs do, and the IMAP commands it
// sent are checked on the wire.
func TestSyncFolderFastPaths(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	ctx := context.Background()
	if err := s.Append(ctx, "user1", "INBOX", testMessages(1, 50)...); err != nil {
		t.Fatal(err)
	}
	inbox := provider.Folder{Name: "INBOX", Role: provider.RoleInbox}
	cur := ""
	// sync runs one SyncFolder from cur in a new session; it returns the
	// batches and the commands sent after LOGIN, and moves cur.
	sync := func(t *testing.T, refetch ...string) ([]provider.Batch, []string) {
		t.Helper()
		var trace bytes.Buffer
		m, err := Dial(ctx, Config{Host: s.Host(), Port: s.Port(), Security: SecurityNone,
			Username: "user1", Password: s.Password("user1"), Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		trace.Reset()
		batches := syncAll(t, m, provider.FolderRequest{Folder: inbox, Cursor: cur, Refetch: refetch})
		cur = batches[len(batches)-1].Cursor
		return batches, commands(trace.String())
	}
	batches, _ := sync(t)
	if len(batches[0].Listing) != 50 || len(messageIDs(batches)) != 50 {
		t.Fatalf("first sync: listing of %d, %d messages; want 50 and 50", len(batches[0].Listing), len(messageIDs(batches)))
	}

	tests := []struct {
		name   string
		change func() error
		// what the sync must bring
		listing  bool // a full listing (an expunge to find)
		fetched  []string
		fetchedN int      // how many were fetched, when fetched is not set
		flagged  []string // flag-only updates
		listed   int      // messages in the folder
		commands []string // exactly these commands, when set
	}{
		{name: "nothing changed: STATUS only", change: func() error { return nil },
			listed: 50, commands: []string{"STATUS"}},
		{name: "new mail: no listing", change: func() error { return s.Append(ctx, "user1", "INBOX", testMessages(51, 52)...) },
			fetched: []string{"51", "52"}, listed: 52, commands: []string{"STATUS", "EXAMINE", "UID FETCH", "UID FETCH", "UID FETCH"}}, // sizes, flags, bodies
		{name: "flag change", change: func() error { return s.SetFlag(ctx, "user1", "INBOX", msgID(3), `\Flagged`) },
			flagged: []string{"3"}, listed: 52},
		{name: "expunge", change: func() error { return s.ExpungeMessageIDs(ctx, "user1", "INBOX", msgID(10)) },
			listing: true, listed: 51},
		{name: "expunge of the newest message", change: func() error { return s.ExpungeMessageIDs(ctx, "user1", "INBOX", msgID(52)) },
			listing: true, listed: 50},
		{name: "one expunged and one new: same number of messages", change: func() error {
			if err := s.ExpungeMessageIDs(ctx, "user1", "INBOX", msgID(20)); err != nil {
				return err
			}
			return s.Append(ctx, "user1", "INBOX", testMessage(53))
		}, listing: true, fetched: []string{"53"}, listed: 50},
		{name: "nothing changed again", change: func() error { return nil }, listed: 50, commands: []string{"STATUS"}},
		{name: "new UIDVALIDITY", change: func() error { return s.ResetUIDValidity(ctx, "user1", "INBOX") },
			listing: true, fetchedN: 50, listed: 50},
		{name: "nothing changed after the reset", change: func() error { return nil }, listed: 50, commands: []string{"STATUS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.change(); err != nil {
				t.Fatal(err)
			}
			batches, cmds := sync(t)
			if got := batches[0].Listing != nil; got != tt.listing {
				t.Errorf("listing sent: %v, want %v (commands %v)", got, tt.listing, cmds)
			}
			var fetched, flagged []string
			for _, m := range allMessages(batches) {
				if m.Raw == nil {
					flagged = append(flagged, m.ID)
				} else {
					fetched = append(fetched, m.ID)
				}
			}
			if (tt.fetchedN == 0 && !slices.Equal(fetched, tt.fetched)) || (tt.fetchedN > 0 && len(fetched) != tt.fetchedN) {
				t.Errorf("fetched %v, want %v", fetched, tt.fetched)
			}
			if !slices.Equal(flagged, tt.flagged) {
				t.Errorf("flag updates %v, want %v", flagged, tt.flagged)
			}
			if tt.commands != nil && !slices.Equal(cmds, tt.commands) {
				t.Errorf("commands %v, want %v", cmds, tt.commands)
			}
			if batches[0].Listed != tt.listed {
				t.Errorf("Listed %d, want %d", batches[0].Listed, tt.listed)
			}
		})
	}
}

// commandRE matches a tagged line of a go-imap trace: the client's
// commands, and the server's completions (OK, NO, BAD).
var commandRE = regexp.MustCompile(`(?m)^T\d+ (UID [A-Z]+|[A-Z]+)`)

// commands lists the commands a client sent, LOGOUT left out.
func commands(trace string) []string {
	var out []string
	for _, m := range commandRE.FindAllStringSubmatch(trace, -1) {
		switch m[1] {
		case "OK", "NO", "BAD", "LOGOUT":
		default:
			out = append(out, m[1])
		}
	}
	return out
}
