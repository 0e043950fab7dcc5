// Package imapsync is the IMAP provider: it logs in to a mailbox, lists its
// folders with their roles and streams each folder's changes to the sync
// core in bounded batches. It stores nothing and never changes the mailbox
// (messages are read with BODY.PEEK from EXAMINEd folders).
package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/provider"
)

// Connection security, Config.Security.
const (
	SecurityTLS      = "tls"      // implicit TLS, usually port 993
	SecurityStartTLS = "starttls" // STARTTLS upgrade, usually port 143
	SecurityNone     = "none"     // plaintext: tests and local servers only
)

const (
	defaultDialTimeout = 15 * time.Second
	// A server silent this long while mailsync reads or writes has hung.
	defaultReadTimeout = 5 * time.Minute
	// Servers may log out clients idle for 30 minutes (RFC 2177): re-issue
	// IDLE well before.
	defaultIdleRefresh = 25 * time.Minute
	// How long a stopping Idle waits for the server to end IDLE before it
	// drops the connection.
	idleStopTimeout = 5 * time.Second
)

// Config says how to reach and log in to a mailbox.
type Config struct {
	Host string
	Port int // 0: 993 for tls, 143 otherwise
	// Security is SecurityTLS (default), SecurityStartTLS or SecurityNone.
	Security           string
	Username, Password string
	// TLSConfig is optional (tests set RootCAs); ServerName defaults to Host.
	TLSConfig *tls.Config
	// DialTimeout bounds connecting, the TLS handshake and login (default 15s).
	DialTimeout time.Duration
	// ReadTimeout closes the connection when the server sends nothing for
	// that long (default 5 minutes; IDLE waits IdleRefresh longer).
	ReadTimeout time.Duration
	// Dial opens the TCP connection (nil: a plain net.Dialer). Package
	// connect passes netguard's, which refuses internal addresses.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// IdleRefresh is how often Idle re-issues IDLE (default 25 minutes).
	IdleRefresh time.Duration
	// Trace, when set, receives the IMAP conversation as sent and read
	// (tests and benchmarks: it holds the LOGIN password).
	Trace io.Writer
}

func (cfg Config) withDefaults() (Config, error) {
	switch cfg.Security {
	case "":
		cfg.Security = SecurityTLS
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		return cfg, fmt.Errorf("unknown IMAP security %q (want %s, %s or %s)", cfg.Security, SecurityTLS, SecurityStartTLS, SecurityNone)
	}
	if cfg.Port == 0 {
		cfg.Port = 143
		if cfg.Security == SecurityTLS {
			cfg.Port = 993
		}
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = defaultReadTimeout
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	if cfg.IdleRefresh <= 0 {
		cfg.IdleRefresh = defaultIdleRefresh
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = cfg.Host
	}
	return cfg, nil
}

// Mailbox is a logged-in IMAP session. It implements provider.Mailbox.
// It is not safe for concurrent use: run one call at a time (Idle holds
// the session until its context is done). When a call's context is done
// mid-command the connection is closed and the Mailbox is unusable.
type Mailbox struct {
	c    *imapclient.Client
	conn *deadlineConn
	cfg  Config
	addr string

	idling atomic.Bool
	wake   chan struct{} // EXISTS or EXPUNGE seen while idling
}

var _ provider.Mailbox = (*Mailbox)(nil)

// Dial connects to the server and logs in. Rejected credentials wrap
// provider.ErrAuth; DNS, TCP and TLS failures wrap provider.ErrUnreachable.
func Dial(ctx context.Context, cfg Config) (*Mailbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Mailbox{
		cfg:  cfg,
		addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		wake: make(chan struct{}, 1),
	}
	dialCtx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()

	conn, err := m.dial(dialCtx)
	if err != nil {
		return nil, m.dialError(ctx, err)
	}
	// Unblock the greeting, STARTTLS and LOGIN when the context ends.
	stop := context.AfterFunc(dialCtx, func() { conn.Close() })
	defer stop()

	opts := &imapclient.Options{
		TLSConfig:   cfg.TLSConfig,
		DebugWriter: cfg.Trace,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) { m.notify() },
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					m.notify()
				}
			},
		},
	}
	if cfg.Security == SecurityStartTLS {
		m.c, err = imapclient.NewStartTLS(conn, opts)
	} else {
		m.c = imapclient.New(conn, opts)
		err = m.c.WaitGreeting()
	}
	if err != nil {
		conn.Close()
		return nil, m.dialError(ctx, err)
	}
	if err := m.login(); err != nil {
		m.c.Close()
		if ctx.Err() != nil || dialCtx.Err() != nil {
			return nil, m.dialError(ctx, err)
		}
		return nil, err
	}
	return m, nil
}

// dial opens the TCP connection, with the TLS handshake for SecurityTLS.
func (m *Mailbox) dial(ctx context.Context) (net.Conn, error) {
	raw, err := m.cfg.Dial(ctx, "tcp", m.addr)
	if err != nil {
		return nil, err
	}
	m.conn = &deadlineConn{Conn: raw}
	m.conn.timeout.Store(int64(m.cfg.ReadTimeout))
	var conn net.Conn = m.conn
	if m.cfg.Security != SecurityTLS {
		return conn, nil
	}
	tc := m.cfg.TLSConfig.Clone()
	if tc.NextProtos == nil {
		tc.NextProtos = []string{"imap"}
	}
	tlsConn := tls.Client(conn, tc)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tlsConn, nil
}

// dialError classifies a failure before login: a server's refusal is a
// plain error, anything else (DNS, TCP, TLS, timeout) is ErrUnreachable.
func (m *Mailbox) dialError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connect to %s: %w", m.addr, ctx.Err())
	}
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		return fmt.Errorf("connect to %s: server refused: %w", m.addr, err)
	}
	if errors.Is(err, netguard.ErrForbidden) {
		return fmt.Errorf("connect to %s: %w", m.addr, err)
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v", m.cfg.DialTimeout)
	}
	return fmt.Errorf("connect to %s: %w: %w", m.addr, provider.ErrUnreachable, err)
}

func (m *Mailbox) login() error {
	if m.c.Caps().Has(imap.CapLoginDisabled) {
		return fmt.Errorf("login to %s: the server refuses passwords on an unencrypted connection: use security %q or %q",
			m.addr, SecurityTLS, SecurityStartTLS)
	}
	err := m.c.Login(m.cfg.Username, m.cfg.Password).Wait()
	if err == nil {
		return nil
	}
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Type == imap.StatusResponseTypeNo && !transientCode(imapErr.Code) {
		return fmt.Errorf("login to %s as %s: wrong username or password (server said %q): %w",
			m.addr, m.cfg.Username, imapErr.Text, provider.ErrAuth)
	}
	return fmt.Errorf("login to %s as %s: %w", m.addr, m.cfg.Username, err)
}

// transientCode reports response codes of a NO that are not about the
// credentials (RFC 5530).
func transientCode(code imap.ResponseCode) bool {
	switch code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug, imap.ResponseCodeContactAdmin:
		return true
	}
	return false
}

// Close logs out and closes the connection.
func (m *Mailbox) Close() error {
	logout := m.c.Logout()
	done := make(chan error, 1)
	go func() { done <- logout.Wait() }()
	select {
	case <-done:
	case <-time.After(idleStopTimeout):
	}
	if err := m.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close %s: %w", m.addr, err)
	}
	return nil
}

// deadlineConn fails when nothing can be read or written for its
// timeout: every Read and Write pushes the deadline forward, so a server
// that stops answering mid-command cannot hold a sync forever.
type deadlineConn struct {
	net.Conn
	timeout atomic.Int64 // time.Duration
}

func (c *deadlineConn) extend() {
	c.Conn.SetDeadline(time.Now().Add(time.Duration(c.timeout.Load())))
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.extend()
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.extend()
	return c.Conn.Write(p)
}

// guard closes the connection if ctx ends before the returned stop is
// called: IMAP has no way to abort a command.
func (m *Mailbox) guard(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { m.c.Close() })
}

// ctxError prefers the context's error over the closed connection it caused.
func ctxError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// notify records an EXISTS or EXPUNGE for Idle. It runs in the client's
// reader goroutine and must not block.
func (m *Mailbox) notify() {
	if !m.idling.Load() {
		return
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
