// Package ingest brings mailboxes up to date: it asks a provider for each
// folder's changes, parses them, applies the import rules, and stores each
// batch with its cursor in one transaction. It owns the sync algorithm and
// its guarantees (SPEC §3.1); it does not speak IMAP or SQL itself.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// ErrBusy means another process is syncing the mailbox right now.
var ErrBusy = errors.New("mailbox is being synced by another process")

// ErrPaused means the mailbox's sync is paused: nothing is fetched until
// its owner or an admin resumes it.
var ErrPaused = errors.New("mailbox sync is paused")

// ConnectFunc opens a provider session for an account with its decrypted secret.
type ConnectFunc func(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error)

// Progress is what a sync run reports as it goes.
type Progress struct {
	AccountID string
	Handle    string
	Listed    int // messages on the server in synced folders (known so far)
	Imported  int // stored by this run
	Skipped   int // skipped by a rule in this run
	Failed    int // failed to parse in this run
	Removed   int // expunged on the server, forgotten by this run
	Created   int // people created by this run
	Pending   int // still to fetch, as far as known
	Folder    string
	Done      bool
}

// Syncer runs syncs. Its zero value is not usable: set Store, Box and Connect.
type Syncer struct {
	Store   *store.Store
	Box     *secrets.Box
	Connect ConnectFunc
	Log     *slog.Logger
	// BatchSize bounds the messages in one batch (0: provider default).
	BatchSize int
	// OnProgress, when set, is called after each batch.
	OnProgress func(Progress)
	// OnFinish, when set, is called when a sync ends, well or not (not
	// when the mailbox was busy): for metrics.
	OnFinish func(p Progress, elapsed time.Duration, err error)
	// LeaseOwner names every sync of this Syncer in its lease (default: a
	// new host:pid:random for each sync).
	LeaseOwner string
	// LeaseTTL is how long a lease lasts without renewal (default
	// DefaultLeaseTTL); it bounds how long a dead process's mailbox waits.
	LeaseTTL time.Duration
}

func (s *Syncer) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// newOwner names one sync in its lease: host:pid:nonce, new for each sync,
// so that two syncs of one mailbox exclude each other in one process too
// (a pushed sync and a queued one), and a lease left by a process of this
// host that is gone can be recognized (deadLocalProcess).
func (s *Syncer) newOwner() string {
	if s.LeaseOwner != "" {
		return s.LeaseOwner
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), store.NewSecret()[:8])
}

// DefaultLeaseTTL is how long a sync lease lasts without renewal. A
// worker renews it every third of that (and with every batch it stores),
// so a worker that dies leaves its mailboxes free within DefaultLeaseTTL;
// package jobs then hands them to a survivor (docs/operations.md states
// the whole bound).
const DefaultLeaseTTL = 30 * time.Second

func (s *Syncer) leaseTTL() time.Duration {
	if s.LeaseTTL <= 0 {
		return DefaultLeaseTTL
	}
	return s.LeaseTTL
}

// SyncAccount brings one mailbox up to date. It returns ErrPaused when
// the mailbox is paused, ErrBusy when
// another process holds the mailbox, an error wrapping provider.ErrAuth
// when the credentials are refused (the account is then failed_auth), or
// another error (the account is then failed, with the reason).
func (s *Syncer) SyncAccount(ctx context.Context, accountID string) error {
	a, err := s.Store.AccountForSync(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Paused {
		return fmt.Errorf("account %s: %w", a.Handle, ErrPaused)
	}
	owner := s.newOwner()
	ok, err := s.acquire(ctx, a.ChannelID, owner)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("account %s: %w", a.Handle, ErrBusy)
	}
	running.Store(owner, true)
	defer running.Delete(owner)
	defer s.Store.ReleaseLease(context.WithoutCancel(ctx), a.ChannelID, owner)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	leaseLost := make(chan struct{})
	go s.renewLease(ctx, a.ChannelID, owner, leaseLost, cancel)

	start := time.Now()
	progress := Progress{AccountID: a.ID, Handle: a.Handle}
	err = s.syncLeased(ctx, a, owner, &progress)
	select {
	case <-leaseLost:
		return fmt.Errorf("account %s: sync lease lost: %w", a.Handle, ErrBusy)
	default:
	}
	if errors.Is(err, store.ErrLeaseLost) {
		// Another process owns the mailbox now and records its outcome.
		return fmt.Errorf("account %s: %w: %w", a.Handle, ErrBusy, err)
	}
	s.recordOutcome(context.WithoutCancel(ctx), a, err)
	if s.OnFinish != nil {
		s.OnFinish(progress, time.Since(start), err)
	}
	return err
}

// acquire takes the mailbox's sync lease. A lease left behind by a
// process of this host that no longer runs (killed, crashed) is taken
// over at once instead of waiting for it to expire.
func (s *Syncer) acquire(ctx context.Context, channelID, owner string) (bool, error) {
	until := time.Now().Add(s.leaseTTL())
	ok, err := s.Store.AcquireLease(ctx, channelID, owner, until)
	if ok || err != nil {
		return ok, err
	}
	holder, err := s.Store.LeaseHolder(ctx, channelID)
	if err != nil || holder == "" || !(deadLocalProcess(holder) || leftOverHere(holder)) {
		return false, err
	}
	s.log().Warn("taking over the sync lease of a sync that is gone", "channel", channelID, "holder", holder)
	return s.Store.TakeOverLease(ctx, channelID, holder, owner, until)
}

// running holds the lease owners of the syncs running in this process.
var running sync.Map

// leftOverHere reports whether a lease owner names a sync of this process
// that no longer runs: its release failed (the database was unreachable
// when it ended), so nobody will renew or release it.
func leftOverHere(owner string) bool {
	host, _ := os.Hostname()
	if !strings.HasPrefix(owner, fmt.Sprintf("%s:%d:", host, os.Getpid())) {
		return false
	}
	_, ok := running.Load(owner)
	return !ok
}

// deadLocalProcess reports whether a lease owner "host:pid:nonce" names a
// process of this host that no longer exists.
func deadLocalProcess(owner string) bool {
	parts := strings.Split(owner, ":")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// renewLease keeps the lease alive while the sync runs. If another
// process took it, or the database could not be reached for two thirds of
// the lease's life (a survivor may take it soon), the sync is cancelled:
// its batches would be refused by FenceLease anyway.
func (s *Syncer) renewLease(ctx context.Context, channelID, owner string, lost chan<- struct{}, cancel func()) {
	ttl := s.leaseTTL()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ok, err := s.Store.AcquireLease(ctx, channelID, owner, time.Now().Add(ttl))
			switch {
			case err == nil && ok:
				renewed = time.Now()
				continue
			case err != nil && time.Since(renewed) < ttl*2/3:
				s.log().Warn("renew sync lease", "channel", channelID, "err", err)
				continue
			}
			s.log().Warn("sync lease lost; stopping this sync", "channel", channelID, "err", err)
			close(lost)
			cancel()
			return
		}
	}
}

func (s *Syncer) recordOutcome(ctx context.Context, a *store.Account, err error) {
	var status, msg string
	switch {
	case err == nil:
		status = store.StatusActive
	case errors.Is(err, context.Canceled):
		return // stopped, not failed: the next run resumes from the cursors
	case errors.Is(err, provider.ErrAuth):
		status, msg = store.StatusFailedAuth, authFailure(a, err)
	default:
		status, msg = store.StatusFailed, describe(err)
	}
	if serr := s.Store.SetChannelStatus(ctx, a.ChannelID, status, msg, err == nil); serr != nil {
		s.log().Error("record sync outcome", "account", a.ID, "err", serr)
	}
}

// authFailure says in words why the provider refused the mailbox and what
// its owner does about it.
func authFailure(a *store.Account, err error) string {
	if a.Provider == "imap" {
		return "The server refused the login: " + err.Error() + ". Update the password to resume."
	}
	return "Access was refused: " + err.Error() + ". Click Reconnect to sign in again; the sync resumes where it stopped."
}

// syncLeased syncs a mailbox whose lease is held; progress receives what
// the run did, also when it fails halfway.
func (s *Syncer) syncLeased(ctx context.Context, a *store.Account, owner string, progress *Progress) error {
	secret, err := s.Box.Open(a.Secret)
	if err != nil {
		return fmt.Errorf("account %s: %w", a.Handle, err)
	}
	if a.Status == store.StatusNotSynced || a.Status == store.StatusImporting || a.LastSyncedAt.IsZero() {
		if err := s.Store.SetChannelStatus(ctx, a.ChannelID, store.StatusImporting, "", false); err != nil {
			return err
		}
	}
	// Rule changes made while no sync ran act on past mail before
	// anything is fetched: what they ask to refetch is fetched now.
	if err := s.applyRules(ctx, a); err != nil {
		return err
	}
	mb, err := s.Connect(ctx, a, secret)
	if err != nil {
		return fmt.Errorf("connect %s: %w", a.Handle, err)
	}
	defer mb.Close()
	remote, err := mb.Folders(ctx)
	if err != nil {
		return fmt.Errorf("list folders of %s: %w", a.Handle, err)
	}
	folders, err := s.Store.SyncFolders(ctx, a.WorkspaceID, a.ChannelID, FolderSpecs(remote, a.Folders))
	if err != nil {
		return err
	}
	run := s.newRun(a, owner, folders)
	if run.refetch, err = s.Store.RefetchUIDs(ctx, a.ChannelID); err != nil {
		return err
	}
	defer func() { *progress = run.progress }()
	start := time.Now()
	for _, f := range folders {
		if !f.Selected {
			continue
		}
		if err := run.syncFolder(ctx, mb, f); err != nil {
			return fmt.Errorf("sync %s folder %s: %w", a.Handle, f.Name, err)
		}
	}
	if run.forgot {
		if err := s.Store.DeleteUnheldMessages(ctx, a.WorkspaceID); err != nil {
			return err
		}
	}
	// Rule changes made during this run, which fetched with the rules it
	// started with.
	if err := s.applyRules(ctx, a); err != nil {
		return err
	}
	run.progress.Done = true
	run.report()
	s.log().Info("mailbox synced", "account", a.ID, "handle", a.Handle, "imported", run.progress.Imported,
		"skipped", run.progress.Skipped, "failed", run.progress.Failed, "removed", run.progress.Removed,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// applyRules re-decides the mailbox's past mail if its rules changed
// since they were last applied (package rules); the caller holds the lease.
func (s *Syncer) applyRules(ctx context.Context, a *store.Account) error {
	// Most syncs find no change: one read instead of ApplyPending's three.
	if _, pending, err := s.Store.PendingRules(ctx, a.ChannelID); err != nil || !pending {
		return err
	}
	res, err := rules.ApplyPending(ctx, s.Store, a.ID)
	if err != nil {
		return err
	}
	if res.Removed+res.Refetch > 0 {
		s.log().Info("rule change applied to past mail", "account", a.ID, "removed", res.Removed,
			"deleted", res.Deleted, "refetch", res.Refetch)
	}
	return nil
}

// FolderSpecs decides which folders are synced: those the user picked, or
// by default all but drafts, trash, junk and all-mail.
func FolderSpecs(remote []provider.Folder, picked []string) []store.FolderSpec {
	want := map[string]bool{}
	for _, p := range picked {
		want[strings.ToLower(p)] = true
	}
	specs := make([]store.FolderSpec, 0, len(remote))
	for _, f := range remote {
		sel := !f.SkippedByDefault()
		if len(picked) > 0 {
			sel = want[strings.ToLower(f.Name)]
		}
		specs = append(specs, store.FolderSpec{Name: f.Name, Role: f.Role, Selected: sel})
	}
	return specs
}
