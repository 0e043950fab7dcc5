// Package reconcile proves that a mailbox is in sync (SPEC §3.7): per
// folder it compares the ids the server lists with what the store
// recorded, reports every difference with its reason, and can repair
// them through a normal sync. It reads the server but never changes it.
package reconcile

import (
	"context"
	"fmt"
	"slices"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// Reasons for a difference.
const (
	// ReasonNotRecorded: the server holds the message and nothing was
	// recorded for it: new since the last sync, or lost.
	ReasonNotRecorded = "on the server, not recorded: new since the last sync, or lost"
	// ReasonGone: a message was recorded that the server no longer holds:
	// deleted on the server since the last sync.
	ReasonGone = "recorded, no longer on the server: deleted since the last sync"
	// ReasonNeverSynced: a folder the mailbox syncs that no sync has
	// reached yet, so nothing about it was checked against a sync.
	ReasonNeverSynced = "selected, never synced: no sync has reached this folder yet"
	// ReasonNotListed: a folder on the server that the mailbox's settings
	// select and that no sync has recorded.
	ReasonNotListed = "on the server and selected, not recorded: no sync has listed this folder yet"
	// ReasonNeverImported: no sync of the mailbox has finished.
	ReasonNeverImported = "never imported: no sync of this mailbox has finished yet"
)

// FolderReport compares one synced folder.
type FolderReport struct {
	Folder   string `json:"folder"`
	OnServer int    `json:"onServer"`
	Imported int    `json:"imported"`
	Skipped  int    `json:"skipped"`
	Failed   int    `json:"failed"`
	// Missing are server ids with nothing recorded (ReasonNotRecorded).
	Missing []string `json:"missing"`
	// Extra are recorded ids the server no longer lists (ReasonGone).
	Extra []string `json:"extra"`
	// Reason says why a folder differs although no id does (a folder never
	// synced, or not recorded at all); empty otherwise.
	Reason string `json:"reason,omitempty"`
	OK     bool   `json:"ok"`
}

// Report is the comparison of a whole mailbox.
type Report struct {
	AccountID string         `json:"accountId"`
	Handle    string         `json:"handle"`
	Folders   []FolderReport `json:"folders"`
	// Reason says why the mailbox as a whole differs (ReasonNeverImported).
	Reason string `json:"reason,omitempty"`
	OK     bool   `json:"ok"`
	// Repaired is set when a repair ran before this report was made.
	Repaired bool `json:"repaired"`
}

// Reconciler compares mailboxes with the store. Its Syncer's Store, Box
// and Connect are used to read both sides, and the Syncer runs repairs.
type Reconciler struct {
	Syncer *ingest.Syncer
}

// Check compares every synced folder of an account with the server. A
// sync running at the same moment may show as differences it is about
// to resolve.
func (r Reconciler) Check(ctx context.Context, accountID string) (*Report, error) {
	a, err := r.Syncer.Store.AccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	secret, err := r.Syncer.Box.Open(a.Secret)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.Handle, err)
	}
	mb, err := r.Syncer.Connect(ctx, a, secret)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", a.Handle, err)
	}
	defer mb.Close()
	lister, ok := mb.(provider.Lister)
	if !ok {
		return nil, fmt.Errorf("provider %s cannot list folders for a reconciliation", a.Provider)
	}
	folders, err := r.Syncer.Store.Folders(ctx, a.ChannelID)
	if err != nil {
		return nil, err
	}
	rep := &Report{AccountID: a.ID, Handle: a.Handle, Folders: []FolderReport{}, OK: true}
	if a.LastSyncedAt.IsZero() {
		rep.OK, rep.Reason = false, ReasonNeverImported
	}
	recorded := map[string]bool{}
	for _, f := range folders {
		recorded[f.Name] = true
		if !f.Selected {
			continue
		}
		fr, err := r.checkFolder(ctx, lister, f)
		if err != nil {
			return nil, err
		}
		rep.OK = rep.OK && fr.OK
		rep.Folders = append(rep.Folders, fr)
	}
	// Folders the server has, that the settings select, and that no sync
	// recorded: nothing of them was checked.
	remote, err := mb.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("list folders of %s: %w", a.Handle, err)
	}
	for _, spec := range ingest.FolderSpecs(remote, a.Folders) {
		if spec.Selected && !recorded[spec.Name] {
			rep.OK = false
			rep.Folders = append(rep.Folders, FolderReport{Folder: spec.Name, Missing: []string{}, Extra: []string{},
				Reason: ReasonNotListed})
		}
	}
	return rep, nil
}

func (r Reconciler) checkFolder(ctx context.Context, lister provider.Lister, f *store.Folder) (FolderReport, error) {
	ids, err := lister.ListIDs(ctx, provider.Folder{Name: f.Name, Role: f.Role})
	if err != nil {
		return FolderReport{}, fmt.Errorf("list %s: %w", f.Name, err)
	}
	recorded, err := r.Syncer.Store.ItemStatuses(ctx, f.ID)
	if err != nil {
		return FolderReport{}, err
	}
	fr := FolderReport{Folder: f.Name, OnServer: len(ids), Missing: []string{}, Extra: []string{}}
	onServer := make(map[string]bool, len(ids))
	for _, id := range ids {
		onServer[id] = true
		switch recorded[id] {
		case store.ItemImported:
			fr.Imported++
		case store.ItemSkipped:
			fr.Skipped++
		case store.ItemFailed:
			fr.Failed++
		default:
			fr.Missing = append(fr.Missing, id)
		}
	}
	for id := range recorded {
		if !onServer[id] {
			fr.Extra = append(fr.Extra, id)
		}
	}
	slices.Sort(fr.Extra)
	if f.Cursor == "" {
		fr.Reason = ReasonNeverSynced
	}
	fr.OK = len(fr.Missing) == 0 && len(fr.Extra) == 0 && fr.Reason == ""
	return fr, nil
}

// Repair makes the differences go away through a normal sync (see
// PrepareRepair) and returns the report made after it.
func (r Reconciler) Repair(ctx context.Context, accountID string) (*Report, error) {
	before, err := r.Check(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if before.OK {
		return before, nil
	}
	if err := r.PrepareRepair(ctx, before); err != nil {
		return nil, err
	}
	if err := r.Syncer.SyncAccount(ctx, accountID); err != nil {
		return nil, fmt.Errorf("repair %s: %w", before.Handle, err)
	}
	after, err := r.Check(ctx, accountID)
	if err != nil {
		return nil, err
	}
	after.Repaired = true
	return after, nil
}

// PrepareRepair readies the next sync to resolve a report's differences:
// a folder with ids nothing was recorded for is listed and fetched again
// from its start (messages are matched by Message-ID, so nothing is
// duplicated); ids gone from the server are forgotten by any sync's
// listing, so they need nothing.
func (r Reconciler) PrepareRepair(ctx context.Context, rep *Report) error {
	a, err := r.Syncer.Store.AccountByID(ctx, rep.AccountID)
	if err != nil {
		return err
	}
	folders, err := r.Syncer.Store.Folders(ctx, a.ChannelID)
	if err != nil {
		return err
	}
	for _, fr := range rep.Folders {
		if len(fr.Missing) == 0 {
			continue
		}
		for _, f := range folders {
			if f.Name == fr.Folder {
				if err := r.Syncer.Store.ResetFolderCursor(ctx, f.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
