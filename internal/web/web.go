// Package web serves mailsync over HTTP: the REST API under /api/v1, the
// web UI and the health endpoint. Every read goes through package
// visibility; handlers only translate between HTTP and the store.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// Enqueuer asks for a mailbox sync (the job queue).
type Enqueuer interface {
	EnqueueSync(ctx context.Context, accountID string) error
}

// Config is what the web server needs.
type Config struct {
	Store   *store.Store
	Box     *secrets.Box
	Queue   Enqueuer
	Connect ingest.ConnectFunc
	Log     *slog.Logger
}

// New returns the HTTP handler.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := cfg.Store.DB.PingContext(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}
