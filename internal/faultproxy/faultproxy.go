// Package faultproxy is a TCP proxy for tests that breaks connections on
// purpose, between mailsync and a server: it cuts them after some bytes,
// stalls them, or resets them in the middle of an IMAP literal. Test
// tooling only: it never runs in mailsync itself.
package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is what the proxy does to one connection, counting the bytes the
// server sends to the client. The zero Fault forwards faithfully.
type Fault struct {
	// CutAfter closes the connection once this many bytes went to the
	// client (0: never).
	CutAfter int64
	// StallAfter and StallFor hold the server's bytes for StallFor once
	// StallAfter bytes went to the client (StallFor 0: never).
	StallAfter int64
	StallFor   time.Duration
	// ResetInLiteral resets the connection (TCP RST) halfway through the
	// Nth literal ("{size}\r\n" then size bytes) the server sends (0: never).
	ResetInLiteral int
}

// Plan chooses the fault of the nth connection (counting from 1).
type Plan func(n int) Fault

// Proxy listens on 127.0.0.1 and forwards each connection to its target
// with the fault its plan chooses.
type Proxy struct {
	ln     net.Listener
	target string
	plan   Plan

	mu    sync.Mutex
	n     int // connections accepted
	open  map[net.Conn]bool
	wg    sync.WaitGroup
	close chan struct{}
}

// Start starts a proxy to target ("host:port"); it stops when the test ends.
func Start(t testing.TB, target string, plan Plan) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, plan: plan, open: map[net.Conn]bool{}, close: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.stop)
	return p
}

// Host is the address to connect to instead of the target's.
func (p *Proxy) Host() string { return "127.0.0.1" }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Connections returns how many connections the proxy accepted.
func (p *Proxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *Proxy) stop() {
	close(p.close)
	p.ln.Close()
	p.mu.Lock()
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed by stop
		}
		p.mu.Lock()
		p.n++
		fault := p.plan(p.n)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(client, fault)
		}()
	}
}

// track registers c to be closed by stop; it returns false once stopping.
func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !add {
		delete(p.open, c)
		return true
	}
	select {
	case <-p.close:
		return false
	default:
	}
	p.open[c] = true
	return true
}

func (p *Proxy) serve(client net.Conn, fault Fault) {
	defer client.Close()
	if !p.track(client, true) {
		return
	}
	defer p.track(client, false)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	if !p.track(server, true) {
		return
	}
	defer p.track(server, false)

	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(server, client)
		server.Close()
	}()
	f := &faulty{Fault: fault, stop: p.close, resetLeft: -1}
	if f.forward(client, server) == errReset {
		if tcp, ok := client.(*net.TCPConn); ok {
			tcp.SetLinger(0) // Close sends RST instead of FIN
		}
	}
	client.Close()
	server.Close()
	<-done
}

var errReset = errors.New("reset on purpose")

// faulty forwards the server's bytes to the client, applying a Fault.
type faulty struct {
	Fault
	stop    <-chan struct{}
	sent    int64
	stalled bool
	// literal tracking: how many literals began, and the bytes left of
	// the current one; tail keeps the end of the last chunk so that a
	// "{size}\r\n" split across reads is still seen.
	literals int
	inLit    int64
	tail     []byte
	// resetLeft counts down the bytes still sent of the literal that
	// ends in a reset (-1: none under way).
	resetLeft int64
}

// forward copies until either side closes, the fault cuts the connection
// (nil), or resets it (errReset).
func (f *faulty) forward(client io.Writer, server io.Reader) error {
	buf := make([]byte, 16<<10)
	for {
		n, err := server.Read(buf)
		chunk := buf[:n]
		for len(chunk) > 0 {
			take, stop := f.next(chunk)
			if _, werr := client.Write(chunk[:take]); werr != nil {
				return werr
			}
			f.sent += int64(take)
			chunk = chunk[take:]
			if stop != nil {
				return stop
			}
			if f.StallFor > 0 && !f.stalled && f.sent >= f.StallAfter {
				f.stalled = true
				select {
				case <-time.After(f.StallFor):
				case <-f.stop:
					return nil
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// next returns how many bytes of chunk to send now, and whether the
// connection ends after them (nil: it goes on).
func (f *faulty) next(chunk []byte) (int, error) {
	take := len(chunk)
	if f.CutAfter > 0 {
		if left := f.CutAfter - f.sent; left <= int64(take) {
			return int(left), io.EOF
		}
	}
	if f.StallFor > 0 && !f.stalled && f.StallAfter > f.sent && f.StallAfter-f.sent < int64(take) {
		take = int(f.StallAfter - f.sent)
	}
	if f.ResetInLiteral > 0 {
		return f.literal(chunk[:take])
	}
	return take, nil
}

// literal follows the literals in chunk and stops halfway through the
// ResetInLiteral-th one.
func (f *faulty) literal(chunk []byte) (int, error) {
	pos := 0
	for pos < len(chunk) {
		if f.resetLeft >= 0 {
			n := min(f.resetLeft, int64(len(chunk)-pos))
			f.resetLeft -= n
			if pos += int(n); f.resetLeft == 0 {
				return pos, errReset
			}
			continue
		}
		if f.inLit > 0 {
			n := min(f.inLit, int64(len(chunk)-pos))
			f.inLit -= n
			pos += int(n)
			continue
		}
		scan := append(f.tail, chunk[pos:]...)
		end, size, ok := findLiteral(scan)
		if !ok {
			f.tail = append([]byte(nil), scan[max(0, len(scan)-24):]...)
			return len(chunk), nil
		}
		pos += end - len(f.tail) // scan is the tail, then chunk[pos:]
		f.tail = nil
		f.literals++
		if f.literals == f.ResetInLiteral {
			f.resetLeft = size / 2
			continue
		}
		f.inLit = size
	}
	return len(chunk), nil
}

// findLiteral finds the first "{size}\r\n" in b: it returns the offset
// just past it and the size.
func findLiteral(b []byte) (end int, size int64, ok bool) {
	for from := 0; ; {
		i := bytes.Index(b[from:], []byte("}\r\n"))
		if i < 0 {
			return 0, 0, false
		}
		i += from
		open := bytes.LastIndexByte(b[:i], '{')
		if open >= 0 {
			if n, err := strconv.ParseInt(string(b[open+1:i]), 10, 64); err == nil && n > 0 {
				return i + 3, n, true
			}
		}
		from = i + 3
	}
}
