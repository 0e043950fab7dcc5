package ingest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// TestNoOpSyncThenServerChanges pins the no-op sync's fast path: a sync
// that finds nothing new writes no folder, and whatever changes on the
// server after it is still picked up by the next sync.
func TestNoOpSyncThenServerChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		inbox, inboxIDs := customerMails("fast", 12)
		f.deliver("user1", "INBOX", inbox...)
		projects, projectIDs := customerMails("proj", 3)
		f.deliver("user1", "Projects", projects...)
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 15, Imported: 15})

		// noop syncs with nothing new on the server: no folder's cursor,
		// count or sync time is written.
		noop := func() {
			t.Helper()
			before := f.folderStates()
			f.sync("user1")
			if after := f.folderStates(); !slices.Equal(after, before) {
				t.Fatalf("a sync with nothing new changed folders\nbefore %v\nafter  %v", before, after)
			}
		}
		noop()
		noop()

		// One message expunged and one delivered: the folder holds as
		// many messages as before, the expunge is still found.
		if err := f.dove.ExpungeMessageIDs(f.ctx, "user1", "INBOX", inboxIDs[0]); err != nil {
			t.Fatal(err)
		}
		f.deliver("user1", "INBOX", mail{id: "late-1@mail.example"}.raw())
		f.sync("user1")
		keys := f.storedKeys()
		if slices.Contains(keys, inboxIDs[0]) || !slices.Contains(keys, "late-1@mail.example") || len(keys) != 15 {
			t.Fatalf("after an expunge and a delivery stored %v", keys)
		}
		f.wantCounts("user1", store.Counts{Listed: 15, Imported: 15})
		noop()

		// A flag change.
		if err := f.dove.SetFlag(f.ctx, "user1", "INBOX", inboxIDs[3], `\Flagged`); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if n := f.count(`SELECT COUNT(*) FROM folder_items WHERE message_key = $1 AND flags LIKE '%Flagged%'`, inboxIDs[3]); n != 1 {
			t.Fatal("flag change after a no-op sync not recorded")
		}
		noop()

		// A folder renamed on the server: its messages stay, under the new name.
		if err := f.dove.RenameFolder(f.ctx, "user1", "Projects", "Projects 2026"); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if got := f.folderNames(); slices.Contains(got, "Projects") || !slices.Contains(got, "Projects 2026") {
			t.Fatalf("after renaming Projects: folders %v", got)
		}
		if keys := f.storedKeys(); len(keys) != 15 || !slices.Contains(keys, projectIDs[0]) {
			t.Fatalf("after renaming Projects stored %v", keys)
		}
		f.wantCounts("user1", store.Counts{Listed: 15, Imported: 15})
		noop()

		// A folder deleted on the server: what only it held goes.
		if err := f.dove.DeleteFolder(f.ctx, "user1", "Projects 2026"); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if keys := f.storedKeys(); len(keys) != 12 || slices.Contains(keys, projectIDs[0]) {
			t.Fatalf("after deleting the folder stored %v", keys)
		}
		f.wantCounts("user1", store.Counts{Listed: 12, Imported: 12})
		noop()

		// A new UIDVALIDITY: the folder is listed and matched again, nothing duplicated.
		if err := f.dove.ResetUIDValidity(f.ctx, "user1", "INBOX"); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if keys := f.storedKeys(); len(keys) != 12 {
			t.Fatalf("after a UIDVALIDITY change stored %d messages, want 12", len(keys))
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items`); n != 12 {
			t.Fatalf("%d folder items after a UIDVALIDITY change, want 12", n)
		}
		f.wantCounts("user1", store.Counts{Listed: 12, Imported: 12})
		noop()
	})
}

// folderStates describes user1's folders as stored: name, cursor, count
// and the time of the last batch applied.
func (f *fixture) folderStates() []string {
	f.t.Helper()
	folders, err := f.st.Folders(f.ctx, f.accounts["user1"].ChannelID)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, fo := range folders {
		out = append(out, fmt.Sprintf("%s\t%s %d %v", fo.Name, fo.Cursor, fo.Listed, fo.SyncedAt))
	}
	return out
}

// folderNames lists user1's folders as stored.
func (f *fixture) folderNames() []string {
	var names []string
	for _, s := range f.folderStates() {
		name, _, _ := strings.Cut(s, "\t")
		names = append(names, name)
	}
	return names
}
