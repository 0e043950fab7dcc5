package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// serveOnce starts a server that writes data to each connection once the
// client spoke (so that a reset cannot beat the client's connect), then
// closes it.
func serveOnce(t *testing.T, data []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := c.Read(make([]byte, 1)); err == nil {
					c.Write(data)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestFaults(t *testing.T) {
	// An IMAP-like stream: a greeting, then three literals of 1,000 bytes.
	var data bytes.Buffer
	data.WriteString("* OK ready\r\n")
	for i := range 3 {
		data.WriteString("* " + strconv.Itoa(i+1) + " FETCH (BODY[] {1000}\r\n")
		data.Write(bytes.Repeat([]byte{'a' + byte(i)}, 1000))
		data.WriteString(")\r\n")
	}
	litStart := bytes.Index(data.Bytes(), []byte("* 2 FETCH")) + len("* 2 FETCH (BODY[] {1000}\r\n")
	tests := []struct {
		name      string
		fault     Fault
		want      int // bytes the client receives
		reset     bool
		minElapse time.Duration
	}{
		{"faithful", Fault{}, data.Len(), false, 0},
		{"cut after 100 bytes", Fault{CutAfter: 100}, 100, false, 0},
		{"stall", Fault{StallAfter: 500, StallFor: 300 * time.Millisecond}, data.Len(), false, 300 * time.Millisecond},
		{"reset in the second literal", Fault{ResetInLiteral: 2}, litStart + 500, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, serveOnce(t, data.Bytes()), func(int) Fault { return tt.fault })
			c, err := net.Dial("tcp", net.JoinHostPort(p.Host(), strconv.Itoa(p.Port())))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			c.Write([]byte("a1 FETCH\r\n"))
			got, err := io.ReadAll(c)
			if tt.reset != errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read error %v, want reset %v", err, tt.reset)
			}
			if len(got) != tt.want || !bytes.Equal(got, data.Bytes()[:len(got)]) {
				t.Errorf("received %d bytes, want the first %d", len(got), tt.want)
			}
			if elapsed := time.Since(start); elapsed < tt.minElapse {
				t.Errorf("took %v, want a stall of at least %v", elapsed, tt.minElapse)
			}
			if p.Connections() != 1 {
				t.Errorf("%d connections", p.Connections())
			}
		})
	}
}
