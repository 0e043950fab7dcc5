package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
)

// TestPauseAndAudit pauses a mailbox from the CLI: `sync --once` leaves
// it alone until it is resumed; every change is in `audit list` as made
// by the CLI, without the password.
func TestPauseAndAudit(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) { testPauseAndAudit(t, kind) })
	}
}

type accountRow struct {
	ID, Status string
	Counts     struct{ Imported int }
}

func (e *rulesEnv) account(id string) accountRow {
	e.t.Helper()
	var rows []accountRow
	e.must(&rows, "account", "list", "--json")
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	e.t.Fatalf("no account %s", id)
	return accountRow{}
}

// run runs a command and returns its exit code and stderr.
func (e *rulesEnv) run(args ...string) (int, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] }}
	code := app.Run(context.Background(), append([]string{"--db", e.dsn}, args...))
	return code, errb.String()
}

func testPauseAndAudit(t *testing.T, kind database.Kind) {
	e := newRulesEnv(t, kind)
	id := e.addAccount("user1")
	e.deliver("user1", "INBOX", msg("pause-1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "user1@ourco.example"))

	e.must(nil, "account", "pause", id)
	if a := e.account(id); a.Status != "paused" {
		t.Fatalf("status after pause: %s", a.Status)
	}
	// Every mailbox: the paused one is skipped, and that is no failure.
	code, stderr := e.run("sync", "--once")
	if code != 0 || !strings.Contains(stderr, "paused, not synced") {
		t.Fatalf("sync --once with a paused mailbox: exit %d\n%s", code, stderr)
	}
	// That mailbox by name: an error that says how to resume.
	code, stderr = e.run("sync", "--once", "--account", id)
	if code == 0 || !strings.Contains(stderr, "account resume "+id) {
		t.Fatalf("sync --once --account of a paused mailbox: exit %d\n%s", code, stderr)
	}
	if a := e.account(id); a.Status != "paused" || a.Counts.Imported != 0 {
		t.Fatalf("paused mailbox was synced: %+v", a)
	}

	e.must(nil, "account", "resume", id)
	if a := e.account(id); a.Status != "not_synced" {
		t.Fatalf("status after resume: %s", a.Status)
	}
	e.must(nil, "sync", "--once")
	if a := e.account(id); a.Status != "active" || a.Counts.Imported != 1 {
		t.Fatalf("resumed mailbox not synced: %+v", a)
	}
	e.must(nil, "account", "set", id, "--visibility", "metadata")
	e.must(nil, "blocklist", "add", "--member", "user1@ourco.example", "@spam.test")

	var log struct {
		Total   int
		Entries []struct {
			Actor, IP, Action, TargetID string
			Details                     map[string]any
		}
	}
	e.must(&log, "audit", "list", "--json")
	want := []string{"blocklist.add", "account.update", "account.resume", "account.pause", "account.add", "member.add"}
	if log.Total != len(want) || len(log.Entries) != len(want) {
		t.Fatalf("audit log: %+v", log)
	}
	for i, entry := range log.Entries {
		if entry.Action != want[i] || entry.Actor != "cli" || entry.IP != "cli" {
			t.Errorf("entry %d: %+v, want %s by cli", i, entry, want[i])
		}
	}
	if v := log.Entries[1].Details["visibility"]; v != "metadata" || log.Entries[1].TargetID != id {
		t.Errorf("settings entry: %+v", log.Entries[1])
	}
	var out bytes.Buffer
	app := &App{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return e.env[k] }}
	app.Run(context.Background(), []string{"--db", e.dsn, "audit", "list", "--json"})
	if strings.Contains(out.String(), dovecottest.Password) {
		t.Error("the audit log holds the mailbox password")
	}
}
