package oauth

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshMargin refreshes an access token this long before it expires,
// so that a request never leaves with a token about to lapse.
const refreshMargin = 2 * time.Minute

// Session is one mailbox's grant in use: it hands out a valid access
// token, refreshing it when needed, and reports every new token (a
// provider may rotate the refresh token at each refresh) to its saver.
type Session struct {
	app  App
	ctx  context.Context
	save func(Token)

	mu  sync.Mutex
	tok Token
}

// NewSession starts using tok; save, when set, is called with each new
// token, under no lock of ours.
func (a App) NewSession(ctx context.Context, tok Token, save func(Token)) *Session {
	return &Session{app: a, ctx: context.WithoutCancel(ctx), tok: tok, save: save}
}

// Token returns the current token (after any refresh and rotation).
func (s *Session) Token() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// accessToken returns a valid access token. stale, when not empty, is a
// token the API just refused: it is refreshed even if not yet expired.
func (s *Session) accessToken(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	if s.tok.AccessToken != "" && s.tok.AccessToken != stale && time.Until(s.tok.Expiry) > refreshMargin {
		defer s.mu.Unlock()
		return s.tok.AccessToken, nil
	}
	defer s.mu.Unlock()
	cfg := s.app.Config
	t, err := cfg.TokenSource(tokenContext(ctx), &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		return "", describe(s.app, err)
	}
	next := Token{RefreshToken: s.tok.RefreshToken, AccessToken: t.AccessToken, Expiry: t.Expiry}
	if t.RefreshToken != "" {
		next.RefreshToken = t.RefreshToken
	}
	if next.Expiry.IsZero() {
		next.Expiry = time.Now().Add(time.Hour)
	}
	s.tok = next
	if s.save != nil {
		// Stored at once: once rotated, the old refresh token may already
		// be dead, and a crash must not leave only that one on disk.
		s.save(next)
	}
	return next.AccessToken, nil
}

// Client returns an HTTP client whose requests carry the access token
// over base (nil: http.DefaultTransport). A 401 answer refreshes the
// token once and replays the request.
func (s *Session) Client(base http.RoundTripper) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: &bearer{session: s, base: base}, Timeout: 5 * time.Minute}
}

type bearer struct {
	session *Session
	base    http.RoundTripper
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := b.session.accessToken(req.Context(), "")
	if err != nil {
		return nil, err
	}
	resp, err := b.base.RoundTrip(withBearer(req, tok, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// The token was refused before its expiry (revoked session, clock
	// skew): refresh once and replay, if the body can be replayed.
	if req.Body != nil && req.GetBody == nil {
		return resp, nil
	}
	fresh, err := b.session.accessToken(req.Context(), tok)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	resp.Body.Close()
	return b.base.RoundTrip(withBearer(req, fresh, body))
}

func withBearer(req *http.Request, token string, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}
