package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// childCommand is the hidden first argument that makes this binary import
// one mailbox into one database and print a result as JSON.
const childCommand = "import-child"

func childMain(argv []string) int {
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	var a childArgs
	fs.StringVar(&a.DSN, "dsn", "", "empty database to import into")
	fs.StringVar(&a.Host, "host", "127.0.0.1", "IMAP host")
	fs.IntVar(&a.Port, "port", 143, "IMAP port")
	fs.StringVar(&a.User, "user", "", "IMAP user")
	fs.StringVar(&a.Password, "password", "", "IMAP password")
	fs.IntVar(&a.Batch, "batch", 500, "messages per sync batch")
	fs.StringVar(&a.CPUProfile, "cpuprofile", "", "CPU profile of the first import")
	fs.IntVar(&a.Rounds, "rounds", 0, "timed no-op and new-mail syncs after the import")
	fs.BoolVar(&a.TraceSQL, "trace-sql", false, "print the incremental syncs' statements")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	r, err := importChild(context.Background(), a)
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		return 1
	}
	return 0
}

// importChild sets up a workspace and an IMAP account on the database,
// times a full first sync and then a sync with nothing new.
func importChild(ctx context.Context, a childArgs) (result, error) {
	stmts := &statements{trace: a.TraceSQL}
	db, err := openDB(ctx, a.DSN, stmts)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	st := store.New(db)
	key, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		return result{}, err
	}
	box, err := secrets.New(key)
	if err != nil {
		return result{}, err
	}
	acct, err := addAccount(ctx, st, box, a)
	if err != nil {
		return result{}, err
	}

	var last ingest.Progress
	syncer := &ingest.Syncer{
		Store: st, Box: box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, BatchSize: a.Batch,
		Log:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnProgress: func(p ingest.Progress) { last = p },
	}
	seconds, err := timedSync(ctx, syncer, acct.ID, a.CPUProfile)
	if err != nil {
		return result{}, err
	}
	r := result{Listed: last.Listed, Imported: last.Imported, Skipped: last.Skipped, Failed: last.Failed, Seconds: seconds}
	if r.PeakRSS, err = peakRSS(); err != nil {
		return result{}, err
	}

	if r.NoopSeconds, err = timedSync(ctx, syncer, acct.ID, ""); err != nil {
		return result{}, err
	}
	if last.Imported+last.Skipped+last.Failed != 0 {
		return result{}, fmt.Errorf("second sync found %d new messages, want none", last.Imported+last.Skipped+last.Failed)
	}
	if a.Rounds > 0 {
		if r.Incremental, err = incremental(ctx, syncer, acct.ID, a, &last, stmts); err != nil {
			return result{}, err
		}
	}
	return r, nil
}

// addAccount creates the workspace, its member and the member's IMAP
// account, as the ingest tests do.
func addAccount(ctx context.Context, st *store.Store, box *secrets.Box, a childArgs) (*store.Account, error) {
	ws, err := st.CreateWorkspace(ctx, "Our Co", []string{domain})
	if err != nil {
		return nil, err
	}
	handle := a.User + "@" + domain
	m, err := st.AddMember(ctx, ws.ID, handle, strings.ToUpper(a.User[:1])+a.User[1:], false)
	if err != nil {
		return nil, err
	}
	return st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: m.ID, Provider: "imap",
		Handle: handle, Host: a.Host, Port: a.Port, Security: "none", Username: a.User,
		SecretEnc: box.Seal(a.Password)})
}

// timedSync runs one sync, under a CPU profile written to profile when set,
// and returns its duration in seconds.
func timedSync(ctx context.Context, s *ingest.Syncer, accountID, profile string) (float64, error) {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if err := s.SyncAccount(ctx, accountID); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// peakRSS returns this process's peak resident set size in bytes: VmHWM
// from /proc/self/status, or getrusage's maxrss where /proc is missing.
func peakRSS() (int64, error) {
	if kb, err := vmHWM(); err == nil {
		return kb << 10, nil
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	return ru.Maxrss << 10, nil // kilobytes on Linux
}

// vmHWM reads the "VmHWM:  1234 kB" line of /proc/self/status.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
