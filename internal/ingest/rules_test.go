package ingest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// decision returns what became of a message in user's mailbox, as
// `mailsync why` reports it.
func (f *fixture) decision(user, key string) *store.Decision {
	f.t.Helper()
	ds, err := f.st.Decisions(f.ctx, f.accounts[user].ID, key)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(ds) == 0 {
		f.t.Fatalf("%s: no decision recorded for <%s>", user, key)
	}
	return ds[0]
}

func (f *fixture) wantDecision(user, key, status, rule string) *store.Decision {
	f.t.Helper()
	d := f.decision(user, key)
	if d.Status != status || d.Rule != rule {
		f.t.Fatalf("%s <%s>: %s (rule %q: %s), want %s (rule %q)", user, key, d.Status, d.Rule, d.Detail, status, rule)
	}
	return d
}

// contactOutcome returns the outcome and reason recorded for an address
// of a message in user's mailbox ("", "" when none).
func contactOutcome(d *store.Decision, email string) (string, string) {
	for _, c := range d.Contacts {
		if c.Email == email {
			return c.Outcome, c.Reason
		}
	}
	return "", ""
}

// peopleByEmail maps every address of every person to the person's id.
func (f *fixture) peopleByEmail() map[string]string {
	f.t.Helper()
	people, err := f.st.People(f.ctx, f.ws.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range people {
		for _, e := range append([]string{p.PrimaryEmail}, p.AdditionalEmails...) {
			out[e] = p.ID
		}
	}
	return out
}

// linkedTo returns the person each participant with this address of the
// message links to ("" for nobody).
func (f *fixture) linkedTo(key, email string) string {
	f.t.Helper()
	var id *string
	err := f.st.DB.QueryRowContext(f.ctx, `SELECT p.person_id FROM participants p JOIN messages m ON m.id = p.message_id
		WHERE m.message_key = $1 AND p.email = $2`, key, email).Scan(&id)
	if err != nil {
		f.t.Fatalf("participant %s of <%s>: %v", email, key, err)
	}
	if id == nil {
		return ""
	}
	return *id
}

func TestImportRulesThroughSync(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.deliver("user1", "INBOX",
			mail{id: "internal@ourco.example", from: "Boss <boss@ourco.example>", cc: "ops@eu.ourco.example"}.raw(),
			mail{id: "newsletter@acme-corp.com", from: "Jane Doe <jane.doe@acme-corp.com>",
				headers: []string{"List-Unsubscribe: <mailto:unsub@acme-corp.com>"}}.raw(),
			mail{id: "noreply@shop.example", from: "Shop <no-reply@shop.example>"}.raw(),
			mail{id: "auto@acme-corp.com", from: "Jane Doe <jane.doe@acme-corp.com>", headers: []string{"Auto-Submitted: auto-replied"}}.raw(),
			mail{id: "gmail@gmail.com", from: "Bob Smith <bob.smith@gmail.com>"}.raw(),
			mail{id: "customer@acme-corp.com", from: "Jane Doe <jane.doe@acme-corp.com>"}.raw(),
		)
		f.deliver("user1", "Sent",
			mail{id: "to-gmail@ourco.example", from: "user1@ourco.example", to: "Bob Smith <bob.smith@gmail.com>"}.raw(),
			mail{id: "to-peter@ourco.example", from: "user1@ourco.example",
				to: "Peter Gibbons <peter@initech.co.uk>, support@initech.co.uk", cc: "boss@ourco.example"}.raw(),
		)
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 8, Imported: 4, Skipped: 4})

		f.wantDecision("user1", "internal@ourco.example", store.ItemSkipped, "internal")
		f.wantDecision("user1", "newsletter@acme-corp.com", store.ItemSkipped, "bulk")
		f.wantDecision("user1", "auto@acme-corp.com", store.ItemSkipped, "bulk")
		d := f.wantDecision("user1", "noreply@shop.example", store.ItemSkipped, "group-sender")
		if !strings.Contains(d.Detail, "no-reply@shop.example") || len(d.Contacts) != 0 {
			t.Errorf("group-sender skip: detail %q, contacts %v; want the sender named and no contact decision", d.Detail, d.Contacts)
		}

		// A personal-provider correspondent: the mail is imported, no
		// contact is created, whether it came in or went out.
		d = f.wantDecision("user1", "gmail@gmail.com", store.ItemImported, "")
		if o, r := contactOutcome(d, "bob.smith@gmail.com"); o != "not-created" || r != "personal-provider" {
			t.Errorf("incoming gmail sender: %s/%s, want not-created/personal-provider", o, r)
		}
		d = f.wantDecision("user1", "to-gmail@ourco.example", store.ItemImported, "")
		if o, r := contactOutcome(d, "bob.smith@gmail.com"); o != "not-created" || r != "personal-provider" {
			t.Errorf("gmail recipient: %s/%s, want not-created/personal-provider", o, r)
		}
		if o, r := contactOutcome(d, "user1@ourco.example"); o != "not-created" || r != "self" {
			t.Errorf("the mailbox itself: %s/%s, want not-created/self", o, r)
		}

		// Policy "sent": the recipient is created, the role address and
		// the colleague are not; an incoming customer is not either.
		d = f.wantDecision("user1", "to-peter@ourco.example", store.ItemImported, "")
		for email, want := range map[string][2]string{
			"peter@initech.co.uk":   {"created", ""},
			"support@initech.co.uk": {"not-created", "impersonal"},
			"boss@ourco.example":    {"not-created", "own-domain"},
		} {
			if o, r := contactOutcome(d, email); o != want[0] || r != want[1] {
				t.Errorf("%s: %s/%s, want %s/%s", email, o, r, want[0], want[1])
			}
		}
		d = f.wantDecision("user1", "customer@acme-corp.com", store.ItemImported, "")
		if o, r := contactOutcome(d, "jane.doe@acme-corp.com"); o != "not-created" || r != "policy" {
			t.Errorf("incoming customer under policy sent: %s/%s, want not-created/policy", o, r)
		}
		people := f.peopleByEmail()
		if len(people) != 1 || people["peter@initech.co.uk"] == "" {
			t.Fatalf("people %v, want only peter@initech.co.uk", people)
		}
		if n := f.count(`SELECT COUNT(*) FROM companies WHERE domain = 'initech.co.uk'`); n != 1 {
			t.Fatalf("%d companies initech.co.uk, want 1", n)
		}
	})
}

func TestFailedMessageIsExplained(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		broken := "this first line is not a header field\r\nMessage-ID: <broken-1@acme-corp.com>\r\nFrom: jane.doe@acme-corp.com\r\n\r\nbody\r\n"
		f.deliver("user1", "INBOX", []byte(broken))
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 1, Failed: 1})
		d := f.wantDecision("user1", "broken-1@acme-corp.com", store.ItemFailed, "parse")
		if !strings.Contains(d.Detail, "header") {
			t.Fatalf("failure detail %q does not say what is wrong", d.Detail)
		}
	})
}

func TestSuppressionSurvivesNewMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		toJane := func(id string) []byte {
			return mail{id: id, from: "user1@ourco.example", to: "Jane Doe <jane.doe@acme-corp.com>"}.raw()
		}
		f.deliver("user1", "Sent", toJane("s1@ourco.example"))
		f.sync("user1")
		jane := f.peopleByEmail()["jane.doe@acme-corp.com"]
		if jane == "" || f.linkedTo("s1@ourco.example", "jane.doe@acme-corp.com") != jane {
			t.Fatalf("jane not created and linked by the first sent mail")
		}
		if err := f.st.DeletePerson(f.ctx, f.ws.ID, jane); err != nil {
			t.Fatal(err)
		}
		for i := 2; i <= 4; i++ {
			f.deliver("user1", "Sent", toJane(fmt.Sprintf("s%d@ourco.example", i)))
			f.sync("user1")
		}
		if p := f.peopleByEmail(); len(p) != 0 {
			t.Fatalf("a deleted person came back: %v", p)
		}
		d := f.wantDecision("user1", "s4@ourco.example", store.ItemImported, "")
		if o, r := contactOutcome(d, "jane.doe@acme-corp.com"); o != "not-created" || r != "suppressed" {
			t.Fatalf("new mail to a deleted person: %s/%s, want not-created/suppressed", o, r)
		}
		for _, k := range []string{"s1@ourco.example", "s4@ourco.example"} {
			if id := f.linkedTo(k, "jane.doe@acme-corp.com"); id != "" {
				t.Fatalf("<%s> still links to %s after the person was deleted", k, id)
			}
		}

		// Re-created by hand: the suppression is lifted and past mail re-links.
		p, err := f.st.AddPerson(f.ctx, f.ws.ID, store.NewPerson{FirstName: "Jane", LastName: "Doe",
			Emails: []string{"Jane.Doe@acme-corp.com"}, CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		if suppressed, _ := f.st.Suppressed(f.ctx, f.ws.ID, "jane.doe@acme-corp.com"); suppressed {
			t.Fatal("creating the person by hand did not lift the suppression")
		}
		for i := 1; i <= 4; i++ {
			k := fmt.Sprintf("s%d@ourco.example", i)
			if id := f.linkedTo(k, "jane.doe@acme-corp.com"); id != p.ID {
				t.Fatalf("<%s> links to %q, want the re-created person", k, id)
			}
		}
		f.deliver("user1", "Sent", toJane("s5@ourco.example"))
		f.sync("user1")
		d = f.wantDecision("user1", "s5@ourco.example", store.ItemImported, "")
		if o, r := contactOutcome(d, "jane.doe@acme-corp.com"); o != "linked" || r != "exists" {
			t.Fatalf("mail to the re-created person: %s/%s, want linked/exists", o, r)
		}
	})
}

func TestRelinkWithoutFetching(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.deliver("user1", "INBOX",
			mail{id: "work@acme-corp.com", from: "Jane Doe <jane.doe@acme-corp.com>"}.raw(),
			mail{id: "home@gmail.com", from: "Jane Doe <jane.d@gmail.com>"}.raw(),
			mail{id: "old@acme-corp.com", from: "Jane Doe <jdoe@acme-corp.com>"}.raw())
		f.sync("user1")
		// Nothing was created (incoming, policy sent): people are made by hand.
		jane, err := f.st.AddPerson(f.ctx, f.ws.ID, store.NewPerson{FirstName: "Jane", Emails: []string{"jane.doe@acme-corp.com"},
			CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.st.AddPerson(f.ctx, f.ws.ID, store.NewPerson{LastName: "Doe", Emails: []string{"jdoe@acme-corp.com"},
			CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		want := func(step string, links map[string]string) {
			t.Helper()
			for key, email := range map[string]string{"work@acme-corp.com": "jane.doe@acme-corp.com",
				"home@gmail.com": "jane.d@gmail.com", "old@acme-corp.com": "jdoe@acme-corp.com"} {
				if got := f.linkedTo(key, email); got != links[key] {
					t.Fatalf("%s: <%s> links to %q, want %q", step, key, got, links[key])
				}
			}
		}
		want("create", map[string]string{"work@acme-corp.com": jane.ID, "old@acme-corp.com": other.ID})

		if err := f.st.AddPersonEmail(f.ctx, f.ws.ID, jane.ID, "Jane.D@gmail.com"); err != nil {
			t.Fatal(err)
		}
		want("add-email", map[string]string{"work@acme-corp.com": jane.ID, "home@gmail.com": jane.ID, "old@acme-corp.com": other.ID})

		merged, err := f.st.MergePeople(f.ctx, f.ws.ID, jane.ID, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if merged.FirstName != "Jane" || !slices.Contains(merged.AdditionalEmails, "jdoe@acme-corp.com") {
			t.Fatalf("merged person %+v, want Jane with jdoe@acme-corp.com added", merged)
		}
		want("merge", map[string]string{"work@acme-corp.com": jane.ID, "home@gmail.com": jane.ID, "old@acme-corp.com": jane.ID})
		if suppressed, _ := f.st.Suppressed(f.ctx, f.ws.ID, "jdoe@acme-corp.com"); suppressed {
			t.Fatal("merging suppressed the merged person's address")
		}

		if err := f.st.RemovePersonEmail(f.ctx, f.ws.ID, jane.ID, "jane.d@gmail.com"); err != nil {
			t.Fatal(err)
		}
		want("remove-email", map[string]string{"work@acme-corp.com": jane.ID, "old@acme-corp.com": jane.ID})

		if err := f.st.DeletePerson(f.ctx, f.ws.ID, jane.ID); err != nil {
			t.Fatal(err)
		}
		want("delete", map[string]string{})
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 3 {
			t.Fatalf("%d messages after re-linking, want the 3 imported, untouched", n)
		}
	})
}

func TestBlocklistActsOnPastMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.addAccount("user2")
		shared := mail{id: "shared@spam.example", from: "Spammer <deals@eu.spam.example>",
			to: "user1@ourco.example, user2@ourco.example"}.raw()
		f.deliver("user1", "INBOX", shared,
			mail{id: "mine@spam.example", from: "Spammer <deals@spam.example>"}.raw(),
			mail{id: "cc@acme-corp.com", cc: "someone@spam.example"}.raw(),
			mail{id: "keep@acme-corp.com"}.raw(),
			mail{id: "bulk-spam@spam.example", from: "deals@spam.example", headers: []string{"List-Id: <deals.spam.example>"}}.raw())
		f.deliver("user2", "INBOX", shared)
		f.sync("user1")
		f.sync("user2")
		f.wantCounts("user1", store.Counts{Listed: 5, Imported: 4, Skipped: 1})

		res, err := rules.AddBlocklistEntry(f.ctx, f.st, f.members["user1"].ID, "@spam.example")
		if err != nil {
			t.Fatal(err)
		}
		if res.Removed != 3 || res.Deleted != 2 || res.Refetch != 0 || len(res.Pending) != 0 {
			t.Fatalf("blocking: %+v, want 3 removed, 2 deleted (the colleague keeps the shared one)", res)
		}
		for _, k := range []string{"shared@spam.example", "mine@spam.example", "cc@acme-corp.com"} {
			d := f.wantDecision("user1", k, store.ItemSkipped, "blocklist")
			if !strings.Contains(d.Detail, "@spam.example") || len(d.Contacts) != 0 {
				t.Errorf("<%s>: detail %q, contacts %v", k, d.Detail, d.Contacts)
			}
		}
		// Blocklist comes first among the rules: it now explains the bulk one too.
		f.wantDecision("user1", "bulk-spam@spam.example", store.ItemSkipped, "blocklist")
		if got := f.storedKeys(); !equalStrings(got, []string{"keep@acme-corp.com", "shared@spam.example"}) {
			t.Fatalf("stored %v, want the unblocked message and the colleague's copy", got)
		}
		f.wantDecision("user2", "shared@spam.example", store.ItemImported, "")
		f.wantCounts("user1", store.Counts{Listed: 5, Imported: 1, Skipped: 4})

		// Syncing changes nothing more, and new mail is blocked too.
		f.deliver("user1", "INBOX", mail{id: "new@spam.example", from: "deals@spam.example"}.raw())
		f.sync("user1")
		f.wantDecision("user1", "new@spam.example", store.ItemSkipped, "blocklist")
		f.wantCounts("user1", store.Counts{Listed: 6, Imported: 1, Skipped: 5})

		// Unblocking brings back what the entry kept out, at the next sync.
		res, err = rules.RemoveBlocklistEntry(f.ctx, f.st, f.members["user1"].ID, "@spam.example")
		if err != nil {
			t.Fatal(err)
		}
		if res.Removed != 0 || res.Refetch != 4 || !slices.Equal(res.Resync, []string{f.accounts["user1"].ID}) {
			t.Fatalf("unblocking: %+v, want 4 to refetch in user1's mailbox (not the bulk one)", res)
		}
		f.wantDecision("user1", "bulk-spam@spam.example", store.ItemSkipped, "bulk")
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 6, Imported: 5, Skipped: 1})
		for _, k := range []string{"shared@spam.example", "mine@spam.example", "cc@acme-corp.com", "new@spam.example"} {
			f.wantDecision("user1", k, store.ItemImported, "")
		}
		if n := f.count(`SELECT COUNT(*) FROM folder_items WHERE refetch`); n != 0 {
			t.Fatalf("%d items still marked for refetch after the sync", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM messages`); n != 5 {
			t.Fatalf("%d messages, want 5 (the shared one stored once)", n)
		}
	})
}

func TestRuleChangeDuringSyncAppliesWhenItEnds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		a := f.addAccount("user1")
		f.deliver("user1", "INBOX", mail{id: "m1@spam.example", from: "deals@spam.example"}.raw())
		f.sync("user1")
		// Another process holds the mailbox: the change waits for it.
		if ok, err := f.st.AcquireLease(f.ctx, a.ChannelID, "other-process", time.Now().Add(time.Hour)); err != nil || !ok {
			t.Fatalf("take lease: %v %v", ok, err)
		}
		res, err := rules.AddBlocklistEntry(f.ctx, f.st, f.members["user1"].ID, "deals@spam.example")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Pending, []string{a.ID}) || res.Removed != 0 {
			t.Fatalf("change while the mailbox is held: %+v, want it pending", res)
		}
		f.wantDecision("user1", "m1@spam.example", store.ItemImported, "")
		if err := f.st.ReleaseLease(f.ctx, a.ChannelID, "other-process"); err != nil {
			t.Fatal(err)
		}
		f.sync("user1")
		f.wantDecision("user1", "m1@spam.example", store.ItemSkipped, "blocklist")
		if n := len(f.storedKeys()); n != 0 {
			t.Fatalf("%d messages stored, want the blocked one deleted", n)
		}
	})
}

func TestExcludeGroupToggleActsOnPastMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		a := f.addAccount("user1")
		f.deliver("user1", "INBOX",
			mail{id: "news@acme-corp.com", from: "Jane Doe <jane.doe@acme-corp.com>", headers: []string{"List-Id: <news.acme-corp.com>"}}.raw(),
			mail{id: "noreply@shop.example", from: "no-reply@shop.example"}.raw(),
			mail{id: "person@acme-corp.com"}.raw())
		f.deliver("user1", "Sent", mail{id: "out@ourco.example", from: "user1@ourco.example", to: "team@acme-corp.com",
			headers: []string{"Precedence: bulk"}}.raw())
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 4, Imported: 2, Skipped: 2})

		off, on := false, true
		res, err := rules.UpdateSettings(f.ctx, f.st, f.ws.ID, a.ID, store.ChannelSettings{ExcludeGroup: &off})
		if err != nil {
			t.Fatal(err)
		}
		if res.Refetch != 2 || res.Removed != 0 {
			t.Fatalf("turning exclude-group off: %+v, want the 2 group messages to refetch", res)
		}
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 4, Imported: 4})
		d := f.wantDecision("user1", "noreply@shop.example", store.ItemImported, "")
		if o, r := contactOutcome(d, "no-reply@shop.example"); o != "not-created" || r != "impersonal" {
			t.Fatalf("impersonal sender once imported: %s/%s, want not-created/impersonal", o, r)
		}

		// Turned on again: the group mail leaves at once, without a sync;
		// outgoing mail is never group mail.
		res, err = rules.UpdateSettings(f.ctx, f.st, f.ws.ID, a.ID, store.ChannelSettings{ExcludeGroup: &on})
		if err != nil {
			t.Fatal(err)
		}
		if res.Removed != 2 || res.Deleted != 2 {
			t.Fatalf("turning exclude-group on: %+v, want 2 removed and deleted", res)
		}
		f.wantDecision("user1", "news@acme-corp.com", store.ItemSkipped, "bulk")
		f.wantDecision("user1", "noreply@shop.example", store.ItemSkipped, "group-sender")
		f.wantDecision("user1", "out@ourco.example", store.ItemImported, "")
		if got := f.storedKeys(); !equalStrings(got, []string{"out@ourco.example", "person@acme-corp.com"}) {
			t.Fatalf("stored %v", got)
		}
		f.wantCounts("user1", store.Counts{Listed: 4, Imported: 2, Skipped: 2})

		// Settings that do not decide what is imported leave past mail alone.
		vis := "subject"
		res, err = rules.UpdateSettings(f.ctx, f.st, f.ws.ID, a.ID, store.ChannelSettings{Visibility: &vis, ExcludeGroup: &on})
		if err != nil || res.Removed+res.Refetch != 0 {
			t.Fatalf("unrelated change: %+v, %v", res, err)
		}
		if _, pending, _ := f.st.PendingRules(f.ctx, a.ChannelID); pending {
			t.Fatal("rules left pending after they were applied")
		}
	})
}

func TestConcurrentImportsCreateEachContactOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.addAccount("user2")
		customers := []string{"jane.doe@acme-corp.com", "john.roe@acme-corp.com", "peter@initech.co.uk",
			"samir@initech.co.uk", "zoe@soylent.fr", "ana@eu.soylent.fr", "li@umbrella-gmbh.de", "max@umbrella-gmbh.de"}
		for u, user := range []string{"user1", "user2"} {
			var raws [][]byte
			for i := 0; i < 24; i++ {
				// Each mailbox writes to every customer, in its own order,
				// and both hold the messages they were both on.
				to := customers[(i*3+u*5)%len(customers)]
				raws = append(raws, mail{id: fmt.Sprintf("%s-%d@ourco.example", user, i), from: user + "@ourco.example", to: to}.raw())
				if i%4 == 0 {
					shared := mail{id: fmt.Sprintf("both-%d@ourco.example", i), from: "user1@ourco.example",
						to: customers[i%len(customers)], cc: "user2@ourco.example", date: clock.Add(-24 * time.Hour)}.raw()
					raws = append(raws, shared)
				}
			}
			f.deliver(user, "Sent", raws...)
		}
		f.syncAtOnce(3, "user1", "user2")
		people := f.peopleByEmail()
		for _, c := range customers {
			if people[c] == "" {
				t.Errorf("%s not created", c)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM people`); n != len(customers) {
			t.Fatalf("%d people, want %d: each created once", n, len(customers))
		}
		if n := f.count(`SELECT COUNT(*) FROM companies`); n != 4 {
			t.Fatalf("%d companies, want 4: each created once", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM contact_decisions WHERE outcome = 'created'`); n != len(customers) {
			t.Fatalf("%d 'created' outcomes, want one per person", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM participants WHERE email NOT LIKE '%@ourco.example' AND person_id IS NULL`); n != 0 {
			t.Fatalf("%d customer participants link to nobody", n)
		}
		f.wantCounts("user1", store.Counts{Listed: 30, Imported: 30})
		f.wantCounts("user2", store.Counts{Listed: 30, Imported: 30})
	})
}
