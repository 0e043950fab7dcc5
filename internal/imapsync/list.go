package imapsync

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailsync/mailsync/internal/provider"
)

// ListIDs returns the UIDs of a folder, in decimal, without fetching any
// message (EXAMINE, then UID SEARCH ALL). It implements provider.Lister.
func (m *Mailbox) ListIDs(ctx context.Context, folder provider.Folder) ([]string, error) {
	defer m.guard(ctx)()
	if _, err := m.c.Select(folder.Name, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("examine %s: %w", folder.Name, ctxError(ctx, err))
	}
	uids, err := m.listUIDs()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", folder.Name, ctxError(ctx, err))
	}
	return uidStrings(uids), nil
}
