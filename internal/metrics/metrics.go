// Package metrics exposes mailsync's figures in Prometheus format: syncs
// and their outcome, errors by class, messages handled, mailboxes by
// status and freshness, the job queue's depth and push connections. It
// holds no personal data: no address, handle or subject is ever a label.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// Metrics is one process's registry.
type Metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	duration prometheus.Histogram
	messages *prometheus.CounterVec
	errors   *prometheus.CounterVec
}

// errorClasses are the values of mailsync_sync_errors_total's class label.
var errorClasses = []string{ingest.ClassAuth, ingest.ClassNetwork, ingest.ClassTimeout, ingest.ClassTLS,
	ingest.ClassDatabase, ingest.ClassOther}

// New registers the process, Go runtime and mailsync collectors; the
// mailbox gauges are read from the store at each scrape.
func New(st *store.Store) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailsync_syncs_total",
			Help: "Mailbox syncs that ended, by result: ok, auth (credentials refused), canceled or failed."}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mailsync_sync_duration_seconds",
			Help: "How long mailbox syncs took.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailsync_messages_total",
			Help: "Messages handled by syncs, by outcome: imported, skipped (by a rule), failed (unparsable) or removed (gone from the server)."},
			[]string{"outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailsync_sync_errors_total",
			Help: "Mailbox syncs that failed, by class: auth, network, timeout, tls, database or other."}, []string{"class"}),
	}
	for _, c := range errorClasses {
		m.errors.WithLabelValues(c)
	}
	m.reg.MustRegister(m.runs, m.duration, m.messages, m.errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&mailboxCollector{st: st})
	return m
}

// SyncFinished records a sync; it fits ingest.Syncer.OnFinish.
func (m *Metrics) SyncFinished(p ingest.Progress, elapsed time.Duration, err error) {
	result := "ok"
	switch {
	case errors.Is(err, provider.ErrAuth):
		result = "auth"
	case errors.Is(err, context.Canceled):
		result = "canceled"
	case err != nil:
		result = "failed"
	}
	m.runs.WithLabelValues(result).Inc()
	if result == "auth" || result == "failed" {
		m.errors.WithLabelValues(ingest.ErrorClass(err)).Inc()
	}
	m.duration.Observe(elapsed.Seconds())
	m.messages.WithLabelValues("imported").Add(float64(p.Imported))
	m.messages.WithLabelValues("skipped").Add(float64(p.Skipped))
	m.messages.WithLabelValues("failed").Add(float64(p.Failed))
	m.messages.WithLabelValues("removed").Add(float64(p.Removed))
}

// Push reports the push connections at each scrape: conns returns the
// IDLE sessions open and the mailboxes polled (push.Manager.Connections).
func (m *Metrics) Push(conns func() (idle, polled int)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mailsync_push_connections",
			Help: "IMAP IDLE sessions this process holds open to watch mailboxes."},
			func() float64 { idle, _ := conns(); return float64(idle) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mailsync_push_polled_mailboxes",
			Help: "Mailboxes this process polls because their server has no IDLE."},
			func() float64 { _, polled := conns(); return float64(polled) }))
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// mailboxCollector reports, read from the store at scrape time, the
// mailboxes by status, their freshness and the job queue's depth.
type mailboxCollector struct{ st *store.Store }

var (
	mailboxesDesc = prometheus.NewDesc("mailsync_mailboxes", "Connected mailboxes by sync status.", []string{"status"}, nil)
	freshnessDesc = prometheus.NewDesc("mailsync_mailbox_freshness_lag_seconds",
		"How long ago each mailbox (paused ones left out) was last caught up: its last sync that finished, or for one never synced, since it was added. One observation per mailbox at each scrape.", nil, nil)
	queueDesc = prometheus.NewDesc("mailsync_queue_jobs", "Jobs of the queue not finished yet, by state (all workers).", []string{"state"}, nil)
)

// freshnessBuckets go from push-fresh (seconds) to a day.
var freshnessBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400}

func (c *mailboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- mailboxesDesc
	ch <- freshnessDesc
	ch <- queueDesc
}

func (c *mailboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.st.MailboxesByStatus(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(mailboxesDesc, err)
	} else {
		for _, status := range []string{store.StatusNotSynced, store.StatusImporting, store.StatusActive,
			store.StatusFailedAuth, store.StatusFailed, store.StatusPaused} {
			ch <- prometheus.MustNewConstMetric(mailboxesDesc, prometheus.GaugeValue, float64(counts[status]), status)
		}
	}
	if lags, err := c.st.FreshnessLags(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(freshnessDesc, err)
	} else {
		ch <- freshnessHistogram(lags)
	}
	if depth, err := c.st.QueueDepth(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
	} else {
		for _, state := range []string{"available", "scheduled", "retryable", "running", "pending"} {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(depth[state]), state)
		}
	}
}

func freshnessHistogram(lags []time.Duration) prometheus.Metric {
	buckets := make(map[float64]uint64, len(freshnessBuckets))
	var sum float64
	for _, lag := range lags {
		sec := lag.Seconds()
		sum += sec
		for _, b := range freshnessBuckets {
			if sec <= b {
				buckets[b]++
			}
		}
	}
	return prometheus.MustNewConstHistogram(freshnessDesc, uint64(len(lags)), sum, buckets)
}
