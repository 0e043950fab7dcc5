package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/gmailfake"
	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/oauthfake"
	"github.com/mailsync/mailsync/internal/store"
)

// withOAuth points the server's Google and Microsoft applications at
// local fakes (one authorization server for both), with the mail APIs
// serving address.
func withOAuth(t *testing.T, f *fixture, address string) *oauthfake.Server {
	auth := oauthfake.Start(t, "web-client", "web-secret")
	gmail := gmailfake.Start(t, address)
	gmail.Authorize = auth.Valid
	graph := graphfake.Start(t, address)
	graph.Authorize = auth.Valid
	env := map[string]string{
		"MAILSYNC_GOOGLE_CLIENT_ID": auth.ClientID, "MAILSYNC_GOOGLE_CLIENT_SECRET": auth.ClientSecret,
		"MAILSYNC_GOOGLE_AUTH_URL": auth.AuthURL(), "MAILSYNC_GOOGLE_TOKEN_URL": auth.TokenURL(),
		"MAILSYNC_GMAIL_API_URL":       gmail.URL(),
		"MAILSYNC_MICROSOFT_CLIENT_ID": auth.ClientID, "MAILSYNC_MICROSOFT_CLIENT_SECRET": auth.ClientSecret,
		"MAILSYNC_MICROSOFT_AUTH_URL": auth.AuthURL(), "MAILSYNC_MICROSOFT_TOKEN_URL": auth.TokenURL(),
		"MAILSYNC_GRAPH_API_URL": graph.URL(),
	}
	f.srv.cfg.Providers = connect.Connector{OAuth: oauth.FromEnv(func(k string) string { return env[k] }),
		Store: f.st, Box: f.box}
	return auth
}

// TestBrowserOAuthConnect is the flow a member goes through: Settings >
// Accounts, Connect Google (then Microsoft), the provider's consent, and
// back on Settings > Accounts with the mailbox importing.
func TestBrowserOAuthConnect(t *testing.T) {
	ctx := headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	auth := withOAuth(t, f, "carol@ours.test")
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, ctx, ts.URL, f.carol.Email, false)

	for _, p := range []struct{ button, provider, label string }{
		{"#connect-google", oauth.Google, "Google"},
		{"#connect-microsoft", oauth.Microsoft, "Microsoft 365"},
	} {
		t.Run(p.provider, func(t *testing.T) {
			f.queue.reset()
			step(t, ctx, "open accounts", chromedp.Navigate(ts.URL+"/settings/accounts"),
				chromedp.WaitVisible(chromedp.CSS(p.button)))
			step(t, ctx, "connect", chromedp.Click(chromedp.CSS(p.button)),
				chromedp.WaitVisible(chromedp.CSS(`p.ok[role=status]`)))
			if u := eval[string](t, ctx, `location.pathname`); u != "/settings/accounts" {
				t.Fatalf("landed on %s", u)
			}
			if msg := eval[string](t, ctx, `document.querySelector("p.ok").innerText`); !strings.Contains(msg, "carol@ours.test is connected") {
				t.Fatalf("status message %q", msg)
			}
			a, err := f.st.AccountByHandle(context.Background(), f.ws.ID, p.provider, "carol@ours.test")
			if err != nil {
				t.Fatalf("no %s account stored: %v", p.provider, err)
			}
			if a.MemberID != f.carol.ID || !f.queue.asked(a.ID) {
				t.Fatalf("account %+v not carol's or its import not queued", a)
			}
			tok, err := oauth.ParseToken(mustOpen(t, f, a.Secret))
			if err != nil || tok.RefreshToken == "" {
				t.Fatalf("stored grant unreadable: %v", err)
			}
			q := auth.LastAuthorize()
			if q.Get("code_challenge_method") != "S256" || q.Get("state") == "" {
				t.Fatalf("authorization request without PKCE or state: %v", q)
			}
			labels := eval[string](t, ctx, `[...document.querySelectorAll("#accounts li.account")].map(li => li.innerText).join("\n")`)
			if !strings.Contains(labels, p.label) {
				t.Fatalf("the mailbox list does not say %s:\n%s", p.label, labels)
			}
		})
	}
	t.Run("Reconnect", func(t *testing.T) {
		bg := context.Background()
		a, err := f.st.AccountByHandle(bg, f.ws.ID, oauth.Google, "carol@ours.test")
		if err != nil {
			t.Fatal(err)
		}
		// The grant was revoked: the sync recorded failed_auth.
		if err := f.st.SetChannelStatus(bg, a.ChannelID, store.StatusFailedAuth, "Access was refused", false); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "open accounts", chromedp.Navigate(ts.URL+"/settings/accounts"),
			chromedp.WaitVisible(chromedp.CSS(`[data-reconnect="`+a.ID+`"]`)))
		step(t, ctx, "reconnect", chromedp.Click(chromedp.CSS(`[data-reconnect="`+a.ID+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.ok[role=status]`)))
		if msg := eval[string](t, ctx, `document.querySelector("p.ok").innerText`); !strings.Contains(msg, "reconnected") {
			t.Fatalf("status message %q", msg)
		}
		if q := auth.LastAuthorize(); q.Get("login_hint") != "carol@ours.test" {
			t.Errorf("reconnect did not hint the address: %v", q)
		}
		again, err := f.st.AccountByHandle(bg, f.ws.ID, oauth.Google, "carol@ours.test")
		if err != nil || again.ID != a.ID || again.Status == store.StatusFailedAuth {
			t.Fatalf("after reconnect: %+v, %v", again, err)
		}
	})
	screenshot(t, ctx, "settings-accounts-oauth")
}

func mustOpen(t *testing.T, f *fixture, sealed string) string {
	t.Helper()
	plain, err := f.box.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestOAuthCallbackRefusals checks the callback's guards over HTTP, on
// both databases: a forged state, a denied consent, a replayed callback
// and an unconfigured provider connect nothing.
func TestOAuthCallbackRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		auth := withOAuth(t, f, "carol@ours.test")
		ts := httptest.NewServer(f.srv)
		defer ts.Close()
		// Anonymous visitors are sent to the login page.
		if resp, _ := newBrowser(t, ts.URL).do("GET", "/oauth/google/start", nil); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("anonymous start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		b := newBrowser(t, ts.URL)
		b.login(f.carol.Email)

		// Start: the browser is sent to the provider with PKCE and state.
		start := func() string {
			t.Helper()
			resp, _ := b.do("GET", "/oauth/google/start", nil)
			to, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to.String(), auth.AuthURL()) ||
				to.Query().Get("access_type") != "offline" || to.Query().Get("redirect_uri") != ts.URL+"/oauth/google/callback" {
				t.Fatalf("start: %d → %s", resp.StatusCode, to)
			}
			return to.Query().Get("state")
		}
		tests := []struct {
			name   string
			query  func() string
			want   string
			status int
		}{
			{"forged state", func() string { start(); return "state=forged&code=x" }, "state does not match", http.StatusBadRequest},
			{"denied", func() string { return "state=" + start() + "&error=access_denied" }, "did not grant access", http.StatusBadRequest},
			{"no flow", func() string { return "state=abc&code=x" }, "expired", http.StatusBadRequest},
		}
		for _, tt := range tests {
			resp, body := b.do("GET", "/oauth/google/callback?"+tt.query(), nil)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s: %d, page lacks %q", tt.name, resp.StatusCode, tt.want)
			}
		}
		if _, err := f.st.AccountByHandle(context.Background(), f.ws.ID, oauth.Google, "carol@ours.test"); err == nil {
			t.Fatal("a refused callback connected a mailbox")
		}
		// Without a registered application the route says what the
		// operator must do.
		f.srv.cfg.Providers.OAuth.Microsoft.Config.ClientID = ""
		if resp, body := b.do("GET", "/oauth/microsoft/start", nil); resp.StatusCode != http.StatusServiceUnavailable ||
			!strings.Contains(body, "MAILSYNC_MICROSOFT_CLIENT_ID") {
			t.Errorf("unconfigured provider: %d", resp.StatusCode)
		}
	})
}
