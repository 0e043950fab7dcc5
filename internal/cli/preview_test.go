package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/preview"
)

// TestAccountPreviewStoresNothing previews a Dovecot mailbox: the real
// rules decide, and afterwards the database holds no account, contact,
// message or event more than before.
func TestAccountPreviewStoresNothing(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e := newCLIEnv(t, kind)
			dove := dovecottest.Start(t, dovecottest.Options{})
			ctx := context.Background()
			day := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
			for _, m := range []struct {
				folder string
				raw    []byte
			}{
				{"Sent", rawMail("q1@ourco.example", "User One <user1@ourco.example>", "Jane Doe <jane.doe@acme-corp.com>", "Quote", "", day)},
				{"INBOX", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "user1@ourco.example", "Re: Quote", "q1@ourco.example", day.Add(time.Hour))},
				{"INBOX", rawMail("g1@gmail.com", "Sam Lee <sam.lee@gmail.com>", "user1@ourco.example", "Hi", "", day.Add(90*time.Minute))},
				{"INBOX", rawMail("n1@news.example", "News <newsletter@news.example>", "user1@ourco.example", "Digest", "", day.Add(2*time.Hour))},
			} {
				if err := dove.Append(ctx, "user1", m.folder, m.raw); err != nil {
					t.Fatal(err)
				}
			}
			e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
			args := []string{"account", "preview", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
				"--port", itoa(dove.Port()), "--security", "none", "--username", "user1", "--handle", "user1@ourco.example",
				"--password-file", writeFile(t, "pass"), "--json"}
			var res preview.Result
			e.ok(&res, args...)
			got := fmt.Sprintf("%d %d %v %v %v", res.Listed, res.WouldImport, res.WouldSkip, res.WouldCreate.People, res.WouldCreate.Companies)
			want := "4 3 map[group-sender:1] [{jane.doe@acme-corp.com Jane Doe}] [{acme-corp.com Acme Corp}]"
			if got != want {
				t.Fatalf("preview\n got %s\nwant %s", got, want)
			}
			var limited preview.Result
			e.ok(&limited, append(args, "--limit", "2")...)
			if limited.Listed != 2 || limited.WouldSkip["group-sender"] != 1 || limited.WouldImport != 1 || len(limited.WouldCreate.People) != 0 {
				t.Errorf("--limit 2 (the two newest: the digest and Sam's mail): %+v", limited)
			}
			// Nothing was stored.
			for _, cmd := range [][]string{{"account", "list"}, {"people", "list"}, {"companies", "list"}} {
				var rows []any
				e.ok(&rows, append(cmd, "--json")...)
				if len(rows) != 0 {
					t.Errorf("%v after preview: %v", cmd, rows)
				}
			}
			var feed struct{ Events []any }
			e.ok(&feed, "events", "list", "--json")
			if len(feed.Events) != 0 {
				t.Errorf("preview emitted events: %v", feed.Events)
			}
			// A person who exists already is linked, not created.
			e.ok(nil, "people", "add", "--email", "jane.doe@acme-corp.com")
			e.ok(&res, args...)
			if len(res.WouldCreate.People) != 0 {
				t.Errorf("existing person in wouldCreate: %+v", res.WouldCreate)
			}
			// A wrong password says so, and saves nothing.
			bad := append([]string{}, args...)
			bad[len(bad)-2] = writeFile(t, "wrong")
			if code, _, errOut := e.run(bad...); code == 0 || !strings.Contains(errOut, "wrong username or password") {
				t.Errorf("wrong password: exit %d %s", code, errOut)
			}
		})
	}
}

// TestAccountPreviewOAuth previews Gmail and Microsoft 365 mailboxes
// through the fakes of their APIs: the same rules, nothing stored.
func TestAccountPreviewOAuth(t *testing.T) {
	for _, provider := range []string{"gmail", "microsoft"} {
		t.Run(provider, func(t *testing.T) {
			e := newCLIEnv(t, database.SQLite)
			auth, mbox := oauthEnv(t, e, provider)
			day := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
			mbox.deliver("sent", rawMail("q1@ourco.example", "User One <user1@ourco.example>",
				"Jane Doe <jane.doe@acme-corp.com>", "Quote for Q3", "", day))
			mbox.deliver("inbox", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Re: Quote for Q3", "q1@ourco.example", day.Add(time.Hour)))
			mbox.deliver("inbox", rawMail("n1@news.example", "News <newsletter@news.example>",
				"user1@ourco.example", "Weekly digest", "", day.Add(2*time.Hour)))
			e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
			var res preview.Result
			e.ok(&res, "account", "preview", provider, "--member", "user1@ourco.example",
				"--refresh-token-file", writeFile(t, auth.Grant()), "--json")
			got := fmt.Sprintf("%d %d %v %v %v", res.Listed, res.WouldImport, res.WouldSkip, res.WouldCreate.People, res.WouldCreate.Companies)
			if want := "3 2 map[group-sender:1] [{jane.doe@acme-corp.com Jane Doe}] [{acme-corp.com Acme Corp}]"; got != want {
				t.Fatalf("preview\n got %s\nwant %s", got, want)
			}
			var rows []any
			e.ok(&rows, "account", "list", "--json")
			var feed struct{ Events []any }
			e.ok(&feed, "events", "list", "--json")
			if len(rows) != 0 || len(feed.Events) != 0 {
				t.Fatalf("preview stored %d accounts, %d events", len(rows), len(feed.Events))
			}
			if code, _, errOut := e.run("account", "preview", provider, "--member", "user1@ourco.example",
				"--refresh-token-file", writeFile(t, "rt-never-issued")); code == 0 || !strings.Contains(errOut, "revoked or has expired") {
				t.Fatalf("invalid grant: exit %d %s", code, errOut)
			}
		})
	}
}
