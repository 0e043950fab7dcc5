package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// The roles of the authorization matrix, in the order they are tried
// (the owner last: its request may change the resource).
var matrixRoles = []string{"anon", "other", "member", "admin", "owner"}

// who is the fixture member playing each role: bob owns the mailbox the
// routes target and holds the shared thread; carol is a plain member;
// alice an admin; eve an admin of another workspace.
var matrixWho = map[string]string{"member": "carol", "owner": "bob", "admin": "alice", "other": "eve"}

// expect is the status each role gets.
type expect struct{ anon, other, member, admin, owner int }

func (e expect) of(role string) int {
	return map[string]int{"anon": e.anon, "other": e.other, "member": e.member, "admin": e.admin, "owner": e.owner}[role]
}

// everyone is the same status for every role.
func everyone(code int) expect { return expect{code, code, code, code, code} }

// Common shapes. API: 401 without a token; another workspace's ids answer
// 404 like unknown ones. UI: a GET without a session goes to the login
// page (303), any other method is 401.
var (
	apiList      = expect{401, 200, 200, 200, 200} // the caller's own workspace
	apiRecord    = expect{401, 404, 200, 200, 200}
	apiAdminOnly = expect{401, 200, 403, 200, 403} // eve administers her own workspace
	uiList       = expect{303, 200, 200, 200, 200}
	uiRecord     = expect{303, 404, 200, 200, 200}
	uiPost       = expect{401, 303, 303, 303, 303}
)

// matrixCase is one route: how to build a request for a role (a fresh
// resource when the request would remove it), and what each role gets.
type matrixCase struct {
	// req returns the path and body (JSON for the API, a form for the UI,
	// without its csrf field) of the request.
	req  func(t *testing.T, f *fixture) (path, body string)
	want expect
	// fresh logs the role in anew for this request (logout ends the session).
	fresh bool
}

func fixed(path, body string) func(*testing.T, *fixture) (string, string) {
	return func(*testing.T, *fixture) (string, string) { return path, body }
}

var uniq atomic.Int64

func next() int64 { return uniq.Add(1) }

// matrix has one entry per route pattern the router holds.
func matrix(t *testing.T, f *fixture) map[string]matrixCase {
	// bob's mailbox shares subjects: only bob reads its attachments.
	files := f.withFiles(t, f.acctB, "matrix-files@acme.test")
	// Access requests on two more threads of bob's: one that requests
	// only ask for, one whose requests (carol's) are decided, so that no
	// grant changes what another entry expects.
	threadOf := func(key string) string {
		m, err := f.st.Message(t.Context(), f.ws.ID, f.withFiles(t, f.acctB, key))
		if err != nil {
			t.Fatal(err)
		}
		return m.ThreadID
	}
	askedThread, decidedThread := threadOf("matrix-asked@acme.test"), threadOf("matrix-decided@acme.test")
	request := func(granted bool) string {
		r, err := f.st.CreateAccessRequest(t.Context(), store.MemberActor(f.carol, "test"), f.ws.ID, decidedThread, "")
		if err != nil {
			t.Fatal(err)
		}
		if granted {
			if err := f.st.DecideAccessRequest(t.Context(), store.MemberActor(f.bob, "test"), f.ws.ID, r.ID,
				store.AccessPending, store.AccessGranted, store.AuditAccessGrant); err != nil {
				t.Fatal(err)
			}
		}
		return r.ID
	}
	decide := func(prefix, action string, granted bool) func(*testing.T, *fixture) (string, string) {
		return func(*testing.T, *fixture) (string, string) { return prefix + request(granted) + "/" + action, "" }
	}
	acct := "/api/v1/accounts/" + f.acctB.ID
	newAccount := func(t *testing.T, f *fixture) string {
		return f.addAccount(t, f.bob, fmt.Sprintf("bob-%d@ours.test", next()))
	}
	return map[string]matrixCase{
		"GET /healthz":            {req: fixed("/healthz", ""), want: everyone(200)},
		"GET /readyz":             {req: fixed("/readyz", ""), want: everyone(503)}, // the fixture runs no workers: not ready, for anyone alike
		"GET /static/":            {req: fixed("/static/app.css", ""), want: everyone(200)},
		"GET /{$}":                {req: fixed("/", ""), want: expect{200, 303, 303, 303, 303}},
		"GET /login":              {req: fixed("/login", ""), want: expect{200, 303, 303, 303, 303}},
		"POST /login":             {req: fixed("/login", "email=x%40ours.test&password=wrong"), want: everyone(403)}, // no login form token
		"POST /logout":            {req: fixed("/logout", ""), want: uiPost, fresh: true},
		"POST /logout/everywhere": {req: fixed("/logout/everywhere", ""), want: uiPost, fresh: true},
		"GET /settings/tokens":    {req: fixed("/settings/tokens", ""), want: uiList},
		// A member revokes only their own tokens: bob's token is unknown
		// to everyone else, admins included.
		"POST /settings/tokens/{id}/revoke": {req: func(t *testing.T, f *fixture) (string, string) {
			id, _, err := f.st.CreateToken(context.Background(), f.bob.ID, "matrix")
			if err != nil {
				t.Fatal(err)
			}
			return "/settings/tokens/" + id + "/revoke", ""
		}, want: expect{401, 404, 404, 404, 303}},
		"GET /people":                   {req: fixed("/people", ""), want: uiList},
		"GET /people/{id}":              {req: func(t *testing.T, f *fixture) (string, string) { return "/people/" + f.pat.ID, "" }, want: uiRecord},
		"GET /companies":                {req: fixed("/companies", ""), want: uiList},
		"GET /companies/{id}":           {req: func(t *testing.T, f *fixture) (string, string) { return "/companies/" + f.acme.ID, "" }, want: uiRecord},
		"GET /search":                   {req: fixed("/search?q=pat", ""), want: uiList},
		"GET /threads/{id}":             {req: func(t *testing.T, f *fixture) (string, string) { return "/threads/" + f.sharedThread, "" }, want: uiRecord},
		"GET /settings":                 {req: fixed("/settings", ""), want: everyone(303)},
		"GET /settings/accounts":        {req: fixed("/settings/accounts", ""), want: uiList},
		"GET /settings/accounts/status": {req: fixed("/settings/accounts/status", ""), want: uiList},
		"POST /settings/accounts": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/accounts", url.Values{"preset": {"custom"}, "host": {"imap.test"}, "port": {"993"}, "security": {"tls"},
				"username": {fmt.Sprintf("u%d@ours.test", next())}, "password": {"good"}}.Encode()
		}, want: uiPost},
		// A member sees the workspace's mailboxes (GET /api/v1/accounts):
		// 403, not 404, for one that is not theirs.
		"POST /settings/accounts/{id}/remove": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/accounts/" + newAccount(t, f) + "/remove", ""
		}, want: expect{401, 404, 403, 303, 303}},
		"POST /settings/accounts/{id}/pause": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/accounts/" + f.acctB.ID + "/pause", ""
		}, want: expect{401, 404, 403, 303, 303}},
		"POST /settings/accounts/{id}/resume": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/accounts/" + f.acctB.ID + "/resume", ""
		}, want: expect{401, 404, 403, 303, 303}},
		"GET /settings/emails": {req: fixed("/settings/emails", ""), want: uiList},
		// Only the owner opens a mailbox's settings; the admin knows it
		// (Settings > Accounts lists it to them): 403; a member's pages
		// never show it: 404.
		"GET /settings/emails/{id}": {req: func(t *testing.T, f *fixture) (string, string) { return "/settings/emails/" + f.acctB.ID, "" }, want: expect{303, 404, 404, 403, 200}},
		"POST /settings/emails/{id}": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/emails/" + f.acctB.ID, "visibility=subject&folderMode=default"
		}, want: expect{401, 404, 404, 403, 303}},
		"GET /settings/blocklist":         {req: fixed("/settings/blocklist", ""), want: uiList},
		"POST /settings/blocklist":        {req: fixed("/settings/blocklist", "entry=%40spam.test"), want: uiPost},
		"POST /settings/blocklist/remove": {req: fixed("/settings/blocklist/remove", "entry=%40spam.test"), want: uiPost},
		"GET /settings/workspace":         {req: fixed("/settings/workspace", ""), want: expect{303, 200, 403, 200, 403}},
		"POST /settings/workspace":        {req: fixed("/settings/workspace", ""), want: expect{401, 303, 403, 303, 403}},
		"POST /settings/accounts/preview": {req: fixed("/settings/accounts/preview", "preset=other&host=imap.acme.test&port=143&security=none&username=x%40acme.test&password=p"), want: expect{401, 422, 422, 422, 422}},
		"GET /settings/webhooks":          {req: fixed("/settings/webhooks", ""), want: expect{303, 200, 403, 200, 403}},
		"POST /settings/webhooks":         {req: fixed("/settings/webhooks", "url=https%3A%2F%2F192.0.2.1%2Fh"), want: expect{401, 200, 403, 200, 403}},
		"POST /settings/webhooks/{id}/remove": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/webhooks/" + f.webhook(t) + "/remove", ""
		}, want: expect{401, 404, 403, 303, 403}},
		"GET /settings/audit": {req: fixed("/settings/audit", ""), want: expect{303, 200, 403, 200, 403}},
		// OAuth applications are not configured in the fixture: the start
		// says so; a callback without its state is refused.
		"GET /oauth/{provider}/start":    {req: fixed("/oauth/google/start", ""), want: expect{303, 503, 503, 503, 503}},
		"GET /oauth/{provider}/callback": {req: fixed("/oauth/google/callback?state=forged&code=x", ""), want: expect{303, 503, 503, 503, 503}},

		"GET /api/v1/openapi.json": {req: fixed("/api/v1/openapi.json", ""), want: everyone(200)},
		"/api/v1/":                 {req: fixed("/api/v1/nothing-here", ""), want: everyone(404)},
		"GET /api/v1/people":       {req: fixed("/api/v1/people", ""), want: apiList},
		"POST /api/v1/people": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/people", fmt.Sprintf(`{"primaryEmail":"new%d@acme.test"}`, next())
		}, want: expect{401, 201, 201, 201, 201}},
		"GET /api/v1/people/{id}": {req: func(t *testing.T, f *fixture) (string, string) { return "/api/v1/people/" + f.pat.ID, "" }, want: apiRecord},
		"DELETE /api/v1/people/{id}": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/people/" + f.newPerson(t), ""
		}, want: expect{401, 404, 204, 204, 204}},
		"GET /api/v1/people/{id}/threads": {req: func(t *testing.T, f *fixture) (string, string) { return "/api/v1/people/" + f.pat.ID + "/threads", "" }, want: apiRecord},
		"GET /api/v1/companies":           {req: fixed("/api/v1/companies", ""), want: apiList},
		"GET /api/v1/companies/{id}":      {req: func(t *testing.T, f *fixture) (string, string) { return "/api/v1/companies/" + f.acme.ID, "" }, want: apiRecord},
		"DELETE /api/v1/companies/{id}": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/companies/" + f.newCompany(t), ""
		}, want: expect{401, 404, 204, 204, 204}},
		"GET /api/v1/companies/{id}/threads": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/companies/" + f.acme.ID + "/threads", ""
		}, want: apiRecord},
		"GET /api/v1/threads/{id}":                      {req: func(t *testing.T, f *fixture) (string, string) { return "/api/v1/threads/" + f.sharedThread, "" }, want: apiRecord},
		"GET /api/v1/messages/{id}":                     {req: func(t *testing.T, f *fixture) (string, string) { return "/api/v1/messages/" + f.sharedMsg, "" }, want: apiRecord},
		"GET /api/v1/search":                            {req: fixed("/api/v1/search?q=test", ""), want: apiList},
		"GET /messages/{id}/attachments/{index}":        {req: fixed("/messages/"+files+"/attachments/0", ""), want: expect{303, 404, 404, 404, 200}},
		"GET /api/v1/messages/{id}/attachments/{index}": {req: fixed("/api/v1/messages/"+files+"/attachments/0", ""), want: expect{401, 404, 404, 404, 200}},
		"GET /api/v1/accounts":                          {req: fixed("/api/v1/accounts", ""), want: apiList},
		"POST /api/v1/accounts": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/accounts", fmt.Sprintf(`{"host":"imap.test","port":993,"security":"tls","username":"u%d@ours.test","password":"good"}`, next())
		}, want: expect{401, 201, 201, 201, 201}},
		"GET /api/v1/accounts/{id}":   {req: fixed(acct, ""), want: apiRecord},
		"PATCH /api/v1/accounts/{id}": {req: fixed(acct, `{"visibility":"subject"}`), want: expect{401, 404, 403, 403, 200}},
		"DELETE /api/v1/accounts/{id}": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/accounts/" + newAccount(t, f), ""
		}, want: expect{401, 404, 403, 204, 204}},
		// The fixture's mailbox has no reachable SMTP server: 502 means
		// the caller got past authorization and the send failed.
		"POST /api/v1/accounts/{id}/messages": {req: fixed(acct+"/messages", `{"to":["pat@acme.test"],"text":"hi"}`), want: expect{401, 404, 403, 403, 502}},
		// The owner gets past authorization; the fixture's host check
		// refuses the loopback server: 400.
		"POST /settings/emails/{id}/smtp": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/settings/emails/" + f.acctB.ID + "/smtp", "host=127.0.0.1&port=587&security=starttls&username=bob"
		}, want: expect{401, 404, 404, 403, 400}},
		"GET /compose": {req: fixed("/compose?to=pat%40acme.test", ""), want: uiList},
		"POST /compose": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/compose", url.Values{"account": {f.acctB.ID}, "to": {"pat@acme.test"}, "subject": {"hi"}, "text": {"hi"}}.Encode()
		}, want: expect{401, 404, 403, 403, 502}},
		"POST /api/v1/accounts/{id}/pause":  {req: fixed(acct+"/pause", ""), want: expect{401, 404, 403, 200, 200}},
		"POST /api/v1/accounts/{id}/resume": {req: fixed(acct+"/resume", ""), want: expect{401, 404, 403, 200, 200}},
		// Reconciling dials the mailbox, whose fixture password the fake
		// server refuses: 502 means the caller got past authorization.
		"GET /api/v1/accounts/{id}/reconcile":  {req: fixed(acct+"/reconcile", ""), want: expect{401, 404, 403, 502, 502}},
		"POST /api/v1/accounts/{id}/reconcile": {req: fixed(acct+"/reconcile", ""), want: expect{401, 404, 403, 502, 502}},
		"GET /api/v1/blocklist":                {req: fixed("/api/v1/blocklist", ""), want: apiList},
		"POST /api/v1/blocklist":               {req: fixed("/api/v1/blocklist", `{"entry":"@spam.test"}`), want: expect{401, 201, 201, 201, 201}},
		"DELETE /api/v1/blocklist/{entry}":     {req: fixed("/api/v1/blocklist/@spam.test", ""), want: expect{401, 204, 204, 204, 204}},
		"GET /api/v1/workspace":                {req: fixed("/api/v1/workspace", ""), want: apiList},
		"PATCH /api/v1/workspace":              {req: fixed("/api/v1/workspace", `{"importInternal":false}`), want: apiAdminOnly},
		"GET /api/v1/audit":                    {req: fixed("/api/v1/audit", ""), want: apiAdminOnly},

		// Access requests: anyone withheld from the thread asks (its owner
		// reads it in full: 409); only the owner of a mailbox holding it decides.
		"POST /api/v1/threads/{id}/access-requests": {req: fixed("/api/v1/threads/"+askedThread+"/access-requests", ""), want: expect{401, 404, 201, 201, 409}},
		"GET /api/v1/access-requests":               {req: fixed("/api/v1/access-requests", ""), want: apiList},
		"POST /api/v1/access-requests/{id}/grant":   {req: decide("/api/v1/access-requests/", "grant", false), want: expect{401, 404, 403, 403, 200}},
		"POST /api/v1/access-requests/{id}/deny":    {req: decide("/api/v1/access-requests/", "deny", false), want: expect{401, 404, 403, 403, 200}},
		"POST /api/v1/access-requests/{id}/revoke":  {req: decide("/api/v1/access-requests/", "revoke", true), want: expect{401, 404, 403, 403, 200}},
		"POST /threads/{id}/access-requests":        {req: fixed("/threads/"+askedThread+"/access-requests", "note=please"), want: expect{401, 404, 303, 303, 409}},
		"GET /access":                               {req: fixed("/access", ""), want: uiList},
		"POST /access/{id}/{action}":                {req: decide("/access/", "grant", false), want: expect{401, 404, 403, 403, 303}},

		"POST /api/v1/accounts/preview": {req: fixed("/api/v1/accounts/preview", `{"host":"imap.acme.test","port":143,"security":"none","username":"x@acme.test","password":"p"}`), want: expect{401, 422, 422, 422, 422}},
		"GET /api/v1/events":            {req: fixed("/api/v1/events", ""), want: apiList},
		"GET /api/v1/webhooks":          {req: fixed("/api/v1/webhooks", ""), want: apiAdminOnly},
		"POST /api/v1/webhooks":         {req: fixed("/api/v1/webhooks", `{"url":"https://192.0.2.1/hook"}`), want: expect{401, 201, 403, 201, 403}},
		"DELETE /api/v1/webhooks/{id}": {req: func(t *testing.T, f *fixture) (string, string) {
			return "/api/v1/webhooks/" + f.webhook(t), ""
		}, want: expect{401, 404, 403, 204, 403}},
	}
}

// TestAuthorizationMatrix sends every route of the router, as every role,
// and checks the status: 401 without credentials, 404 for another
// workspace's ids, 403 only where the caller knows the resource exists.
func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ts := httptest.NewServer(f.srv)
		defer ts.Close()
		cases := matrix(t, f)
		var missing []string
		for _, p := range f.srv.mux.patterns {
			if _, ok := cases[p]; !ok {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			t.Fatalf("routes without an entry in the authorization matrix (add them to matrix in matrix_test.go): %q", missing)
		}
		for p := range cases {
			if !slices.Contains(f.srv.mux.patterns, p) {
				t.Errorf("matrix entry %q matches no route", p)
			}
		}
		sessions := map[string]*browser{}
		csrf := map[string]string{}
		for role, who := range matrixWho {
			sessions[role] = newBrowser(t, ts.URL)
			csrf[role] = sessions[role].login(f.memberEmail(who))
		}
		sessions["anon"] = newBrowser(t, ts.URL)
		for _, pattern := range f.srv.mux.patterns {
			c := cases[pattern]
			method, _, ok := strings.Cut(pattern, " ")
			if !ok {
				method = "GET" // a pattern for every method
			}
			for _, role := range matrixRoles {
				path, body := c.req(t, f)
				got := f.matrixCall(t, ts.URL, role, method, path, body, sessions, csrf, c.fresh)
				if want := c.want.of(role); got != want {
					t.Errorf("%s (%s %s) as %s: %d, want %d", pattern, method, path, role, got, want)
				}
				if c.fresh && role != "anon" { // the role's sessions may have ended
					sessions[role] = newBrowser(t, ts.URL)
					csrf[role] = sessions[role].login(f.memberEmail(matrixWho[role]))
				}
			}
		}
	})
}

// matrixCall sends one request as role: a bearer token for the API, the
// role's browser session (with its CSRF token) for everything else.
func (f *fixture) matrixCall(t *testing.T, base, role, method, path, body string,
	sessions map[string]*browser, csrf map[string]string, fresh bool) int {
	t.Helper()
	if strings.HasPrefix(path, "/api/v1/") {
		code, _ := f.call(t, matrixWho[role], method, path, body)
		return code
	}
	b, token := sessions[role], csrf[role]
	if fresh && role != "anon" {
		b = newBrowser(t, base)
		token = b.login(f.memberEmail(matrixWho[role]))
	}
	var form url.Values
	if method != "GET" {
		form, _ = url.ParseQuery(body)
		if token != "" {
			form.Set("csrf", token)
		}
	}
	resp, _ := b.do(method, path, form)
	return resp.StatusCode
}

func (f *fixture) memberEmail(name string) string {
	for _, m := range []*struct{ n, e string }{{"alice", f.alice.Email}, {"bob", f.bob.Email}, {"carol", f.carol.Email}, {"eve", f.eve.Email}} {
		if m.n == name {
			return m.e
		}
	}
	panic("no member " + name)
}

// newPerson and newCompany add a record of the fixture's workspace for a
// request that deletes it.
func (f *fixture) newPerson(t *testing.T) string {
	p, err := f.st.AddPerson(context.Background(), f.ws.ID, store.NewPerson{FirstName: "Temp",
		Emails: []string{fmt.Sprintf("temp%d@acme.test", next())}, CreatedBy: store.CreatedByUser})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func (f *fixture) newCompany(t *testing.T) string {
	c, err := f.st.AddCompany(context.Background(), f.ws.ID, "Temp", fmt.Sprintf("temp%d.test", next()), store.CreatedByUser)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
