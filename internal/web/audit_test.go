package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// TestAdminLimits is issue 12's case: an admin must not widen what they
// may read of a colleague's mailbox. Only the owner changes its sharing
// level, folders, exclusions and auto-creation; an admin may pause,
// resume and remove it; a plain member may do none of it.
func TestAdminLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		t.Run("API", f.testAdminLimitsAPI)
		t.Run("UI", f.testAdminLimitsUI)
		t.Run("Audit", f.testAudit)
	})
}

// settingsOf reads a mailbox's settings as the API shows them.
func (f *fixture) settingsOf(t *testing.T, id string) visibility.AccountView {
	t.Helper()
	a, err := f.st.Account(context.Background(), f.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return visibility.Account(a)
}

func (f *fixture) testAdminLimitsAPI(t *testing.T) {
	// bob owns acctB (shared as subject); alice is an admin, carol a member.
	path := "/api/v1/accounts/" + f.acctB.ID
	fields := []struct {
		name, body string
		changed    func(v visibility.AccountView) bool
	}{
		{"visibility", `{"visibility":"everything"}`, func(v visibility.AccountView) bool { return v.Visibility == "everything" }},
		{"folders", `{"folders":["INBOX","Secret"]}`, func(v visibility.AccountView) bool { return strings.Join(v.Folders, ",") == "INBOX,Secret" }},
		{"excludeGroup", `{"excludeGroup":false}`, func(v visibility.AccountView) bool { return !v.ExcludeGroup }},
		{"excludePersonal", `{"excludePersonal":false}`, func(v visibility.AccountView) bool { return !v.ExcludePersonal }},
		{"autoCreate", `{"autoCreate":"sent-and-received"}`, func(v visibility.AccountView) bool { return v.AutoCreate == "sent-and-received" }},
	}
	roles := []struct {
		who  string
		code int
	}{
		{"alice", http.StatusForbidden}, // admin
		{"carol", http.StatusForbidden}, // member
		{"eve", http.StatusNotFound},    // another workspace's admin
		{"bob", http.StatusOK},          // owner, last: it changes the setting
	}
	for _, field := range fields {
		for _, role := range roles {
			t.Run(field.name+"/"+role.who, func(t *testing.T) {
				before := f.settingsOf(t, f.acctB.ID)
				code, body := f.call(t, role.who, "PATCH", path, field.body)
				if code != role.code {
					t.Fatalf("PATCH %s as %s: %d %s, want %d", field.body, role.who, code, body, role.code)
				}
				after := f.settingsOf(t, f.acctB.ID)
				if role.code != http.StatusOK {
					if field.changed(after) || !sameSettings(before, after) {
						t.Fatalf("refused PATCH changed the mailbox: %+v → %+v", before, after)
					}
					return
				}
				if !field.changed(after) {
					t.Fatalf("owner's PATCH %s did not apply: %+v", field.body, after)
				}
			})
		}
	}
	// Put bob's sharing level back: the other tests expect subject.
	if code, body := f.call(t, "bob", "PATCH", path, `{"visibility":"subject","folders":[]}`); code != http.StatusOK {
		t.Fatalf("restore: %d %s", code, body)
	}

	// Pause and resume: the owner or an admin; not a colleague, not another workspace.
	for _, tt := range []struct {
		who, action string
		code        int
		status      string
	}{
		{"carol", "pause", http.StatusForbidden, store.StatusNotSynced},
		{"eve", "pause", http.StatusNotFound, store.StatusNotSynced},
		{"alice", "pause", http.StatusOK, store.StatusPaused},
		{"alice", "pause", http.StatusOK, store.StatusPaused}, // again: no change
		{"carol", "resume", http.StatusForbidden, store.StatusPaused},
		{"alice", "resume", http.StatusOK, store.StatusNotSynced},
		{"bob", "pause", http.StatusOK, store.StatusPaused},
		{"bob", "resume", http.StatusOK, store.StatusNotSynced},
	} {
		f.queue.reset()
		code, body := f.call(t, tt.who, "POST", path+"/"+tt.action, "")
		if code != tt.code {
			t.Fatalf("%s %s: %d %s, want %d", tt.who, tt.action, code, body, tt.code)
		}
		if got := f.settingsOf(t, f.acctB.ID).Status; got != tt.status {
			t.Fatalf("after %s %s: status %s, want %s", tt.who, tt.action, got, tt.status)
		}
		if code == http.StatusOK {
			var v visibility.AccountView
			if err := json.Unmarshal([]byte(body), &v); err != nil || v.Status != tt.status {
				t.Fatalf("%s answer: %v %s", tt.action, err, body)
			}
		}
		if queued := f.queue.asked(f.acctB.ID); queued != (tt.action == "resume" && code == http.StatusOK) {
			t.Fatalf("%s %s queued a sync: %v", tt.who, tt.action, queued)
		}
	}

	// Remove: a member may not remove a colleague's mailbox; an admin may.
	extra := f.addAccount(t, f.bob, "bob-extra@ours.test")
	if code, _ := f.call(t, "carol", "DELETE", "/api/v1/accounts/"+extra, ""); code != http.StatusForbidden {
		t.Fatalf("carol removes bob's mailbox: %d", code)
	}
	if code, body := f.call(t, "alice", "DELETE", "/api/v1/accounts/"+extra, ""); code != http.StatusNoContent {
		t.Fatalf("admin removes bob's mailbox: %d %s", code, body)
	}
	if code, _ := f.call(t, "bob", "GET", "/api/v1/accounts/"+extra, ""); code != http.StatusNotFound {
		t.Fatalf("removed mailbox still there: %d", code)
	}
}

// sameSettings reports whether two views of a mailbox have the same settings.
func sameSettings(a, b visibility.AccountView) bool {
	return a.Visibility == b.Visibility && a.AutoCreate == b.AutoCreate && a.ExcludeGroup == b.ExcludeGroup &&
		a.ExcludePersonal == b.ExcludePersonal && strings.Join(a.Folders, "\n") == strings.Join(b.Folders, "\n")
}

func (f *fixture) addAccount(t *testing.T, m *store.Member, handle string) string {
	t.Helper()
	a, err := f.st.AddAccount(context.Background(), store.NewAccount{WorkspaceID: m.WorkspaceID, MemberID: m.ID,
		Provider: "imap", Handle: handle, Host: "imap.test", Port: 993, Security: "tls", Username: handle, SecretEnc: f.box.Seal("pw")})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func (f *fixture) testAdminLimitsUI(t *testing.T) {
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	csrf := b.login(f.alice.Email)

	// Settings > Accounts lists bob's mailbox for the admin with Pause and
	// Remove only: no link to its settings.
	_, page := b.do("GET", "/settings/accounts", nil)
	for _, s := range []string{"Team mailboxes", f.bob.Email, "/settings/accounts/" + f.acctB.ID + "/pause",
		"/settings/accounts/" + f.acctB.ID + "/remove", `href="/settings/audit"`} {
		if !strings.Contains(page, s) {
			t.Errorf("admin's accounts page lacks %q", s)
		}
	}
	if strings.Contains(page, `href="/settings/emails/`+f.acctB.ID+`"`) {
		t.Error("admin's accounts page links to a colleague's mailbox settings")
	}

	// The settings form of bob's mailbox: refused to the admin, nothing changes.
	before := f.settingsOf(t, f.acctB.ID)
	if resp, _ := b.do("GET", "/settings/emails/"+f.acctB.ID, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin opens a colleague's mailbox settings: %d", resp.StatusCode)
	}
	resp, _ := b.do("POST", "/settings/emails/"+f.acctB.ID, url.Values{"csrf": {csrf}, "visibility": {"everything"},
		"autoCreate": {"on"}, "autoCreatePolicy": {"sent-and-received"}, "folderMode": {"pick"}, "folder": {"INBOX"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin saves a colleague's mailbox settings: %d", resp.StatusCode)
	}
	if after := f.settingsOf(t, f.acctB.ID); !sameSettings(before, after) || after.Visibility != visibility.Subject {
		t.Errorf("refused form changed the mailbox: %+v → %+v", before, after)
	}

	// Pause and resume from the page.
	for _, tt := range []struct{ action, status string }{{"pause", store.StatusPaused}, {"resume", store.StatusNotSynced}} {
		resp, _ := b.do("POST", "/settings/accounts/"+f.acctB.ID+"/"+tt.action, url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("UI %s: %d", tt.action, resp.StatusCode)
		}
		if got := f.settingsOf(t, f.acctB.ID).Status; got != tt.status {
			t.Errorf("after UI %s: %s", tt.action, got)
		}
	}
	if resp, page := b.do("GET", "/settings/audit", nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(page, store.AuditAccountPause) || !strings.Contains(page, f.alice.Email) {
		t.Errorf("admin's audit page: %d", resp.StatusCode)
	}

	// A plain member sees no colleague's mailbox, no audit log, and no
	// colleague's settings (404: their pages never list them).
	c := newBrowser(t, ts.URL)
	ccsrf := c.login(f.carol.Email)
	_, page = c.do("GET", "/settings/accounts", nil)
	if strings.Contains(page, "Team mailboxes") || strings.Contains(page, f.acctB.ID) || strings.Contains(page, `href="/settings/audit"`) {
		t.Error("a member's accounts page shows colleagues' mailboxes or the audit log")
	}
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/settings/audit", http.StatusForbidden},
		{"GET", "/settings/emails/" + f.acctB.ID, http.StatusNotFound},
		{"POST", "/settings/emails/" + f.acctB.ID, http.StatusNotFound},
		{"POST", "/settings/accounts/" + f.acctB.ID + "/pause", http.StatusForbidden},
		{"POST", "/settings/accounts/" + f.acctB.ID + "/remove", http.StatusForbidden},
	} {
		var form url.Values
		if tt.method == "POST" {
			form = url.Values{"csrf": {ccsrf}, "visibility": {"everything"}}
		}
		if resp, _ := c.do(tt.method, tt.path, form); resp.StatusCode != tt.code {
			t.Errorf("carol %s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.code)
		}
	}
	if after := f.settingsOf(t, f.acctB.ID); !sameSettings(before, after) || after.Status == store.StatusPaused {
		t.Errorf("carol changed bob's mailbox: %+v", after)
	}
}

// auditPageOf reads the audit log as who, from a proxy on a private
// address that names the client.
func (f *fixture) auditPageOf(t *testing.T, who string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/audit?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (f *fixture) testAudit(t *testing.T) {
	// A change made through a reverse proxy on a private address records
	// the client it names in X-Forwarded-For.
	req := httptest.NewRequest("POST", "/api/v1/blocklist", strings.NewReader(`{"entry":"@spam.test"}`))
	req.RemoteAddr = "10.0.0.7:4431"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("Authorization", "Bearer "+f.tokens["carol"])
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("block: %d %s", rec.Code, rec.Body.String())
	}
	// An account added with a password: the password is never recorded.
	const secretPassword = "good"
	code, body := f.call(t, "bob", "POST", "/api/v1/accounts",
		`{"host":"imap.audit.test","username":"bob-audit@ours.test","password":"`+secretPassword+`"}`)
	if code != http.StatusCreated {
		t.Fatalf("add account: %d %s", code, body)
	}

	for _, who := range []string{"bob", "carol"} {
		if code, _ := f.auditPageOf(t, who); code != http.StatusForbidden {
			t.Errorf("%s (not an admin) reads the audit log: %d", who, code)
		}
	}
	code, raw := f.auditPageOf(t, "alice")
	if code != http.StatusOK {
		t.Fatalf("admin reads the audit log: %d %s", code, raw)
	}
	var page auditPage
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != len(page.Entries) || page.Total == 0 {
		t.Fatalf("audit page: total %d, %d entries", page.Total, len(page.Entries))
	}
	for i := 1; i < len(page.Entries); i++ {
		if page.Entries[i].At.After(page.Entries[i-1].At) {
			t.Fatalf("audit log not newest first at %d", i)
		}
	}
	find := func(action, actor string) *store.AuditEntry {
		for _, e := range page.Entries {
			if e.Action == action && e.Actor == actor {
				return e
			}
		}
		t.Fatalf("no %s by %s in the audit log:\n%s", action, actor, raw)
		return nil
	}
	block := find(store.AuditBlocklistAdd, f.carol.Email)
	if block.IP != "203.0.113.9" || block.ActorID != f.carol.ID || block.Details["entry"] != "@spam.test" {
		t.Errorf("blocklist entry: %+v", block)
	}
	update := find(store.AuditAccountUpdate, f.bob.Email)
	if update.TargetID != f.acctB.ID || update.IP != "192.0.2.1" {
		t.Errorf("settings entry: %+v", update)
	}
	find(store.AuditAccountPause, f.alice.Email)
	find(store.AuditAccountResume, f.alice.Email)
	find(store.AuditAccountRemove, f.alice.Email)
	if added := find(store.AuditAccountAdd, f.bob.Email); added.Details["handle"] != "bob-audit@ours.test" {
		t.Errorf("account added: %+v", added)
	}
	// No refused change is recorded, and nothing secret is.
	for _, e := range page.Entries {
		if e.Actor == f.carol.Email && e.Action != store.AuditBlocklistAdd {
			t.Errorf("a refused change was recorded: %+v", e)
		}
	}
	for _, secret := range []string{`"` + secretPassword + `"`, "pw", f.tokens["bob"], f.tokens["alice"], soloBody, sharedBody, soloSubject} {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit log holds %q", secret)
		}
	}
	// Another workspace's admin sees none of it.
	code, other := f.auditPageOf(t, "eve")
	if code != http.StatusOK || strings.Contains(other, f.acctB.ID) || strings.Contains(other, f.alice.Email) {
		t.Errorf("eve's audit log: %d %s", code, other)
	}
}
