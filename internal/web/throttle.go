package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

// Login throttling: after too many failed logins for one email or from
// one client address within the window, further attempts are refused
// without checking the password. Failures are kept in the database, so
// the limits hold across every serve process sharing it.
const (
	loginWindow      = 15 * time.Minute
	loginMaxPerEmail = 5
	loginMaxPerIP    = 20
)

// loginLimiter counts failed logins per email and per client address over
// a sliding window.
type loginLimiter struct {
	store  *store.Store
	now    func() time.Time
	window time.Duration
}

func newLoginLimiter(st *store.Store, now func() time.Time) *loginLimiter {
	if now == nil {
		now = time.Now
	}
	return &loginLimiter{store: st, now: now, window: loginWindow}
}

// retryAfter is how long a login for email from ip must wait; 0 lets
// it through.
func (l *loginLimiter) retryAfter(ctx context.Context, email, ip string) (time.Duration, error) {
	now := l.now()
	var wait time.Duration
	for _, k := range []struct {
		kind, key string
		limit     int
	}{{store.LoginKeyEmail, normalEmail(email), loginMaxPerEmail}, {store.LoginKeyIP, ip, loginMaxPerIP}} {
		if k.key == "" {
			continue
		}
		times, err := l.store.LoginFailures(ctx, k.kind, k.key, now.Add(-l.window), k.limit)
		if err != nil {
			return 0, err
		}
		if len(times) == k.limit {
			// The oldest of the last limit failures leaves the window first.
			wait = max(wait, times[k.limit-1].Add(l.window).Sub(now))
		}
	}
	return max(wait, 0), nil
}

// failed records a failed login.
func (l *loginLimiter) failed(ctx context.Context, email, ip string) error {
	return l.store.RecordLoginFailure(ctx, map[string]string{store.LoginKeyEmail: normalEmail(email), store.LoginKeyIP: ip},
		l.now(), l.window)
}

// succeeded forgets the failures of an email that logged in.
func (l *loginLimiter) succeeded(ctx context.Context, email string) error {
	return l.store.ClearLoginFailures(ctx, store.LoginKeyEmail, normalEmail(email))
}

func normalEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// clientIP is the address a request came from. Behind a reverse proxy on
// the same host or private network, it is the last address the proxy
// added to X-Forwarded-For; a direct client cannot choose it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer := net.ParseIP(host)
	if peer == nil || !(peer.IsLoopback() || peer.IsPrivate()) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		if ip := net.ParseIP(strings.TrimSpace(hops[i])); ip != nil {
			return ip.String()
		}
	}
	return host
}
