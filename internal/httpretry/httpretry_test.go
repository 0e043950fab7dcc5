package httpretry_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/httpretry"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := httpretry.RetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// server answers the first n requests with status and Retry-After, then 200
// echoing the body.
func server(t *testing.T, n int, status int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int(calls.Add(1)) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		failures   int
		status     int
		retryAfter string
		wantErr    error
		wantCalls  int32
	}{
		{"429 with Retry-After", 2, http.StatusTooManyRequests, "0", nil, 3},
		{"503 without Retry-After backs off", 2, http.StatusServiceUnavailable, "", nil, 3},
		{"404 is not retried", 1, http.StatusNotFound, "", nil, 1},
		{"gives up after the attempts", 10, http.StatusTooManyRequests, "0", httpretry.ErrThrottled, 4},
		{"a wait beyond the cap is reported", 1, http.StatusTooManyRequests, "3600", httpretry.ErrThrottled, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := server(t, tt.failures, tt.status, tt.retryAfter)
			tr := &httpretry.Transport{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Minute}
			client := &http.Client{Transport: tr}
			resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("payload"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(b) != "payload" {
					t.Fatalf("replayed body %q", b)
				}
			}
			if calls.Load() != tt.wantCalls {
				t.Fatalf("%d calls, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

func TestMaxInFlight(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	client := &http.Client{Transport: httpretry.New(nil, 4)}
	done := make(chan struct{})
	for i := 0; i < 20; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			if resp, err := client.Get(srv.URL); err == nil {
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < 20; i++ {
		<-done
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Fatalf("peak of %d requests in flight, want at most 4 (and some concurrency)", p)
	}
}
