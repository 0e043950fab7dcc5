package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

func TestInitialIncrementalExpungeAndFlags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		inbox, inboxIDs := customerMails("in", 30)
		f.deliver("user1", "INBOX", inbox...)
		sent := mail{id: "sent-1@ourco.example", from: "User One <user1@ourco.example>",
			to: "Jane Doe <jane.doe@acme-corp.com>", subject: "Re: Quote"}.raw()
		f.deliver("user1", "Sent", sent)
		f.deliver("user1", "Drafts", mail{id: "draft-1@ourco.example", from: "user1@ourco.example"}.raw())

		f.sync("user1")
		want := append(append([]string{}, inboxIDs...), "sent-1@ourco.example")
		if got := f.storedKeys(); !equalStrings(got, sortedCopy(want)) {
			t.Fatalf("after initial import stored %d keys, want %d (drafts must not be synced)\n%v", len(got), len(want), got)
		}
		f.wantCounts("user1", store.Counts{Listed: 31, Imported: 31})
		if a := f.account("user1"); a.Status != store.StatusActive || a.LastSyncedAt.IsZero() {
			t.Fatalf("status %q, last synced %v; want active with a time", a.Status, a.LastSyncedAt)
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items WHERE direction = 'outgoing'`); n != 1 {
			t.Fatalf("%d outgoing items, want the one in Sent", n)
		}

		// Incremental: only the new messages are fetched and stored.
		more, moreIDs := customerMails("new", 4)
		f.deliver("user1", "INBOX", more...)
		f.sync("user1")
		want = append(want, moreIDs...)
		if got := f.storedKeys(); !equalStrings(got, sortedCopy(want)) {
			t.Fatalf("after incremental sync stored %v", got)
		}
		f.wantCounts("user1", store.Counts{Listed: 35, Imported: 35})

		// Expunge on the server: the messages disappear here too.
		if err := f.dove.ExpungeMessageIDs(f.ctx, "user1", "INBOX", inboxIDs[0], inboxIDs[1]); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if got := f.storedKeys(); len(got) != 33 || contains(got, inboxIDs[0]) || contains(got, inboxIDs[1]) {
			t.Fatalf("after expunge stored %d keys: %v", len(got), got)
		}
		f.wantCounts("user1", store.Counts{Listed: 33, Imported: 33})

		// A flag-only change stores the flag and duplicates nothing.
		if err := f.dove.SetFlag(f.ctx, "user1", "INBOX", inboxIDs[5], `\Seen`); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 33 {
			t.Fatalf("%d messages after a flag change, want 33", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items WHERE message_key = $1 AND flags LIKE '%Seen%'`, inboxIDs[5]); n != 1 {
			t.Fatalf("flag change not recorded")
		}
	})
}

func TestUIDValidityResetDuplicatesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		raws, ids := customerMails("v", 12)
		f.deliver("user1", "INBOX", raws...)
		f.sync("user1")
		threads := f.count(`SELECT COUNT(*) FROM threads`)
		if err := f.dove.ResetUIDValidity(f.ctx, "user1", "INBOX"); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		if got := f.storedKeys(); !equalStrings(got, ids) {
			t.Fatalf("after UIDVALIDITY reset stored %v, want %v", got, ids)
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items`); n != 12 {
			t.Fatalf("%d folder items after reset, want 12", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM threads`); n != threads {
			t.Fatalf("%d threads after reset, want %d", n, threads)
		}
		f.wantCounts("user1", store.Counts{Listed: 12, Imported: 12})
	})
}

func TestSameMessageInTwoMailboxesIsStoredOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.addAccount("user2")
		shared := mail{id: "shared@acme-corp.com", to: "user1@ourco.example, user2@ourco.example"}.raw()
		f.deliver("user1", "INBOX", shared)
		f.deliver("user2", "INBOX", shared)
		f.sync("user1")
		f.sync("user2")
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items WHERE message_key = 'shared@acme-corp.com' AND status = 'imported'`); n != 2 {
			t.Fatalf("%d mailboxes hold it, want 2", n)
		}
		// Removing it from one mailbox keeps it; from both deletes it.
		f.dove.ExpungeMessageIDs(f.ctx, "user1", "INBOX", "shared@acme-corp.com")
		f.sync("user1")
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 1 {
			t.Fatalf("message deleted while user2 still holds it")
		}
		f.dove.ExpungeMessageIDs(f.ctx, "user2", "INBOX", "shared@acme-corp.com")
		f.sync("user2")
		if n := f.count(`SELECT COUNT(*) FROM messages`) + f.count(`SELECT COUNT(*) FROM participants`) + f.count(`SELECT COUNT(*) FROM threads`); n != 0 {
			t.Fatalf("message, participants or thread left after no mailbox holds it")
		}
	})
}

func TestThreadsDoNotDependOnArrivalOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.addAccount("user2")
		day := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		root := mail{id: "root@acme-corp.com", subject: "Contract draft v2", date: day}
		reply1 := mail{id: "r1@ourco.example", from: "user1@ourco.example", to: "jane.doe@acme-corp.com",
			subject: "Re: Contract draft v2", inReplyTo: "root@acme-corp.com", refs: []string{"root@acme-corp.com"}, date: day.Add(time.Hour)}
		reply2 := mail{id: "r2@acme-corp.com", subject: "Re: Re: Contract draft v2", inReplyTo: "r1@ourco.example",
			refs: []string{"root@acme-corp.com", "r1@ourco.example"}, date: day.Add(2 * time.Hour)}
		// Replies first, in separate syncs, then the parent; a colleague holds another copy.
		f.deliver("user1", "INBOX", reply2.raw())
		f.sync("user1")
		f.deliver("user1", "Sent", reply1.raw())
		f.sync("user1")
		f.deliver("user2", "INBOX", root.raw())
		f.sync("user2")
		// Two replies naming a parent nobody imported join too.
		orphanA := mail{id: "oa@acme-corp.com", subject: "Re: Pricing question", inReplyTo: "never-seen@acme-corp.com"}
		orphanB := mail{id: "ob@acme-corp.com", subject: "Re: Pricing question", refs: []string{"never-seen@acme-corp.com"}}
		f.deliver("user1", "INBOX", orphanA.raw(), orphanB.raw())
		f.sync("user1")

		type thread struct {
			subject string
			count   int
		}
		got := map[string]thread{}
		rows, err := f.st.DB.QueryContext(f.ctx, `SELECT m.message_key, t.subject, t.message_count FROM messages m JOIN threads t ON t.id = m.thread_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var th thread
			rows.Scan(&k, &th.subject, &th.count)
			got[k] = th
		}
		rows.Close()
		for _, k := range []string{"root@acme-corp.com", "r1@ourco.example", "r2@acme-corp.com"} {
			if got[k] != (thread{"Contract draft v2", 3}) {
				t.Errorf("%s in thread %+v, want the 3-message thread named after the earliest message", k, got[k])
			}
		}
		if got["oa@acme-corp.com"].count != 2 || got["ob@acme-corp.com"].count != 2 {
			t.Errorf("replies to a missing parent not joined: %+v %+v", got["oa@acme-corp.com"], got["ob@acme-corp.com"])
		}
		if n := f.count(`SELECT COUNT(*) FROM threads`); n != 2 {
			t.Errorf("%d threads, want 2", n)
		}
	})
}

func TestMalformedMessageIsRecordedAndSyncGoesOn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		good, ids := customerMails("ok", 3)
		garbage := []byte("\x00\x01\x02 this is not a message \xff\xfe\r\n")
		f.deliver("user1", "INBOX", good[0], garbage, good[1], good[2])
		f.sync("user1")
		if got := f.storedKeys(); !equalStrings(got, ids) {
			t.Fatalf("stored %v, want the 3 good ones", got)
		}
		f.wantCounts("user1", store.Counts{Listed: 4, Imported: 3, Failed: 1})
		var detail string
		f.st.DB.QueryRowContext(f.ctx, `SELECT detail FROM folder_items WHERE status = 'failed'`).Scan(&detail)
		if !strings.Contains(detail, "mime") {
			t.Fatalf("failure reason %q does not say why", detail)
		}
		// A failed message is not retried into a duplicate on the next sync.
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 4, Imported: 3, Failed: 1})
	})
}

func TestWrongPasswordAndUnreachableServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		a := f.addAccountWithPassword("user1", "not-the-password")
		err := f.syncer.SyncAccount(f.ctx, a.ID)
		if !errors.Is(err, provider.ErrAuth) {
			t.Fatalf("sync with a wrong password: %v, want ErrAuth", err)
		}
		if got := f.account("user1"); got.Status != store.StatusFailedAuth || !strings.Contains(got.LastError, "password") {
			t.Fatalf("status %q (%q), want failed_auth saying what to fix", got.Status, got.LastError)
		}
		// Fixing the password resumes.
		if err := f.st.SetAccountSecret(f.ctx, a.ID, f.box.Seal("pass")); err != nil {
			t.Fatal(err)
		}
		f.deliver("user1", "INBOX", mail{id: "after-fix@acme-corp.com"}.raw())
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 1, Imported: 1})

		// An unreachable server is a failure with the reason, not a hang.
		if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE connected_accounts SET port = 1 WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		err = f.syncer.SyncAccount(f.ctx, a.ID)
		if !errors.Is(err, provider.ErrUnreachable) {
			t.Fatalf("sync of an unreachable server: %v", err)
		}
		if got := f.account("user1"); got.Status != store.StatusFailed || got.LastError == "" {
			t.Fatalf("status %q (%q), want failed with a reason", got.Status, got.LastError)
		}
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 1 {
			t.Fatalf("a failed sync lost messages: %d", n)
		}
	})
}

func TestCancelledImportResumesWithoutLossOrDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		a := f.addAccount("user1")
		raws, ids := customerMails("big", 60)
		f.deliver("user1", "INBOX", raws...)
		ctx, cancel := context.WithCancel(f.ctx)
		batches := 0
		f.syncer.OnProgress = func(p ingestProgress) {
			batches++
			if batches == 3 {
				cancel()
			}
		}
		err := f.syncer.SyncAccount(ctx, a.ID)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled sync returned %v", err)
		}
		partial := len(f.storedKeys())
		if partial == 0 || partial >= 60 {
			t.Fatalf("cancelled after 3 batches but %d messages stored", partial)
		}
		f.syncer.OnProgress = nil
		f.sync("user1")
		if got := f.storedKeys(); !equalStrings(got, ids) {
			t.Fatalf("after resume stored %d keys, want exactly the 60 on the server", len(got))
		}
		f.wantCounts("user1", store.Counts{Listed: 60, Imported: 60})
	})
}

func sortedCopy(ss []string) []string {
	out := append([]string(nil), ss...)
	sortStrings(out)
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
