package gmailsync

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/mailsync/mailsync/internal/provider"
)

// fetchAll gets messages in the given format, up to the configured
// number at once, each under the quota limiter. The result is in the
// order of ids, nil where Gmail has no such message any more. The first
// error stops the other fetches.
func (m *Mailbox) fetchAll(ctx context.Context, ids []string, format string) ([]*gmail.Message, error) {
	out := make([]*gmail.Message, len(ids))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	sem := make(chan struct{}, m.concurrency)
	for i, id := range ids {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			g, err := m.get(ctx, id, format)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
				return
			}
			out[i] = g
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// get fetches one message; a message gone meanwhile is (nil, nil).
func (m *Mailbox) get(ctx context.Context, id, format string) (*gmail.Message, error) {
	if err := m.charge(ctx, costMessagesGet); err != nil {
		return nil, err
	}
	g, err := m.svc.Users.Messages.Get("me", id).Format(format).Context(ctx).Do()
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("gmail get message "+id, err)
	}
	if format == "raw" && g.Raw == "" {
		return nil, fmt.Errorf("gmail get message %s: no raw body in the answer", id)
	}
	return g, nil
}

// toMessage converts a fetched message; Raw stays nil for a minimal one,
// which makes it a flag update.
func toMessage(g *gmail.Message) provider.Message {
	msg := provider.Message{ID: g.Id, Flags: g.LabelIds, ThreadHint: g.ThreadId,
		InternalDate: time.UnixMilli(g.InternalDate).UTC()}
	if g.Raw != "" {
		msg.Raw = decodeRaw(g.Raw)
	}
	return msg
}

// decodeRaw decodes Gmail's base64url body, padded or not. An invalid
// one is kept as is: the parser then records the message as failed
// rather than the sync stopping.
func decodeRaw(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return []byte(s)
	}
	return b
}
