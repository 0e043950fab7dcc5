// Package oauthfake is a local OAuth2 authorization server for tests: the
// authorization endpoint (it approves at once, as a user clicking
// "Allow" would) and the token endpoint (authorization code with PKCE
// S256, refresh, optional refresh-token rotation, revocation), speaking
// RFC 6749/7636 as Google's and Microsoft's endpoints do. Test tooling
// only: the API fakes (gmailfake, graphfake) ask it which access tokens
// are valid.
package oauthfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Server is the fake authorization server.
type Server struct {
	ClientID, ClientSecret string
	// Rotate issues a new refresh token at each refresh and retires the
	// old one (Microsoft does; Google sometimes).
	Rotate bool
	// AccessTTL is the lifetime of access tokens (default one hour).
	AccessTTL time.Duration
	// Deny makes the authorization endpoint answer access_denied, as
	// when the user clicks "Cancel".
	Deny bool

	srv *httptest.Server

	mu        sync.Mutex
	codes     map[string]pendingCode
	refresh   map[string]bool      // live refresh tokens
	access    map[string]time.Time // access token -> expiry
	refreshes int
	exchanges int
	lastAuth  url.Values
}

type pendingCode struct {
	challenge, redirectURI, scope string
}

// Start runs a fake for one registered client, closed when t ends.
func Start(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{ClientID: clientID, ClientSecret: clientSecret, codes: map[string]pendingCode{},
		refresh: map[string]bool{}, access: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// AuthURL and TokenURL are the endpoints to configure.
func (s *Server) AuthURL() string  { return s.srv.URL + "/authorize" }
func (s *Server) TokenURL() string { return s.srv.URL + "/token" }

// Grant issues a refresh token as if the user had consented elsewhere
// (what `account add gmail --refresh-token-file` is given).
func (s *Server) Grant() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := "rt-" + random()
	s.refresh[rt] = true
	return rt
}

// Revoke retires every refresh and access token: the user removed the
// application's access.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = map[string]bool{}
	s.access = map[string]time.Time{}
}

// ExpireAccessTokens makes every access token issued so far invalid,
// though the clients still believe them fresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
}

// Valid reports whether an access token is live: the API fakes' check.
func (s *Server) Valid(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[accessToken]
	return ok && time.Now().Before(exp)
}

// Refreshes counts refresh-token grants served; Exchanges code grants.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }
func (s *Server) Exchanges() int { s.mu.Lock(); defer s.mu.Unlock(); return s.exchanges }

// LastAuthorize is the query of the last authorization request.
func (s *Server) LastAuthorize() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

// LiveRefreshTokens lists the refresh tokens still accepted.
func (s *Server) LiveRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for rt := range s.refresh {
		out = append(out, rt)
	}
	return out
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.lastAuth = q
	s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("client_id") != s.ClientID {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case s.Deny:
		back.Set("error", "access_denied")
		back.Set("error_description", "The user declined")
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
		back.Set("error_description", "response_type=code and a S256 code_challenge are required")
	default:
		code := "code-" + random()
		s.mu.Lock()
		s.codes[code] = pendingCode{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), scope: q.Get("scope")}
		s.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.ClientID || f.Get("client_secret") != s.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		pc, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // a code is good once
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used authorization code")
		case pc.redirectURI != f.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != pc.challenge:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		default:
			s.exchanges++
			rt := "rt-" + random()
			s.refresh[rt] = true
			s.issue(w, rt)
		}
	case "refresh_token":
		rt := f.Get("refresh_token")
		if !s.refresh[rt] {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		s.refreshes++
		if s.Rotate {
			delete(s.refresh, rt)
			rt = "rt-" + random()
			s.refresh[rt] = true
			s.issue(w, rt)
			return
		}
		s.issue(w, "")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", f.Get("grant_type"))
	}
}

// issue answers a token request; the caller holds mu.
func (s *Server) issue(w http.ResponseWriter, refreshToken string) {
	ttl := s.AccessTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	at := "at-" + random()
	s.access[at] = time.Now().Add(ttl)
	body := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(ttl.Seconds())}
	if refreshToken != "" {
		body["refresh_token"] = refreshToken
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(body)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func random() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
