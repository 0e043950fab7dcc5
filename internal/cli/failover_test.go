package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/reconcile"
)

// failoverBound is the failover bound docs/operations.md states: a dead
// worker's mailboxes are synced by a survivor within a minute (lease 30 s
// + rescue tick 10 s + pick-up), here including the rest of their import.
const failoverBound = 60 * time.Second

// TestWorkerKilledMidImport runs three `mailsync worker` processes on one
// PostgreSQL, kills with SIGKILL the one holding the most mailboxes in the
// middle of their first import, and checks that the survivors resume
// those mailboxes from their cursors and finish every mailbox within the
// bound, each message imported exactly once (reconcile clean), and that no
// mailbox shows importing while nobody imports it.
func TestWorkerKilledMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three workers for about a minute")
	}
	const mailboxes, perMailbox = 12, 300
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
	for i := 0; i < 3; i++ {
		cmd := exec.Command(bin, "--db", e.dsn, "worker", "--workers", "2")
		cmd.Env = append(os.Environ(), "MAILSYNC_SECRET_KEY_FILE="+e.env["MAILSYNC_SECRET_KEY_FILE"])
		logf, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("worker%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers[cmd.Process.Pid] = cmd
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	}

	// Wait for a worker in the middle of importing mailboxes, and kill it.
	victim, held := waitMidImport(t, db, workers)
	killedAt := time.Now()
	workers[victim].Process.Kill() // SIGKILL: no deferred code, no lease released
	workers[victim].Wait()
	t.Logf("killed worker %d holding %d mailboxes mid-import", victim, len(held))

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
			if owner != "" && !strings.Contains(owner, ":"+strconv.Itoa(victim)+":") {
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
		if n := count(t, db, `SELECT COUNT(*) FROM channels WHERE status = 'importing' AND lease_until < `+
			strconv.FormatInt(time.Now().Add(-time.Second).UnixMilli(), 10)); n > 0 {
			var rows []struct{ Status string }
			e.ok(&rows, "account", "list", "--json")
			for _, r := range rows {
				if r.Status == "importing" {
					t.Fatalf("account list shows importing for a mailbox nobody imports")
				}
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

// waitMidImport waits until a worker holds the leases of mailboxes whose
// first import has stored some messages but not all, and returns it with
// the channels it holds.
func waitMidImport(t *testing.T, db *database.DB, workers map[int]*exec.Cmd) (int, map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		rows, err := db.Query(`SELECT c.id, c.lease_owner FROM channels c
			WHERE c.lease_owner <> '' AND c.status = 'importing'
			AND EXISTS (SELECT 1 FROM folder_items i WHERE i.channel_id = c.id)`)
		if err != nil {
			t.Fatal(err)
		}
		byPid := map[int]map[string]bool{}
		for rows.Next() {
			var channel, owner string
			if err := rows.Scan(&channel, &owner); err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(owner, ":")
			if len(parts) != 3 {
				continue
			}
			if pid, _ := strconv.Atoi(parts[1]); workers[pid] != nil {
				if byPid[pid] == nil {
					byPid[pid] = map[string]bool{}
				}
				byPid[pid][channel] = true
			}
		}
		rows.Close()
		for pid, held := range byPid {
			if len(held) >= 2 {
				return pid, held
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no worker got two mailboxes into their import")
	return 0, nil
}
