// Package send sends mail as a member's mailbox, once, above the
// providers: it checks who may send, builds the message (threading a
// reply), guards retries with an idempotency key, hands the message to
// the provider's Sender, and stores it at once with its Sent placeholder.
package send

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// Sentinel errors callers branch on (the API answers 403, 400, 409, 502).
var (
	ErrNotOwner   = errors.New("not the mailbox's owner")
	ErrInvalid    = errors.New("invalid message")
	ErrInProgress = store.ErrSendInProgress
	ErrFailed     = errors.New("send failed")
)

// SenderFunc opens what sends as an account (connect.Connector.Sender).
type SenderFunc func(ctx context.Context, a *store.Account, secret, smtpPassword string) (provider.Sender, func(), error)

// Service sends mail.
type Service struct {
	Store  *store.Store
	Box    *secrets.Box
	Sender SenderFunc
	// Syncer stores the sent message as a sync would.
	Syncer *ingest.Syncer
}

// Request is one message to send.
type Request struct {
	AccountID      string
	To, Cc, Bcc    []string
	Subject        *string // nil: "Re: " + the parent's subject for a reply, else empty
	Text, HTML     string
	Files          []compose.File
	ReplyTo        string // stored id of the message replied to
	IdempotencyKey string
}

// Result is what the CLI and the API answer.
type Result struct {
	ID        string `json:"id"`
	MessageID string `json:"messageId"`
	ThreadID  string `json:"threadId"`
	// Warning says what went wrong after the message went out (its copy
	// in Sent could not be kept): the message was sent all the same.
	Warning string `json:"warning,omitempty"`
}

// Send sends req as member m. An error means nothing was sent, unless it
// says otherwise.
func (s *Service) Send(ctx context.Context, m *store.Member, req Request) (*Result, error) {
	a, err := s.Store.Account(ctx, m.WorkspaceID, req.AccountID)
	if err != nil {
		return nil, err
	}
	if a.MemberID != m.ID {
		return nil, fmt.Errorf("only the owner of %s may send from it: %w", a.Handle, ErrNotOwner)
	}
	msg, err := s.compose(ctx, m, a, req)
	if err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" {
		prev, err := s.Store.BeginSend(ctx, a.ID, req.IdempotencyKey)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			return &Result{ID: prev.MessageID, MessageID: prev.MessageKey, ThreadID: prev.Thread}, nil
		}
	}
	res, err := s.deliver(ctx, a, msg)
	if req.IdempotencyKey != "" {
		if res == nil {
			if aerr := s.Store.AbandonSend(context.WithoutCancel(ctx), a.ID, req.IdempotencyKey); aerr != nil {
				return nil, errors.Join(err, aerr)
			}
		} else if ferr := s.Store.FinishSend(context.WithoutCancel(ctx), a.ID, req.IdempotencyKey,
			store.Send{MessageID: res.ID, MessageKey: res.MessageID, Thread: res.ThreadID}); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return res, err
}

// deliver hands msg to the provider and stores it. A nil Result means
// nothing was sent.
func (s *Service) deliver(ctx context.Context, a *store.Account, msg *compose.Message) (*Result, error) {
	secret, err := s.Box.Open(a.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: the mailbox's credentials cannot be read: %w", ErrFailed, err)
	}
	smtpPassword := secret
	if a.SMTP.Secret != "" {
		if smtpPassword, err = s.Box.Open(a.SMTP.Secret); err != nil {
			return nil, fmt.Errorf("%w: the SMTP password cannot be read: %w", ErrFailed, err)
		}
	}
	msg.BccHeader = a.Provider != "imap" // the APIs read recipients from the headers
	raw, err := msg.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	sender, closeFn, err := s.Sender(ctx, a, secret, smtpPassword)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFailed, a.Handle, err)
	}
	defer closeFn()
	sent, err := sender.Send(ctx, provider.Envelope{From: a.Handle, To: msg.Recipients()}, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFailed, explain(err))
	}
	res := &Result{MessageID: msg.MessageID}
	if sent.CopyErr != nil {
		res.Warning = "sent, but no copy could be kept in the Sent folder: " + sent.CopyErr.Error()
	}
	// Sent: from here on nothing may say otherwise.
	ctx = context.WithoutCancel(ctx)
	id, err := s.Syncer.StoreSent(ctx, a, sent.Folder, raw)
	if err != nil {
		return res, fmt.Errorf("the message was sent, but storing it failed (the next sync will bring it): %w", err)
	}
	res.ID = id
	if id != "" {
		stored, err := s.Store.Message(ctx, a.WorkspaceID, id)
		if err != nil {
			return res, err
		}
		res.ThreadID = stored.ThreadID
	}
	return res, nil
}

// explain turns a provider failure into words that say what to fix.
func explain(err error) error {
	switch {
	case errors.Is(err, provider.ErrAuth):
		return fmt.Errorf("the server refused the login (check the SMTP username and password, or reconnect the mailbox): %w", err)
	case errors.Is(err, provider.ErrRejected):
		return fmt.Errorf("the server refused the message: %w", err)
	case errors.Is(err, provider.ErrUnreachable):
		return fmt.Errorf("the server could not be reached or cut the connection; nothing was sent, try again: %w", err)
	}
	return err
}

// compose builds the message, threading it under req.ReplyTo.
func (s *Service) compose(ctx context.Context, m *store.Member, a *store.Account, req Request) (*compose.Message, error) {
	msg := &compose.Message{From: mail.Address{Name: m.Name, Address: a.Handle}, Text: req.Text, HTML: req.HTML,
		Files: req.Files, MessageID: compose.NewMessageID(a.Handle), Date: time.Now()}
	var err error
	for _, l := range []struct {
		in  []string
		out *[]mail.Address
	}{{req.To, &msg.To}, {req.Cc, &msg.Cc}, {req.Bcc, &msg.Bcc}} {
		if *l.out, err = addresses(l.in); err != nil {
			return nil, err
		}
	}
	if len(msg.Recipients()) == 0 {
		return nil, fmt.Errorf("%w: give at least one recipient (to, cc or bcc)", ErrInvalid)
	}
	if strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" {
		return nil, fmt.Errorf("%w: the message has no body", ErrInvalid)
	}
	if req.Subject != nil {
		msg.Subject = *req.Subject
	}
	if req.ReplyTo == "" {
		return msg, nil
	}
	parent, err := s.Store.Message(ctx, m.WorkspaceID, req.ReplyTo)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: no message %s to reply to (give the stored id `thread` lists)", ErrInvalid, req.ReplyTo)
	}
	if err != nil {
		return nil, err
	}
	view := visibility.Message(m.ID, parent)
	if req.Subject == nil {
		if view.Subject == nil {
			return nil, fmt.Errorf("%w: the subject of the message replied to is withheld from you: give a subject", ErrInvalid)
		}
		msg.Subject = compose.ReplySubject(*view.Subject)
	}
	refs, err := s.Store.MessageReferences(ctx, m.WorkspaceID, parent.ID)
	if err != nil {
		return nil, err
	}
	msg.InReplyTo = parent.Key
	msg.References = append(refs, parent.Key)
	return msg, nil
}

// addresses parses addresses as people type them ("Jane <jane@x>" or
// "jane@x"), each a separate entry or comma-separated.
func addresses(in []string) ([]mail.Address, error) {
	var out []mail.Address
	for _, s := range in {
		if strings.TrimSpace(s) == "" {
			continue
		}
		list, err := mail.ParseAddressList(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not an email address", ErrInvalid, s)
		}
		for _, a := range list {
			out = append(out, *a)
		}
	}
	return out, nil
}
