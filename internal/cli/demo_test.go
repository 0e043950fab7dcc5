package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDemoServe runs `demo --serve` as a newcomer would: the summary ends
// with commands that work from a checkout, the web UI answers at the URL
// printed and takes the login printed, and new mail keeps arriving and is
// imported while it runs.
func TestDemoServe(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "demo.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errb syncBuffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- app.Run(ctx, []string{"demo", "--db", "sqlite:" + dbPath, "--messages", "40", "--serve",
			"--addr", addr, "--new-mail-every", "300ms"})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo --serve exit %d: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("demo --serve did not stop")
		}
	}()
	login := regexp.MustCompile(`log in as (\S+) with password (\S+)`)
	var m []string
	for deadline := time.Now().Add(60 * time.Second); m == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("no login printed:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(100 * time.Millisecond)
		m = login.FindStringSubmatch(out.String())
	}
	summary := out.String()
	for _, want := range []string{"go run ./cmd/mailsync --db sqlite:" + dbPath + " people list", "http://" + addr} {
		if !strings.Contains(summary, want) {
			t.Errorf("output lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "\n  mailsync ") {
		t.Errorf("a hint names a mailsync binary that is not on the PATH:\n%s", summary)
	}

	// The login printed opens the web UI.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var page []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := client.Get("http://" + addr + "/login")
		if err == nil {
			page, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if csrf == nil {
		t.Fatalf("no login form at %s:\n%s", addr, page)
	}
	resp, err := client.PostForm("http://"+addr+"/login", url.Values{"email": {m[1]}, "password": {m[2]}, "csrf": {string(csrf[1])}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/login" {
		t.Errorf("login with the printed password: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	// New mail arrives and is imported while the demo runs.
	db, err := database.Open(context.Background(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() int {
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM messages WHERE message_key LIKE 'live.%'`).Scan(&n)
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); count() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("live demo mail was not imported (%d live messages):\n%s", count(), errb.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
