// Package push keeps mailboxes current between periodic syncs: for each
// IMAP mailbox it holds one IDLE session on INBOX (or polls a server
// without IDLE) and syncs the mailbox as soon as something changes. It
// only watches and triggers; the sync itself is package ingest's.
package push

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// Defaults of a Manager.
const (
	DefaultRescan   = time.Minute     // how often the account list is re-read
	DefaultPoll     = 2 * time.Minute // how often a server without IDLE is polled
	DefaultMaxSyncs = 4               // push-triggered syncs running at once
	// busyRetry is the first wait before a sync is tried again while
	// another one holds the mailbox; it doubles up to busyRetryMax.
	busyRetry    = 200 * time.Millisecond
	busyRetryMax = 5 * time.Second
	// A session that lasted stableSession resets the reconnect backoff.
	stableSession = time.Minute
	maxBackoff    = 5 * time.Minute
)

// Idler is what a provider session offers when it can push: block until
// ctx is done, calling changed when the folder changes.
type Idler interface {
	Idle(ctx context.Context, folder string, changed func()) error
}

// Syncer brings one mailbox up to date (ingest.Syncer does).
type Syncer interface {
	SyncAccount(ctx context.Context, accountID string) error
}

// Manager runs one watcher per IMAP mailbox and keeps the set in step with
// the accounts table.
//
// Only INBOX is watched: one connection per mailbox, not one per folder,
// is what keeps a worker watching thousands of mailboxes small (see
// bench/README.md). Every sync, pushed or periodic, covers all selected
// folders, so the owner's Sent mail arrives with the next incoming mail or
// the next periodic sync; mail sent through mailsync is stored at once.
type Manager struct {
	Store   *store.Store
	Box     *secrets.Box
	Connect ingest.ConnectFunc
	Sync    Syncer
	Log     *slog.Logger
	// Rescan is how often the account list is re-read (0: DefaultRescan).
	Rescan time.Duration
	// Poll is how often a mailbox whose server has no IDLE is synced
	// (0: DefaultPoll).
	Poll time.Duration
	// MaxSyncs bounds the push-triggered syncs running at once (0:
	// DefaultMaxSyncs).
	MaxSyncs int

	mu       sync.Mutex
	watchers map[string]context.CancelFunc // key: account id
	wg       sync.WaitGroup
	pokeOnce sync.Once
	poke     chan struct{}
	slots    chan struct{}
	idling   atomic.Int64 // IDLE sessions open
	polling  atomic.Int64 // mailboxes polled for want of IDLE
}

func (m *Manager) pokes() chan struct{} {
	m.pokeOnce.Do(func() { m.poke = make(chan struct{}, 1) })
	return m.poke
}

// Poke asks for the account list to be read again soon, e.g. because a
// mailbox finished its first import and can now be watched. It never
// blocks.
func (m *Manager) Poke() {
	select {
	case m.pokes() <- struct{}{}:
	default:
	}
}

// PokeUnwatched pokes unless the account is watched already: a sync that
// ends calls it, and only a mailbox that just became watchable (its first
// import done) needs the account list read again. Re-reading it after
// every sync would cost thousands of queries at a thousand mailboxes.
func (m *Manager) PokeUnwatched(accountID string) {
	m.mu.Lock()
	_, watched := m.watchers[accountID]
	m.mu.Unlock()
	if !watched {
		m.Poke()
	}
}

// Connections returns the IDLE sessions open and the mailboxes polled.
func (m *Manager) Connections() (idle, polled int) {
	return int(m.idling.Load()), int(m.polling.Load())
}

// Run watches until ctx is done, then waits for every watcher to stop.
func (m *Manager) Run(ctx context.Context) {
	m.watchers = map[string]context.CancelFunc{}
	m.slots = make(chan struct{}, orDefault(m.MaxSyncs, DefaultMaxSyncs))
	t := time.NewTicker(orDefault(m.Rescan, DefaultRescan))
	defer t.Stop()
	for {
		m.reconcile(ctx)
		select {
		case <-ctx.Done():
			m.mu.Lock()
			for _, cancel := range m.watchers {
				cancel()
			}
			m.mu.Unlock()
			m.wg.Wait()
			return
		case <-t.C:
		case <-m.pokes():
		}
	}
}

// reconcile starts watchers for synced IMAP mailboxes and stops those of
// mailboxes that are gone, paused or failing authentication.
func (m *Manager) reconcile(ctx context.Context) {
	accounts, err := m.Store.Accounts(ctx, "")
	if err != nil {
		m.log().Warn("push: list accounts", "err", err)
		return
	}
	want := map[string]watch{}
	for _, a := range accounts {
		if a.Status == store.StatusFailedAuth || a.Paused || a.LastSyncedAt.IsZero() {
			continue // nothing to watch until a first import succeeded, or while paused
		}
		if a.Provider != "imap" {
			// Gmail (Pub/Sub) and Graph (subscriptions) push to a public
			// HTTPS endpoint; until one is configured, the periodic sync
			// keeps these mailboxes current.
			continue
		}
		folders, err := m.Store.Folders(ctx, a.ChannelID)
		if err != nil {
			continue
		}
		for _, f := range folders {
			if f.Selected && f.Role == provider.RoleInbox {
				want[a.ID] = watch{account: a, folder: f.Name}
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, cancel := range m.watchers {
		if _, ok := want[id]; !ok {
			cancel()
			delete(m.watchers, id)
		}
	}
	for id, w := range want {
		if _, ok := m.watchers[id]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		m.watchers[id] = cancel
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.watch(wctx, w)
		}()
	}
}

type watch struct {
	account *store.Account
	folder  string
}

// watch keeps one IDLE session open on the mailbox's INBOX, reconnecting
// with exponential backoff and jitter after errors, and syncing through a
// coalescer; a server without IDLE is polled instead. It returns when ctx
// is done.
func (m *Manager) watch(ctx context.Context, w watch) {
	c := newCoalescer()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.run(ctx, func(ctx context.Context) error { return m.syncNow(ctx, w.account.ID) })
	}()
	defer wg.Wait()
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := m.idleOnce(ctx, w, c.trigger)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoPush) {
			m.poll(ctx, c)
			return
		}
		if time.Since(start) > stableSession {
			backoff = time.Second
		}
		wait := backoff + rand.N(backoff/2+1)
		m.log().Info("push: watcher stopped, reconnecting", "account", w.account.ID, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(backoff*2, maxBackoff)
		c.trigger() // what arrived while disconnected
	}
}

// poll syncs the mailbox every Poll, for servers without IDLE.
func (m *Manager) poll(ctx context.Context, c *coalescer) {
	m.polling.Add(1)
	defer m.polling.Add(-1)
	t := time.NewTicker(orDefault(m.Poll, DefaultPoll))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.trigger()
		}
	}
}

var errNoPush = errors.New("provider cannot push")

func (m *Manager) idleOnce(ctx context.Context, w watch, changed func()) error {
	secret, err := m.Box.Open(w.account.Secret)
	if err != nil {
		return err
	}
	mb, err := m.Connect(ctx, w.account, secret)
	if err != nil {
		return err
	}
	defer mb.Close()
	idler, ok := mb.(Idler)
	if !ok {
		return errNoPush
	}
	m.idling.Add(1)
	defer m.idling.Add(-1)
	err = idler.Idle(ctx, w.folder, changed)
	if errors.Is(err, errors.ErrUnsupported) {
		return errNoPush
	}
	return err
}

// syncNow syncs a mailbox within the bound on concurrent pushed syncs.
func (m *Manager) syncNow(ctx context.Context, accountID string) error {
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.slots }()
	err := m.Sync.SyncAccount(ctx, accountID)
	if err != nil && !errors.Is(err, ingest.ErrBusy) && ctx.Err() == nil {
		m.log().Info("push: sync failed", "account", accountID, "err", err)
	}
	return err
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// coalescer runs a sync on the leading edge of a change (no waiting for
// quiet) and once more after it for whatever arrived while it ran, however
// many notifications that was: a burst costs at most two syncs, and the
// first starts at once.
type coalescer struct {
	kick chan struct{} // one pending trigger at most
}

func newCoalescer() *coalescer { return &coalescer{kick: make(chan struct{}, 1)} }

// trigger records a change; it never blocks.
func (c *coalescer) trigger() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run calls sync for each recorded change until ctx is done. While another
// process holds the mailbox (ingest.ErrBusy) the sync is tried again with
// a growing wait: that process may have passed INBOX already.
func (c *coalescer) run(ctx context.Context, sync func(context.Context) error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		wait := busyRetry
		for errors.Is(sync(ctx), ingest.ErrBusy) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(wait*2, busyRetryMax)
		}
	}
}
