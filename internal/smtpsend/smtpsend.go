// Package smtpsend submits mail through an SMTP server (RFC 6409
// submission: implicit TLS, STARTTLS or plain; AUTH PLAIN or LOGIN). It
// sends one message per connection and knows nothing of storage or of
// the Sent folder.
package smtpsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailsync/mailsync/internal/provider"
)

// Security modes, as the CLI and the API name them.
const (
	SecurityTLS      = "tls"
	SecurityStartTLS = "starttls"
	SecurityNone     = "none"
)

// Config is an SMTP server and its login.
type Config struct {
	Host     string
	Port     int
	Security string
	Username string // "" sends without AUTH
	Password string
	// TLSConfig, when set, replaces the system defaults (tests trust
	// their own CA with it).
	TLSConfig *tls.Config
	// Dial opens the TCP connection (netguard's dialer refuses internal
	// addresses); nil dials directly.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds the whole submission (0: one minute).
	Timeout time.Duration
}

// Presets are the submission settings of the usual providers, for the UI.
var Presets = []struct {
	Name, Host string
	Port       int
	Security   string
}{
	{"Gmail / Google Workspace", "smtp.gmail.com", 465, SecurityTLS},
	{"Microsoft 365 / Outlook.com", "smtp.office365.com", 587, SecurityStartTLS},
	{"Fastmail", "smtp.fastmail.com", 465, SecurityTLS},
	{"iCloud Mail", "smtp.mail.me.com", 587, SecurityStartTLS},
	{"Yahoo Mail", "smtp.mail.yahoo.com", 465, SecurityTLS},
	{"Zoho Mail", "smtp.zoho.com", 465, SecurityTLS},
}

// Submit sends raw to the envelope's recipients. Errors wrap
// provider.ErrAuth (login refused), provider.ErrRejected (the server
// refused the sender, a recipient or the message) or
// provider.ErrUnreachable (connection, TLS, or a connection cut before
// the server accepted the message).
func Submit(ctx context.Context, cfg Config, env provider.Envelope, raw []byte) error {
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	c, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if cfg.Username != "" {
		if err := c.Auth(mechanism(c, cfg)); err != nil {
			return classify(ctx, "log in to "+cfg.Host, err, provider.ErrAuth)
		}
	}
	if err := c.Mail(env.From, nil); err != nil {
		return classify(ctx, "sender "+env.From, err, provider.ErrRejected)
	}
	for _, to := range env.To {
		if err := c.Rcpt(to, nil); err != nil {
			return classify(ctx, "recipient "+to, err, provider.ErrRejected)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify(ctx, "message", err, provider.ErrRejected)
	}
	if _, err := bytes.NewReader(raw).WriteTo(w); err != nil {
		w.Close()
		return classify(ctx, "message", err, provider.ErrRejected)
	}
	if err := w.Close(); err != nil {
		return classify(ctx, "message", err, provider.ErrRejected)
	}
	_ = c.Quit() // the message is accepted: a failed QUIT changes nothing
	return nil
}

func connect(ctx context.Context, cfg Config) (*smtp.Client, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dial := cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 15 * time.Second}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w: %w", addr, provider.ErrUnreachable, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tlsCfg := cfg.TLSConfig.Clone()
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	var c *smtp.Client
	switch cfg.Security {
	case SecurityTLS:
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("smtp %s: TLS: %w: %w", addr, provider.ErrUnreachable, err)
		}
		c = smtp.NewClient(tc)
	case SecurityStartTLS:
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
	case SecurityNone:
		c = smtp.NewClient(conn)
	default:
		conn.Close()
		return nil, fmt.Errorf("unknown SMTP security %q: use tls, starttls or none", cfg.Security)
	}
	if err == nil {
		err = c.Hello("localhost")
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp %s: %w: %w", addr, provider.ErrUnreachable, err)
	}
	return c, nil
}

// mechanism picks PLAIN when the server offers it (or says nothing), LOGIN
// otherwise.
func mechanism(c *smtp.Client, cfg Config) sasl.Client {
	if !c.SupportsAuth("PLAIN") && c.SupportsAuth("LOGIN") {
		return sasl.NewLoginClient(cfg.Username, cfg.Password)
	}
	return sasl.NewPlainClient("", cfg.Username, cfg.Password)
}

// classify wraps an SMTP error: a 5xx answer is final (kind), a 4xx one
// and a cut connection are transient (provider.ErrUnreachable).
func classify(ctx context.Context, what string, err error, kind error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Code >= 500 {
			return fmt.Errorf("%s: %w: the server said %d %s", what, kind, se.Code, se.Message)
		}
		return fmt.Errorf("%s: %w: the server said %d %s (try again later)", what, provider.ErrUnreachable, se.Code, se.Message)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w: %w", what, provider.ErrUnreachable, ctx.Err())
	}
	return fmt.Errorf("%s: %w: %w", what, provider.ErrUnreachable, err)
}
