package web

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for the limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLoginLimiter(t *testing.T) {
	// step is one event: fail or succeed a login, let time pass, or check
	// the wait before the next attempt.
	type step struct {
		op        string // "fail", "ok", "sleep", "check"
		email, ip string
		d         time.Duration // sleep: how long; check: the wait wanted
	}
	fails := func(n int, email, ip string) []step {
		var s []step
		for range n {
			s = append(s, step{op: "fail", email: email, ip: ip})
		}
		return s
	}
	seq := func(parts ...[]step) []step {
		var s []step
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	const w = loginWindow
	tests := []struct {
		name  string
		steps []step
	}{
		{"four failures let the fifth try", seq(fails(4, "a@x.test", "1.1.1.1"),
			[]step{{op: "check", email: "a@x.test", ip: "1.1.1.1", d: 0}})},
		{"five failures block the email for the window", seq(fails(5, "a@x.test", "1.1.1.1"), []step{
			{op: "check", email: "a@x.test", ip: "9.9.9.9", d: w},
			{op: "check", email: "b@x.test", ip: "1.1.1.1", d: 0},
			{op: "sleep", d: w - time.Minute},
			{op: "check", email: "a@x.test", ip: "9.9.9.9", d: time.Minute},
			{op: "sleep", d: time.Minute},
			{op: "check", email: "a@x.test", ip: "9.9.9.9", d: 0},
		})},
		{"the email is case-insensitive", seq(fails(5, "A@X.test", "1.1.1.1"),
			[]step{{op: "check", email: " a@x.TEST", ip: "2.2.2.2", d: w}})},
		{"the window slides", seq(fails(3, "a@x.test", "1.1.1.1"), []step{{op: "sleep", d: 10 * time.Minute}},
			fails(2, "a@x.test", "1.1.1.1"), []step{
				{op: "check", email: "a@x.test", ip: "1.1.1.1", d: 5 * time.Minute},
				{op: "sleep", d: 5 * time.Minute},
				{op: "check", email: "a@x.test", ip: "1.1.1.1", d: 0},
			}, fails(3, "a@x.test", "1.1.1.1"),
			[]step{{op: "check", email: "a@x.test", ip: "1.1.1.1", d: 10 * time.Minute}})},
		{"a success resets the email", seq(fails(4, "a@x.test", "1.1.1.1"), []step{{op: "ok", email: "a@x.test"}},
			fails(4, "a@x.test", "1.1.1.1"), []step{{op: "check", email: "a@x.test", ip: "1.1.1.1", d: 0}})},
		{"twenty failures from one address block it", seq(
			fails(4, "a@x.test", "1.1.1.1"), fails(4, "b@x.test", "1.1.1.1"), fails(4, "c@x.test", "1.1.1.1"),
			fails(4, "d@x.test", "1.1.1.1"), fails(3, "e@x.test", "1.1.1.1"),
			[]step{{op: "check", email: "f@x.test", ip: "1.1.1.1", d: 0}},
			fails(1, "e@x.test", "1.1.1.1"), []step{
				{op: "check", email: "f@x.test", ip: "1.1.1.1", d: w},
				{op: "check", email: "f@x.test", ip: "1.1.1.2", d: 0},
				// A success resets the email, not the address.
				{op: "ok", email: "a@x.test"},
				{op: "check", email: "a@x.test", ip: "1.1.1.1", d: w},
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			l := newLoginLimiter(c.now)
			for i, s := range tt.steps {
				switch s.op {
				case "fail":
					l.failed(s.email, s.ip)
				case "ok":
					l.succeeded(s.email)
				case "sleep":
					c.advance(s.d)
				case "check":
					if got := l.retryAfter(s.email, s.ip); got != s.d {
						t.Errorf("step %d: %s from %s waits %v, want %v", i, s.email, s.ip, got, s.d)
					}
				}
			}
		})
	}
}

func TestLoginLimiterBounded(t *testing.T) {
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(c.now)
	for i := range loginMaxKeys + 500 {
		l.failed(fmt.Sprintf("u%d@x.test", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if len(l.emails.times) > loginMaxKeys || len(l.ips.times) > loginMaxKeys {
		t.Errorf("%d emails and %d addresses kept, cap %d", len(l.emails.times), len(l.ips.times), loginMaxKeys)
	}
	// The newest entries survive eviction.
	last := loginMaxKeys + 499
	if _, ok := l.emails.times[fmt.Sprintf("u%d@x.test", last)]; !ok {
		t.Error("the newest email was evicted")
	}
	// Once the window passed, a new failure clears every stale entry.
	c.advance(loginWindow)
	l.failed("new@x.test", "10.9.9.9")
	if len(l.emails.times) != 1 || len(l.ips.times) != 1 {
		t.Errorf("stale entries kept: %d emails, %d addresses", len(l.emails.times), len(l.ips.times))
	}

	// Concurrent use (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				email := fmt.Sprintf("c%d@x.test", j%7)
				l.failed(email, fmt.Sprintf("10.1.0.%d", i))
				l.retryAfter(email, "10.1.0.1")
				l.succeeded(email)
			}
		})
	}
	wg.Wait()
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, forwarded, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"}, // a direct client cannot choose its address
		{"127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.2:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"}, // the proxy's entry, not the client's claim
		{"[::1]:5000", "garbage", "::1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = tt.remote
		if tt.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		if got := clientIP(r); got != tt.want {
			t.Errorf("%s forwarded %q: %s, want %s", tt.remote, tt.forwarded, got, tt.want)
		}
	}
}
