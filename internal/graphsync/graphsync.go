// Package graphsync is the Microsoft Graph mail provider: it lists a
// mailbox's folders and streams each folder's delta query as batches.
package graphsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

// DefaultBaseURL is the public Graph v1.0 endpoint.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Config says how to reach the mailbox.
type Config struct {
	// BaseURL is the API base (MAILSYNC_GRAPH_API_URL, default DefaultBaseURL).
	BaseURL string
	// HTTPClient is already authenticated (OAuth), retries 429 and 503
	// honouring Retry-After, and keeps at most 4 requests in flight
	// (package httpretry). Nil means http.DefaultClient.
	HTTPClient *http.Client
	// PageSize is the odata.maxpagesize asked of delta queries (default 100).
	PageSize int
	// Concurrency bounds the parallel $value downloads (default 4, Graph's
	// MailboxConcurrency limit).
	Concurrency int
}

// Mailbox is a session with one Graph mailbox. It implements
// provider.Mailbox, provider.Lister and provider.Identity.
type Mailbox struct {
	cfg Config
	me  profile

	mu      sync.Mutex
	folders map[string]string // display path → folder id, from Folders
}

var (
	_ provider.Mailbox  = (*Mailbox)(nil)
	_ provider.Lister   = (*Mailbox)(nil)
	_ provider.Identity = (*Mailbox)(nil)
)

type profile struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	Mail              string `json:"mail"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// Open checks the grant by reading /me. A refused token is an error
// wrapping provider.ErrAuth; an unreachable server, provider.ErrUnreachable.
func Open(ctx context.Context, cfg Config) (*Mailbox, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	m := &Mailbox{cfg: cfg}
	if err := m.getJSON(ctx, m.url("/me?$select=id,displayName,mail,userPrincipalName"), &m.me); err != nil {
		return nil, fmt.Errorf("graph: read profile: %w", err)
	}
	return m, nil
}

// Identity returns the mailbox's primary address: mail, or the
// userPrincipalName when mail is empty. Graph has no send-as aliases to
// offer through /me.
func (m *Mailbox) Identity(ctx context.Context) (string, []string, error) {
	var p profile
	if err := m.getJSON(ctx, m.url("/me?$select=mail,userPrincipalName"), &p); err != nil {
		return "", nil, fmt.Errorf("graph: read profile: %w", err)
	}
	addr := p.Mail
	if addr == "" {
		addr = p.UserPrincipalName
	}
	return strings.ToLower(strings.TrimSpace(addr)), nil, nil
}

// Close ends the session; Graph sessions hold nothing open.
func (m *Mailbox) Close() error { return nil }

func (m *Mailbox) url(pathAndQuery string) string { return m.cfg.BaseURL + pathAndQuery }

// Error is an error answer of the Graph API.
type Error struct {
	Status  int
	Code    string // Graph's error code, e.g. "SyncStateNotFound"
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// get sends a GET with the headers every request carries and returns the
// response when it is 200; other answers become errors (an *Error, with
// provider.ErrAuth for 401 and 403).
func (m *Mailbox) get(ctx context.Context, link string, prefer ...string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, err
	}
	// Immutable ids stay the same when a message moves between folders,
	// so a stored id keeps naming the same message.
	req.Header.Add("Prefer", `IdType="ImmutableId"`)
	for _, p := range prefer {
		req.Header.Add("Prefer", p)
	}
	resp, err := m.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	apiErr := &Error{Status: resp.StatusCode}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		apiErr.Code, apiErr.Message = body.Error.Code, body.Error.Message
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%w: %w", provider.ErrAuth, apiErr)
	}
	return nil, apiErr
}

// classify wraps a transport error: cancellation, refused credentials
// (from the OAuth transport) and throttling keep their identity; the rest
// means the server could not be reached.
func classify(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, provider.ErrAuth), errors.Is(err, httpretry.ErrThrottled),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", provider.ErrUnreachable, err)
}

func (m *Mailbox) getJSON(ctx context.Context, link string, v any, prefer ...string) error {
	resp, err := m.get(ctx, link, prefer...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", resp.Request.URL.Path, err)
	}
	return nil
}

// statusIs reports whether err is a Graph answer with one of the statuses.
func statusIs(err error, statuses ...int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, s := range statuses {
		if e.Status == s {
			return true
		}
	}
	return false
}
