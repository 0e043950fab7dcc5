// Package metrics exposes mailsync's figures in Prometheus format: syncs
// and their outcome, messages handled, and mailboxes by status. It holds
// no personal data: no address, handle or subject is ever a label.
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
}

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
	}
	m.reg.MustRegister(m.runs, m.duration, m.messages,
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
	m.duration.Observe(elapsed.Seconds())
	m.messages.WithLabelValues("imported").Add(float64(p.Imported))
	m.messages.WithLabelValues("skipped").Add(float64(p.Skipped))
	m.messages.WithLabelValues("failed").Add(float64(p.Failed))
	m.messages.WithLabelValues("removed").Add(float64(p.Removed))
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// mailboxCollector reports mailboxes by status, read at scrape time.
type mailboxCollector struct{ st *store.Store }

var mailboxesDesc = prometheus.NewDesc("mailsync_mailboxes", "Connected mailboxes by sync status.", []string{"status"}, nil)

func (c *mailboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- mailboxesDesc }

func (c *mailboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.MailboxesByStatus(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(mailboxesDesc, err)
		return
	}
	for _, status := range []string{store.StatusNotSynced, store.StatusImporting, store.StatusActive,
		store.StatusFailedAuth, store.StatusFailed, store.StatusPaused} {
		ch <- prometheus.MustNewConstMetric(mailboxesDesc, prometheus.GaugeValue, float64(counts[status]), status)
	}
}
