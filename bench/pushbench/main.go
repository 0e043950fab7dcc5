// Command pushbench measures what push costs and gives: the delay from a
// delivery to the message being stored (p50/p95 over many deliveries), and
// the memory a worker spends per watched mailbox at 100 and 1,000
// mailboxes. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/push"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// childCommand is the hidden first argument that makes this binary watch
// N mailboxes and print its memory figures as JSON.
const childCommand = "watch-child"

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:]))
	}
	fs := flag.NewFlagSet("pushbench", flag.ContinueOnError)
	deliveries := fs.Int("deliveries", 200, "messages delivered one at a time for the latency figures (0: skip)")
	watch := fs.String("watch", "100,1000", "numbers of watched mailboxes to measure memory at, comma-separated (empty: skip)")
	heapDir := fs.String("heapprofile", "", "write a heap profile of each memory run to `DIR`/heap-<n>.pprof")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *deliveries, *watch, *heapDir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pushbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, deliveries int, watch, heapDir string, out io.Writer) error {
	if deliveries > 0 {
		lat, err := measureLatency(ctx, deliveries)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		fmt.Fprintf(out, "push latency, delivery to stored, %d deliveries: p50 %s  p95 %s  max %s\n\n",
			len(lat), ms(percentile(lat, 50)), ms(percentile(lat, 95)), ms(lat[len(lat)-1]))
	}
	if watch == "" {
		return nil
	}
	fmt.Fprintln(out, "| watched | IDLE sessions | RSS before | RSS watching | RSS / mailbox | Go heap / mailbox | goroutines / mailbox |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|")
	for _, f := range strings.Split(watch, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-watch: %q is not a positive number", f)
		}
		r, err := runChild(ctx, n, heapDir)
		if err != nil {
			return fmt.Errorf("watch %d: %w", n, err)
		}
		fmt.Fprintf(out, "| %d | %d | %.1f MiB | %.1f MiB | %.1f KB | %.1f KB | %.1f |\n", n, r.Idle, mib(r.RSSBefore), mib(r.RSSAfter),
			kb(r.RSSAfter-r.RSSBefore)/float64(n), kb(r.HeapAfter-r.HeapBefore)/float64(n),
			float64(r.GoroutinesAfter-r.GoroutinesBefore)/float64(n))
	}
	return nil
}

// env is a Dovecot with users user1..userN, a SQLite database with one
// workspace whose member owns an IMAP account for each, every account
// synced once (push watches synced mailboxes only), and a push manager.
type env struct {
	dove     *dovecottest.Server
	db       *database.DB
	st       *store.Store
	syncer   *ingest.Syncer
	manager  *push.Manager
	accounts []*store.Account
	cleanup  func()
}

func newEnv(ctx context.Context, n int) (*env, error) {
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("user%d", i+1)
	}
	dove, err := dovecottest.New(dovecottest.Options{Users: users, Connections: n})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pushbench-")
	if err != nil {
		dove.Stop()
		return nil, err
	}
	e := &env{dove: dove, cleanup: func() { dove.Stop(); os.RemoveAll(dir) }}
	if err := e.setup(ctx, filepath.Join(dir, "mailsync.db"), users); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) setup(ctx context.Context, path string, users []string) error {
	db, err := database.Open(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	e.db, e.st = db, store.New(db)
	key, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		return err
	}
	box, err := secrets.New(key)
	if err != nil {
		return err
	}
	ws, err := e.st.CreateWorkspace(ctx, "Our Co", []string{"ourco.example"})
	if err != nil {
		return err
	}
	m, err := e.st.AddMember(ctx, ws.ID, "ops@ourco.example", "Ops", false)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	conn := connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect
	e.syncer = &ingest.Syncer{Store: e.st, Box: box, Connect: conn, Log: log}
	for _, u := range users {
		a, err := e.st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: m.ID, Provider: "imap",
			Handle: u + "@ourco.example", Host: e.dove.Host(), Port: e.dove.Port(), Security: "none", Username: u,
			SecretEnc: box.Seal(dovecottest.Password)})
		if err != nil {
			return err
		}
		if err := e.syncer.SyncAccount(ctx, a.ID); err != nil {
			return err
		}
		e.accounts = append(e.accounts, a)
	}
	e.manager = &push.Manager{Store: e.st, Box: box, Connect: conn, Sync: e.syncer, Log: log}
	return nil
}

func (e *env) close() {
	if e.db != nil {
		e.db.Close()
	}
	e.cleanup()
}

// startWatching runs the push manager until the returned stop is called,
// once every mailbox has its IDLE session.
func (e *env) startWatching(ctx context.Context) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.manager.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	deadline := time.Now().Add(10 * time.Minute)
	for {
		idle, _ := e.manager.Connections()
		if idle == len(e.accounts) {
			time.Sleep(time.Second) // IDLE issued on the last sessions
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("%d of %d IDLE sessions open after 10 minutes", idle, len(e.accounts))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// measureLatency delivers messages one at a time to a watched INBOX and
// returns, sorted, the delay from each delivery (doveadm has stored the
// message in the mailbox) to the message being in mailsync's store, where
// the API, the UI and `why` read it.
func measureLatency(ctx context.Context, deliveries int) ([]time.Duration, error) {
	e, err := newEnv(ctx, 1)
	if err != nil {
		return nil, err
	}
	defer e.close()
	stop, err := e.startWatching(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	var lat []time.Duration
	for i := 0; i < deliveries; i++ {
		id := fmt.Sprintf("push-%d-%d@acme-corp.com", i, time.Now().UnixNano())
		raw := fmt.Sprintf("From: Jane Doe <jane.doe@acme-corp.com>\r\nTo: user1@ourco.example\r\nSubject: Order %d\r\n"+
			"Message-ID: <%s>\r\nDate: %s\r\n\r\nHello %d\r\n", i, id, time.Now().UTC().Format(time.RFC1123Z), i)
		if err := e.dove.Append(ctx, "user1", "INBOX", []byte(raw)); err != nil {
			return nil, err
		}
		delivered := time.Now()
		for {
			var n int
			if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE message_key = $1`, id).Scan(&n); err != nil {
				return nil, err
			}
			if n == 1 {
				break
			}
			if time.Since(delivered) > 30*time.Second {
				return nil, fmt.Errorf("message %d not stored 30 s after its delivery", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(delivered))
	}
	slices.Sort(lat)
	return lat, nil
}

// result is what a memory child reports.
type result struct {
	Idle                              int
	RSSBefore, RSSAfter               int64
	HeapBefore, HeapAfter             int64
	GoroutinesBefore, GoroutinesAfter int
}

func runChild(ctx context.Context, n int, heapDir string) (result, error) {
	args := []string{childCommand, "-n", strconv.Itoa(n)}
	if heapDir != "" {
		if err := os.MkdirAll(heapDir, 0o755); err != nil {
			return result{}, err
		}
		args = append(args, "-heapprofile", filepath.Join(heapDir, fmt.Sprintf("heap-%d.pprof", n)))
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, err
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, errors.Join(fmt.Errorf("child output %q", out), err)
	}
	return r, nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	return sorted[min(len(sorted)-1, (len(sorted)*p+99)/100-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func kb(b int64) float64 { return float64(b) / 1000 }
