package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/reconcile"
)

// failoverBound is the failover bound docs/operations.md states: a dead
// worker's mailboxes are synced by a survivor within a minute (lease 30 s
// + rescue tick 10 s + pick-up), here including the rest of their import.
const failoverBound = 60 * time.Second

// TestWorkerKilledMidImport runs three `mailsync worker` processes on one
// PostgreSQL, each through its own TCP proxy. In the middle of the first
// imports it kills with SIGKILL the worker holding the most mailboxes and
// cuts another from PostgreSQL (its proxy drops every connection and
// refuses new ones). It checks that the survivor resumes their mailboxes
// from their cursors and finishes every mailbox within the bound, that no
// mailbox shows importing while nobody imports it, and, once the cut
// worker is reconnected, that every message was imported exactly once
// (reconcile clean).
func TestWorkerKilledMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three workers for about a minute")
	}
	// Each mailbox takes three batches (the provider's 500 messages each):
	// a mailbox is "mid-import" (status importing, items stored, lease
	// held) only between its first commit and its last, and with a single
	// batch that window was a few milliseconds once a lone batch stopped
	// running LinkUnlinked and RepairThreads after its commit.
	const mailboxes, perMailbox = 12, 1100
	bin := buildBinary(t)
	var users []string
	for i := 1; i <= mailboxes; i++ {
		users = append(users, fmt.Sprintf("user%02d", i))
	}
	dove := dovecottest.Start(t, dovecottest.Options{Users: users})
	e := newCLIEnv(t, database.Postgres)
	e.ok(nil, "member", "add", "--email", "ops@ourco.example", "--name", "Ops")
	for i, u := range users {
		mbox := filepath.Join(t.TempDir(), u+".mbox")
		f, err := os.Create(mbox)
		if err != nil {
			t.Fatal(err)
		}
		owner := u + "@ourco.example"
		if _, err := mailgen.WriteMboxEach(f, mailgen.Options{N: perMailbox, Seed: uint64(100 + i), Owner: owner}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := dove.ImportMbox(context.Background(), u, "INBOX", mbox); err != nil {
			t.Fatal(err)
		}
		e.ok(nil, "account", "add", "imap", "--member", "ops@ourco.example", "--host", "127.0.0.1",
			"--port", strconv.Itoa(dove.Port()), "--security", "none", "--username", u, "--handle", owner,
			"--password-file", writeFile(t, dovecottest.Password))
	}
	db, err := database.OpenNoMigrate(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	workers := map[int]*exec.Cmd{}
	proxies := map[int]*cutProxy{}
	for i := 0; i < 3; i++ {
		proxy := startCutProxy(t, "127.0.0.1:5432")
		cmd := exec.Command(bin, "--db", strings.Replace(e.dsn, "127.0.0.1:5432", proxy.addr(), 1), "worker", "--workers", "2")
		cmd.Env = append(os.Environ(), "MAILSYNC_SECRET_KEY_FILE="+e.env["MAILSYNC_SECRET_KEY_FILE"], netguard.EnvAllowPrivate+"=1")
		logf, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("worker%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers[cmd.Process.Pid], proxies[cmd.Process.Pid] = cmd, proxy
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			logf.Close()
			if t.Failed() {
				out, _ := os.ReadFile(logf.Name())
				t.Logf("worker %d log (last 3000 bytes):\n%s", i, out[max(0, len(out)-3000):])
			}
		})
	}

	// Wait for two workers in the middle of importing mailboxes: kill one,
	// cut the other from the database.
	victim, cut, held := waitMidImport(t, db, workers)
	killedAt := time.Now()
	workers[victim].Process.Kill() // SIGKILL: no deferred code, no lease released
	proxies[cut].cut(true)
	workers[victim].Wait()
	t.Logf("killed worker %d and cut worker %d from PostgreSQL, holding %d mailboxes mid-import", victim, cut, len(held))

	// Each abandoned mailbox is taken over by a survivor within the bound,
	// and no mailbox shows importing without a live lease meanwhile.
	resumed := map[string]time.Duration{}
	for {
		for channel := range held {
			if _, ok := resumed[channel]; ok {
				continue
			}
			var owner string
			db.QueryRow(`SELECT lease_owner FROM channels WHERE id = $1`, channel).Scan(&owner)
			if owner != "" && !strings.Contains(owner, ":"+strconv.Itoa(victim)+":") && !strings.Contains(owner, ":"+strconv.Itoa(cut)+":") {
				resumed[channel] = time.Since(killedAt)
			}
			var done int
			db.QueryRow(`SELECT COUNT(*) FROM channels WHERE id = $1 AND status = 'active'`, channel).Scan(&done)
			if done == 1 {
				if _, ok := resumed[channel]; !ok {
					resumed[channel] = time.Since(killedAt)
				}
			}
		}
		listed := time.Now()
		var rows []struct{ ID, Status string }
		e.ok(&rows, "account", "list", "--json")
		for _, r := range rows {
			if r.Status != "importing" {
				continue
			}
			// Importing is right while someone holds the lease; a dead
			// worker's lease that had expired before the list was read, still
			// not taken over, means nobody imports the mailbox. (A sync that
			// ended meanwhile released its lease: owner empty.)
			var until int64
			var status, owner string
			if err := db.QueryRow(`SELECT status, lease_owner, lease_until FROM channels WHERE account_id = $1`, r.ID).
				Scan(&status, &owner, &until); err != nil {
				t.Fatal(err)
			}
			if status == "importing" && owner != "" && until < listed.Add(-time.Second).UnixMilli() {
				t.Fatalf("account list shows %s importing, its lease expired %v before", r.ID, listed.Sub(time.UnixMilli(until)))
			}
		}
		active := count(t, db, `SELECT COUNT(*) FROM channels WHERE status = 'active'`)
		if active == mailboxes && len(resumed) == len(held) {
			break
		}
		if time.Since(killedAt) > failoverBound {
			t.Fatalf("%d of %d mailboxes active, %d of %d abandoned ones resumed %v after the kill (bound %v)",
				active, mailboxes, len(resumed), len(held), time.Since(killedAt).Round(time.Second), failoverBound)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("every mailbox imported %v after the kill; abandoned mailboxes resumed after %v",
		time.Since(killedAt).Round(time.Millisecond), resumed)

	// The cut worker comes back: whatever it still had in flight is refused
	// (its lease is gone), and it takes jobs again.
	proxies[cut].cut(false)
	time.Sleep(5 * time.Second)

	// Exactly once: every message on the server recorded once, no message
	// stored twice, and reconcile finds nothing to say.
	if items, listed := count(t, db, `SELECT COUNT(*) FROM folder_items`),
		count(t, db, `SELECT COALESCE(SUM(listed), 0) FROM folders WHERE selected`); items != mailboxes*perMailbox || listed != items {
		t.Errorf("%d items recorded, %d listed, want %d", items, listed, mailboxes*perMailbox)
	}
	if dup := count(t, db, `SELECT COUNT(*) - COUNT(DISTINCT message_key) FROM messages`); dup != 0 {
		t.Errorf("%d messages stored twice", dup)
	}
	var reports []reconcile.Report
	e.ok(&reports, "reconcile", "--json")
	for _, r := range reports {
		if !r.OK {
			t.Errorf("reconcile %s: %+v", r.Handle, r)
		}
	}
}

// waitMidImport waits until two workers hold the leases of mailboxes whose
// first import has stored some messages but not all, and returns the one
// holding the most, another one, and the channels the two hold.
func waitMidImport(t *testing.T, db *database.DB, workers map[int]*exec.Cmd) (most, other int, held map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		rows, err := db.Query(`SELECT c.id, c.lease_owner FROM channels c
			WHERE c.lease_owner <> '' AND c.status = 'importing'
			AND EXISTS (SELECT 1 FROM folder_items i WHERE i.channel_id = c.id)`)
		if err != nil {
			t.Fatal(err)
		}
		byPid := map[int][]string{}
		for rows.Next() {
			var channel, owner string
			if err := rows.Scan(&channel, &owner); err != nil {
				t.Fatal(err)
			}
			if parts := strings.Split(owner, ":"); len(parts) == 3 {
				if pid, _ := strconv.Atoi(parts[1]); workers[pid] != nil {
					byPid[pid] = append(byPid[pid], channel)
				}
			}
		}
		rows.Close()
		if len(byPid) >= 2 {
			for pid, channels := range byPid {
				if most == 0 || len(channels) > len(byPid[most]) {
					most = pid
				}
			}
			for pid := range byPid {
				if pid != most {
					other = pid
				}
			}
			held = map[string]bool{}
			for _, c := range append(byPid[most], byPid[other]...) {
				held[c] = true
			}
			return most, other, held
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no two workers got mailboxes into their import")
	return 0, 0, nil
}

// cutProxy forwards TCP connections to a server until it is cut: then it
// drops every connection and refuses new ones, as a network cut would.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	isCut  bool
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go p.serve()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *cutProxy) forward(c net.Conn) {
	p.mu.Lock()
	refused := p.isCut
	p.mu.Unlock()
	if refused {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut drops every connection and refuses new ones (on), or lets
// connections through again (off).
func (p *cutProxy) cut(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = on
	if on {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}
