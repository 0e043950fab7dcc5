package cli

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/netguard"
)

// TestKilledImportResumes kills `mailsync sync --once` with SIGKILL in the
// middle of a first import, runs it again, and checks that the result is
// exactly that of an import never interrupted: every message on the
// server accounted for once, the same messages, people, companies and
// threads.
func TestKilledImportResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports 1,500 messages twice")
	}
	bin := buildBinary(t)
	dove := dovecottest.Start(t, dovecottest.Options{})
	mbox := filepath.Join(t.TempDir(), "corpus.mbox")
	f, _ := os.Create(mbox)
	const n = 1500
	if _, err := mailgen.WriteMboxEach(f, mailgen.Options{N: n, Seed: 11, Owner: "user1@ourco.example"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := dove.ImportMbox(context.Background(), "user1", "INBOX", mbox); err != nil {
		t.Fatal(err)
	}

	reference := importWith(t, bin, dove, newCLIEnv(t, database.SQLite), false)
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			got := importWith(t, bin, dove, newCLIEnv(t, kind), true)
			if got.items != n || got.listed != n {
				t.Fatalf("after resume %d items for %d listed, want %d", got.items, got.listed, n)
			}
			for name, pair := range map[string][2][]string{
				"messages": {reference.messages, got.messages}, "skipped": {reference.skipped, got.skipped},
				"people": {reference.people, got.people}, "companies": {reference.companies, got.companies},
			} {
				if !slices.Equal(pair[0], pair[1]) {
					t.Errorf("%s differ from an uninterrupted import: %d vs %d", name, len(pair[0]), len(pair[1]))
				}
			}
			if got.threads != reference.threads {
				t.Errorf("%d threads, uninterrupted import made %d", got.threads, reference.threads)
			}
		})
	}
}

// buildBinary builds mailsync for tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mailsync")
	build := exec.Command("go", "build", "-o", bin, "github.com/mailsync/mailsync/cmd/mailsync")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type importResult struct {
	messages, skipped, people, companies []string
	threads, items, listed               int
}

// importWith adds user1's mailbox and runs `sync --once`; with kill, it
// first kills a run halfway through, then runs again to completion.
func importWith(t *testing.T, bin string, dove *dovecottest.Server, e *cliEnv, kill bool) importResult {
	t.Helper()
	e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
	e.ok(nil, "account", "add", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
		"--port", strconv.Itoa(dove.Port()), "--security", "none", "--username", "user1", "--handle", "user1@ourco.example",
		"--password-file", writeFile(t, "pass"))
	db, err := database.OpenNoMigrate(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if kill {
		cmd := exec.Command(bin, "--db", e.dsn, "sync", "--once", "--batch-size", "25")
		cmd.Env = append(os.Environ(), "MAILSYNC_SECRET_KEY_FILE="+e.env["MAILSYNC_SECRET_KEY_FILE"], netguard.EnvAllowPrivate+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for count(t, db, `SELECT COUNT(*) FROM folder_items`) < 400 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("import never got going")
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Kill() // SIGKILL: no cleanup, no deferred code
		cmd.Wait()
		if c := count(t, db, `SELECT COUNT(*) FROM folder_items`); c >= 1500 {
			t.Fatalf("killed too late: %d items already stored", c)
		}
	}
	run := exec.Command(bin, "--db", e.dsn, "sync", "--once")
	run.Env = append(os.Environ(), "MAILSYNC_SECRET_KEY_FILE="+e.env["MAILSYNC_SECRET_KEY_FILE"], netguard.EnvAllowPrivate+"=1")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("sync --once after kill: %v\n%s", err, out)
	}
	return importResult{
		messages:  queryStrings(t, db, `SELECT message_key FROM messages ORDER BY message_key`),
		skipped:   queryStrings(t, db, `SELECT message_key FROM folder_items WHERE status <> 'imported' ORDER BY message_key`),
		people:    queryStrings(t, db, `SELECT email FROM person_emails ORDER BY email`),
		companies: queryStrings(t, db, `SELECT domain FROM companies ORDER BY domain`),
		threads:   count(t, db, `SELECT COUNT(*) FROM threads`),
		items:     count(t, db, `SELECT COUNT(*) FROM folder_items`),
		listed:    count(t, db, `SELECT COALESCE(SUM(listed), 0) FROM folders WHERE selected`),
	}
}

func count(t *testing.T, db *database.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil && err != sql.ErrNoRows {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func queryStrings(t *testing.T, db *database.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}
