package imapsync

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestReadTimeout talks to a server that logs in and then never answers:
// the next command fails after ReadTimeout instead of hanging the sync.
func TestReadTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hung server ready\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, rest, _ := strings.Cut(line, " ")
			if strings.HasPrefix(strings.ToUpper(rest), "LOGIN") {
				c.Write([]byte(tag + " OK logged in\r\n"))
			} // anything else: silence
		}
	}()
	m, err := Dial(context.Background(), Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Security: SecurityNone, Username: "u", Password: "p", ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := m.Folders(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("LIST on a silent server succeeded")
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("LIST failed after %v, before the read timeout: %v", d, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LIST on a silent server still waiting after 10s: no read timeout")
	}
}
