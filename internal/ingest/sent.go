package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// StoreSent stores a message the account just sent, at once, as the sync
// stores what it fetches (same parsing, rules, contacts and threading),
// held by the account's folder sentFolder through a placeholder item.
// The sync that later finds the copy (same Message-ID) replaces the
// placeholder, so the message keeps its id and is stored once. It
// returns the stored message's id, "" when the rules skip it.
func (s *Syncer) StoreSent(ctx context.Context, a *store.Account, sentFolder string, raw []byte) (string, error) {
	if sentFolder == "" {
		sentFolder = "Sent"
		fs, err := s.Store.Folders(ctx, a.ChannelID)
		if err != nil {
			return "", err
		}
		for _, f := range fs {
			if f.Role == provider.RoleSent {
				sentFolder = f.Name
				break
			}
		}
	}
	f, err := s.Store.EnsureFolder(ctx, a.ChannelID, sentFolder, provider.RoleSent)
	if err != nil {
		return "", err
	}
	r := s.newRun(a, "", nil) // no lease: the sent message is stored outside a sync, not by batch
	if err := r.prepare(ctx); err != nil {
		return "", err
	}
	r.sending = true
	p := r.parseOne(provider.Message{ID: "sending", Raw: raw, InternalDate: time.Now().UTC()})
	if p.err != nil {
		return "", fmt.Errorf("store the sent message: %w", p.err)
	}
	results := []parsed{p}
	var ids map[string]string
	if err := r.retry(ctx, func(tx *sql.Tx) error {
		if _, err := r.storeParsed(ctx, tx, f, results); err != nil {
			return err
		}
		ids, err = store.MessageIDsByKey(ctx, tx, a.WorkspaceID, []string{p.mail.Key()})
		return err
	}); err != nil {
		return "", fmt.Errorf("store the sent message: %w", err)
	}
	if !p.decision.Import {
		return "", nil
	}
	if err := s.Store.LinkUnlinked(ctx, a.WorkspaceID, importedEmails(results)); err != nil {
		return "", err
	}
	if err := s.Store.RepairThreads(ctx, a.WorkspaceID, importedKeys(results)); err != nil {
		return "", err
	}
	return ids[p.mail.Key()], nil
}
