package ingest_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/faultproxy"
	"github.com/mailsync/mailsync/internal/imapsync"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/reconcile"
	"github.com/mailsync/mailsync/internal/store"
)

// faultCorpus is the mailbox the fault tests import: user1's generated
// mail in INBOX and Sent, on a Dovecot of their own.
const faultCorpus = 300

func faultDovecot(t *testing.T) *dovecottest.Server {
	t.Helper()
	dove := dovecottest.Start(t, dovecottest.Options{})
	byFolder := map[string][][]byte{}
	for _, m := range mailgen.Generate(mailgen.Options{N: faultCorpus, Seed: 23, Owner: "user1@ourco.example"}) {
		byFolder[m.Folder] = append(byFolder[m.Folder], m.Raw)
	}
	for folder, raws := range byFolder {
		if err := dove.Append(context.Background(), "user1", folder, raws...); err != nil {
			t.Fatal(err)
		}
	}
	return dove
}

func snapshot(t *testing.T, db *database.DB) ingesttest.Imported {
	t.Helper()
	s, err := ingesttest.Snapshot(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Items) != faultCorpus {
		t.Errorf("%d folder items for %d messages on the server", len(s.Items), faultCorpus)
	}
	return s
}

// same fails the test unless got is what an uninterrupted import left.
func same(t *testing.T, want, got ingesttest.Imported) {
	t.Helper()
	if d := want.Diff(got); d != "" {
		t.Errorf("differs from an uninterrupted import: %s", d)
	}
}

// syncUntilDone syncs again after each failure, as the periodic job would,
// and returns how many syncs failed.
func syncUntilDone(t *testing.T, mb *ingesttest.Mailbox, attempts int) int {
	t.Helper()
	var first error
	for failed := 0; failed < attempts; failed++ {
		err := mb.Syncer.SyncAccount(context.Background(), mb.Account.ID)
		if err == nil {
			if failed > 0 {
				t.Logf("%d syncs failed before one went through; the first: %v", failed, first)
			}
			return failed
		}
		if first == nil {
			first = err
		}
	}
	t.Fatalf("still failing after %d syncs; the first: %v", attempts, first)
	return 0
}

// reconcileClean fails the test unless a reconciliation straight against
// the server (no fault in the way) finds nothing amiss.
func reconcileClean(t *testing.T, mb *ingesttest.Mailbox) {
	t.Helper()
	direct := *mb.Syncer
	direct.Connect = connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect
	rep, err := reconcile.Reconciler{Syncer: &direct}.Check(context.Background(), mb.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("reconcile: %+v", rep.Folders)
	}
}

// TestNetworkFaultsSurvived imports through a proxy that cuts the
// connection every 48 KB, stalls it past the read timeout, or resets it in
// the middle of a message literal: every import ends, after syncs that
// failed, exactly like an import that never saw a fault.
func TestNetworkFaultsSurvived(t *testing.T) {
	dove := faultDovecot(t)
	refDB := dbtest.Open(t, database.SQLite)
	ref := ingesttest.New(t, refDB, dove)
	syncUntilDone(t, ref, 1)
	want := snapshot(t, refDB)

	target := net.JoinHostPort(dove.Host(), strconv.Itoa(dove.Port()))
	tests := []struct {
		name string
		plan faultproxy.Plan
	}{
		{"cut every 48 KB", func(int) faultproxy.Fault { return faultproxy.Fault{CutAfter: 48 << 10} }},
		{"stall past the read timeout", func(n int) faultproxy.Fault {
			if n > 6 {
				return faultproxy.Fault{}
			}
			return faultproxy.Fault{StallAfter: 40 << 10, StallFor: 3 * time.Second}
		}},
		{"reset mid-literal", func(int) faultproxy.Fault { return faultproxy.Fault{ResetInLiteral: 15} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := faultproxy.Start(t, target, tt.plan)
			db := dbtest.Open(t, database.SQLite)
			mb := ingesttest.New(t, db, dove)
			mb.Syncer.BatchSize = 10
			mb.Syncer.Connect = func(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
				return imapsync.Dial(ctx, imapsync.Config{Host: proxy.Host(), Port: proxy.Port(), Security: "none",
					Username: a.Username, Password: secret, ReadTimeout: time.Second})
			}
			if failed := syncUntilDone(t, mb, 100); failed == 0 {
				t.Fatalf("no sync failed through %d connections: the fault never struck", proxy.Connections())
			}
			same(t, want, snapshot(t, db))
			reconcileClean(t, mb)
		})
	}
}

// TestPostgresRestartSurvived restarts PostgreSQL (immediate mode, as a
// crash would) in the middle of a first import: the sync fails, the next
// one resumes from the cursor, and the result is an uninterrupted import's.
func TestPostgresRestartSurvived(t *testing.T) {
	cluster := dbtest.StartCluster(t)
	dove := faultDovecot(t)
	refDB := dbtest.Open(t, database.SQLite)
	syncUntilDone(t, ingesttest.New(t, refDB, dove), 1)
	want := snapshot(t, refDB)

	db, err := database.Open(context.Background(), cluster.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mb := ingesttest.New(t, db, dove)
	mb.Syncer.BatchSize = 5
	done := make(chan error, 1)
	go func() { done <- mb.Syncer.SyncAccount(context.Background(), mb.Account.ID) }()
	waitItems(t, db, 30)
	if err := cluster.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the sync went through a PostgreSQL restart without noticing")
	} else {
		t.Logf("sync during the restart: %v", err)
	}
	syncUntilDone(t, mb, 5)
	same(t, want, snapshot(t, db))
	reconcileClean(t, mb)
}

// waitItems waits until the import stored at least n folder items.
func waitItems(t *testing.T, db *database.DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var c int
		db.QueryRow(`SELECT COUNT(*) FROM folder_items`).Scan(&c)
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import stored %d items in 30 s", c)
		}
	}
}

// TestSQLiteDiskFullSurvived imports into a SQLite file on a tmpfs shrunk
// to leave too little room for the mailbox: the sync fails saying the disk is full, and once
// there is room the next sync completes it exactly as an uninterrupted
// import would.
func TestSQLiteDiskFullSurvived(t *testing.T) {
	dir := smallDisk(t, "64m")
	dove := faultDovecot(t)
	refDB := dbtest.Open(t, database.SQLite)
	syncUntilDone(t, ingesttest.New(t, refDB, dove), 1)
	want := snapshot(t, refDB)

	db, err := database.Open(context.Background(), "sqlite:"+filepath.Join(dir, "mailsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mb := ingesttest.New(t, db, dove)
	// Room for the empty database as it is now (its schema grows with
	// every migration), and 256 KiB more: far less than the mailbox needs.
	resize(t, dir, usedBytes(t, dir)+256<<10)
	err = mb.Syncer.SyncAccount(context.Background(), mb.Account.ID)
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("sync on a full disk: %v, want an error saying so", err)
	}
	// The account's status may not be writable either (the disk is full):
	// the error above is what the operator sees, in the log and from
	// `sync --once`.
	t.Logf("sync on a full disk: %v", err)
	resize(t, dir, 64<<20)
	syncUntilDone(t, mb, 2)
	same(t, want, snapshot(t, db))
	reconcileClean(t, mb)
}

// usedBytes returns the bytes in use on the file system holding dir.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

// resize sets the size of the tmpfs mounted on dir.
func resize(t *testing.T, dir string, size int64) {
	t.Helper()
	opt := "remount,size=" + strconv.FormatInt(size/1024+1, 10) + "k"
	if out, err := exec.Command("mount", "-o", opt, dir).CombinedOutput(); err != nil {
		t.Fatalf("resize the tmpfs: %v\n%s", err, out)
	}
}

// smallDisk mounts a tmpfs of the given size on a new directory, unmounted
// when the test ends. Without root it skips the test, and fails it under CI.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailsync-full-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		os.Remove(dir)
		msg := "mounting a small tmpfs needs root: " + strings.TrimSpace(string(out))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
		os.Remove(dir)
	})
	return dir
}
