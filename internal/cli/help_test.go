package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runIn runs mailsync against a database path that must stay untouched.
func runIn(t *testing.T, dbPath string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := app.Run(context.Background(), append([]string{"--db", "sqlite:" + dbPath}, args...))
	return code, out.String(), errb.String()
}

// TestHelpListsEveryCommandAndFlag checks that `mailsync --help` names every
// command, subcommand and flag, and that asking for help runs nothing (no
// database is created).
func TestHelpListsEveryCommandAndFlag(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "never.db")
	code, out, errOut := runIn(t, dbPath, "--help")
	if code != 0 || strings.Contains(errOut, "help requested") {
		t.Fatalf("--help: exit %d, stderr %q", code, errOut)
	}
	for _, c := range commands() {
		if len(c.subs) == 0 && !strings.Contains(out, "mailsync "+c.name+" ") {
			t.Errorf("--help does not describe %q", c.name)
		}
		for _, s := range c.subs {
			if !strings.Contains(out, "mailsync "+c.name+" "+s.name+" ") {
				t.Errorf("--help does not describe %q %q", c.name, s.name)
			}
		}
	}
	for _, want := range []string{"--member EMAIL", "--password-file FILE", "--visibility VISIBILITY",
		"--once", "--serve", "--repair", "--message-id", "--db DSN", "--json"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("help created or touched the database: %v", err)
	}
}

func TestHelpForOneCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "never.db")
	tests := []struct {
		args       []string
		want, omit []string
	}{
		{[]string{"help", "account"}, []string{"account add imap", "--host HOST", "account set ID", "account resume ID"}, []string{"people list"}},
		{[]string{"account", "--help"}, []string{"account add gmail", "--refresh-token-file FILE"}, []string{"threads"}},
		{[]string{"account", "set", "--help"}, []string{"--auto-create", "--exclude-group"}, []string{"--host"}},
		{[]string{"account", "set", "ID1", "-h"}, []string{"--folders"}, []string{"account list"}},
		{[]string{"help", "account", "add"}, []string{"account add imap", "account add microsoft"}, []string{"account set"}},
		{[]string{"sync", "--help"}, []string{"--once", "--account ID"}, []string{"--repair"}},
		{[]string{"help", "thread"}, []string{"mailsync thread ID", "--as EMAIL"}, nil},
		{[]string{"people", "merge", "--help"}, []string{"KEEP_ID OTHER_ID"}, []string{"people list"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runIn(t, dbPath, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.omit {
				if strings.Contains(out, w) {
					t.Errorf("should not show %q:\n%s", w, out)
				}
			}
		})
	}
	if code, _, errOut := runIn(t, dbPath, "help", "nosuch"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("help nosuch: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runIn(t, dbPath, "help", "account", "frobnicate"); code != 2 || !strings.Contains(errOut, "no account command") {
		t.Errorf("help account frobnicate: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("help created the database: %v", err)
	}
}
