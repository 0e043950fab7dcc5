package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// TestSessions ends sessions the three ways a member can: log out
// everywhere, a password change, and revoking an API token (listed with
// its last use).
func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ts := httptest.NewServer(f.srv)
		defer ts.Close()
		loggedIn := func(b *browser) bool {
			resp, _ := b.do("GET", "/people", nil)
			return resp.StatusCode == http.StatusOK
		}

		// Log out everywhere from one browser ends the other's session too.
		a, b := newBrowser(t, ts.URL), newBrowser(t, ts.URL)
		a.login(f.bob.Email)
		csrf := b.login(f.bob.Email)
		carol := newBrowser(t, ts.URL)
		carol.login(f.carol.Email)
		if resp, _ := b.do("POST", "/logout/everywhere", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("log out everywhere: %d", resp.StatusCode)
		}
		if loggedIn(a) || loggedIn(b) {
			t.Error("a session survived log out everywhere")
		}
		if !loggedIn(carol) {
			t.Error("log out everywhere ended another member's session")
		}

		// A password change ends every session of the member.
		a.login(f.bob.Email)
		hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err := f.st.SetMemberPassword(ctx, f.bob.ID, string(hash)); err != nil {
			t.Fatal(err)
		}
		if loggedIn(a) {
			t.Error("a session survived a password change")
		}

		// API tokens: listed with their last use, revocable by their owner only.
		csrf = a.login(f.bob.Email)
		_, page := a.do("GET", "/settings/tokens", nil)
		if !strings.Contains(page, "<td>test</td>") || !strings.Contains(page, `class="last-used">never<`) {
			t.Fatalf("tokens page before use:\n%s", page)
		}
		if code, _ := f.call(t, "bob", "GET", "/api/v1/people", ""); code != http.StatusOK {
			t.Fatalf("API with bob's token: %d", code)
		}
		_, page = a.do("GET", "/settings/tokens", nil)
		if strings.Contains(page, `class="last-used">never<`) || !strings.Contains(page, " UTC</td>") {
			t.Errorf("tokens page does not show the last use:\n%s", page)
		}
		tokens, err := f.st.Tokens(ctx, f.bob.ID)
		if err != nil || len(tokens) != 1 || tokens[0].LastUsedAt == nil {
			t.Fatalf("bob's tokens: %v %+v", err, tokens)
		}
		revoke := "/settings/tokens/" + tokens[0].ID + "/revoke"
		_, people := carol.do("GET", "/people", nil)
		ccsrf := csrfOf(t, people)
		if resp, _ := carol.do("POST", revoke, url.Values{"csrf": {ccsrf}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("carol revokes bob's token: %d", resp.StatusCode)
		}
		if resp, _ := a.do("POST", revoke, url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if code, _ := f.call(t, "bob", "GET", "/api/v1/people", ""); code != http.StatusUnauthorized {
			t.Errorf("API with a revoked token: %d", code)
		}
		if _, page = a.do("GET", "/settings/tokens", nil); !strings.Contains(page, "No API tokens.") {
			t.Error("the revoked token is still listed")
		}
	})
}

// TestLoginLogsNoSecrets logs in wrongly then rightly, with the server
// logging at debug level: neither password, nor the session cookie, nor
// an API token appears in the log.
func TestLoginLogsNoSecrets(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	var logs bytes.Buffer
	f.srv.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	_, page := b.do("GET", "/login", nil)
	const wrong = "Wrong-Login-Pw-3e8f"
	if resp, _ := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "email": {f.bob.Email}, "password": {wrong}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	b.login(f.bob.Email)
	if code, _ := f.call(t, "bob", "GET", "/api/v1/people", ""); code != http.StatusOK {
		t.Fatal(code)
	}
	u, _ := url.Parse(ts.URL)
	secrets := []string{wrong, password, f.tokens["bob"]}
	for _, c := range b.c.Jar.Cookies(u) {
		secrets = append(secrets, c.Value)
	}
	if !strings.Contains(logs.String(), "failed login") {
		t.Fatalf("the failed login was not logged:\n%s", logs.String())
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs.String(), s) {
			t.Errorf("the log holds a secret %q", s)
		}
	}
}
