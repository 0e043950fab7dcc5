package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
)

// cliEnv runs mailsync commands in-process against one database.
type cliEnv struct {
	t   *testing.T
	dsn string
	env map[string]string
}

func newCLIEnv(t *testing.T, kind database.Kind) *cliEnv {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(secrets.NewKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, dsn: dbtest.NewDSN(t, kind), env: map[string]string{"MAILSYNC_SECRET_KEY_FILE": keyFile, netguard.EnvAllowPrivate: "1"}}
}

// run runs one command and returns its exit code, stdout and stderr.
func (e *cliEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] }}
	code := app.Run(context.Background(), append([]string{"--db", e.dsn}, args...))
	return code, out.String(), errb.String()
}

// ok runs a command that must succeed and decodes its JSON output into v.
func (e *cliEnv) ok(v any, args ...string) {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != 0 {
		e.t.Fatalf("mailsync %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			e.t.Fatalf("mailsync %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestContractScenario walks the contract's scenario: member add → account
// add imap → sync --once → people / companies / threads / thread /
// messages list, on both databases.
func TestContractScenario(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e := newCLIEnv(t, kind)
			dove := dovecottest.Start(t, dovecottest.Options{})
			ctx := context.Background()
			day := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
			err := dove.Append(ctx, "user1", "Sent", rawMail("q1@ourco.example", "User One <user1@ourco.example>",
				"Jane Doe <jane.doe@acme-corp.com>", "Quote for Q3", "", day))
			if err != nil {
				t.Fatal(err)
			}
			dove.Append(ctx, "user1", "INBOX", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Re: Quote for Q3", "q1@ourco.example", day.Add(time.Hour)))
			dove.Append(ctx, "user1", "INBOX", rawMail("n1@news.example", "News <newsletter@news.example>",
				"user1@ourco.example", "Weekly digest", "", day.Add(2*time.Hour)))

			var member struct{ ID string }
			e.ok(&member, "member", "add", "--email", "user1@ourco.example", "--name", "User One", "--json")
			e.ok(nil, "member", "add", "--email", "user2@ourco.example", "--name", "User Two")
			if member.ID == "" {
				t.Fatal("member add printed no id")
			}
			port := itoa(dove.Port())
			addArgs := []string{"account", "add", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
				"--port", port, "--security", "none", "--username", "user1", "--handle", "user1@ourco.example", "--json"}

			// A wrong password or an unreachable server is an error and saves nothing.
			code, _, errOut := e.run(append(addArgs, "--password-file", writeFile(t, "wrong"))...)
			if code == 0 || !strings.Contains(errOut, "wrong username or password") {
				t.Fatalf("wrong password: exit %d, %q", code, errOut)
			}
			bad := append([]string{}, addArgs...)
			bad[9] = "1"
			code, _, errOut = e.run(append(bad, "--password-file", writeFile(t, "pass"))...)
			if code == 0 || !strings.Contains(errOut, "cannot reach") {
				t.Fatalf("unreachable: exit %d, %q", code, errOut)
			}
			var accounts []struct {
				ID, Status string
				Counts     struct{ Listed, Imported, Skipped, Failed int }
			}
			e.ok(&accounts, "account", "list", "--json")
			if len(accounts) != 0 {
				t.Fatalf("failed adds saved %d accounts", len(accounts))
			}

			var account struct{ ID string }
			e.ok(&account, append(addArgs, "--password-file", writeFile(t, "pass"))...)
			e.ok(&accounts, "account", "list", "--json")
			if len(accounts) != 1 || accounts[0].Status != "not_synced" {
				t.Fatalf("after add: %+v", accounts)
			}

			e.ok(nil, "sync", "--once")
			checkSyncEvents(t, e, account.ID)
			var reports []struct {
				OK      bool
				Folders []struct {
					Folder   string
					OnServer int
					Missing  []string
				}
			}
			e.ok(&reports, "reconcile", "--json")
			if len(reports) != 1 || !reports[0].OK || len(reports[0].Folders) != 3 { // Archive, INBOX, Sent
				t.Fatalf("reconcile after sync: %+v", reports)
			}
			// A message that arrived since the sync: reported, exit 1; --repair fixes it.
			dove.Append(ctx, "user1", "INBOX", rawMail("late@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Late", "", day.Add(3*time.Hour)))
			if code, out, _ := e.run("reconcile"); code != 1 || !strings.Contains(out, "not recorded") {
				t.Fatalf("reconcile with a new message: exit %d\n%s", code, out)
			}
			e.ok(&reports, "reconcile", "--repair", "--json")
			if !reports[0].OK {
				t.Fatalf("reconcile --repair: %+v", reports)
			}
			dove.ExpungeMessageIDs(ctx, "user1", "INBOX", "late@acme-corp.com")
			e.ok(nil, "sync", "--once")
			e.ok(&accounts, "account", "list", "--json")
			c := accounts[0].Counts
			if accounts[0].Status != "active" || c.Listed != 3 || c.Imported != 2 || c.Skipped != 1 || c.Failed != 0 {
				t.Fatalf("after sync: %+v", accounts[0])
			}

			var people []struct {
				ID, FirstName, LastName, PrimaryEmail string
				CompanyID                             *string
			}
			e.ok(&people, "people", "list", "--json")
			if len(people) != 1 || people[0].PrimaryEmail != "jane.doe@acme-corp.com" || people[0].FirstName != "Jane" || people[0].CompanyID == nil {
				t.Fatalf("people: %+v", people)
			}
			var companies []struct{ ID, Name, Domain string }
			e.ok(&companies, "companies", "list", "--json")
			if len(companies) != 1 || companies[0].Domain != "acme-corp.com" || *people[0].CompanyID != companies[0].ID {
				t.Fatalf("companies: %+v", companies)
			}

			type threadsOut struct {
				Total   int
				Threads []struct {
					ID           string
					Subject      *string
					MessageCount int
					Visibility   string
				}
			}
			var threads threadsOut
			e.ok(&threads, "threads", "--company", companies[0].ID, "--as", "user1@ourco.example", "--json")
			if threads.Total != 1 || threads.Threads[0].MessageCount != 2 || threads.Threads[0].Subject == nil ||
				*threads.Threads[0].Subject != "Quote for Q3" {
				t.Fatalf("threads: %+v", threads)
			}
			var thread struct {
				Subject  *string
				Messages []struct {
					MessageID, Direction, Visibility string
					Subject, Text                    *string
					Participants                     []struct{ Role, Email string }
				}
			}
			e.ok(&thread, "thread", threads.Threads[0].ID, "--as", "user1@ourco.example", "--json")
			if len(thread.Messages) != 2 || thread.Messages[0].MessageID != "q1@ourco.example" ||
				thread.Messages[0].Direction != "outgoing" || thread.Messages[1].Direction != "incoming" ||
				thread.Messages[1].Text == nil || !strings.Contains(*thread.Messages[1].Text, "Hello") {
				t.Fatalf("thread: %+v", thread)
			}

			// A colleague sees what the mailbox shares, and no more.
			e.ok(nil, "account", "set", account.ID, "--visibility", "metadata")
			e.ok(&thread, "thread", threads.Threads[0].ID, "--as", "user2@ourco.example", "--json")
			if thread.Subject != nil || thread.Messages[0].Subject != nil || thread.Messages[0].Text != nil ||
				thread.Messages[0].Visibility != "metadata" || len(thread.Messages[0].Participants) == 0 {
				t.Fatalf("metadata-level thread leaks: %+v", thread)
			}
			e.ok(nil, "account", "set", account.ID, "--visibility", "subject")
			var msgs []struct {
				Subject, Text *string
				Visibility    string
			}
			e.ok(&msgs, "messages", "list", "--as", "user2@ourco.example", "--json")
			if len(msgs) != 2 || msgs[0].Subject == nil || msgs[0].Text != nil || msgs[0].Visibility != "subject" {
				t.Fatalf("subject-level messages: %+v", msgs)
			}

			// Invalid flags are usage errors that say what to fix.
			code, _, errOut = e.run("account", "set", account.ID, "--visibility", "public")
			if code != 2 || !strings.Contains(errOut, "metadata, subject or everything") {
				t.Fatalf("bad visibility: exit %d %q", code, errOut)
			}
			code, _, errOut = e.run("threads", "--as", "user1@ourco.example")
			if code != 2 || !strings.Contains(errOut, "--person") {
				t.Fatalf("threads without a record: exit %d %q", code, errOut)
			}
			code, _, errOut = e.run("thread", "no-such-thread", "--as", "user1@ourco.example")
			if code != 1 || !strings.Contains(errOut, "not found") {
				t.Fatalf("unknown thread: exit %d %q", code, errOut)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func rawMail(id, from, to, subject, inReplyTo string, date time.Time) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n")
	b.WriteString("Date: " + date.Format(time.RFC1123Z) + "\r\nMessage-ID: <" + id + ">\r\n")
	if inReplyTo != "" {
		b.WriteString("In-Reply-To: <" + inReplyTo + ">\r\nReferences: <" + inReplyTo + ">\r\n")
	}
	if strings.HasPrefix(from, "News") {
		b.WriteString("List-Unsubscribe: <mailto:unsubscribe@news.example>\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\nthanks for the figures.\r\n")
	return []byte(b.String())
}

// checkSyncEvents checks the feed after a first import: the mailbox's
// status changes, one message.created per stored message, in the mailbox's
// name, and the people the sync created.
func checkSyncEvents(t *testing.T, e *cliEnv, accountID string) {
	t.Helper()
	var feed struct {
		Events []struct {
			Type string
			Data map[string]any
		}
	}
	e.ok(&feed, "events", "list", "--limit", "1000", "--json")
	var msgs []struct{ ID string }
	e.ok(&msgs, "messages", "list", "--as", "user1@ourco.example", "--json")
	created, statuses, people := map[string]bool{}, []string{}, 0
	for _, ev := range feed.Events {
		switch ev.Type {
		case "message.created":
			if ev.Data["accountId"] != accountID || ev.Data["threadId"] == "" {
				t.Errorf("message.created: %v", ev.Data)
			}
			created[ev.Data["id"].(string)] = true
		case "account.status":
			statuses = append(statuses, ev.Data["status"].(string))
		case "person.created":
			people++
		}
	}
	if len(created) != len(msgs) || len(msgs) == 0 {
		t.Errorf("%d message.created events for %d stored messages", len(created), len(msgs))
	}
	for _, m := range msgs {
		if !created[m.ID] {
			t.Errorf("no message.created for %s", m.ID)
		}
	}
	if strings.Join(statuses, " ") != "not_synced importing active" || people == 0 {
		t.Errorf("statuses %v, %d people created", statuses, people)
	}
}
