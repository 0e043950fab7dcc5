// Package push keeps mailboxes current between periodic syncs: for each
// mailbox whose provider can push (IMAP IDLE), it watches INBOX and Sent
// and asks for a sync when something changes. It only watches and asks;
// the sync itself is a queued job like any other.
package push

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// Idler is what a provider session offers when it can push: block until
// ctx is done, calling changed when the folder changes.
type Idler interface {
	Idle(ctx context.Context, folder string, changed func()) error
}

// Enqueuer asks for a sync.
type Enqueuer interface {
	EnqueueSync(ctx context.Context, accountID string) error
}

// Manager runs one watcher per (mailbox, folder) and keeps the set in step
// with the accounts table.
type Manager struct {
	Store   *store.Store
	Box     *secrets.Box
	Connect ingest.ConnectFunc
	Queue   Enqueuer
	Log     *slog.Logger
	// Rescan is how often the account list is re-read (default 1 minute).
	Rescan time.Duration
	// Debounce groups bursts of changes into one sync (default 2 seconds).
	Debounce time.Duration

	mu       sync.Mutex
	watchers map[string]context.CancelFunc // key: account id + "\x00" + folder role
	wg       sync.WaitGroup
	pokeOnce sync.Once
	poke     chan struct{}
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

// Run watches until ctx is done, then waits for every watcher to stop.
func (m *Manager) Run(ctx context.Context) {
	m.watchers = map[string]context.CancelFunc{}
	rescan := m.Rescan
	if rescan <= 0 {
		rescan = time.Minute
	}
	t := time.NewTicker(rescan)
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

// reconcile starts watchers for synced mailboxes and stops those of
// mailboxes that are gone or failing authentication.
func (m *Manager) reconcile(ctx context.Context) {
	accounts, err := m.Store.Accounts(ctx, "")
	if err != nil {
		m.log().Warn("push: list accounts", "err", err)
		return
	}
	want := map[string]*store.Account{}
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
			if f.Selected && (f.Role == provider.RoleInbox || f.Role == provider.RoleSent) {
				want[a.ID+"\x00"+f.Name] = a
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, cancel := range m.watchers {
		if want[key] == nil {
			cancel()
			delete(m.watchers, key)
		}
	}
	for key, a := range want {
		if _, ok := m.watchers[key]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		m.watchers[key] = cancel
		folder := key[len(a.ID)+1:]
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.watch(wctx, a, folder)
		}()
	}
}

// watch keeps one IDLE session open on a folder, reconnecting with
// exponential backoff and jitter after errors, until ctx is done.
func (m *Manager) watch(ctx context.Context, a *store.Account, folder string) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := m.idleOnce(ctx, a, folder)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoPush) {
			return // the periodic sync covers this mailbox
		}
		m.log().Info("push: watcher stopped, reconnecting", "account", a.ID, "folder", folder, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff + time.Duration(rand.Int64N(int64(backoff/2)+1))):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

var errNoPush = errors.New("provider cannot push")

func (m *Manager) idleOnce(ctx context.Context, a *store.Account, folder string) error {
	secret, err := m.Box.Open(a.Secret)
	if err != nil {
		return err
	}
	mb, err := m.Connect(ctx, a, secret)
	if err != nil {
		return err
	}
	defer mb.Close()
	idler, ok := mb.(Idler)
	if !ok {
		return errNoPush
	}
	d := newDebouncer(m.debounce(), func() {
		if err := m.Queue.EnqueueSync(context.WithoutCancel(ctx), a.ID); err != nil {
			m.log().Warn("push: enqueue sync", "account", a.ID, "err", err)
		}
	})
	defer d.stop()
	err = idler.Idle(ctx, folder, d.trigger)
	if errors.Is(err, errors.ErrUnsupported) {
		return errNoPush
	}
	return err
}

func (m *Manager) debounce() time.Duration {
	if m.Debounce <= 0 {
		return 2 * time.Second
	}
	return m.Debounce
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

// debouncer calls fn once after a burst of triggers has been quiet for d.
type debouncer struct {
	mu    sync.Mutex
	timer *time.Timer
	d     time.Duration
	fn    func()
}

func newDebouncer(d time.Duration, fn func()) *debouncer { return &debouncer{d: d, fn: fn} }

func (b *debouncer) trigger() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timer = time.AfterFunc(b.d, b.fn)
}

func (b *debouncer) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
}
