package imapsync

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailsync/mailsync/internal/provider"
)

// AppendSent keeps a copy of a message the mailbox sent (by SMTP) in its
// Sent folder, marked as read, and returns the folder's name. A mailbox
// without a Sent folder (by SPECIAL-USE or a usual name) gets one named
// "Sent".
func (m *Mailbox) AppendSent(ctx context.Context, raw []byte, date time.Time) (string, error) {
	folders, err := m.Folders(ctx)
	if err != nil {
		return "", err
	}
	name := ""
	for _, f := range folders {
		if f.Role == provider.RoleSent {
			name = f.Name
			break
		}
	}
	stop := m.guard(ctx)
	defer stop()
	if name == "" {
		name = "Sent"
		if err := m.c.Create(name, &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrSent}}).Wait(); err != nil {
			// A server without CREATE-SPECIAL-USE may still create it plainly.
			if err := m.c.Create(name, nil).Wait(); err != nil {
				return "", fmt.Errorf("create the Sent folder: %w", ctxError(ctx, err))
			}
		}
	}
	cmd := m.c.Append(name, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return "", fmt.Errorf("append to %s: %w", name, ctxError(ctx, err))
	}
	if err := cmd.Close(); err != nil {
		return "", fmt.Errorf("append to %s: %w", name, ctxError(ctx, err))
	}
	if _, err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("append to %s: %w", name, ctxError(ctx, err))
	}
	return name, nil
}
