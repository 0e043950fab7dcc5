// Package jobs runs mailsync's background work on River: one sync job per
// mailbox (never two at once for the same mailbox), an immediate import of
// a newly added mailbox, and a periodic re-sync of every mailbox. It
// schedules and retries; the sync itself is package ingest's.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// DefaultInterval is how often every mailbox is checked (SPEC §2: ten minutes).
const DefaultInterval = 10 * time.Minute

// DefaultRescueInterval is how often the leader looks for syncs that a
// dead worker abandoned. With ingest.DefaultLeaseTTL it makes the
// failover bound: a dead worker's mailboxes are resumed by a survivor
// within lease TTL + this interval + a job pick-up (30 + 10 + ~1 s), and
// River's leader, if it was the one that died, is replaced within 15 s,
// inside that window.
const DefaultRescueInterval = 10 * time.Second

// SyncArgs asks for one mailbox to be brought up to date.
type SyncArgs struct {
	AccountID string `json:"account_id"`
	// Replaces, set by the rescue job, names the abandoned lease the job
	// takes over. River keeps a killed worker's job "running" (and thus
	// unique) until its rescuer runs, hours later: a job with other args
	// is a new job, so the replacement is queued at once, and once only
	// per abandoned lease.
	Replaces string `json:"replaces,omitempty"`
}

// Kind names the job in River's table.
func (SyncArgs) Kind() string { return "sync_account" }

// InsertOpts makes sync jobs unique per account while one is waiting or
// running, so a burst of requests collapses into one job. Completed jobs
// do not block new ones, nor does a dead worker's job block its
// replacement (see Replaces). Two syncs of one mailbox never overlap all
// the same: the sync lease (package ingest) lets one through and snoozes
// the other.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 10,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
				rivertype.JobStateRetryable, rivertype.JobStateScheduled,
			},
		},
	}
}

// ScheduleArgs is the periodic job that enqueues a sync of every mailbox.
type ScheduleArgs struct{}

// Kind names the job in River's table.
func (ScheduleArgs) Kind() string { return "schedule_syncs" }

// RescueArgs is the periodic job that re-queues the syncs a dead worker
// abandoned (store.AbandonedSyncs).
type RescueArgs struct{}

// Kind names the job in River's table.
func (RescueArgs) Kind() string { return "rescue_syncs" }

// client is what mailsync uses of a river.Client, whatever its driver.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Stopped() <-chan struct{}
}

// Queue is mailsync's job queue.
type Queue struct {
	client  client
	store   *store.Store
	log     *slog.Logger
	started atomic.Bool
}

// Config sets up a Queue that works jobs.
type Config struct {
	Syncer   *ingest.Syncer
	Interval time.Duration // periodic re-sync (0: DefaultInterval)
	// Rescue is how often abandoned syncs are looked for (0: DefaultRescueInterval).
	Rescue  time.Duration
	Workers int // concurrent syncs (0: 4)
	Log     *slog.Logger
	// EventRetention is how long events are kept (0: DefaultEventRetention).
	EventRetention time.Duration
}

// NewInserter returns a Queue that only enqueues (for CLI commands).
func NewInserter(db *database.DB) (*Queue, error) {
	return newQueue(db, &river.Config{})
}

// NewWorker returns a Queue that also works jobs once started.
func NewWorker(db *database.DB, cfg Config) (*Queue, error) {
	q := &Queue{store: cfg.Syncer.Store, log: cmp.Or(cfg.Log, slog.Default())}
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{syncer: cfg.Syncer})
	river.AddWorker(workers, &scheduleWorker{queue: q})
	river.AddWorker(workers, &rescueWorker{queue: q})
	interval := cmp.Or(max(cfg.Interval, 0), DefaultInterval)
	rescue := cmp.Or(max(cfg.Rescue, 0), DefaultRescueInterval)
	n := cfg.Workers
	if n <= 0 {
		n = 4
	}
	rc := &river.Config{
		Logger:            cfg.Log,
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		FetchPollInterval: time.Second,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(interval),
				func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(rescue),
				func() (river.JobArgs, *river.InsertOpts) { return RescueArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	}
	addPruning(workers, rc, cfg.Syncer.Store, cfg.EventRetention, cfg.Log)
	if db.Kind == database.SQLite {
		rc.PollOnly = true // SQLite has no LISTEN/NOTIFY
	}
	built, err := newQueue(db, rc)
	if err != nil {
		return nil, err
	}
	q.client = built.client
	return q, nil
}

func newQueue(db *database.DB, rc *river.Config) (*Queue, error) {
	var (
		c   client
		err error
	)
	if db.Kind == database.Postgres {
		c, err = river.NewClient(riverpgxv5.New(db.Pool), rc)
	} else {
		c, err = river.NewClient(riversqlite.New(db.DB), rc)
	}
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: c, store: store.New(db)}, nil
}

// Start starts working jobs; Stop waits for running ones to finish.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return err
	}
	q.started.Store(true)
	return nil
}

// Running says whether the queue works jobs: started and not stopped (a
// River client stops itself when its database stays unreachable).
func (q *Queue) Running() error {
	if !q.started.Load() {
		return errors.New("sync workers not started")
	}
	select {
	case <-q.client.Stopped():
		return errors.New("sync workers stopped")
	default:
		return nil
	}
}

// Stop stops working, letting running jobs finish or be cancelled by ctx.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

// EnqueueSync asks for a mailbox to be synced as soon as a worker is free.
func (q *Queue) EnqueueSync(ctx context.Context, accountID string) error {
	return q.enqueue(ctx, SyncArgs{AccountID: accountID})
}

func (q *Queue) enqueue(ctx context.Context, args SyncArgs) error {
	if _, err := q.client.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("enqueue sync of %s: %w", args.AccountID, err)
	}
	return nil
}

// EnqueueAll enqueues a sync of every mailbox that can be synced (those
// waiting for a new password, and paused ones, are left alone).
func (q *Queue) EnqueueAll(ctx context.Context) error {
	accounts, err := q.store.Accounts(ctx, "")
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.Status == store.StatusFailedAuth || a.Paused {
			continue
		}
		if err := q.EnqueueSync(ctx, a.ID); err != nil {
			return err
		}
	}
	return nil
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	syncer *ingest.Syncer
}

// Timeout bounds one sync job; a first import of a big mailbox resumes
// from its cursors in the next job if it runs out.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return time.Hour }

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	err := w.syncer.SyncAccount(ctx, job.Args.AccountID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ingest.ErrBusy):
		return river.JobSnooze(30 * time.Second)
	case errors.Is(err, provider.ErrAuth), errors.Is(err, store.ErrNotFound), errors.Is(err, ingest.ErrPaused):
		// Retrying cannot help: the owner must fix the password, the
		// account is gone, or it is paused (resuming queues a new job).
		return river.JobCancel(err)
	}
	return err // transient: River retries with exponential backoff and jitter
}

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	queue *Queue
}

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	return w.queue.EnqueueAll(ctx)
}

type rescueWorker struct {
	river.WorkerDefaults[RescueArgs]
	queue *Queue
}

func (w *rescueWorker) Work(ctx context.Context, job *river.Job[RescueArgs]) error {
	return w.queue.RescueAbandoned(ctx)
}

// RescueAbandoned queues a sync of every mailbox whose sync was abandoned
// by a process that stopped without finishing it; the sync resumes from
// the folders' cursors.
func (q *Queue) RescueAbandoned(ctx context.Context) error {
	abandoned, err := q.store.AbandonedSyncs(ctx)
	if err != nil {
		return err
	}
	for _, a := range abandoned {
		if err := q.enqueue(ctx, SyncArgs{AccountID: a.AccountID, Replaces: a.Lease}); err != nil {
			return err
		}
	}
	if len(abandoned) > 0 {
		q.log.Info("re-queued syncs that a stopped process abandoned", "mailboxes", len(abandoned))
	}
	return nil
}
