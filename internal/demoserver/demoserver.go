// Package demoserver runs an in-process IMAP server on loopback holding one generated
// mailbox, for `mailsync demo` and for tests. It keeps everything in memory and stops
// completely on Close; it is not a mail server for real use.
package demoserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	// The IMAP server builds ENVELOPE and runs SEARCH with go-message, which decodes only
	// UTF-8 and ISO-8859-1 headers unless this package registers the other charsets.
	_ "github.com/emersion/go-message/charset"

	"github.com/mailsync/mailsync/internal/mailgen"
)

// Options configure the demo mailbox.
type Options struct {
	Messages int    // generated messages in INBOX and Sent (default 300)
	Seed     uint64 // seed of the generated mailbox
	Owner    string // login and mailbox owner (default alex@ourco.example, "Alex Morgan")
	// Log receives the IMAP server's error messages; nil discards them.
	Log io.Writer
}

const (
	defaultMessages = 300
	defaultOwner    = "alex@ourco.example"
	defaultName     = "Alex Morgan"
)

// Server is a running demo IMAP server. Its methods are safe for concurrent use.
type Server struct {
	imap     *imapserver.Server
	ln       *listener
	user     *imapmemserver.User
	folders  *folders
	username string
	password string
	counts   map[string]int
	served   chan struct{} // closed when the accept loop has returned

	closeOnce sync.Once
	closeErr  error
}

// Start seeds a mailbox and serves it over plain IMAP on 127.0.0.1 at a free port. ctx
// bounds the start only; Close stops the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Messages <= 0 {
		opts.Messages = defaultMessages
	}
	ownerName := ""
	if opts.Owner == "" {
		opts.Owner, ownerName = defaultOwner, defaultName
	}
	s := &Server{
		folders:  newFolders(),
		username: opts.Owner,
		password: rand.Text(),
		counts:   map[string]int{},
		served:   make(chan struct{}),
	}
	s.user = imapmemserver.NewUser(s.username, s.password)
	if err := s.seed(ctx, mailgen.Options{N: opts.Messages, Seed: opts.Seed, Owner: opts.Owner, OwnerName: ownerName}); err != nil {
		return nil, fmt.Errorf("demoserver: seed mailbox: %w", err)
	}

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demoserver: listen: %w", err)
	}
	s.ln = newListener(ln)
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: s.newSession,
		Caps: imap.CapSet{
			imap.CapIMAP4rev1:        {},
			imap.CapIMAP4rev2:        {}, // with UIDPLUS, MOVE, NAMESPACE, LIST-STATUS …
			imap.CapSpecialUse:       {},
			imap.CapCreateSpecialUse: {},
		},
		Logger:       log.New(logw, "demoserver: ", log.LstdFlags),
		InsecureAuth: true, // loopback only
	})
	go func() {
		defer close(s.served)
		// Serve returns nil once Close has closed the listener.
		if err := s.imap.Serve(s.ln); err != nil {
			fmt.Fprintf(logw, "demoserver: serve: %v\n", err)
		}
	}()
	return s, nil
}

// Addr returns where the server listens.
func (s *Server) Addr() (host string, port int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// Username returns the login, which is the owner's address.
func (s *Server) Username() string { return s.username }

// Password returns the random password of this run.
func (s *Server) Password() string { return s.password }

// Count returns how many messages Start put in folder.
func (s *Server) Count(folder string) int { return s.counts[folder] }

// Close stops accepting connections, closes every open one and returns once each
// connection's session has ended. Calling it again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.imap.Close()
		s.ln.closeAll()
		<-s.served
		s.ln.wait()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("demoserver: close: %w", err)
		}
	})
	return s.closeErr
}

// listener tracks the connections it accepts, so Close can end them all and wait for
// their sessions, including one the IMAP server had not registered yet.
type listener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*conn]struct{}
	active sync.WaitGroup
}

func newListener(ln net.Listener) *listener {
	return &listener{Listener: ln, conns: map[*conn]struct{}{}}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &conn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	l.active.Add(1)
	return tc, nil
}

func (l *listener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Conn.Close()
	}
}

func (l *listener) wait() { l.active.Wait() }

// conn is an accepted connection. It counts as finished when it is closed after its
// session has ended: the IMAP server closes the connection as the last step of serving it.
type conn struct {
	net.Conn
	l *listener

	mu           sync.Mutex
	sessionEnded bool
	finished     bool
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	done := c.sessionEnded && !c.finished
	if done {
		c.finished = true
	}
	c.mu.Unlock()
	if done {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.active.Done()
	}
	return err
}

func (c *conn) endSession() {
	c.mu.Lock()
	c.sessionEnded = true
	c.mu.Unlock()
}
