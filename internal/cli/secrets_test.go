package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/metrics"
	"github.com/mailsync/mailsync/internal/smtptest"
	"github.com/mailsync/mailsync/internal/store"
)

// Secrets the test plants; each appears in no other text.
const (
	imapPassword  = "Imap-Pw-7f3a9c51"
	wrongPassword = "Wrong-Guess-91be04"
	smtpPassword  = "Smtp-Pw-c02d77e1"
	wrongSMTP     = "Wrong-Smtp-5a6b"
)

// oauthToken matches the fake's access and refresh tokens.
var oauthToken = regexp.MustCompile(`\b(at|rt)-[A-Za-z0-9_-]{24}\b`)

// TestNoSecretsInLogs runs an import, a refused IMAP login, a refused SMTP
// AUTH and an OAuth refresh with logging at debug level, then searches the
// logs, the metrics and everything the commands printed for a password,
// a token or the secret key.
func TestNoSecretsInLogs(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e := newCLIEnv(t, kind)
			var shown, logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			run := func(args ...string) int {
				t.Helper()
				var out, errb bytes.Buffer
				app := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] }, Log: log}
				code := app.Run(context.Background(), append([]string{"--db", e.dsn}, args...))
				shown.Write(out.Bytes())
				shown.Write(errb.Bytes())
				return code
			}
			mustRun := func(args ...string) {
				t.Helper()
				if code := run(args...); code != 0 {
					t.Fatalf("mailsync %s: exit %d\n%s", strings.Join(args, " "), code, shown.String())
				}
			}
			key, err := os.ReadFile(e.env["MAILSYNC_SECRET_KEY_FILE"])
			if err != nil {
				t.Fatal(err)
			}

			dove := dovecottest.Start(t, dovecottest.Options{Users: []string{"user1"}, Password: imapPassword})
			day := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
			if err := dove.Append(context.Background(), "user1", "INBOX", rawMail("q1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Quote for Q3", "", day)); err != nil {
				t.Fatal(err)
			}
			mustRun("member", "add", "--email", "user1@ourco.example", "--name", "User One")
			imap := []string{"account", "add", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
				"--port", itoa(dove.Port()), "--security", "none", "--username", "user1", "--handle", "user1@ourco.example", "--json"}
			// A refused login, then the import.
			if code := run(append(imap, "--password-file", writeFile(t, wrongPassword))...); code == 0 {
				t.Fatal("a wrong IMAP password was accepted")
			}
			mustRun(append(imap, "--password-file", writeFile(t, imapPassword))...)
			mustRun("sync", "--once")

			// A refused SMTP AUTH.
			smtp := smtptest.Start(t, "user1", smtpPassword)
			var accounts []struct{ ID string }
			var out bytes.Buffer
			app := &App{Stdout: &out, Stderr: io.Discard, Getenv: func(k string) string { return e.env[k] }, Log: log}
			app.Run(context.Background(), []string{"--db", e.dsn, "account", "list", "--json"})
			if err := json.Unmarshal(out.Bytes(), &accounts); err != nil || len(accounts) != 1 {
				t.Fatalf("account list: %v %s", err, out.String())
			}
			mustRun("account", "set", accounts[0].ID, "--smtp-host", "127.0.0.1", "--smtp-port", itoa(smtp.Port()),
				"--smtp-security", "none", "--smtp-username", "user1", "--smtp-password-file", writeFile(t, wrongSMTP))
			if code := run("send", "--account", accounts[0].ID, "--as", "user1@ourco.example", "--to", "jane.doe@acme-corp.com",
				"--subject", "Hello", "--body-file", writeFile(t, "Hello Jane")); code == 0 || len(smtp.Messages()) != 0 {
				t.Fatal("a wrong SMTP password was accepted")
			}

			// An OAuth mailbox, synced, then its access token expires: a refresh.
			auth, mbox := oauthEnv(t, e, "gmail")
			mbox.deliver("inbox", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Re: Quote for Q3", "q1@acme-corp.com", day.Add(time.Hour)))
			mustRun("member", "add", "--email", "user2@ourco.example", "--name", "User Two")
			grant := auth.Grant()
			mustRun("account", "add", "gmail", "--member", "user2@ourco.example", "--refresh-token-file", writeFile(t, grant), "--handle", "user1@ourco.example")
			mustRun("sync", "--once")
			refreshes := auth.Refreshes()
			auth.ExpireAccessTokens()
			mbox.deliver("inbox", rawMail("a2@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Re: Re: Quote for Q3", "a1@acme-corp.com", day.Add(2*time.Hour)))
			mustRun("sync", "--once")
			if auth.Refreshes() <= refreshes {
				t.Fatal("no OAuth refresh happened")
			}

			// The metrics, as /metrics serves them.
			db, err := database.Open(context.Background(), e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rec := httptest.NewRecorder()
			metrics.New(store.New(db)).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))

			secrets := []string{imapPassword, wrongPassword, smtpPassword, wrongSMTP, grant, auth.ClientSecret,
				strings.TrimSpace(strings.TrimPrefix(string(key), "mailsync-key-v1:"))}
			secrets = append(secrets, auth.LiveRefreshTokens()...)
			for where, text := range map[string]string{"logs": logs.String(), "output": shown.String(), "metrics": rec.Body.String()} {
				if text == "" && where != "output" {
					t.Errorf("no %s at all: the test sees nothing", where)
				}
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("the %s hold the secret %q", where, s)
					}
				}
				if m := oauthToken.FindString(text); m != "" {
					t.Errorf("the %s hold an OAuth token %q", where, m)
				}
			}
			t.Logf("searched %d log lines, %d bytes of output, %d bytes of metrics",
				strings.Count(logs.String(), "\n"), shown.Len(), rec.Body.Len())
		})
	}
}
