package reconcile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
)

func customerMail(i int) []byte {
	return []byte(fmt.Sprintf("From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\n"+
		"Subject: Order %d\r\nMessage-ID: <order-%d@acme-corp.com>\r\nDate: %s\r\n\r\nHello %d\r\n",
		i, i, time.Date(2026, 5, 1, 9, i, 0, 0, time.UTC).Format(time.RFC1123Z), i))
}

// A reconciliation of a synced mailbox finds nothing; a lost message and
// one deleted on the server since the last sync are reported with their
// ids, and a repair brings the store back in step without duplicates.
func TestCheckAndRepair(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		dove := dovecottest.Start(t, dovecottest.Options{})
		var raws [][]byte
		for i := 0; i < 10; i++ {
			raws = append(raws, customerMail(i))
		}
		if err := dove.Append(ctx, "user1", "INBOX", raws...); err != nil {
			t.Fatal(err)
		}
		mb := ingesttest.New(t, db, dove)
		st, ws, a := mb.Store, mb.Workspace, mb.Account
		r := Reconciler{Syncer: mb.Syncer}
		if err := r.Syncer.SyncAccount(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		rep, err := r.Check(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		inbox := folder(t, rep, "INBOX")
		if !rep.OK || inbox.OnServer != 10 || inbox.Imported != 10 {
			t.Fatalf("freshly synced mailbox: %+v", rep)
		}

		// Lose one message from the store, and delete another on the server.
		if _, err := db.ExecContext(ctx, `DELETE FROM folder_items WHERE message_key = 'order-3@acme-corp.com'`); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteUnheldMessages(ctx, ws.ID); err != nil {
			t.Fatal(err)
		}
		if err := dove.ExpungeMessageIDs(ctx, "user1", "INBOX", "order-7@acme-corp.com"); err != nil {
			t.Fatal(err)
		}
		rep, err = r.Check(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		inbox = folder(t, rep, "INBOX")
		if rep.OK || strings.Join(inbox.Missing, ",") != "4" || strings.Join(inbox.Extra, ",") != "8" || inbox.OnServer != 9 {
			t.Fatalf("after a loss and a deletion: missing %v extra %v on server %d", inbox.Missing, inbox.Extra, inbox.OnServer)
		}

		rep, err = r.Repair(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		inbox = folder(t, rep, "INBOX")
		if !rep.OK || !rep.Repaired || inbox.Imported != 9 {
			t.Fatalf("after repair: %+v", rep)
		}
		var n, lost int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&n)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE message_key = 'order-3@acme-corp.com'`).Scan(&lost)
		if n != 9 || lost != 1 {
			t.Fatalf("after repair %d messages (want 9), lost one back: %d", n, lost)
		}
	})
}

func folder(t *testing.T, rep *Report, name string) FolderReport {
	t.Helper()
	for _, f := range rep.Folders {
		if f.Folder == name {
			return f
		}
	}
	t.Fatalf("no folder %s in %+v", name, rep)
	return FolderReport{}
}

// A mailbox never imported is never "in sync": the report says so, and
// so does each selected folder no sync has reached, even an empty one.
func TestNeverSyncedIsADifference(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		dove := dovecottest.Start(t, dovecottest.Options{})
		if err := dove.Append(ctx, "user1", "INBOX", customerMail(1)); err != nil {
			t.Fatal(err)
		}
		if err := dove.CreateFolder(ctx, "user1", "Projects"); err != nil {
			t.Fatal(err)
		}
		mb := ingesttest.New(t, db, dove)
		r := Reconciler{Syncer: mb.Syncer}
		rep, err := r.Check(ctx, mb.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.Reason != ReasonNeverImported {
			t.Fatalf("never-imported mailbox: ok=%v reason=%q", rep.OK, rep.Reason)
		}
		for _, name := range []string{"INBOX", "Projects"} {
			if f := folder(t, rep, name); f.OK || f.Reason != ReasonNotListed {
				t.Errorf("%s of a never-imported mailbox: %+v", name, f)
			}
		}

		if err := mb.Syncer.SyncAccount(ctx, mb.Account.ID); err != nil {
			t.Fatal(err)
		}
		if rep, err = r.Check(ctx, mb.Account.ID); err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Reason != "" || folder(t, rep, "Projects").OnServer != 0 {
			t.Fatalf("after a sync (an empty folder included): %+v", rep)
		}

		// A folder whose sync never got through: recorded, no cursor.
		if _, err := db.ExecContext(ctx, `UPDATE folders SET cursor = '' WHERE name = 'Projects'`); err != nil {
			t.Fatal(err)
		}
		if rep, err = r.Check(ctx, mb.Account.ID); err != nil {
			t.Fatal(err)
		}
		if f := folder(t, rep, "Projects"); rep.OK || f.OK || f.Reason != ReasonNeverSynced {
			t.Fatalf("folder never synced: report ok=%v folder %+v", rep.OK, f)
		}
	})
}
