package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// TestAPI runs every API test against SQLite and PostgreSQL, each engine
// seeded once.
func TestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		t.Run("Unauthenticated", f.testUnauthenticated)
		t.Run("CrossWorkspace", f.testCrossWorkspace)
		t.Run("Redaction", f.testRedaction)
		t.Run("Paging", f.testPaging)
		t.Run("People", f.testPeople)
		t.Run("Accounts", f.testAccounts)
		t.Run("Blocklist", f.testBlocklist)
		t.Run("MessageWhy", f.testMessageWhy)
		t.Run("Events", f.testEvents)
		t.Run("Webhooks", f.testWebhooks)
		t.Run("UI", f.testUI)
	})
}

// concrete fills a route pattern's wildcards with ids of workspace ws.
func (f *fixture) concrete(pattern string, ids map[string]string) string {
	path := strings.SplitN(pattern, " ", 2)[1]
	for prefix, id := range ids {
		if strings.HasPrefix(path, "/api/v1/"+prefix+"/{id}") {
			return strings.Replace(path, "{id}", id, 1)
		}
	}
	return strings.Replace(path, "{entry}", url.PathEscape("someone@acme.test"), 1)
}

func (f *fixture) ws1IDs() map[string]string {
	return map[string]string{"people": f.pat.ID, "companies": f.acme.ID, "threads": f.sharedThread,
		"messages": f.sharedMsg, "accounts": f.acctA.ID}
}

func (f *fixture) ws2IDs() map[string]string {
	return map[string]string{"people": f.evePerson, "companies": f.eveCompany, "threads": f.eveThread,
		"messages": f.eveMsg, "accounts": f.acctE.ID}
}

func (f *fixture) testUnauthenticated(t *testing.T) {
	if len(f.srv.apiRoutes) < 15 {
		t.Fatalf("only %d API routes registered", len(f.srv.apiRoutes))
	}
	for _, route := range f.srv.apiRoutes {
		method := strings.SplitN(route, " ", 2)[0]
		path := f.concrete(route, f.ws1IDs())
		for _, who := range []string{"", "ms_not-a-token"} {
			code, body := f.call(t, who, method, path, `{}`)
			if code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", method, path, who, code)
				continue
			}
			errorOf(t, body)
		}
	}
	code, body := f.call(t, "", "GET", "/api/v1/openapi.json", "")
	if code != http.StatusOK || !strings.Contains(body, `"openapi": "3.`) {
		t.Errorf("openapi.json without a token: %d", code)
	}
}

// testCrossWorkspace sends each workspace's ids to the other's member on
// every route with an id: the answer must be the unknown-id answer.
func (f *fixture) testCrossWorkspace(t *testing.T) {
	unknown := map[string]string{"people": "nope", "companies": "nope", "threads": "nope", "messages": "nope", "accounts": "nope"}
	for _, route := range f.srv.apiRoutes {
		if !strings.Contains(route, "{id}") {
			continue
		}
		method := strings.SplitN(route, " ", 2)[0]
		body := ""
		if method == "PATCH" {
			body = `{"visibility":"everything"}`
		}
		for _, tc := range []struct {
			who         string
			theirs, own map[string]string
		}{{"eve", f.ws1IDs(), f.ws2IDs()}, {"alice", f.ws2IDs(), f.ws1IDs()}} {
			wantCode, wantBody := f.call(t, tc.who, method, f.concrete(route, unknown), body)
			code, got := f.call(t, tc.who, method, f.concrete(route, tc.theirs), body)
			if code != http.StatusNotFound || wantCode != http.StatusNotFound || got != wantBody {
				t.Errorf("%s as %s with another workspace's id: %d %s; unknown id: %d %s", route, tc.who, code, got, wantCode, wantBody)
			}
		}
	}
	// Creating a person in another workspace's company is refused like an unknown company.
	code, body := f.call(t, "eve", "POST", "/api/v1/people", `{"primaryEmail":"new@x.test","companyId":"`+f.acme.ID+`"}`)
	if code != http.StatusBadRequest || !strings.Contains(errorOf(t, body), "no such company") {
		t.Errorf("POST /people with a foreign companyId: %d %s", code, body)
	}
	// Lists never show the other workspace's rows.
	var people []store.Person
	f.getJSON(t, "eve", "/api/v1/people", &people)
	for _, p := range people {
		if p.ID == f.pat.ID {
			t.Errorf("eve lists alice's person %s", p.ID)
		}
	}
	var accounts []visibility.AccountView
	f.getJSON(t, "eve", "/api/v1/accounts", &accounts)
	if len(accounts) != 1 || accounts[0].ID != f.acctE.ID {
		t.Errorf("eve lists accounts %+v, want only her own", accounts)
	}
}

func show(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func (f *fixture) testRedaction(t *testing.T) {
	tests := []struct {
		name        string
		viewer      string
		msg, thread string
		level       string
		subject     string // "" when withheld
		text        string // "" when withheld
		withheld    []string
	}{
		{"own mailbox at metadata shows everything", "alice", f.soloMsg, f.soloThread, visibility.Everything, soloSubject, soloBody, nil},
		{"one mailbox at metadata", "carol", f.soloMsg, f.soloThread, visibility.Metadata, "", "", []string{soloSubject, soloBody}},
		{"one mailbox at metadata, other colleague", "bob", f.soloMsg, f.soloThread, visibility.Metadata, "", "", []string{soloSubject, soloBody}},
		{"two mailboxes: the most open applies", "carol", f.sharedMsg, f.sharedThread, visibility.Subject, sharedSubject, "", []string{sharedBody}},
		{"two mailboxes: a holder sees everything", "bob", f.sharedMsg, f.sharedThread, visibility.Everything, sharedSubject, sharedBody, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The message.
			_, raw := f.call(t, tt.viewer, "GET", "/api/v1/messages/"+tt.msg, "")
			var m messageJSON
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			if m.Visibility != tt.level || show(m.Subject) != orNil(tt.subject) || show(m.Text) != orNil(tt.text) {
				t.Errorf("message: level %s subject %s text %s; want %s %q %q", m.Visibility, show(m.Subject), show(m.Text),
					tt.level, tt.subject, tt.text)
			}
			if len(m.Participants) != 2 || m.ReceivedAt == "" {
				t.Errorf("participants and date must always show: %+v", m)
			}
			// The thread.
			_, traw := f.call(t, tt.viewer, "GET", "/api/v1/threads/"+tt.thread, "")
			var th visibility.ThreadView
			if err := json.Unmarshal([]byte(traw), &th); err != nil {
				t.Fatal(err)
			}
			if th.Visibility != tt.level || show(th.Subject) != orNil(tt.subject) || len(th.Messages) != 1 ||
				show(th.Messages[0].Text) != orNil(tt.text) {
				t.Errorf("thread: %s", traw)
			}
			// The Emails tabs of the person and the company.
			for _, path := range []string{"/api/v1/people/" + f.pat.ID + "/threads", "/api/v1/companies/" + f.acme.ID + "/threads"} {
				_, lraw := f.call(t, tt.viewer, "GET", path, "")
				var page threadPage
				if err := json.Unmarshal([]byte(lraw), &page); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, row := range page.Threads {
					if row.ID != tt.thread {
						continue
					}
					found = true
					if row.Visibility != tt.level || show(row.Subject) != orNil(tt.subject) {
						t.Errorf("%s row: %+v", path, row)
					}
					if (row.Snippet != nil) != visibility.ShowsBody(tt.level) {
						t.Errorf("%s row snippet %s at %s", path, show(row.Snippet), tt.level)
					}
				}
				if !found {
					t.Errorf("%s lacks thread %s", path, tt.thread)
				}
				raw += lraw
			}
			// A withheld field is never sent, in any form.
			for _, secret := range tt.withheld {
				if strings.Contains(raw+traw, secret) {
					t.Errorf("withheld %q was sent", secret)
				}
			}
		})
	}

	// Opening bob's mailbox to everything shows carol the body.
	level := visibility.Everything
	code, _ := f.call(t, "bob", "PATCH", "/api/v1/accounts/"+f.acctB.ID, `{"visibility":"everything"}`)
	if code != http.StatusOK {
		t.Fatalf("PATCH visibility: %d", code)
	}
	var m messageJSON
	f.getJSON(t, "carol", "/api/v1/messages/"+f.sharedMsg, &m)
	if m.Visibility != level || show(m.Text) != sharedBody || m.HTML == nil || !strings.Contains(*m.HTML, sharedBody) {
		t.Errorf("after opening to everything: %+v", m)
	}
	level = visibility.Subject
	if err := f.st.UpdateChannelSettings(context.Background(), f.ws.ID, f.acctB.ID, store.ChannelSettings{Visibility: &level}); err != nil {
		t.Fatal(err)
	}
}

func orNil(s string) string {
	if s == "" {
		return "<nil>"
	}
	return s
}

func (f *fixture) testPaging(t *testing.T) {
	path := "/api/v1/companies/" + f.acme.ID + "/threads"
	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?offset=-1"} {
		if code, body := f.call(t, "alice", "GET", path+q, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	var all, first, second threadPage
	f.getJSON(t, "alice", path, &all)
	f.getJSON(t, "alice", path+"?limit=1", &first)
	f.getJSON(t, "alice", path+"?limit=1&offset=1", &second)
	if all.Total != 3 || len(all.Threads) != 3 {
		t.Fatalf("company threads: total %d, %d rows; want 3", all.Total, len(all.Threads))
	}
	if first.Total != 3 || len(first.Threads) != 1 || first.Threads[0].ID != all.Threads[0].ID || second.Threads[0].ID != all.Threads[1].ID {
		t.Errorf("pages: %+v / %+v", first, second)
	}
	for i := 1; i < len(all.Threads); i++ {
		if all.Threads[i-1].LastMessageAt < all.Threads[i].LastMessageAt {
			t.Errorf("threads not newest first: %s before %s", all.Threads[i-1].LastMessageAt, all.Threads[i].LastMessageAt)
		}
	}
	if all.Threads[0].Participants[0].Email != "pat@acme.test" {
		t.Errorf("senders first: %+v", all.Threads[0].Participants)
	}
}

func (f *fixture) testPeople(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
	}{
		{"create", `{"firstName":"Sam","lastName":"Lee","primaryEmail":"Sam@Acme.test","additionalEmails":["sam.lee@acme.test"],"companyId":"` + f.acme.ID + `"}`, 201},
		{"duplicate address", `{"primaryEmail":"sam@acme.test"}`, 409},
		{"address of another person", `{"primaryEmail":"pat@acme.test"}`, 409},
		{"no address", `{"firstName":"X"}`, 400},
		{"not an address", `{"primaryEmail":"not-an-email"}`, 400},
		{"unknown field", `{"primaryEmail":"z@acme.test","email":"z@acme.test"}`, 400},
		{"not JSON", `{"primaryEmail":`, 400},
	}
	var created store.Person
	for _, tt := range tests {
		code, body := f.call(t, "alice", "POST", "/api/v1/people", tt.body)
		if code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.code)
			continue
		}
		if code == 201 {
			json.Unmarshal([]byte(body), &created)
		} else {
			errorOf(t, body)
		}
	}
	if created.PrimaryEmail != "sam@acme.test" || created.CompanyID == nil || len(created.AdditionalEmails) != 1 {
		t.Fatalf("created %+v", created)
	}
	var got store.Person
	f.getJSON(t, "bob", "/api/v1/people/"+created.ID, &got)
	if got.FirstName != "Sam" {
		t.Errorf("GET created person: %+v", got)
	}
	var found []store.Person
	f.getJSON(t, "bob", "/api/v1/people?q=lee", &found)
	if len(found) != 1 || found[0].ID != created.ID {
		t.Errorf("search lee: %+v", found)
	}
	if code, _ := f.call(t, "alice", "DELETE", "/api/v1/people/"+created.ID, ""); code != http.StatusNoContent {
		t.Errorf("DELETE person: %d", code)
	}
	if code, _ := f.call(t, "alice", "GET", "/api/v1/people/"+created.ID, ""); code != http.StatusNotFound {
		t.Errorf("GET deleted person: %d", code)
	}
	if code, _ := f.call(t, "alice", "DELETE", "/api/v1/people/"+created.ID, ""); code != http.StatusNotFound {
		t.Errorf("DELETE deleted person: %d", code)
	}
	var companies []store.Company
	f.getJSON(t, "alice", "/api/v1/companies?q=ACME", &companies)
	if len(companies) != 1 || companies[0].ID != f.acme.ID {
		t.Errorf("company search: %+v", companies)
	}
}

func (f *fixture) testAccounts(t *testing.T) {
	var before []visibility.AccountView
	f.getJSON(t, "alice", "/api/v1/accounts", &before)
	tests := []struct {
		name, body string
		code       int
		message    string // in the error
	}{
		{"wrong password", `{"host":"imap.example.test","username":"new@ours.test","password":"bad"}`, 422, "username and password"},
		{"unreachable", `{"host":"unreachable.test","username":"new@ours.test","password":"good"}`, 422, "Cannot reach unreachable.test:993"},
		{"missing password", `{"host":"imap.example.test","username":"new@ours.test"}`, 400, "required"},
		{"bad security", `{"host":"h","username":"new@ours.test","password":"good","security":"ssl"}`, 400, "security"},
		{"username not an address", `{"host":"h","username":"new","password":"good"}`, 400, "address"},
		{"other provider", `{"provider":"gmail","host":"h","username":"new@ours.test","password":"good"}`, 400, "imap"},
		{"good", `{"host":"imap.example.test","username":"New@ours.test","password":"good","aliases":["n@ours.test"]}`, 201, ""},
		{"already connected", `{"host":"imap.example.test","username":"new@ours.test","password":"good"}`, 409, "already connected"},
	}
	var added visibility.AccountView
	for _, tt := range tests {
		code, body := f.call(t, "alice", "POST", "/api/v1/accounts", tt.body)
		if code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.code)
			continue
		}
		if code == 201 {
			json.Unmarshal([]byte(body), &added)
			continue
		}
		if msg := errorOf(t, body); !strings.Contains(msg, tt.message) {
			t.Errorf("%s: error %q lacks %q", tt.name, msg, tt.message)
		}
	}
	if added.Handle != "new@ours.test" || added.Port != 993 || added.Status != store.StatusNotSynced || added.Member != f.alice.Email {
		t.Errorf("added %+v", added)
	}
	if strings.Contains(added.Username, "good") {
		t.Error("password echoed")
	}
	f.queue.mu.Lock()
	queued := append([]string(nil), f.queue.ids...)
	f.queue.mu.Unlock()
	if len(queued) == 0 || queued[len(queued)-1] != added.ID {
		t.Errorf("initial import not queued: %v", queued)
	}
	var after []visibility.AccountView
	f.getJSON(t, "alice", "/api/v1/accounts", &after)
	if len(after) != len(before)+1 {
		t.Errorf("failed attempts saved accounts: %d → %d", len(before), len(after))
	}

	path := "/api/v1/accounts/" + added.ID
	for _, tt := range []struct {
		who, body string
		code      int
	}{
		{"alice", `{"visibility":"public"}`, 400},
		{"alice", `{"autoCreate":"always"}`, 400},
		{"alice", `{"color":"red"}`, 400},
		{"bob", `{"visibility":"metadata"}`, 403},
		{"alice", `{"visibility":"subject","autoCreate":"none","excludeGroup":false,"folders":["INBOX"," Sent "]}`, 200},
	} {
		if code, body := f.call(t, tt.who, "PATCH", path, tt.body); code != tt.code {
			t.Errorf("PATCH %s as %s: %d %s, want %d", tt.body, tt.who, code, body, tt.code)
		}
	}
	var a visibility.AccountView
	f.getJSON(t, "bob", path, &a)
	if a.Visibility != "subject" || a.AutoCreate != "none" || a.ExcludeGroup || !a.ExcludePersonal ||
		strings.Join(a.Folders, ",") != "INBOX,Sent" {
		t.Errorf("after PATCH: %+v", a)
	}
	// Changing the folders queues a sync; the same folders in another order do not.
	for _, tt := range []struct {
		body, want string
		queued     bool
	}{
		{`{"folders":["sent","inbox"]}`, "sent,inbox", false},
		{`{"folders":["INBOX","Archive"]}`, "INBOX,Archive", true},
		{`{"visibility":"metadata"}`, "INBOX,Archive", false},
		{`{"folders":[]}`, "", true},
	} {
		f.queue.reset()
		code, body := f.call(t, "alice", "PATCH", path, tt.body)
		var got visibility.AccountView
		json.Unmarshal([]byte(body), &got)
		if code != http.StatusOK || strings.Join(got.Folders, ",") != tt.want || f.queue.asked(added.ID) != tt.queued {
			t.Errorf("PATCH %s: %d folders %v queued %v, want %q queued %v", tt.body, code, got.Folders,
				f.queue.asked(added.ID), tt.want, tt.queued)
		}
	}
	if code, _ := f.call(t, "bob", "DELETE", path, ""); code != http.StatusForbidden {
		t.Errorf("bob deletes alice's account: %d", code)
	}
	if code, _ := f.call(t, "alice", "DELETE", path, ""); code != http.StatusNoContent {
		t.Errorf("DELETE account: %d", code)
	}
	if code, _ := f.call(t, "alice", "GET", path, ""); code != http.StatusNotFound {
		t.Errorf("GET deleted account: %d", code)
	}
}

func (f *fixture) testBlocklist(t *testing.T) {
	for _, tt := range []struct {
		body string
		code int
	}{
		{`{"entry":"Spam@Example.test"}`, 201},
		{`{"entry":"@lists.example.test"}`, 201},
		{`{"entry":"not an entry"}`, 400},
		{`{"entry":""}`, 400},
	} {
		if code, body := f.call(t, "bob", "POST", "/api/v1/blocklist", tt.body); code != tt.code {
			t.Errorf("POST %s: %d %s", tt.body, code, body)
		}
	}
	var entries []string
	f.getJSON(t, "bob", "/api/v1/blocklist", &entries)
	sort.Strings(entries)
	if strings.Join(entries, ",") != "@lists.example.test,spam@example.test" {
		t.Errorf("bob's blocklist: %v", entries)
	}
	var carols []string
	f.getJSON(t, "carol", "/api/v1/blocklist", &carols)
	if len(carols) != 0 {
		t.Errorf("carol sees bob's blocklist: %v", carols)
	}
	path := "/api/v1/blocklist/" + url.PathEscape("spam@example.test")
	if code, _ := f.call(t, "bob", "DELETE", path, ""); code != http.StatusNoContent {
		t.Errorf("DELETE entry: %d", code)
	}
	if code, _ := f.call(t, "bob", "DELETE", path, ""); code != http.StatusNotFound {
		t.Errorf("DELETE absent entry: %d", code)
	}
}

func (f *fixture) testMessageWhy(t *testing.T) {
	var own, other messageJSON
	f.getJSON(t, "alice", "/api/v1/messages/"+f.sharedMsg, &own)
	if len(own.Why) != 1 || own.Why[0].AccountID != f.acctA.ID || own.Why[0].Decision != "imported" || own.Why[0].Folder != "INBOX" {
		t.Errorf("alice's why: %+v", own.Why)
	}
	f.getJSON(t, "carol", "/api/v1/messages/"+f.sharedMsg, &other)
	if len(other.Why) != 0 {
		t.Errorf("carol sees decisions of mailboxes not hers: %+v", other.Why)
	}
	var evil messageJSON
	f.getJSON(t, "alice", "/api/v1/messages/"+f.evilMsg, &evil)
	if evil.HTML == nil {
		t.Fatal("evil message has no html")
	}
	for _, bad := range []string{"<script", "onerror", "javascript:", "onload", "<iframe", "onclick", "style=", ` src="https://tracker`} {
		if strings.Contains(*evil.HTML, bad) {
			t.Errorf("sanitized html keeps %q:\n%s", bad, *evil.HTML)
		}
	}
}
