// Package web serves mailsync over HTTP: the REST API under /api/v1, the
// web UI and the health endpoint. Every read goes through package
// visibility; handlers only translate between HTTP and the store, and
// never send a field the viewer may not see.
package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/send"
	"github.com/mailsync/mailsync/internal/store"
)

// Enqueuer asks for a mailbox sync (the job queue).
type Enqueuer interface {
	EnqueueSync(ctx context.Context, accountID string) error
}

// Config is what the web server needs.
type Config struct {
	Store *store.Store
	Box   *secrets.Box
	// Queue starts the initial import of an added mailbox; nil skips it.
	Queue Enqueuer
	// Connect checks the credentials of a mailbox being added; nil dials
	// IMAP servers directly.
	Connect ingest.ConnectFunc
	// Providers connects Gmail and Microsoft 365 mailboxes: the OAuth
	// applications (Settings > Accounts' Connect buttons) and the APIs.
	Providers connect.Connector
	// Sender, when set, replaces Providers.Sender for sending mail.
	Sender send.SenderFunc
	Log    *slog.Logger
	// SessionTTL is how long a UI login lasts (default 14 days).
	SessionTTL time.Duration
	// Metrics, when set, is served at /metrics (Prometheus format; counts
	// only, no personal data).
	Metrics http.Handler
	// Workers, when set, says whether the sync workers run (for /readyz).
	Workers func() error
	// Guard checks the webhook URLs admins register.
	Guard netguard.Guard
}

// server holds the handlers' dependencies and the routes they answer.
type server struct {
	cfg       Config
	log       *slog.Logger
	mux       *router
	pages     *pages
	logins    *loginLimiter
	apiRoutes []string // "METHOD /api/v1/path" of every API route, for the OpenAPI check
}

// New returns the HTTP handler.
func New(cfg Config) http.Handler {
	return newServer(cfg)
}

func newServer(cfg Config) *server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 14 * 24 * time.Hour
	}
	if cfg.Connect == nil {
		cfg.Connect = connect.Connector{}.Connect
	}
	s := &server{cfg: cfg, log: cfg.Log, mux: &router{ServeMux: http.NewServeMux()}, pages: loadPages(),
		logins: newLoginLimiter(cfg.Store, time.Now)}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	s.routeAPI()
	s.routeUI()
	s.routeSessions()
	s.routeOAuth()
	return s
}

// router is the ServeMux that remembers every pattern registered through
// it, so that the authorization matrix test enumerates the routes from the
// router itself: a route added without an entry there fails the test.
type router struct {
	*http.ServeMux
	patterns []string
}

func (r *router) Handle(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.ServeMux.Handle(pattern, h)
}

func (r *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.Handle(pattern, http.HandlerFunc(h))
}

// ServeHTTP adds the security headers every answer carries.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp(false))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// csp is the Content-Security-Policy: scripts and styles only from our own
// files (no inline code), images from us and data: URLs unless the reader
// asked to load a message's remote images.
func csp(remoteImages bool) string {
	img := "img-src 'self' data:"
	if remoteImages {
		img += " https: http:"
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; " + img +
		"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.DB.PingContext(r.Context()); err != nil {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// readyz says whether this process can do its work: the database answers,
// its schema is the one this binary expects, and the sync workers run.
// It answers 503 with the failing checks otherwise, for a load balancer or
// an orchestrator to hold traffic back (healthz only says the process
// lives).
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok", "workers": "ok"}
	ready := true
	fail := func(name string, err error) {
		checks[name], ready = err.Error(), false
	}
	if err := s.cfg.Store.DB.PingContext(ctx); err != nil {
		fail("database", err)
		fail("migrations", errors.New("database unreachable"))
	} else if err := database.CheckCurrent(ctx, s.cfg.Store.DB); err != nil {
		fail("migrations", err)
	}
	switch {
	case s.cfg.Workers == nil:
		fail("workers", errors.New("this process runs no sync workers"))
	default:
		if err := s.cfg.Workers(); err != nil {
			fail("workers", err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks})
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
