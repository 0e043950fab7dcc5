// Command importbench measures a first import: it generates a mailbox with
// internal/mailgen, loads it into a throwaway Dovecot, and times
// ingest.Syncer.SyncAccount into a fresh SQLite and PostgreSQL database,
// printing messages per second and the peak memory of each import.
//
// Each import runs in a child process (this binary, re-executed) so that its
// peak RSS counts neither the generator nor the other database. See
// bench/README.md for how to read the figures.
//
// Usage:
//
//	go run ./bench/importbench [-n 20000] [-seed 7] [-db sqlite,postgres] [-batch 500] [-cpuprofile DIR]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/mailgen"
)

const (
	user   = "user1"
	domain = "ourco.example"
	owner  = user + "@" + domain
	folder = "INBOX" // the whole mbox, the owner's sent mail included
)

// config is what the command line asks for.
type config struct {
	n          int
	seed       uint64
	dbs        []database.Kind
	batch      int
	cpuprofile string // directory, "" for none
	rounds     int    // incremental syncs of each kind after the import
	traceSQL   bool   // print the incremental syncs' statements (PostgreSQL)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("importbench", flag.ContinueOnError)
	cfg := config{}
	fs.IntVar(&cfg.n, "n", 20000, "number of messages to generate")
	fs.Uint64Var(&cfg.seed, "seed", 7, "generator seed")
	dbs := fs.String("db", "sqlite,postgres", "databases to import into, comma-separated (sqlite, postgres)")
	fs.IntVar(&cfg.batch, "batch", 500, "messages per sync batch")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of each import to `DIR`/cpu-<db>.pprof")
	fs.IntVar(&cfg.rounds, "rounds", 5, "no-op syncs, then syncs of 10 new messages, timed after the import (0: none)")
	fs.BoolVar(&cfg.traceSQL, "trace-sql", false, "print the statements of the incremental syncs to stderr (PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.n <= 0 || cfg.batch <= 0 || cfg.rounds < 0 {
		return config{}, errors.New("-n and -batch must be positive, -rounds not negative")
	}
	for _, name := range strings.Split(*dbs, ",") {
		switch kind := database.Kind(strings.TrimSpace(name)); kind {
		case database.SQLite, database.Postgres:
			cfg.dbs = append(cfg.dbs, kind)
		default:
			return config{}, fmt.Errorf("-db: unknown database %q (want sqlite or postgres)", name)
		}
	}
	if cfg.cpuprofile != "" {
		if err := os.MkdirAll(cfg.cpuprofile, 0o755); err != nil {
			return config{}, fmt.Errorf("-cpuprofile: %w", err)
		}
	}
	return cfg, nil
}

// run generates the corpus, loads it into Dovecot, imports it into each
// database in turn and prints the results to out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "importbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(out, "importbench: %d messages, seed %d, owner %s, batch %d, %d CPUs, %s\n",
		cfg.n, cfg.seed, owner, cfg.batch, runtime.NumCPU(), time.Now().Format("2006-01-02"))
	mbox := filepath.Join(tmp, "corpus.mbox")
	start := time.Now()
	size, err := writeCorpus(mbox, mailgen.Options{N: cfg.n, Seed: cfg.seed, Owner: owner})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %s (%.1f MiB) in %.1fs\n", filepath.Base(mbox), mib(size), time.Since(start).Seconds())

	dove, err := dovecottest.New(dovecottest.Options{Users: []string{user}})
	if err != nil {
		return err
	}
	defer dove.Stop()
	start = time.Now()
	if err := dove.ImportMbox(ctx, user, folder, mbox); err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded into Dovecot %s in %.1fs (not part of the import figures)\n\n", folder, time.Since(start).Seconds())

	var results []result
	for _, kind := range cfg.dbs {
		r, err := importInto(ctx, cfg, kind, tmp, dove)
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		if r.Listed != cfg.n {
			fmt.Fprintf(os.Stderr, "importbench: warning: %s listed %d messages, generated %d\n", kind, r.Listed, cfg.n)
		}
		results = append(results, r)
	}
	return printResults(out, results)
}

// writeCorpus generates the mailbox into an mbox file and returns its size.
func writeCorpus(path string, opts mailgen.Options) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create corpus: %w", err)
	}
	if _, err := mailgen.WriteMboxEach(f, opts); err != nil {
		f.Close()
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("corpus: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("write corpus: %w", err)
	}
	return fi.Size(), nil
}

// importInto creates a fresh database of the given kind and runs the import
// into it in a child process.
func importInto(ctx context.Context, cfg config, kind database.Kind, tmp string, dove *dovecottest.Server) (result, error) {
	dsn := "sqlite:" + filepath.Join(tmp, "mailsync.db")
	if kind == database.Postgres {
		pg, drop, err := dbtest.CreatePostgres(ctx)
		if err != nil {
			return result{}, fmt.Errorf("%w (start PostgreSQL on 127.0.0.1:5432, set MAILSYNC_TEST_POSTGRES, or pass -db sqlite)", err)
		}
		defer drop()
		dsn = pg
	} else {
		defer removeSQLite(filepath.Join(tmp, "mailsync.db"))
	}
	args := childArgs{DSN: dsn, Host: dove.Host(), Port: dove.Port(), User: user, Password: dove.Password(user), Batch: cfg.batch,
		Rounds: cfg.rounds, TraceSQL: cfg.traceSQL}
	if cfg.cpuprofile != "" {
		args.CPUProfile = filepath.Join(cfg.cpuprofile, "cpu-"+string(kind)+".pprof")
	}
	d := &deliveries{dove: dove, seed: cfg.seed}
	r, err := runChild(ctx, args, d)
	r.Database = string(kind)
	if xerr := d.expunge(ctx); err == nil {
		err = xerr
	}
	return r, err
}

// removeSQLite deletes a SQLite database and its WAL files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// runChild re-executes this binary to import, and decodes the result it
// prints on stdout. The child's stderr passes through.
func runChild(ctx context.Context, args childArgs, d *deliveries) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, fmt.Errorf("find own binary: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{childCommand}, args.flags()...)...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := d.attach(cmd); err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		d.close()
		return result{}, fmt.Errorf("import process: %w", err)
	}
	d.started(ctx)
	err = cmd.Wait()
	d.wait()
	if err != nil {
		return result{}, fmt.Errorf("import process: %w", err)
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("import process output %q: %w", stdout.String(), err)
	}
	return r, nil
}

// printResults writes the results table.
func printResults(out io.Writer, results []result) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tlisted\timported\tskipped\tfailed\tseconds\tmessages/s\tpeak RSS MiB\tno-op sync s\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t%.0f\t%.3f\t\n", r.Database, r.Listed, r.Imported, r.Skipped,
			r.Failed, r.Seconds, float64(r.Listed)/r.Seconds, mib(r.PeakRSS), r.NoopSeconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printIncremental(out, results)
}

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// childArgs tell a child process what to import and how.
type childArgs struct {
	DSN        string
	Host       string
	Port       int
	User       string
	Password   string
	Batch      int
	CPUProfile string
	Rounds     int
	TraceSQL   bool
}

func (a childArgs) flags() []string {
	return []string{"-dsn", a.DSN, "-host", a.Host, "-port", strconv.Itoa(a.Port), "-user", a.User,
		"-password", a.Password, "-batch", strconv.Itoa(a.Batch), "-cpuprofile", a.CPUProfile,
		"-rounds", strconv.Itoa(a.Rounds), "-trace-sql=" + strconv.FormatBool(a.TraceSQL)}
}

// result is one database's figures, sent by the child as JSON.
type result struct {
	Database string  `json:"database"`
	Listed   int     `json:"listed"`
	Imported int     `json:"imported"`
	Skipped  int     `json:"skipped"`
	Failed   int     `json:"failed"`
	Seconds  float64 `json:"seconds"`
	// PeakRSS is the child's peak resident memory in bytes, read right
	// after the first import.
	PeakRSS int64 `json:"peak_rss"`
	// NoopSeconds is a second sync with nothing new on the server.
	NoopSeconds float64 `json:"noop_seconds"`
	// Incremental holds the timed incremental syncs (-rounds).
	Incremental incrResult `json:"incremental"`
}
