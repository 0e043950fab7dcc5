package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
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
	// Two limiters on one database play two serve processes: failures
	// recorded by one block the other.
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		for n, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				c := &clock{t: time.Date(2025, 3, 1+n, 9, 0, 0, 0, time.UTC)}
				procs := []*loginLimiter{newLoginLimiter(st, c.now), newLoginLimiter(st, c.now)}
				for i, s := range tt.steps {
					l := procs[i%2]
					var err error
					switch s.op {
					case "fail":
						err = l.failed(ctx, s.email, s.ip)
					case "ok":
						err = l.succeeded(ctx, s.email)
					case "sleep":
						c.advance(s.d)
					case "check":
						var got time.Duration
						got, err = l.retryAfter(ctx, s.email, s.ip)
						if got != s.d {
							t.Errorf("step %d: %s from %s waits %v, want %v", i, s.email, s.ip, got, s.d)
						}
					}
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
				// Leave nothing for the next case.
				c.advance(2 * loginWindow)
				if err := procs[0].failed(ctx, "", ""); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// TestLoginLimiterPrunes checks that the table of failures stays bounded
// by the window: once it has passed, a new failure deletes every stale row.
func TestLoginLimiterPrunes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
		l := newLoginLimiter(store.New(db), c.now)
		for i := range 50 {
			if err := l.failed(ctx, fmt.Sprintf("u%d@x.test", i), fmt.Sprintf("10.0.0.%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 100 {
			t.Fatalf("%d rows after 50 failures, want 100", n)
		}
		c.advance(loginWindow)
		if err := l.failed(ctx, "new@x.test", "10.9.9.9"); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 2 {
			t.Errorf("%d rows once the window passed, want 2", n)
		}
	})
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
