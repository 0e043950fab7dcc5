package web

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%.500s", html)
	}
	return m[1]
}

// login logs in through the form and returns the session's CSRF token.
func (b *browser) login(email string) string {
	b.t.Helper()
	_, page := b.do("GET", "/login", nil)
	resp, body := b.do("POST", "/login", url.Values{"csrf": {csrfOf(b.t, page)}, "email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/people" {
		b.t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
	_, people := b.do("GET", "/people", nil)
	return csrfOf(b.t, people)
}

func (f *fixture) testUI(t *testing.T) {
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	t.Run("Login", func(t *testing.T) {
		b := newBrowser(t, ts.URL)
		resp, page := b.do("GET", "/", nil)
		if resp.StatusCode != 200 || !strings.Contains(page, `action="/login"`) {
			t.Fatalf("GET / logged out: %d", resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "img-src 'self' data:;") {
			t.Errorf("CSP %q", csp)
		}
		if resp, _ := b.do("GET", "/people/"+f.pat.ID, nil); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("logged-out person page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		token := csrfOf(t, page)
		for _, tc := range []struct {
			name, csrf, email, password string
			code                        int
		}{
			{"no csrf", "", f.alice.Email, password, http.StatusForbidden},
			{"wrong csrf", "forged", f.alice.Email, password, http.StatusForbidden},
			{"wrong password", "valid", f.alice.Email, "nope", http.StatusUnauthorized},
			{"unknown email", "valid", "nobody@ours.test", password, http.StatusUnauthorized},
		} {
			form := url.Values{"email": {tc.email}, "password": {tc.password}}
			switch tc.csrf {
			case "valid":
				form.Set("csrf", token)
			case "forged":
				form.Set("csrf", tc.csrf)
			}
			resp, body := b.do("POST", "/login", form)
			if resp.StatusCode != tc.code {
				t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.code)
			}
			for _, c := range resp.Cookies() {
				if c.Name == sessionCookie {
					t.Errorf("%s: a session cookie was set", tc.name)
				}
			}
			if tc.code == http.StatusUnauthorized && !strings.Contains(body, "Wrong email or password.") {
				t.Errorf("%s: no error shown", tc.name)
			}
			token = csrfOf(t, body)
		}
		resp, _ = b.do("POST", "/login", url.Values{"csrf": {token}, "email": {" Alice@Ours.test "}, "password": {password},
			"next": {"//evil.test/x"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/people" {
			t.Fatalf("good login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookie {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
			t.Fatalf("session cookie %+v (Secure only over TLS)", session)
		}
		var n int
		if err := f.st.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sessions WHERE token_hash = $1`,
			session.Value).Scan(&n); err != nil || n != 0 {
			t.Errorf("the session token is stored in clear (%d, %v)", n, err)
		}
		_, people := b.do("GET", "/people", nil)
		if !strings.Contains(people, "Pat Doe") {
			t.Error("People list lacks Pat Doe")
		}
		csrf := csrfOf(t, people)
		if resp, _ := b.do("POST", "/logout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("logout: %d", resp.StatusCode)
		}
		if resp, _ := b.do("GET", "/people", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after logout: %d", resp.StatusCode)
		}
		// The old cookie is dead on the server too.
		old := newBrowser(t, ts.URL)
		u, _ := url.Parse(ts.URL)
		old.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: session.Value}})
		if resp, _ := old.do("GET", "/people", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("replayed session after logout: %d", resp.StatusCode)
		}
	})

	t.Run("LoginThrottle", func(t *testing.T) {
		c := &clock{t: time.Now()}
		f.srv.logins = newLoginLimiter(f.st, c.now)
		defer func() {
			f.srv.logins = newLoginLimiter(f.st, time.Now)
			if _, err := f.st.DB.ExecContext(context.Background(), `DELETE FROM login_failures`); err != nil {
				t.Fatal(err)
			}
		}()
		b := newBrowser(t, ts.URL)
		_, page := b.do("GET", "/login", nil)
		try := func(email, pw string) (*http.Response, string) {
			t.Helper()
			resp, body := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "email": {email}, "password": {pw}})
			page = body
			return resp, body
		}
		for i := range loginMaxPerEmail {
			if resp, _ := try(f.carol.Email, "wrong"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
			}
		}
		// Even the right password is refused now, in any case of the email.
		resp, body := try(strings.ToUpper(f.carol.Email), password)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" ||
			!strings.Contains(body, "Too many failed attempts: try again in 15 minutes") {
			t.Errorf("sixth attempt: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookie {
				t.Error("a throttled login set a session cookie")
			}
		}
		c.advance(loginWindow - 90*time.Second)
		if _, body := try(f.carol.Email, password); !strings.Contains(body, "try again in 2 minutes") {
			t.Error("the wait does not count down")
		}
		// Another email from the same address still logs in.
		if resp, _ := try(f.bob.Email, password); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("bob while carol is throttled: %d", resp.StatusCode)
		}
		c.advance(90 * time.Second)
		b = newBrowser(t, ts.URL)
		_, page = b.do("GET", "/login", nil)
		if resp, _ := try(f.carol.Email, password); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after the window: %d", resp.StatusCode)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		b := newBrowser(t, ts.URL)
		csrf := b.login(f.carol.Email)
		for _, forged := range []url.Values{{"entry": {"csrf@evil.test"}}, {"entry": {"csrf@evil.test"}, "csrf": {"x" + csrf}}} {
			if resp, _ := b.do("POST", "/settings/blocklist", forged); resp.StatusCode != http.StatusForbidden {
				t.Errorf("forged POST: %d", resp.StatusCode)
			}
		}
		if entries, _ := f.st.Blocklist(context.Background(), f.carol.ID); len(entries) != 0 {
			t.Fatalf("a forged form changed the blocklist: %v", entries)
		}
		resp, _ := b.do("POST", "/settings/blocklist", url.Values{"entry": {"Real@Example.test"}, "csrf": {csrf}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST with token: %d", resp.StatusCode)
		}
		_, page := b.do("GET", "/settings/blocklist", nil)
		if !strings.Contains(page, "real@example.test") {
			t.Error("blocklist page lacks the entry")
		}
		resp, page = b.do("POST", "/settings/blocklist", url.Values{"entry": {"not valid"}, "csrf": {csrf}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
			t.Errorf("invalid entry: %d", resp.StatusCode)
		}
		b.do("POST", "/settings/blocklist/remove", url.Values{"entry": {"real@example.test"}, "csrf": {csrf}})
		if entries, _ := f.st.Blocklist(context.Background(), f.carol.ID); len(entries) != 0 {
			t.Errorf("remove left %v", entries)
		}
	})

	t.Run("Pages", func(t *testing.T) {
		b := newBrowser(t, ts.URL)
		b.login(f.carol.Email)
		tests := []struct {
			path      string
			code      int
			want, not []string
		}{
			{"/people?q=pat", 200, []string{"Pat Doe", "Acme"}, nil},
			{"/people?q=zzz", 200, []string{"No one matches"}, []string{"Pat Doe"}},
			{"/companies", 200, []string{"Acme", "acme.test"}, []string{"Other"}},
			{"/companies/" + f.acme.ID, 200, []string{"Emails", "Pat Doe", sharedSubject, "Subject hidden: shared as Metadata Only",
				"Content hidden: shared as Subject and Metadata"}, []string{soloSubject, soloBody, sharedBody}},
			{"/people/" + f.pat.ID, 200, []string{"Emails", evilSubject, "3 threads"}, []string{soloSubject}},
			{"/threads/" + f.soloThread, 200, []string{"Subject hidden: shared as Metadata Only", "Pat Doe"}, []string{soloSubject, soloBody}},
			{"/threads/" + f.sharedThread, 200, []string{sharedSubject, "Content hidden"}, []string{sharedBody}},
			{"/threads/" + f.evilThread, 200, []string{"Hello from Acme", "Show images", `data-src="https://tracker.example/pixel.gif"`},
				[]string{"<script>window.__pwned", "onerror=", "javascript:", ` src="https://tracker`, "onload=", "onclick="}},
			{"/settings/accounts", 200, []string{"Add account", "imap.gmail.com", "Custom", f.carol.Email}, []string{f.alice.Email}},
			{"/settings/emails", 303, nil, nil},
			{"/settings/blocklist", 200, []string{"Blocklist"}, nil},
			// Another workspace's ids, and a colleague's mailbox settings: not found.
			{"/people/" + f.evePerson, 404, []string{"not shared with you"}, []string{"Eve"}},
			{"/companies/" + f.eveCompany, 404, nil, []string{"Other"}},
			{"/threads/" + f.eveThread, 404, nil, []string{"eve secret"}},
			{"/settings/emails/" + f.acctA.ID, 404, nil, nil},
			{"/settings/emails/" + f.acctE.ID, 404, nil, nil},
		}
		for _, tt := range tests {
			resp, page := b.do("GET", tt.path, nil)
			if resp.StatusCode != tt.code {
				t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.code)
			}
			for _, s := range tt.want {
				if !strings.Contains(page, s) {
					t.Errorf("%s lacks %q", tt.path, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(page, s) {
					t.Errorf("%s shows %q", tt.path, s)
				}
			}
		}
		resp, page := b.do("GET", "/threads/"+f.evilThread+"?images=show", nil)
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: https:") ||
			!strings.Contains(page, `src="https://tracker.example/pixel.gif"`) {
			t.Errorf("Show images does not load images")
		}
	})

	t.Run("Settings", func(t *testing.T) {
		b := newBrowser(t, ts.URL)
		csrf := b.login(f.bob.Email)
		_, page := b.do("GET", "/settings/emails/"+f.acctB.ID, nil)
		for _, s := range []string{"Metadata Only", "Subject and Metadata", "All Email Content",
			"Share only the basic information of the email", "Exclude group emails", "Exclude personal emails", "Auto-create contacts"} {
			if !strings.Contains(page, s) {
				t.Errorf("mailbox settings lack %q", s)
			}
		}
		resp, _ := b.do("POST", "/settings/emails/"+f.acctB.ID, url.Values{"csrf": {csrf}, "visibility": {"metadata"},
			"autoCreate": {"on"}, "autoCreatePolicy": {"sent-and-received"}, "excludePersonal": {"on"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save settings: %d", resp.StatusCode)
		}
		a, err := f.st.Account(context.Background(), f.ws.ID, f.acctB.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Visibility != "metadata" || a.AutoCreate != "sent-and-received" || a.ExcludeGroup || !a.ExcludePersonal {
			t.Errorf("saved %s %s %v %v", a.Visibility, a.AutoCreate, a.ExcludeGroup, a.ExcludePersonal)
		}
		b.do("POST", "/settings/emails/"+f.acctB.ID, url.Values{"csrf": {csrf}, "visibility": {"subject"},
			"autoCreate": {"on"}, "autoCreatePolicy": {"sent"}, "excludeGroup": {"on"}, "excludePersonal": {"on"}})
		if resp, _ := b.do("POST", "/settings/emails/"+f.acctB.ID, url.Values{"csrf": {csrf}, "visibility": {"public"}}); resp.StatusCode != 400 {
			t.Errorf("invalid level: %d", resp.StatusCode)
		}

		// Before the first sync there are no folders to pick.
		fresh, err := f.st.AddAccount(context.Background(), store.NewAccount{WorkspaceID: f.ws.ID, MemberID: f.bob.ID,
			Provider: "imap", Handle: "bob-new@ours.test", Host: "imap.test", Port: 993, Security: "tls",
			Username: "bob-new@ours.test", SecretEnc: f.box.Seal("pw")})
		if err != nil {
			t.Fatal(err)
		}
		_, page = b.do("GET", "/settings/emails/"+fresh.ID, nil)
		if !strings.Contains(page, "Folders appear after the first sync") || strings.Contains(page, `name="folderMode"`) {
			t.Error("a mailbox never synced offers folders")
		}
		if err := f.st.DeleteAccount(context.Background(), f.ws.ID, fresh.ID); err != nil {
			t.Fatal(err)
		}

		// Add account: a wrong password shows the reason on the form and saves nothing.
		resp, page = b.do("POST", "/settings/accounts", url.Values{"csrf": {csrf}, "preset": {"fastmail"},
			"username": {"bob2@ours.test"}, "password": {"bad"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "refused the login") ||
			!strings.Contains(page, "imap.fastmail.com") || strings.Contains(page, `value="bad"`) {
			t.Errorf("wrong password: %d", resp.StatusCode)
		}
		resp, _ = b.do("POST", "/settings/accounts", url.Values{"csrf": {csrf}, "preset": {"custom"}, "host": {"mail.ours.test"},
			"port": {"143"}, "security": {"starttls"}, "username": {"bob2@ours.test"}, "password": {"good"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add account: %d", resp.StatusCode)
		}
		var added *accountRow
		_, page = b.do("GET", "/settings/accounts/status", nil)
		rows, err := f.srv.ownAccounts(httptest.NewRequest("GET", "/", nil), f.bob)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if rows[i].Handle == "bob2@ours.test" {
				added = &rows[i]
			}
		}
		if added == nil || added.Host != "mail.ours.test" || added.Port != 143 || !added.Importing ||
			!strings.Contains(page, `"handle": "bob2@ours.test"`) {
			t.Fatalf("added %+v; status JSON %s", added, page)
		}
		resp, _ = b.do("POST", "/settings/accounts/"+added.ID+"/remove", url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("remove: %d", resp.StatusCode)
		}
		if resp, _ := b.do("POST", "/settings/accounts/"+f.acctA.ID+"/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob removes alice's account: %d", resp.StatusCode)
		}
	})

	t.Run("Folders", f.testFolders(ts.URL))
}

// testFolders picks the folders of bob's mailbox on Settings > Emails.
func (f *fixture) testFolders(base string) func(t *testing.T) {
	return func(t *testing.T) {
		ctx := context.Background()
		known, err := f.st.SyncFolders(ctx, f.ws.ID, f.acctB.ChannelID, []store.FolderSpec{
			{Name: "INBOX", Role: "inbox", Selected: true}, {Name: "Sent", Role: "sent", Selected: true},
			{Name: "Trash", Role: "trash"}, {Name: "Projects", Selected: true}})
		if err != nil {
			t.Fatal(err)
		}
		err = f.st.Tx(ctx, func(tx *sql.Tx) error { return store.SetFolderCursor(ctx, tx, known[0].ID, "1:42", 42) })
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, base)
		csrf := b.login(f.bob.Email)
		path := "/settings/emails/" + f.acctB.ID
		checked := func(page, name string) bool {
			return regexp.MustCompile(`name="folder" value="` + name + `" checked`).MatchString(page)
		}
		_, page := b.do("GET", path, nil)
		for _, s := range []string{"Folders to sync", "Default (all but Drafts, Trash, Junk)", "Only the folders I pick",
			">Sent<", "42 messages", `name="folderMode" value="default" checked`} {
			if !strings.Contains(page, s) {
				t.Errorf("mailbox settings lack %q", s)
			}
		}
		if !checked(page, "INBOX") || !checked(page, "Projects") || checked(page, "Trash") {
			t.Error("the default set is not what is checked")
		}

		save := func(mode string, folders ...string) (*http.Response, string) {
			t.Helper()
			return b.do("POST", path, url.Values{"csrf": {csrf}, "visibility": {"subject"}, "autoCreate": {"on"},
				"autoCreatePolicy": {"sent"}, "excludeGroup": {"on"}, "excludePersonal": {"on"},
				"folderMode": {mode}, "folder": folders})
		}
		stored := func() string {
			t.Helper()
			a, err := f.st.Account(ctx, f.ws.ID, f.acctB.ID)
			if err != nil {
				t.Fatal(err)
			}
			return strings.Join(a.Folders, ",")
		}
		f.queue.reset()
		resp, _ := save("pick", "INBOX", "Trash")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save picked folders: %d", resp.StatusCode)
		}
		if got := stored(); got != "INBOX,Trash" {
			t.Errorf("stored folders %q, want INBOX,Trash", got)
		}
		if !f.queue.asked(f.acctB.ID) {
			t.Error("no sync queued after the folders changed")
		}
		_, page = b.do("GET", resp.Header.Get("Location"), nil)
		if !strings.Contains(page, "A sync of the folders you chose has started") ||
			!strings.Contains(page, `name="folderMode" value="pick" checked`) ||
			!checked(page, "Trash") || checked(page, "Projects") || checked(page, "Sent") {
			t.Error("the page does not show the folders picked")
		}

		if resp, page := save("pick"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Pick at least one folder") {
			t.Errorf("pick nothing: %d", resp.StatusCode)
		}
		if got := stored(); got != "INBOX,Trash" {
			t.Errorf("a refused form changed the folders to %q", got)
		}

		f.queue.reset()
		save("default", "INBOX")
		if got := stored(); got != "" || !f.queue.asked(f.acctB.ID) {
			t.Errorf("back to default: folders %q, queued %v", got, f.queue.asked(f.acctB.ID))
		}
		f.queue.reset()
		if resp, _ := save("default"); resp.StatusCode != http.StatusSeeOther || f.queue.asked(f.acctB.ID) {
			t.Errorf("saving unchanged folders: %d, queued %v", resp.StatusCode, f.queue.asked(f.acctB.ID))
		}
	}
}
