// Package gmailsync is the Gmail API provider: it maps Gmail's labels and
// single history stream onto pseudo-folders with their own cursors, under
// Gmail's per-user quota. It stores nothing and decides nothing about import.
package gmailsync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/time/rate"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/provider"
)

// DefaultBaseURL is the public Gmail API endpoint.
const DefaultBaseURL = "https://gmail.googleapis.com/"

// Config is what Open needs.
type Config struct {
	// BaseURL is the gmail client's base path, ending with "/"
	// (MAILSYNC_GMAIL_API_URL; default DefaultBaseURL).
	BaseURL string
	// HTTPClient is already authenticated (OAuth) and retries 429 and 503
	// with Retry-After (package httpretry); gmailsync adds only its
	// quota limiter.
	HTTPClient *http.Client
	// UnitsPerSecond is the mailbox's quota (default 250, Gmail's
	// per-user limit).
	UnitsPerSecond float64
	// Concurrency bounds parallel messages.get calls (default 10).
	Concurrency int
}

// Quota units per method, from Gmail's documentation
// (https://developers.google.com/gmail/api/reference/quota).
const (
	costProfile      = 1
	costMessagesList = 5
	costMessagesGet  = 5
	costHistoryList  = 2
	costSendAsList   = 1
)

// Mailbox is a session with one Gmail mailbox.
type Mailbox struct {
	svc         *gmail.Service
	limiter     *rate.Limiter
	concurrency int
	address     string
}

var (
	_ provider.Mailbox  = (*Mailbox)(nil)
	_ provider.Lister   = (*Mailbox)(nil)
	_ provider.Identity = (*Mailbox)(nil)
)

// Open connects to the mailbox and reads its profile, which checks the
// grant: a refused token is an error wrapping provider.ErrAuth, a network
// failure one wrapping provider.ErrUnreachable.
func Open(ctx context.Context, cfg Config) (*Mailbox, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		return nil, errors.New("gmail: no HTTP client")
	}
	units := cfg.UnitsPerSecond
	if units <= 0 {
		units = 250
	}
	svc, err := gmail.NewService(ctx, option.WithHTTPClient(cfg.HTTPClient), option.WithEndpoint(cfg.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("gmail client: %w", err)
	}
	m := &Mailbox{
		svc: svc,
		// A burst of a tenth of a second only: requests reserved in order
		// reach Gmail bunched by the network and the parallel fetches, and
		// the rest of Gmail's one-second window absorbs that. Never below
		// the dearest call, or WaitN could not succeed.
		limiter:     rate.NewLimiter(rate.Limit(units), max(int(units/10), costMessagesGet)),
		concurrency: cfg.Concurrency,
	}
	if m.concurrency <= 0 {
		m.concurrency = 10
	}
	p, err := m.profile(ctx)
	if err != nil {
		return nil, err
	}
	m.address = strings.ToLower(p.EmailAddress)
	return m, nil
}

// Close ends the session; the HTTP client belongs to the caller.
func (m *Mailbox) Close() error { return nil }

// charge waits until the quota allows a call of the given cost.
func (m *Mailbox) charge(ctx context.Context, units int) error {
	if err := m.limiter.WaitN(ctx, units); err != nil {
		return fmt.Errorf("gmail quota: %w", err)
	}
	return nil
}

func (m *Mailbox) profile(ctx context.Context) (*gmail.Profile, error) {
	if err := m.charge(ctx, costProfile); err != nil {
		return nil, err
	}
	p, err := m.svc.Users.GetProfile("me").Context(ctx).Do()
	if err != nil {
		return nil, wrap("gmail profile", err)
	}
	return p, nil
}

// Identity returns the mailbox's address and its send-as aliases.
func (m *Mailbox) Identity(ctx context.Context) (string, []string, error) {
	if err := m.charge(ctx, costSendAsList); err != nil {
		return "", nil, err
	}
	r, err := m.svc.Users.Settings.SendAs.List("me").Context(ctx).Do()
	if err != nil {
		return "", nil, wrap("gmail send-as list", err)
	}
	var aliases []string
	for _, sa := range r.SendAs {
		a := strings.ToLower(sa.SendAsEmail)
		if a != "" && a != m.address && !slices.Contains(aliases, a) {
			aliases = append(aliases, a)
		}
	}
	return m.address, aliases, nil
}

// wrap adds context to an API error and maps it to the sentinels the
// core branches on.
func wrap(what string, err error) error {
	var gerr *googleapi.Error
	switch {
	case errors.As(err, &gerr) && isAuth(gerr):
		return fmt.Errorf("%s: %w: %w", what, provider.ErrAuth, err)
	case isNetwork(err):
		return fmt.Errorf("%s: %w: %w", what, provider.ErrUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isAuth reports a refused grant: 401, or 403 other than a rate limit
// (a missing scope needs the owner to reconnect just the same).
func isAuth(e *googleapi.Error) bool {
	if e.Code == http.StatusUnauthorized {
		return true
	}
	if e.Code != http.StatusForbidden {
		return false
	}
	for _, item := range e.Errors {
		if strings.Contains(item.Reason, "RateLimitExceeded") || strings.Contains(item.Reason, "rateLimitExceeded") {
			return false
		}
	}
	return true
}

func isNetwork(err error) bool {
	var uerr *url.Error
	var nerr net.Error
	// Throttled past the retry budget is transient too, but not a network
	// fault: it keeps httpretry's own sentinel.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, httpretry.ErrThrottled) {
		return false
	}
	return errors.As(err, &uerr) || errors.As(err, &nerr)
}

// isStatus reports an API answer with the given HTTP status.
func isStatus(err error, code int) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == code
}
