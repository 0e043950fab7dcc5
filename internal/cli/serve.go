package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/jobs"
	"github.com/mailsync/mailsync/internal/metrics"
	"github.com/mailsync/mailsync/internal/push"
	"github.com/mailsync/mailsync/internal/web"
	"github.com/mailsync/mailsync/internal/webhooks"
)

func runServe(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("serve")
	addr := fs.String("addr", envOr(app, "MAILSYNC_ADDR", "127.0.0.1:8080"), "HTTP listen address (env MAILSYNC_ADDR)")
	interval := fs.Duration("sync-interval", jobs.DefaultInterval, "how often every mailbox is re-synced")
	workers := fs.Int("workers", 4, "mailboxes synced at once")
	app.retentionFlag(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return app.runWorkers(ctx, *interval, *workers, *addr)
}

func runWorker(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("worker")
	interval := fs.Duration("sync-interval", jobs.DefaultInterval, "how often every mailbox is re-synced")
	workers := fs.Int("workers", 4, "mailboxes synced at once")
	app.retentionFlag(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return app.runWorkers(ctx, *interval, *workers, "")
}

// retentionFlag adds --event-retention (env MAILSYNC_EVENT_RETENTION).
func (app *App) retentionFlag(fs *flag.FlagSet) {
	def := jobs.DefaultEventRetention
	if v, err := time.ParseDuration(app.Getenv("MAILSYNC_EVENT_RETENTION")); err == nil {
		def = v
	}
	fs.DurationVar(&app.eventRetention, "event-retention", def,
		"how long the event feed keeps events, at least 720h (env MAILSYNC_EVENT_RETENTION)")
}

func envOr(app *App, name, def string) string {
	if v := app.Getenv(name); v != "" {
		return v
	}
	return def
}

// runWorkers runs the job queue's workers and schedule, and the HTTP server
// when addr is set, until SIGINT/SIGTERM; then it stops them in order.
func (app *App) runWorkers(ctx context.Context, interval time.Duration, workers int, addr string) error {
	if interval < time.Minute/2 {
		return usagef("--sync-interval must be at least 30s")
	}
	if app.eventRetention != 0 && app.eventRetention < jobs.DefaultEventRetention {
		return usagef("--event-retention must be at least 720h (30 days): clients may replay the feed that far back")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	box, err := app.box(st.DB)
	if err != nil {
		return err
	}
	m := metrics.New(st)
	watcher := &push.Manager{Store: st, Box: box, Connect: app.connector(st, box), Log: app.Log, MaxSyncs: workers}
	syncer := &ingest.Syncer{Store: st, Box: box, Connect: app.connector(st, box), Log: app.Log,
		OnFinish: func(p ingest.Progress, elapsed time.Duration, err error) {
			m.SyncFinished(p, elapsed, err)
			watcher.PokeUnwatched(p.AccountID) // a mailbox just synced may need a watcher now
		}}
	queue, err := jobs.NewWorker(st.DB, jobs.Config{Syncer: syncer, Interval: interval, Workers: workers, Log: app.Log,
		EventRetention: app.eventRetention})
	if err != nil {
		return err
	}
	watcher.Sync = syncer
	m.Push(watcher.Connections)
	if err := queue.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	app.Log.Info("sync workers started", "interval", interval, "workers", workers, "db", string(st.DB.Kind))
	// Push: IDLE on the INBOX of every synced IMAP mailbox, between the periodic syncs.
	pushCtx, stopPush := context.WithCancel(ctx)
	pushDone := make(chan struct{})
	go func() {
		defer close(pushDone)
		watcher.Run(pushCtx)
	}()
	defer func() { stopPush(); <-pushDone }()
	// Webhooks: deliveries from each webhook's cursor in the feed.
	hooks := &webhooks.Dispatcher{Store: st, Box: box, Guard: app.Guard(), Log: app.Log}
	hooksCtx, stopHooks := context.WithCancel(ctx)
	hooksDone := make(chan struct{})
	go func() {
		defer close(hooksDone)
		hooks.Run(hooksCtx)
	}()
	defer func() { stopHooks(); <-hooksDone }()
	serveErr := make(chan error, 1)
	var srv *http.Server
	if addr != "" {
		srv = &http.Server{Addr: addr, Handler: web.New(web.Config{Store: st, Box: box, Queue: queue,
			Connect: app.connector(st, box), Providers: app.connectorFor(st, box), Guard: app.Guard(), Log: app.Log, Metrics: m.Handler(), Workers: queue.Running}), ReadHeaderTimeout: 10 * time.Second}
		go func() { serveErr <- srv.ListenAndServe() }()
		app.Log.Info("listening", "addr", "http://"+addr)
	}
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	app.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if srv != nil {
		srv.Shutdown(shutdownCtx)
	}
	if serr := queue.Stop(shutdownCtx); serr != nil {
		app.Log.Warn("job queue stop", "err", serr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
