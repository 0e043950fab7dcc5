package ingest_test

import (
	"fmt"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// Display names as clients and servers write them (issue 13) give the
// names a person reads, through a real sync: policy "sent" creates each
// recipient of user1's sent mail.
func TestDisplayNamesThroughSync(t *testing.T) {
	tests := []struct {
		to, email   string
		first, last string
	}{
		{`"John.Doe Doe" <jd1@acme-corp.com>`, "jd1@acme-corp.com", "John", "Doe"},
		{`"John.Doe Smith" <jd2@acme-corp.com>`, "jd2@acme-corp.com", "John", "Doe Smith"},
		{`"john.doe" <someone.else@acme-corp.com>`, "someone.else@acme-corp.com", "John", "Doe"},
		{`"Smith, Jane:GROUP" <js1@acme-corp.com>`, "js1@acme-corp.com", "Jane", "Smith"},
		{`"Jane:GROUP Smith" <js2@acme-corp.com>`, "js2@acme-corp.com", "Jane", "Smith"},
		{`"Smith, Jane, Jr.:GROUP" <js3@acme-corp.com>`, "js3@acme-corp.com", "Jane", "Smith"},
		{`"J. Doe" <jd3@acme-corp.com>`, "jd3@acme-corp.com", "J.", "Doe"},
		{`"Dr.Who" <tardis@acme-corp.com>`, "tardis@acme-corp.com", "Dr", "Who"},
		{`"jean.luc@elsewhere.example" <jean.luc.picard@acme-corp.com>`, "jean.luc.picard@acme-corp.com", "Jean", "Luc Picard"},
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		var raws [][]byte
		for i, tt := range tests {
			raws = append(raws, mail{id: fmt.Sprintf("names-%d@ourco.example", i), from: "User One <user1@ourco.example>", to: tt.to}.raw())
		}
		f.deliver("user1", "Sent", raws...)
		f.sync("user1")

		people, err := f.st.People(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		byEmail := map[string]*store.Person{}
		for _, p := range people {
			byEmail[p.PrimaryEmail] = p
		}
		for _, tt := range tests {
			p := byEmail[tt.email]
			switch {
			case p == nil:
				t.Errorf("%s: no person created", tt.to)
			case p.FirstName != tt.first || p.LastName != tt.last:
				t.Errorf("%s: %q / %q, want %q / %q", tt.to, p.FirstName, p.LastName, tt.first, tt.last)
			}
		}
	})
}

// The workspace's "import internal mail" acts on past mail like the other
// import settings: on, the internal mail every mailbox skipped is fetched
// again by the next sync; off, it leaves at once.
func TestImportInternalToggleActsOnPastMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u1, u2 := f.addAccount("user1"), f.addAccount("user2")
		memo := mail{id: "memo@ourco.example", from: "Boss <boss@ourco.example>",
			to: "user1@ourco.example, user2@ourco.example"}.raw()
		f.deliver("user1", "INBOX", memo, mail{id: "customer@acme-corp.com"}.raw())
		f.deliver("user2", "INBOX", memo)
		f.sync("user1")
		f.sync("user2")
		f.wantDecision("user1", "memo@ourco.example", store.ItemSkipped, "internal")
		f.wantDecision("user2", "memo@ourco.example", store.ItemSkipped, "internal")

		res, err := rules.SetImportInternal(f.ctx, f.st, f.ws.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		// Accounts created in the same millisecond have no set order.
		if res.Refetch != 2 || res.Removed != 0 || !equalStrings(sortedCopy(res.Resync), sortedCopy([]string{u1.ID, u2.ID})) {
			t.Fatalf("turning import-internal on: %+v, want the memo to refetch in both mailboxes", res)
		}
		f.sync("user1")
		f.sync("user2")
		f.wantDecision("user1", "memo@ourco.example", store.ItemImported, "")
		f.wantDecision("user2", "memo@ourco.example", store.ItemImported, "")
		if got := f.storedKeys(); !equalStrings(got, []string{"customer@acme-corp.com", "memo@ourco.example"}) {
			t.Fatalf("stored %v after import-internal on", got)
		}
		// Colleagues are never contacts, internal mail or not.
		if people := f.peopleByEmail(); people["boss@ourco.example"] != "" {
			t.Fatal("importing internal mail created a colleague as a contact")
		}

		// Off: the memo leaves both mailboxes at once, without a sync.
		res, err = rules.SetImportInternal(f.ctx, f.st, f.ws.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.Removed != 2 || res.Deleted != 1 || res.Refetch != 0 {
			t.Fatalf("turning import-internal off: %+v, want 2 removed, 1 message deleted", res)
		}
		f.wantDecision("user1", "memo@ourco.example", store.ItemSkipped, "internal")
		f.wantDecision("user2", "memo@ourco.example", store.ItemSkipped, "internal")
		if got := f.storedKeys(); !equalStrings(got, []string{"customer@acme-corp.com"}) {
			t.Fatalf("stored %v after import-internal off", got)
		}
		f.wantCounts("user1", store.Counts{Listed: 2, Imported: 1, Skipped: 1})
		for _, a := range []*store.Account{u1, u2} {
			if _, pending, _ := f.st.PendingRules(f.ctx, a.ChannelID); pending {
				t.Fatalf("rules of %s left pending after they were applied", a.Handle)
			}
		}
	})
}
