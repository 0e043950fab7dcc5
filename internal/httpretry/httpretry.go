// Package httpretry is the HTTP transport the API providers (Gmail,
// Microsoft Graph) share: it retries throttled and transient failures
// with exponential backoff and jitter, honouring Retry-After, and bounds
// the requests in flight for one mailbox. It knows nothing of any API.
package httpretry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// ErrThrottled means the server kept refusing for throttling or
// unavailability past the retry budget: transient, the sync is retried
// later.
var ErrThrottled = errors.New("server throttled or unavailable")

// Transport wraps Base with retries. Its zero value (with Base nil) uses
// http.DefaultTransport and the defaults below.
type Transport struct {
	Base http.RoundTripper
	// MaxAttempts is how many times one request is tried (default 6).
	MaxAttempts int
	// BaseDelay is the first backoff without Retry-After (default 500 ms);
	// it doubles at each attempt, with full jitter.
	BaseDelay time.Duration
	// MaxDelay caps one wait, also one a Retry-After asks for (default 60 s):
	// a server asking for more is reported as ErrThrottled.
	MaxDelay time.Duration
	// MaxInFlight bounds concurrent requests through this transport
	// (0: unbounded). Graph allows 4 per mailbox.
	MaxInFlight int
	// OnRetry, when set, is told of each retry (metrics, tests).
	OnRetry func(status int, wait time.Duration)

	sem chan struct{}
}

// New returns a transport over base with at most maxInFlight requests at once.
func New(base http.RoundTripper, maxInFlight int) *Transport {
	t := &Transport{Base: base, MaxInFlight: maxInFlight}
	if maxInFlight > 0 {
		t.sem = make(chan struct{}, maxInFlight)
	}
	return t
}

func (t *Transport) base() http.RoundTripper {
	if t.Base == nil {
		return http.DefaultTransport
	}
	return t.Base
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// RoundTrip sends req, retrying 429, 500, 502, 503 and 504 answers and
// network errors. A request with a body is retried only when it can be
// replayed (GetBody set, as http.NewRequest does for in-memory bodies).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if t.sem != nil {
		select {
		case t.sem <- struct{}{}:
			defer func() { <-t.sem }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	attempts := orDefault(t.MaxAttempts, 6)
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot replay the request body for a retry", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base().RoundTrip(r)
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		if !retryable(status, err) || ctx.Err() != nil {
			return resp, err
		}
		wait := t.backoff(attempt)
		if resp != nil {
			if d, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait = d
			}
		}
		if attempt+1 >= attempts || wait > orDefault(t.MaxDelay, 60*time.Second) {
			if resp != nil {
				drain(resp)
				return nil, fmt.Errorf("%s %s: HTTP %d after %d attempts (retry after %s): %w",
					req.Method, req.URL.Path, status, attempt+1, wait.Round(time.Millisecond), ErrThrottled)
			}
			return nil, err
		}
		if resp != nil {
			drain(resp)
		}
		if t.OnRetry != nil {
			t.OnRetry(status, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func retryable(status int, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the full-jitter exponential wait before retry attempt+1.
func (t *Transport) backoff(attempt int) time.Duration {
	ceiling := orDefault(t.BaseDelay, 500*time.Millisecond) << min(attempt, 10)
	ceiling = min(ceiling, 30*time.Second)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// RetryAfter parses a Retry-After header: delay seconds or an HTTP date.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
