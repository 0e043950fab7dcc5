package gmailsync

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/mailsync/mailsync/internal/provider"
)

// costMessagesSend is messages.send's quota cost.
const costMessagesSend = 100

var _ provider.Sender = (*Mailbox)(nil)

// Send sends raw with users.messages.send. Gmail takes the recipients
// from the To, Cc and Bcc headers (it strips Bcc from what it delivers)
// and files its own copy under SENT, which the folder Mail holds.
func (m *Mailbox) Send(ctx context.Context, _ provider.Envelope, raw []byte) (provider.Sent, error) {
	// The cost may exceed the limiter's burst: wait for it in parts.
	for left := costMessagesSend; left > 0; left -= m.limiter.Burst() {
		if err := m.charge(ctx, min(left, m.limiter.Burst())); err != nil {
			return provider.Sent{}, err
		}
	}
	_, err := m.svc.Users.Messages.Send("me", &gmail.Message{Raw: base64.URLEncoding.EncodeToString(raw)}).Context(ctx).Do()
	if err != nil {
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == 400 {
			return provider.Sent{}, fmt.Errorf("gmail send: %w: %s", provider.ErrRejected, gerr.Message)
		}
		return provider.Sent{}, wrap("gmail send", err)
	}
	return provider.Sent{Folder: MailFolder}, nil
}
