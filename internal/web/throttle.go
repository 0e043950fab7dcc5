package web

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Login throttling: after too many failed logins for one email or from
// one client address within the window, further attempts are refused
// without checking the password.
const (
	loginWindow      = 15 * time.Minute
	loginMaxPerEmail = 5
	loginMaxPerIP    = 20
	loginMaxKeys     = 10000 // per kind of key; the oldest are evicted beyond
)

// loginLimiter counts failed logins in memory, per email and per client
// address, over a sliding window. It is safe for concurrent use.
type loginLimiter struct {
	now    func() time.Time
	window time.Duration

	mu     sync.Mutex
	emails failures
	ips    failures
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	if now == nil {
		now = time.Now
	}
	return &loginLimiter{now: now, window: loginWindow,
		emails: failures{limit: loginMaxPerEmail, maxKeys: loginMaxKeys, times: map[string][]time.Time{}},
		ips:    failures{limit: loginMaxPerIP, maxKeys: loginMaxKeys, times: map[string][]time.Time{}}}
}

// retryAfter is how long a login for email from ip must wait; 0 lets
// it through.
func (l *loginLimiter) retryAfter(email, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	return max(l.emails.retryAfter(normalEmail(email), now, l.window), l.ips.retryAfter(ip, now, l.window))
}

// failed records a failed login.
func (l *loginLimiter) failed(email, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.emails.add(normalEmail(email), now, l.window)
	l.ips.add(ip, now, l.window)
}

// succeeded forgets the failures of an email that logged in.
func (l *loginLimiter) succeeded(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.emails.times, normalEmail(email))
}

func normalEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// failures holds, per key, the times of its last failures (at most
// limit, oldest first), for at most maxKeys keys.
type failures struct {
	limit, maxKeys int
	times          map[string][]time.Time
}

func (f *failures) retryAfter(key string, now time.Time, window time.Duration) time.Duration {
	times := f.times[key]
	if key == "" || len(times) < f.limit {
		return 0
	}
	return max(0, times[len(times)-f.limit].Add(window).Sub(now))
}

func (f *failures) add(key string, now time.Time, window time.Duration) {
	if key == "" {
		return
	}
	times, known := f.times[key]
	if !known && len(f.times) >= f.maxKeys {
		f.evict(now, window)
	}
	// Keep the last limit failures within the window.
	cut := 0
	for cut < len(times) && (!times[cut].After(now.Add(-window)) || len(times)-cut >= f.limit) {
		cut++
	}
	kept := make([]time.Time, 0, len(times)-cut+1)
	f.times[key] = append(append(kept, times[cut:]...), now)
}

// evict drops the keys whose failures all left the window and, when that
// frees nothing, the key whose last failure is the oldest.
func (f *failures) evict(now time.Time, window time.Duration) {
	oldestKey, oldest := "", now
	for k, times := range f.times {
		last := times[len(times)-1]
		if !last.After(now.Add(-window)) {
			delete(f.times, k)
			continue
		}
		if last.Before(oldest) || oldestKey == "" {
			oldestKey, oldest = k, last
		}
	}
	if len(f.times) >= f.maxKeys {
		delete(f.times, oldestKey)
	}
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
