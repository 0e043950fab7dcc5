package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailsync/mailsync/internal/store"
)

// DefaultEventRetention is how long the event feed keeps an event: at
// least the 30 days the contract promises a client may replay.
const DefaultEventRetention = 30 * 24 * time.Hour

// PruneEventsArgs is the periodic job that deletes events past retention.
type PruneEventsArgs struct{}

// Kind names the job in the queue.
func (PruneEventsArgs) Kind() string { return "prune_events" }

type pruneWorker struct {
	river.WorkerDefaults[PruneEventsArgs]
	store     *store.Store
	retention time.Duration
	log       *slog.Logger
}

func (w *pruneWorker) Work(ctx context.Context, job *river.Job[PruneEventsArgs]) error {
	n, err := w.store.PruneEvents(ctx, time.Now().Add(-w.retention))
	if err == nil && n > 0 && w.log != nil {
		w.log.Info("pruned events past retention", "events", n, "retention", w.retention)
	}
	return err
}

// addPruning registers the pruning worker and its hourly schedule.
func addPruning(workers *river.Workers, rc *river.Config, st *store.Store, retention time.Duration, log *slog.Logger) {
	if retention <= 0 {
		retention = DefaultEventRetention
	}
	river.AddWorker(workers, &pruneWorker{store: st, retention: retention, log: log})
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneEventsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true}))
}
