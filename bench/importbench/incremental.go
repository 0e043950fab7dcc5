package main

// Incremental syncs, after the first import: -rounds no-op syncs, then
// -rounds syncs that each bring newPerRound messages delivered just before
// them. The child asks the parent for the delivery (the parent holds the
// Dovecot and runs doveadm): it writes a line on fd 3 and reads the
// parent's answer on its stdin.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/mailgen"
)

// newPerRound is how many messages arrive before each "new mail" sync.
const newPerRound = 10

// incrResult is what the incremental rounds measured, in seconds.
type incrResult struct {
	NoopP50 float64 `json:"noop_p50"`
	NoopMax float64 `json:"noop_max"`
	NewP50  float64 `json:"new_p50"`
	NewMax  float64 `json:"new_max"`
	// Statements per sync, PostgreSQL only (0 on SQLite).
	NoopStatements float64 `json:"noop_statements"`
	NewStatements  float64 `json:"new_statements"`
}

// deliveries serves a child's requests for new mail: each line the child
// writes on fd 3 delivers newPerRound generated messages into the folder,
// answered by "ok" or the error on the child's stdin. The Message-IDs
// delivered are kept so that expunge can leave the folder as loaded.
type deliveries struct {
	dove  *dovecottest.Server
	seed  uint64
	round int
	ids   []string

	reqR, reqW, ansR, ansW *os.File
	done                   chan struct{}
}

// attach gives cmd the pipes; call started once cmd has started.
func (d *deliveries) attach(cmd *exec.Cmd) error {
	var err error
	if d.reqR, d.reqW, err = os.Pipe(); err != nil {
		return err
	}
	if d.ansR, d.ansW, err = os.Pipe(); err != nil {
		d.reqR.Close()
		d.reqW.Close()
		return err
	}
	cmd.ExtraFiles = []*os.File{d.reqW}
	cmd.Stdin = d.ansR
	return nil
}

// started closes the child's ends in this process and serves requests
// until the child closes fd 3 (it exits).
func (d *deliveries) started(ctx context.Context) {
	d.reqW.Close()
	d.ansR.Close()
	d.done = make(chan struct{})
	go func() {
		defer close(d.done)
		defer d.ansW.Close()
		defer d.reqR.Close()
		sc := bufio.NewScanner(d.reqR)
		for sc.Scan() {
			if err := d.deliver(ctx); err != nil {
				fmt.Fprintf(d.ansW, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
				continue
			}
			fmt.Fprintln(d.ansW, "ok")
		}
	}()
}

// wait waits for the serving goroutine (after the child exited).
func (d *deliveries) wait() {
	if d.done != nil {
		<-d.done
	}
}

// close releases the pipes when the child never started.
func (d *deliveries) close() {
	for _, f := range []*os.File{d.reqR, d.reqW, d.ansR, d.ansW} {
		if f != nil {
			f.Close()
		}
	}
}

// deliver appends newPerRound new messages (a seed of their own, so new
// Message-IDs) to the end of the folder with doveadm.
func (d *deliveries) deliver(ctx context.Context) error {
	d.round++
	mails := mailgen.Generate(mailgen.Options{N: newPerRound, Seed: d.seed*1000 + uint64(d.round), Owner: owner,
		Start: time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(d.round) * time.Hour)})
	raws := make([][]byte, len(mails))
	for i, m := range mails {
		raws[i] = m.Raw
		d.ids = append(d.ids, m.MessageID)
	}
	return d.dove.Append(ctx, user, folder, raws...)
}

// expunge removes what was delivered, so the next database imports the
// mailbox as generated.
func (d *deliveries) expunge(ctx context.Context) error {
	err := d.dove.ExpungeMessageIDs(ctx, user, folder, d.ids...)
	d.ids = nil
	return err
}

// incremental runs in the child after the first import and its no-op
// sync: rounds timed no-op syncs, then rounds syncs each bringing
// newPerRound messages the parent delivers just before.
func incremental(ctx context.Context, s *ingest.Syncer, accountID string, a childArgs, last *ingest.Progress, stmts *statements) (incrResult, error) {
	var r incrResult
	noop, n, err := timedRounds(ctx, a.Rounds, profilePath(a.CPUProfile, "noop"), stmts, func() error {
		return nil
	}, func() error {
		if got := last.Imported + last.Skipped + last.Failed; got != 0 {
			return fmt.Errorf("no-op sync found %d new messages, want none", got)
		}
		return nil
	}, func() error { return s.SyncAccount(ctx, accountID) })
	if err != nil {
		return r, err
	}
	r.NoopP50, r.NoopMax, r.NoopStatements = pct(noop, 50), pct(noop, 100), n
	answers := bufio.NewScanner(os.Stdin)
	requests := os.NewFile(3, "deliveries")
	fresh, n, err := timedRounds(ctx, a.Rounds, profilePath(a.CPUProfile, "new"), stmts, func() error {
		return askDelivery(requests, answers)
	}, func() error {
		if got := last.Imported + last.Skipped + last.Failed; got != newPerRound {
			return fmt.Errorf("sync after delivery found %d new messages, want %d", got, newPerRound)
		}
		return nil
	}, func() error { return s.SyncAccount(ctx, accountID) })
	if err != nil {
		return r, err
	}
	r.NewP50, r.NewMax, r.NewStatements = pct(fresh, 50), pct(fresh, 100), n
	return r, nil
}

// timedRounds runs before, then a timed sync, then check, rounds times,
// under a CPU profile of the syncs when profile is set. It returns the
// durations and the statements per sync (PostgreSQL).
func timedRounds(ctx context.Context, rounds int, profile string, stmts *statements, before, check, sync func() error) ([]float64, float64, error) {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	var times []float64
	var total int64
	for range rounds {
		if err := before(); err != nil {
			return nil, 0, err
		}
		stmts.start()
		start := time.Now()
		err := sync()
		times = append(times, time.Since(start).Seconds())
		total += stmts.stop()
		if err != nil {
			return nil, 0, err
		}
		if err := check(); err != nil {
			return nil, 0, err
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
	}
	return times, float64(total) / float64(max(rounds, 1)), nil
}

func askDelivery(requests *os.File, answers *bufio.Scanner) error {
	if _, err := fmt.Fprintln(requests, "deliver"); err != nil {
		return fmt.Errorf("ask for delivery: %w", err)
	}
	if !answers.Scan() {
		return fmt.Errorf("ask for delivery: no answer: %w", cmpErr(answers.Err(), io.ErrUnexpectedEOF))
	}
	if ans := answers.Text(); ans != "ok" {
		return fmt.Errorf("delivery: %s", strings.TrimPrefix(ans, "error "))
	}
	return nil
}

func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func profilePath(cpuProfile, what string) string {
	if cpuProfile == "" {
		return ""
	}
	return strings.TrimSuffix(cpuProfile, ".pprof") + "-" + what + ".pprof"
}

// pct is the p-th percentile (nearest rank) of xs, 0 when empty.
func pct(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(i, 0)]
}

// statements counts the SQL statements PostgreSQL receives while
// counting; with trace set it also prints them to stderr.
type statements struct {
	counting atomic.Bool
	n        atomic.Int64
	trace    bool
	mu       sync.Mutex
}

func (s *statements) start() {
	if s != nil {
		s.n.Store(0)
		s.counting.Store(true)
	}
}

func (s *statements) stop() int64 {
	if s == nil {
		return 0
	}
	s.counting.Store(false)
	return s.n.Load()
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !s.counting.Load() {
		return ctx
	}
	s.n.Add(1)
	if s.trace {
		s.mu.Lock()
		fmt.Fprintf(os.Stderr, "sql: %s\n", strings.Join(strings.Fields(d.SQL), " "))
		s.mu.Unlock()
	}
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// openDB opens the database as database.Open does, with stmts counting
// the statements sent to PostgreSQL.
func openDB(ctx context.Context, dsn string, stmts *statements) (*database.DB, error) {
	kind, target, err := database.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if kind != database.Postgres {
		return database.Open(ctx, dsn)
	}
	cfg, err := pgxpool.ParseConfig(target)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = max(cfg.MaxConns, 8)
	cfg.ConnConfig.RuntimeParams["jit"] = "off" // as database.Open
	cfg.ConnConfig.Tracer = stmts
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db := &database.DB{DB: stdlib.OpenDBFromPool(pool), Kind: database.Postgres, Pool: pool}
	if err := database.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// printIncremental writes the incremental syncs' table, when measured.
func printIncremental(out io.Writer, results []result) error {
	if len(results) == 0 || results[0].Incremental == (incrResult{}) {
		return nil
	}
	fmt.Fprintf(out, "\nincremental syncs after the import (%d messages new in each \"new\" sync)\n", newPerRound)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tno-op p50 ms\tno-op max ms\tnew p50 ms\tnew max ms\tstatements no-op\tstatements new\t")
	for _, r := range results {
		in := r.Incremental
		stmts := func(n float64) string {
			if r.Database != string(database.Postgres) {
				return "-"
			}
			return fmt.Sprintf("%.0f", n)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\t\n", r.Database, in.NoopP50*1000, in.NoopMax*1000,
			in.NewP50*1000, in.NewMax*1000, stmts(in.NoopStatements), stmts(in.NewStatements))
	}
	return tw.Flush()
}
