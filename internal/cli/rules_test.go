package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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

// rulesEnv runs commands in-process against one database and one Dovecot.
type rulesEnv struct {
	t    *testing.T
	dsn  string
	env  map[string]string
	dove *dovecottest.Server
}

func newRulesEnv(t *testing.T, kind database.Kind) *rulesEnv {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte(secrets.NewKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte(dovecottest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &rulesEnv{t: t, dsn: dbtest.NewDSN(t, kind), env: map[string]string{"MAILSYNC_SECRET_KEY_FILE": key, "PW": pw, netguard.EnvAllowPrivate: "1"},
		dove: dovecottest.Start(t, dovecottest.Options{})}
	return e
}

// must runs a command that must succeed and decodes its JSON output into v.
func (e *rulesEnv) must(v any, args ...string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] }}
	if code := app.Run(context.Background(), append([]string{"--db", e.dsn}, args...)); code != 0 {
		e.t.Fatalf("mailsync %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	if v != nil {
		if err := json.Unmarshal(out.Bytes(), v); err != nil {
			e.t.Fatalf("mailsync %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

func (e *rulesEnv) addAccount(user string) string {
	e.t.Helper()
	e.must(nil, "member", "add", "--email", user+"@ourco.example", "--name", user)
	var a struct{ ID string }
	e.must(&a, "account", "add", "imap", "--member", user+"@ourco.example", "--host", "127.0.0.1",
		"--port", strconv.Itoa(e.dove.Port()), "--security", "none", "--username", user,
		"--handle", user+"@ourco.example", "--password-file", e.env["PW"], "--json")
	return a.ID
}

func (e *rulesEnv) deliver(user, folder string, raws ...string) {
	e.t.Helper()
	for _, raw := range raws {
		if err := e.dove.Append(context.Background(), user, folder, []byte(raw)); err != nil {
			e.t.Fatal(err)
		}
	}
}

type whyContact struct{ Email, Outcome, Reason string }

type whyAnswer struct {
	MessageID, Decision, Rule, Detail string
	Contacts                          []whyContact
}

func (e *rulesEnv) why(account, msgID string) whyAnswer {
	e.t.Helper()
	var w whyAnswer
	e.must(&w, "why", "--account", account, "--message-id", "<"+msgID+">", "--json")
	return w
}

var rulesClock = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func msg(id, from, to string, extra ...string) string {
	rulesClock = rulesClock.Add(time.Hour)
	h := "From: " + from + "\r\nTo: " + to + "\r\nSubject: About " + id + "\r\nDate: " + rulesClock.Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + id + ">\r\n"
	for _, x := range extra {
		h += x + "\r\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
}

// TestWhyAndRuleCommands drives `why`, `blocklist`, `account set` and the
// people edits through the CLI, on both databases.
func TestWhyAndRuleCommands(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) { testWhyAndRuleCommands(t, kind) })
	}
}

func testWhyAndRuleCommands(t *testing.T, kind database.Kind) {
	{
		e := newRulesEnv(t, kind)
		u1, u2 := e.addAccount("user1"), e.addAccount("user2")
		shared := msg("deal@spam.example", "Deals <deals@spam.example>", "user1@ourco.example, user2@ourco.example")
		e.deliver("user1", "INBOX",
			msg("in@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "user1@ourco.example"),
			msg("noreply@shop.example", "Shop <noreply@shop.example>", "user1@ourco.example"),
			msg("list@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "user1@ourco.example", "List-Id: <team.acme-corp.com>"),
			msg("memo@ourco.example", "Boss <boss@ourco.example>", "user1@ourco.example"),
			"garbage before the header\r\nMessage-ID: <broken@acme-corp.com>\r\n\r\nbody\r\n",
			shared)
		e.deliver("user2", "INBOX", shared)
		e.deliver("user1", "Sent", msg("out@ourco.example", "User One <user1@ourco.example>",
			"Peter Gibbons <peter@initech.co.uk>, support@initech.co.uk, Bob <bob@gmail.com>"))
		e.must(nil, "sync", "--once")

		for _, tc := range []struct {
			id   string
			want whyAnswer
		}{
			{"out@ourco.example", whyAnswer{MessageID: "out@ourco.example", Decision: "imported", Contacts: []whyContact{
				{"bob@gmail.com", "not-created", "personal-provider"},
				{"peter@initech.co.uk", "created", ""},
				{"support@initech.co.uk", "not-created", "impersonal"},
				{"user1@ourco.example", "not-created", "self"},
			}}},
			{"in@acme-corp.com", whyAnswer{MessageID: "in@acme-corp.com", Decision: "imported", Contacts: []whyContact{
				{"jane.doe@acme-corp.com", "not-created", "policy"},
				{"user1@ourco.example", "not-created", "self"},
			}}},
			{"noreply@shop.example", whyAnswer{MessageID: "noreply@shop.example", Decision: "skipped", Rule: "group-sender",
				Detail: "sender noreply@shop.example is a group or no-reply address", Contacts: []whyContact{}}},
			{"list@acme-corp.com", whyAnswer{MessageID: "list@acme-corp.com", Decision: "skipped", Rule: "bulk",
				Detail: "bulk mail: List-Id header present", Contacts: []whyContact{}}},
			{"memo@ourco.example", whyAnswer{MessageID: "memo@ourco.example", Decision: "skipped", Rule: "internal",
				Detail: "every participant is on ourco.example", Contacts: []whyContact{}}},
			{"broken@acme-corp.com", whyAnswer{MessageID: "broken@acme-corp.com", Decision: "failed", Rule: "parse",
				Detail: "mime: parse: no header block: first line is not a header field", Contacts: []whyContact{}}},
		} {
			if got := e.why(u1, tc.id); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("why <%s>:\n got %+v\nwant %+v", tc.id, got, tc.want)
			}
		}

		// Blocking removes past mail from user1's mailbox; user2's copy stays.
		var res struct {
			Removed, Deleted, Refetch int
			Pending, Resync           []string
		}
		e.must(&res, "blocklist", "add", "--member", "user1@ourco.example", "@Spam.example", "--json")
		if res.Removed != 1 || res.Deleted != 0 {
			t.Fatalf("blocklist add: %+v, want 1 removed, kept by user2", res)
		}
		got := e.why(u1, "deal@spam.example")
		want := whyAnswer{MessageID: "deal@spam.example", Decision: "skipped", Rule: "blocklist",
			Detail: "participant deals@spam.example (from) matches blocklist entry @spam.example", Contacts: []whyContact{}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("why after blocking:\n got %+v\nwant %+v", got, want)
		}
		if w := e.why(u2, "deal@spam.example"); w.Decision != "imported" {
			t.Fatalf("user2's copy: %+v", w)
		}
		e.must(&res, "blocklist", "remove", "--member", "user1@ourco.example", "@spam.example", "--json")
		if res.Refetch != 1 || !reflect.DeepEqual(res.Resync, []string{u1}) {
			t.Fatalf("blocklist remove: %+v", res)
		}
		e.must(nil, "sync", "--once", "--account", u1)
		if w := e.why(u1, "deal@spam.example"); w.Decision != "imported" {
			t.Fatalf("after unblocking and a sync: %+v", w)
		}

		// Exclude group emails off brings group mail back; on removes it.
		e.must(&res, "account", "set", u1, "--exclude-group", "false", "--json")
		if res.Refetch != 2 {
			t.Fatalf("exclude-group off: %+v, want 2 to refetch", res)
		}
		e.must(nil, "sync", "--once")
		if w := e.why(u1, "list@acme-corp.com"); w.Decision != "imported" {
			t.Fatalf("bulk mail after exclude-group off: %+v", w)
		}
		e.must(&res, "account", "set", u1, "--exclude-group", "true", "--json")
		if res.Removed != 2 || res.Deleted != 2 {
			t.Fatalf("exclude-group on: %+v, want 2 removed", res)
		}

		// People edits re-link past mail.
		var jane, jd struct{ ID string }
		e.must(&jane, "people", "add", "--email", "jane.doe@acme-corp.com", "--first", "Jane", "--json")
		e.must(&jd, "people", "add", "--email", "jd@acme-corp.com", "--json")
		var merged struct {
			ID               string
			AdditionalEmails []string
		}
		e.must(&merged, "people", "merge", jane.ID, jd.ID, "--json")
		if merged.ID != jane.ID || !reflect.DeepEqual(merged.AdditionalEmails, []string{"jd@acme-corp.com"}) {
			t.Fatalf("merge: %+v", merged)
		}
		e.must(&merged, "people", "add-email", jane.ID, "jane@gmail.com", "--json")
		if !reflect.DeepEqual(merged.AdditionalEmails, []string{"jane@gmail.com", "jd@acme-corp.com"}) {
			t.Fatalf("add-email: %+v", merged)
		}
		var people []struct{ ID string }
		e.must(&people, "people", "list", "--json")
		if len(people) != 2 { // peter and jane
			t.Fatalf("%d people after merge, want 2", len(people))
		}
	}
}
