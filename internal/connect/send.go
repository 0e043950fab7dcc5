package connect

import (
	"context"
	"fmt"
	"time"

	"github.com/mailsync/mailsync/internal/imapsync"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/smtpsend"
	"github.com/mailsync/mailsync/internal/store"
)

// Sender returns what sends as account a: the Gmail or Graph API for
// OAuth mailboxes; SMTP submission then an IMAP APPEND to Sent for IMAP
// ones. secret is the account's unsealed secret, smtpPassword the SMTP
// one (the IMAP password when the account has none of its own). close
// ends the session.
func (c Connector) Sender(ctx context.Context, a *store.Account, secret, smtpPassword string) (s provider.Sender, close func(), err error) {
	switch a.Provider {
	case oauth.Google, oauth.Microsoft:
		mb, err := c.ConnectAPI(ctx, a, secret)
		if err != nil {
			return nil, nil, err
		}
		return mb, func() { mb.Close() }, nil
	case "imap":
		cfg := a.EffectiveSMTP()
		if err := c.Guard.CheckHost(ctx, cfg.Host); err != nil {
			return nil, nil, fmt.Errorf("SMTP host %s: %w", cfg.Host, err)
		}
		return &smtpSender{c: c, a: a, imapPassword: secret, cfg: smtpsend.Config{Host: cfg.Host, Port: cfg.Port,
			Security: cfg.Security, Username: cfg.Username, Password: smtpPassword, TLSConfig: c.TLSConfig,
			Dial: c.Guard.DialContext}}, func() {}, nil
	}
	return nil, nil, fmt.Errorf("provider %q cannot send", a.Provider)
}

// smtpSender submits by SMTP and keeps the copy with IMAP APPEND.
type smtpSender struct {
	c            Connector
	a            *store.Account
	imapPassword string
	cfg          smtpsend.Config
}

func (s *smtpSender) Send(ctx context.Context, env provider.Envelope, raw []byte) (provider.Sent, error) {
	if err := smtpsend.Submit(ctx, s.cfg, env, raw); err != nil {
		return provider.Sent{}, err
	}
	// Sent: from here on, a failure only loses the Sent copy.
	mb, err := s.c.Connect(ctx, s.a, s.imapPassword)
	if err != nil {
		return provider.Sent{CopyErr: fmt.Errorf("keep a copy in Sent: %w", err)}, nil
	}
	defer mb.Close()
	im, ok := mb.(*imapsync.Mailbox)
	if !ok {
		return provider.Sent{CopyErr: fmt.Errorf("keep a copy in Sent: not an IMAP session")}, nil
	}
	folder, err := im.AppendSent(ctx, raw, time.Now())
	if err != nil {
		return provider.Sent{CopyErr: fmt.Errorf("keep a copy in Sent: %w", err)}, nil
	}
	return provider.Sent{Folder: folder}, nil
}
