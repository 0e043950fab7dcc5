package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/oauthfake"
	"github.com/mailsync/mailsync/internal/provider"
)

func settings(fake *oauthfake.Server) oauth.Settings {
	env := map[string]string{
		"MAILSYNC_GOOGLE_CLIENT_ID": fake.ClientID, "MAILSYNC_GOOGLE_CLIENT_SECRET": fake.ClientSecret,
		"MAILSYNC_GOOGLE_AUTH_URL": fake.AuthURL(), "MAILSYNC_GOOGLE_TOKEN_URL": fake.TokenURL(),
		"MAILSYNC_MICROSOFT_CLIENT_ID": fake.ClientID, "MAILSYNC_MICROSOFT_CLIENT_SECRET": fake.ClientSecret,
		"MAILSYNC_MICROSOFT_AUTH_URL": fake.AuthURL(), "MAILSYNC_MICROSOFT_TOKEN_URL": fake.TokenURL(),
	}
	return oauth.FromEnv(func(k string) string { return env[k] })
}

func TestFromEnvDefaultsAndTenant(t *testing.T) {
	env := map[string]string{"MAILSYNC_MICROSOFT_TENANT": "contoso.example", "MAILSYNC_PUBLIC_URL": "https://crm.example/"}
	s := oauth.FromEnv(func(k string) string { return env[k] })
	tests := []struct{ name, got, want string }{
		{"google auth", s.Google.Config.Endpoint.AuthURL, "https://accounts.google.com/o/oauth2/v2/auth"},
		{"google token", s.Google.Config.Endpoint.TokenURL, "https://oauth2.googleapis.com/token"},
		{"gmail api", s.Google.APIURL, "https://gmail.googleapis.com/"},
		{"microsoft auth", s.Microsoft.Config.Endpoint.AuthURL, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize"},
		{"microsoft token", s.Microsoft.Config.Endpoint.TokenURL, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"},
		{"graph api", s.Microsoft.APIURL, "https://graph.microsoft.com/v1.0"},
		{"public url", s.PublicURL, "https://crm.example"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if s.Google.Configured() {
		t.Error("Google configured without a client id")
	}
	if !strings.Contains(strings.Join(s.Microsoft.Config.Scopes, " "), "offline_access") {
		t.Error("Microsoft scopes lack offline_access: no refresh token would be issued")
	}
}

// TestAuthorizationCodeWithPKCE walks the browser flow's two legs.
func TestAuthorizationCodeWithPKCE(t *testing.T) {
	for _, name := range []string{"google", "microsoft"} {
		t.Run(name, func(t *testing.T) {
			fake := oauthfake.Start(t, "client-1", "secret-1")
			app, _ := settings(fake).App(name)
			verifier := oauth2.GenerateVerifier()
			redirect := "http://127.0.0.1:1/oauth/" + name + "/callback"
			u, err := url.Parse(app.AuthCodeURL("state-123", verifier, redirect, ""))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("state") != "state-123" || q.Get("code_challenge") == "" {
				t.Fatalf("authorization URL lacks PKCE S256 or state: %s", u)
			}
			if name == "google" && q.Get("access_type") != "offline" {
				t.Fatalf("Google authorization URL lacks access_type=offline: %s", u)
			}
			// The browser follows it; the fake approves and redirects back.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, _ := url.Parse(resp.Header.Get("Location"))
			code := back.Query().Get("code")
			if _, err := app.Exchange(context.Background(), code, "wrong-verifier-"+verifier, redirect); err == nil {
				t.Fatal("a wrong PKCE verifier was accepted")
			}
			// A code is good once, so ask for another one.
			resp, _ = client.Get(u.String())
			resp.Body.Close()
			back, _ = url.Parse(resp.Header.Get("Location"))
			tok, err := app.Exchange(context.Background(), back.Query().Get("code"), verifier, redirect)
			if err != nil {
				t.Fatal(err)
			}
			if tok.RefreshToken == "" || !fake.Valid(tok.AccessToken) {
				t.Fatalf("exchange gave %+v", tok)
			}
		})
	}
}

// api is a resource server that accepts the fake's live access tokens.
func api(t *testing.T, fake *oauthfake.Server) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fake.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			http.Error(w, `{"error":"unauthenticated"}`, http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Write(append([]byte("ok "), body...))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSessionRefreshRotationAndRetryOn401(t *testing.T) {
	fake := oauthfake.Start(t, "client-1", "secret-1")
	fake.Rotate = true
	srv := api(t, fake)
	app := settings(fake).Microsoft
	var mu sync.Mutex
	var saved []oauth.Token
	sess := app.NewSession(context.Background(), oauth.Token{RefreshToken: fake.Grant()}, func(tok oauth.Token) {
		mu.Lock()
		saved = append(saved, tok)
		mu.Unlock()
	})
	client := sess.Client(nil)
	get := func() string {
		t.Helper()
		resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("body"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("HTTP %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	if got := get(); got != "ok body" {
		t.Fatalf("answer %q", got)
	}
	get() // the access token is reused, not refreshed again
	if fake.Refreshes() != 1 {
		t.Fatalf("%d refreshes for two requests, want 1", fake.Refreshes())
	}
	// The server drops the access token before its expiry: one refresh,
	// the request replayed with its body.
	fake.ExpireAccessTokens()
	if got := get(); got != "ok body" {
		t.Fatalf("replayed answer %q", got)
	}
	if fake.Refreshes() != 2 {
		t.Fatalf("%d refreshes, want 2", fake.Refreshes())
	}
	// Each rotation was handed to the saver, and the last one saved is
	// the one the server still accepts.
	live := fake.LiveRefreshTokens()
	if len(saved) != 2 || len(live) != 1 || saved[1].RefreshToken != live[0] || sess.Token().RefreshToken != live[0] {
		t.Fatalf("saved %d tokens, live %v, session has %q", len(saved), live, sess.Token().RefreshToken)
	}
}

func TestRevokedGrantIsAnAuthError(t *testing.T) {
	fake := oauthfake.Start(t, "client-1", "secret-1")
	srv := api(t, fake)
	app := settings(fake).Google
	sess := app.NewSession(context.Background(), oauth.Token{RefreshToken: fake.Grant(), AccessToken: "at-old",
		Expiry: time.Now().Add(time.Hour)}, nil)
	fake.Revoke()
	_, err := sess.Client(nil).Get(srv.URL)
	if !errors.Is(err, provider.ErrAuth) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("err = %v, want a provider.ErrAuth saying the grant was revoked", err)
	}
}

func TestUnreachableTokenEndpointIsTransient(t *testing.T) {
	env := map[string]string{"MAILSYNC_GOOGLE_CLIENT_ID": "c", "MAILSYNC_GOOGLE_TOKEN_URL": "http://127.0.0.1:1/token"}
	app := oauth.FromEnv(func(k string) string { return env[k] }).Google
	_, err := app.NewSession(context.Background(), oauth.Token{RefreshToken: "rt"}, nil).Client(nil).Get("http://127.0.0.1:1/")
	if !errors.Is(err, provider.ErrUnreachable) || errors.Is(err, provider.ErrAuth) {
		t.Fatalf("err = %v, want provider.ErrUnreachable", err)
	}
}

func TestTokenEncodeRoundTrip(t *testing.T) {
	in := oauth.Token{RefreshToken: "rt", AccessToken: "at", Expiry: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	out, err := oauth.ParseToken(in.Encode())
	if err != nil || out != in {
		t.Fatalf("round trip %+v, %v", out, err)
	}
	if _, err := oauth.ParseToken("not json"); err == nil {
		t.Fatal("garbage parsed as a token")
	}
}
