// Command readbench measures the read side at scale: it generates a
// workspace (by default 1,000,000 messages in 100 mailboxes, 50,000
// people, 5,000 companies) straight into SQLite and PostgreSQL, serves it
// with the real HTTP handler, and times requests through the REST API,
// printing p50/p95 per request kind and, on PostgreSQL, the SQL
// statements each request ran. See bench/README.md.
//
// Usage:
//
//	go run ./bench/readbench [-messages 1000000] [-requests 1000] [-db sqlite,postgres] [-keep DIR]
package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/web"
)

type config struct {
	shape    shape
	requests int
	dbs      []database.Kind
	keep     string // directory of kept SQLite files; PostgreSQL databases are kept too
	dbname   string // the kept PostgreSQL database, "" for readbench_<messages>
	only     string // only the request kinds whose name contains this
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "readbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("readbench: %d messages, %d mailboxes, %d people, %d companies; %d requests each; %d CPUs, %s\n",
		cfg.shape.messages, cfg.shape.mailboxes, cfg.shape.people, cfg.shape.companies, cfg.requests,
		runtime.NumCPU(), time.Now().Format("2006-01-02 15:04"))
	for _, kind := range cfg.dbs {
		if err := benchDB(ctx, cfg, kind, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "readbench: %s: %v\n", kind, err)
			os.Exit(1)
		}
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("readbench", flag.ContinueOnError)
	cfg := config{}
	fs.IntVar(&cfg.shape.messages, "messages", 1000000, "messages to generate")
	fs.IntVar(&cfg.shape.mailboxes, "mailboxes", 100, "mailboxes (one member each)")
	fs.IntVar(&cfg.shape.people, "people", 50000, "people")
	fs.IntVar(&cfg.shape.companies, "companies", 5000, "companies")
	fs.Uint64Var(&cfg.shape.seed, "seed", 7, "generator seed")
	fs.IntVar(&cfg.requests, "requests", 1000, "requests per kind")
	dbs := fs.String("db", "sqlite,postgres", "databases, comma-separated (sqlite, postgres)")
	fs.StringVar(&cfg.keep, "keep", "", "keep the generated databases and reuse them on the next run: SQLite files in `DIR`, "+
		"PostgreSQL databases named readbench_<messages>")
	fs.StringVar(&cfg.dbname, "dbname", "", "with -keep, the PostgreSQL database's name (default readbench_<messages>)")
	fs.StringVar(&cfg.only, "only", "", "measure only the request kinds whose name contains this `text`")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, name := range strings.Split(*dbs, ",") {
		switch kind := database.Kind(strings.TrimSpace(name)); kind {
		case database.SQLite, database.Postgres:
			cfg.dbs = append(cfg.dbs, kind)
		default:
			return config{}, fmt.Errorf("-db: unknown database %q", name)
		}
	}
	return cfg, nil
}

// statements counts the SQL statements sent to PostgreSQL.
type statements struct{ n atomic.Int64 }

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// benchDB generates (or reuses) one database and measures it.
func benchDB(ctx context.Context, cfg config, kind database.Kind, out io.Writer) error {
	counter := &statements{}
	db, cleanup, err := openBenchDB(ctx, cfg, kind, counter)
	if err != nil {
		return err
	}
	defer cleanup()
	st := store.New(db)
	ws, err := workspaceOf(ctx, db)
	if err != nil {
		return err
	}
	if ws == "" {
		start := time.Now()
		if ws, err = generate(ctx, db, cfg.shape); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintf(out, "%s: generated in %.0fs\n", kind, time.Since(start).Seconds())
	}
	t, err := pickTargets(ctx, db, ws)
	if err != nil {
		return err
	}
	_, token, err := st.CreateToken(ctx, t.viewer, "readbench")
	if err != nil {
		return err
	}
	srv := httptest.NewServer(web.New(web.Config{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	fmt.Fprintf(out, "%s: busiest company %d threads, busiest person %d threads\n", kind, t.companyThreads, t.personThreads)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "request\tp50 ms\tp95 ms\tmax ms\tstatements/request\t")
	rng := rand.New(rand.NewPCG(cfg.shape.seed, 2))
	for _, k := range []struct {
		name string
		path func() string
	}{
		{"company Emails tab, page 1", func() string { return "/api/v1/companies/" + t.company + "/threads" }},
		{"company Emails tab, page 50", func() string { return "/api/v1/companies/" + t.company + "/threads?offset=2450" }},
		{"person Emails tab, page 1", func() string { return "/api/v1/people/" + t.person + "/threads" }},
		{"person Emails tab, page 50", func() string { return "/api/v1/people/" + t.person + "/threads?offset=2450" }},
		{"person Emails tab, any person", func() string {
			return "/api/v1/people/" + t.people[rng.IntN(len(t.people))] + "/threads"
		}},
		{"thread", func() string { return "/api/v1/threads/" + t.threads[rng.IntN(len(t.threads))] }},
		{"people list, search", func() string { return "/api/v1/people?q=" + url.QueryEscape(t.searches[rng.IntN(len(t.searches))]) }},
	} {
		if !strings.Contains(k.name, cfg.only) {
			continue
		}
		times, stmts, err := measure(ctx, srv.URL, token, cfg.requests, k.path, counter)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		perReq := "-"
		if kind == database.Postgres {
			perReq = fmt.Sprintf("%.1f", float64(stmts)/float64(cfg.requests))
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%s\t\n", k.name, ms(pct(times, 50)), ms(pct(times, 95)), ms(pct(times, 100)), perReq)
	}
	if err := benchSearch(ctx, cfg, kind, db, ws, srv.URL, counter, tw); err != nil {
		return err
	}
	return tw.Flush()
}

// openBenchDB opens the database to measure: a kept one when -keep says
// so, else a fresh one that cleanup removes.
func openBenchDB(ctx context.Context, cfg config, kind database.Kind, counter *statements) (*database.DB, func(), error) {
	if kind == database.SQLite {
		dir := cfg.keep
		if dir == "" {
			tmp, err := os.MkdirTemp("", "readbench-")
			if err != nil {
				return nil, nil, err
			}
			dir = tmp
		}
		path := filepath.Join(dir, fmt.Sprintf("readbench-%d.db", cfg.shape.messages))
		db, err := database.Open(ctx, "sqlite:"+path)
		if err != nil {
			return nil, nil, err
		}
		return db, func() {
			db.Close()
			if cfg.keep == "" {
				os.RemoveAll(dir)
			}
		}, nil
	}
	dsn, drop, err := postgresDB(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		drop()
		return nil, nil, err
	}
	pcfg.MaxConns = 8
	pcfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		drop()
		return nil, nil, err
	}
	db := &database.DB{DB: stdlib.OpenDBFromPool(pool), Kind: database.Postgres, Pool: pool}
	if err := database.Migrate(ctx, db); err != nil {
		db.Close()
		drop()
		return nil, nil, err
	}
	return db, func() { db.Close(); drop() }, nil
}

// postgresDB returns the DSN of the database to use: readbench_<messages>
// (created when missing) with -keep, else a throwaway one.
func postgresDB(ctx context.Context, cfg config) (string, func(), error) {
	if cfg.keep == "" {
		return dbtest.CreatePostgres(ctx)
	}
	admin := dbtest.PostgresAdminDSN()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect %s: %w", admin, err)
	}
	defer conn.Close(ctx)
	name := cmp.Or(cfg.dbname, fmt.Sprintf("readbench_%d", cfg.shape.messages))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", nil, err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", nil, err
		}
	}
	pc, err := pgx.ParseConfig(admin)
	if err != nil {
		return "", nil, err
	}
	pc.Database = name
	u := fmt.Sprintf("postgres://%s:%s@%s:%d/%s", pc.User, pc.Password, pc.Host, pc.Port, name)
	return u, func() {}, nil
}

// workspaceOf returns the generated workspace, "" when there is none yet.
func workspaceOf(ctx context.Context, db *database.DB) (string, error) {
	var id string
	err := db.QueryRowContext(ctx, `SELECT id FROM workspaces WHERE name = 'readbench'`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// targets are what the requests ask for.
type targets struct {
	viewer                        string // a member
	company, person               string // the busiest ones
	companyThreads, personThreads int
	threads                       []string
	people                        []string // people with a thread, the busiest and the quietest alike
	searches                      []string
}

func pickTargets(ctx context.Context, db *database.DB, ws string) (*targets, error) {
	t := &targets{}
	for _, step := range []struct {
		query string
		dest  []any
	}{
		{`SELECT id FROM members WHERE workspace_id = $1 ORDER BY email LIMIT 1`, []any{&t.viewer}},
		{`SELECT p.person_id, COUNT(DISTINCT m.thread_id) FROM participants p JOIN messages m ON m.id = p.message_id
			WHERE m.workspace_id = $1 AND p.person_id IS NOT NULL GROUP BY p.person_id ORDER BY 2 DESC LIMIT 1`,
			[]any{&t.person, &t.personThreads}},
		{`SELECT pe.company_id, COUNT(DISTINCT m.thread_id) FROM participants p JOIN messages m ON m.id = p.message_id
			JOIN people pe ON pe.id = p.person_id WHERE m.workspace_id = $1 GROUP BY pe.company_id ORDER BY 2 DESC LIMIT 1`,
			[]any{&t.company, &t.companyThreads}},
	} {
		if err := db.QueryRowContext(ctx, step.query, ws).Scan(step.dest...); err != nil {
			return nil, fmt.Errorf("pick targets: %w", err)
		}
	}
	var err error
	if t.threads, err = column(ctx, db, `SELECT id FROM threads WHERE workspace_id = $1 LIMIT 5000`, ws); err != nil {
		return nil, err
	}
	if t.people, err = column(ctx, db, `SELECT DISTINCT p.person_id FROM participants p
		WHERE p.workspace_id = $1 AND p.person_id IS NOT NULL LIMIT 5000`, ws); err != nil {
		return nil, err
	}
	// What a user types to find someone: the start of an address
	// ("omar.haddad12" matches a few dozen people), or a name.
	emails, err := column(ctx, db, `SELECT email FROM person_emails WHERE workspace_id = $1 LIMIT 50`, ws)
	for _, e := range emails {
		local, _, _ := strings.Cut(e, "@")
		t.searches = append(t.searches, local[:len(local)-1])
	}
	t.searches = append(t.searches, "Tanaka", "Jane Doe")
	return t, err
}

// column runs a query for one text column.
func column(ctx context.Context, db *database.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// measure runs n requests one after the other and returns their durations
// and the statements they sent to PostgreSQL.
func measure(ctx context.Context, base, token string, n int, path func() string, counter *statements) ([]time.Duration, int64, error) {
	times := make([]time.Duration, 0, n)
	before := counter.n.Load()
	for range n {
		req, err := http.NewRequestWithContext(ctx, "GET", base+path(), nil)
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		times = append(times, time.Since(start))
		if err != nil {
			return nil, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, 0, fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
		}
	}
	// Each request also looks its token up: that is one statement too.
	return times, counter.n.Load() - before, nil
}

// pct returns the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p)/100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
