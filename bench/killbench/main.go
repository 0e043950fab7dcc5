// Command killbench kills `mailsync sync --once` with SIGKILL at random
// points of a first import, again and again, and checks after each round
// that the import ends exactly like one never interrupted (the same
// messages, items, people and threads) and that `mailsync reconcile`
// finds nothing amiss. It prints one table row per round.
//
//	go run ./bench/killbench [-kills 50] [-per-round 5] [-n 1500] [-seed 11] [-db sqlite|postgres]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
)

const (
	user  = "user1"
	owner = "user1@ourco.example"
)

type config struct {
	kills    int    // kills in all
	perRound int    // kills in one import before it may finish
	n        int    // messages in the mailbox
	seed     uint64 // mailgen seed
	db       database.Kind
	batch    int
}

func main() {
	var cfg config
	var db string
	flag.IntVar(&cfg.kills, "kills", 50, "SIGKILLs in all")
	flag.IntVar(&cfg.perRound, "per-round", 5, "SIGKILLs in one import before it may finish")
	flag.IntVar(&cfg.n, "n", 1500, "messages in the mailbox")
	flag.Uint64Var(&cfg.seed, "seed", 11, "mailgen seed (the kill points are random)")
	flag.StringVar(&db, "db", "sqlite", "database: sqlite or postgres")
	flag.IntVar(&cfg.batch, "batch", 25, "sync batch size (smaller: more points to die between)")
	flag.Parse()
	cfg.db = database.Kind(db)
	rounds, err := run(context.Background(), cfg, os.Stdout)
	if err == nil && !allOK(rounds) {
		err = errors.New("an import did not end as an uninterrupted one")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "killbench:", err)
		os.Exit(1)
	}
}

// round is one import killed perRound times, then run to its end.
type round struct {
	killedAt  []int // items stored when each kill struck
	seconds   float64
	items     int
	same      bool   // equal to the uninterrupted import
	diff      string // what differs, when not same
	reconcile bool   // `mailsync reconcile` exited 0
}

func (r round) ok() bool { return r.same && r.reconcile && r.items > 0 }

func allOK(rounds []round) bool {
	for _, r := range rounds {
		if !r.ok() {
			return false
		}
	}
	return len(rounds) > 0
}

// bench is what every round shares: the binary, the server, the key.
type bench struct {
	cfg     config
	tmp     string
	bin     string
	dove    *dovecottest.Server
	env     []string
	pwFile  string
	refTime time.Duration // the uninterrupted import
	noop    time.Duration // a sync with nothing to do: start, connect, list
}

// run imports the mailbox once uninterrupted, then in rounds of kills
// until cfg.kills kills struck, printing a row per round to out.
func run(ctx context.Context, cfg config, out io.Writer) ([]round, error) {
	tmp, err := os.MkdirTemp("", "killbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := &bench{cfg: cfg, tmp: tmp, bin: filepath.Join(tmp, "mailsync")}
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "github.com/mailsync/mailsync/cmd/mailsync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build mailsync: %w\n%s", err, out)
	}
	if b.dove, err = loadDovecot(ctx, tmp, cfg); err != nil {
		return nil, err
	}
	defer b.dove.Stop()
	keyFile, pwFile := filepath.Join(tmp, "key"), filepath.Join(tmp, "pw")
	if err := errors.Join(os.WriteFile(keyFile, []byte(secrets.NewKey()), 0o600),
		os.WriteFile(pwFile, []byte(b.dove.Password(user)), 0o600)); err != nil {
		return nil, err
	}
	b.pwFile = pwFile
	b.env = append(os.Environ(), "MAILSYNC_SECRET_KEY_FILE="+keyFile, netguard.EnvAllowPrivate+"=1")

	ref, err := b.reference(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "killbench: %d messages (seed %d), %s, batch %d; uninterrupted import %.1fs (a no-op sync %.2fs), %d items, %d messages, %d people, %d threads\n\n",
		cfg.n, cfg.seed, cfg.db, cfg.batch, b.refTime.Seconds(), b.noop.Seconds(), len(ref.Items), len(ref.Messages), len(ref.People), ref.Threads)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tkills\titems stored at each kill\tseconds\titems\tsame as uninterrupted\treconcile\t")
	var rounds []round
	// A round whose import outran its first kill counts no kill; the
	// bound on rounds only guards against a machine too fast to kill on.
	for kills := 0; kills < cfg.kills && len(rounds) < 2*cfg.kills; {
		r, err := b.round(ctx, ref, min(cfg.perRound, cfg.kills-kills))
		if err != nil {
			return rounds, err
		}
		rounds = append(rounds, r)
		kills += len(r.killedAt)
		fmt.Fprintf(tw, "%d\t%d\t%s\t%.1f\t%d\t%s\t%s\t\n", len(rounds), len(r.killedAt), joinInts(r.killedAt),
			r.seconds, r.items, yes(r.same, r.diff), yes(r.reconcile, "differences"))
	}
	total := 0
	for _, r := range rounds {
		total += len(r.killedAt)
	}
	fmt.Fprintf(tw, "all\t%d\t\t\t\t%s\t\t\n", total, yes(allOK(rounds), "FAILED"))
	return rounds, tw.Flush()
}

func loadDovecot(ctx context.Context, tmp string, cfg config) (*dovecottest.Server, error) {
	mbox := filepath.Join(tmp, "corpus.mbox")
	f, err := os.Create(mbox)
	if err != nil {
		return nil, err
	}
	_, err = mailgen.WriteMboxEach(f, mailgen.Options{N: cfg.n, Seed: cfg.seed, Owner: owner})
	if err := errors.Join(err, f.Close()); err != nil {
		return nil, err
	}
	dove, err := dovecottest.New(dovecottest.Options{Users: []string{user}})
	if err != nil {
		return nil, err
	}
	if err := dove.ImportMbox(ctx, user, "INBOX", mbox); err != nil {
		dove.Stop()
		return nil, err
	}
	return dove, nil
}

// reference imports the mailbox without interruption.
func (b *bench) reference(ctx context.Context) (ingesttest.Imported, error) {
	dsn, drop, err := b.newDatabase(ctx)
	if err != nil {
		return ingesttest.Imported{}, err
	}
	defer drop()
	if err := b.addAccount(ctx, dsn); err != nil {
		return ingesttest.Imported{}, err
	}
	start := time.Now()
	if out, err := b.mailsync(ctx, dsn, "sync", "--once", "--batch-size", strconv.Itoa(b.cfg.batch)).CombinedOutput(); err != nil {
		return ingesttest.Imported{}, fmt.Errorf("uninterrupted import: %w\n%s", err, out)
	}
	b.refTime = time.Since(start)
	start = time.Now()
	if out, err := b.mailsync(ctx, dsn, "sync", "--once").CombinedOutput(); err != nil {
		return ingesttest.Imported{}, fmt.Errorf("no-op sync: %w\n%s", err, out)
	}
	b.noop = time.Since(start)
	return snapshot(ctx, dsn)
}

// round kills an import up to kills times at random points, runs it to
// its end, and compares the result with ref.
func (b *bench) round(ctx context.Context, ref ingesttest.Imported, kills int) (round, error) {
	var r round
	dsn, drop, err := b.newDatabase(ctx)
	if err != nil {
		return r, err
	}
	defer drop()
	if err := b.addAccount(ctx, dsn); err != nil {
		return r, err
	}
	start := time.Now()
	for range kills {
		items, killed, err := b.killOnce(ctx, dsn, len(ref.Items))
		if err != nil {
			return r, err
		}
		if !killed {
			break // the import finished before the kill: nothing left to interrupt
		}
		r.killedAt = append(r.killedAt, items)
	}
	if out, err := b.mailsync(ctx, dsn, "sync", "--once").CombinedOutput(); err != nil {
		return r, fmt.Errorf("sync after kills: %w\n%s", err, out)
	}
	r.seconds = time.Since(start).Seconds()
	got, err := snapshot(ctx, dsn)
	if err != nil {
		return r, err
	}
	r.items = len(got.Items)
	r.diff = ref.Diff(got)
	r.same = r.diff == ""
	r.reconcile = b.mailsync(ctx, dsn, "reconcile", "--json").Run() == nil
	return r, nil
}

// killOnce starts a sync and kills it with SIGKILL after a random part of
// the time the rest of the import should take. It returns the items
// stored at the kill, and false when the sync ended first.
func (b *bench) killOnce(ctx context.Context, dsn string, total int) (int, bool, error) {
	before, err := countItems(ctx, dsn)
	if err != nil {
		return 0, false, err
	}
	// Past the start (half a no-op sync's time), somewhere in what is
	// left; the reference time is scaled down a little because a busy
	// machine makes it vary, and a kill after the end is no kill.
	left := max(float64(total-before)/float64(total), 0.05)
	delay := b.noop/2 + time.Duration(rand.Float64()*left*0.7*float64(b.refTime-b.noop/2))
	cmd := b.mailsync(ctx, dsn, "sync", "--once", "--batch-size", strconv.Itoa(b.cfg.batch))
	if err := cmd.Start(); err != nil {
		return 0, false, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			return 0, false, fmt.Errorf("sync before the kill: %w", err)
		}
		return 0, false, nil
	case <-time.After(delay):
	}
	cmd.Process.Kill() // SIGKILL: no cleanup, no deferred code
	<-exited
	items, err := countItems(ctx, dsn)
	return items, true, err
}

// newDatabase returns an empty database of the configured kind and a
// function that removes it.
func (b *bench) newDatabase(ctx context.Context) (string, func(), error) {
	if b.cfg.db == database.Postgres {
		dsn, drop, err := dbtest.CreatePostgres(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("%w (start PostgreSQL on 127.0.0.1:5432 or set MAILSYNC_TEST_POSTGRES)", err)
		}
		return dsn, drop, nil
	}
	dir, err := os.MkdirTemp(b.tmp, "db-")
	if err != nil {
		return "", nil, err
	}
	return "sqlite:" + filepath.Join(dir, "mailsync.db"), func() { os.RemoveAll(dir) }, nil
}

func (b *bench) addAccount(ctx context.Context, dsn string) error {
	for _, args := range [][]string{
		{"member", "add", "--email", owner, "--name", "User One"},
		{"account", "add", "imap", "--member", owner, "--host", b.dove.Host(), "--port", strconv.Itoa(b.dove.Port()),
			"--security", "none", "--username", user, "--handle", owner, "--password-file", b.pwFile},
	} {
		if out, err := b.mailsync(ctx, dsn, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("mailsync %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func (b *bench) mailsync(ctx context.Context, dsn string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.bin, append([]string{"--db", dsn}, args...)...)
	cmd.Env = b.env
	return cmd
}

func snapshot(ctx context.Context, dsn string) (ingesttest.Imported, error) {
	db, err := database.OpenNoMigrate(ctx, dsn)
	if err != nil {
		return ingesttest.Imported{}, err
	}
	defer db.Close()
	return ingesttest.Snapshot(ctx, db)
}

func countItems(ctx context.Context, dsn string) (int, error) {
	db, err := database.OpenNoMigrate(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	return n, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM folder_items`).Scan(&n)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

func yes(ok bool, otherwise string) string {
	if ok {
		return "yes"
	}
	return "NO: " + otherwise
}
