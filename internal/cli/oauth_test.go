package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/gmailfake"
	"github.com/mailsync/mailsync/internal/graphfake"
	"github.com/mailsync/mailsync/internal/oauthfake"
)

// apiMailbox is a Gmail or Graph fake with a way to deliver mail.
type apiMailbox struct {
	provider string
	deliver  func(folder string, raw []byte)
	sent     func() [][]byte // what the provider's send endpoint took
}

// oauthEnv points mailsync's variables at local fakes of the provider's
// token endpoint and API, both serving user1@ourco.example.
func oauthEnv(t *testing.T, e *cliEnv, provider string) (*oauthfake.Server, apiMailbox) {
	auth := oauthfake.Start(t, "client-"+provider, "secret-"+provider)
	switch provider {
	case "gmail":
		api := gmailfake.Start(t, "user1@ourco.example")
		api.Authorize = auth.Valid
		e.env["MAILSYNC_GOOGLE_CLIENT_ID"], e.env["MAILSYNC_GOOGLE_CLIENT_SECRET"] = auth.ClientID, auth.ClientSecret
		e.env["MAILSYNC_GOOGLE_AUTH_URL"], e.env["MAILSYNC_GOOGLE_TOKEN_URL"] = auth.AuthURL(), auth.TokenURL()
		e.env["MAILSYNC_GMAIL_API_URL"] = api.URL()
		return auth, apiMailbox{provider, func(folder string, raw []byte) {
			label := "INBOX"
			if folder == "sent" {
				label = "SENT"
			}
			api.Add(raw, label)
		}, api.Sent}
	default:
		auth.Rotate = true // Microsoft issues a new refresh token at every refresh
		api := graphfake.Start(t, "user1@ourco.example")
		api.Authorize = auth.Valid
		e.env["MAILSYNC_MICROSOFT_CLIENT_ID"], e.env["MAILSYNC_MICROSOFT_CLIENT_SECRET"] = auth.ClientID, auth.ClientSecret
		e.env["MAILSYNC_MICROSOFT_AUTH_URL"], e.env["MAILSYNC_MICROSOFT_TOKEN_URL"] = auth.AuthURL(), auth.TokenURL()
		e.env["MAILSYNC_GRAPH_API_URL"] = api.URL()
		return auth, apiMailbox{provider, func(folder string, raw []byte) {
			name := "inbox"
			if folder == "sent" {
				name = "sentitems"
			}
			api.Add(name, raw)
		}, api.Sent}
	}
}

// TestOAuthAccountLifecycle walks a Gmail and a Microsoft mailbox through
// the CLI as an operator would: a refused grant saves nothing, a good one
// is added under the profile's address and imported, a revoked grant
// puts the mailbox in failed_auth, and a new grant resumes it without
// importing anything twice.
func TestOAuthAccountLifecycle(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		for _, provider := range []string{"gmail", "microsoft"} {
			t.Run(string(kind)+"/"+provider, func(t *testing.T) {
				e := newCLIEnv(t, kind)
				auth, mbox := oauthEnv(t, e, provider)
				day := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
				mbox.deliver("sent", rawMail("q1@ourco.example", "User One <user1@ourco.example>",
					"Jane Doe <jane.doe@acme-corp.com>", "Quote for Q3", "", day))
				mbox.deliver("inbox", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
					"user1@ourco.example", "Re: Quote for Q3", "q1@ourco.example", day.Add(time.Hour)))
				mbox.deliver("inbox", rawMail("n1@news.example", "News <newsletter@news.example>",
					"user1@ourco.example", "Weekly digest", "", day.Add(2*time.Hour)))
				e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")

				add := []string{"account", "add", provider, "--member", "user1@ourco.example", "--json"}
				code, _, errOut := e.run(append(add, "--refresh-token-file", writeFile(t, "rt-never-issued"))...)
				if code == 0 || !strings.Contains(errOut, "revoked or has expired") || !strings.Contains(errOut, "Nothing was saved") {
					t.Fatalf("invalid grant: exit %d, %q", code, errOut)
				}
				if code, _, errOut := e.run(add...); code != 2 || !strings.Contains(errOut, "--refresh-token-file") {
					t.Fatalf("no token: exit %d, %q", code, errOut)
				}
				var list []struct {
					ID, Provider, Handle, Status, LastError string
					Counts                                  struct{ Listed, Imported, Skipped, Failed int }
				}
				e.ok(&list, "account", "list", "--json")
				if len(list) != 0 {
					t.Fatalf("refused grants saved %d accounts", len(list))
				}

				var account struct{ ID string }
				e.ok(&account, append(add, "--refresh-token-file", writeFile(t, auth.Grant()))...)
				e.ok(nil, "sync", "--once")
				e.ok(&list, "account", "list", "--json")
				a := list[0]
				if len(list) != 1 || a.ID != account.ID || a.Provider != provider || a.Handle != "user1@ourco.example" || a.Status != "active" {
					t.Fatalf("after sync: %+v", list)
				}
				if c := a.Counts; c.Listed != 3 || c.Imported != 2 || c.Skipped != 1 || c.Failed != 0 {
					t.Fatalf("counts %+v, want 3 listed = 2 imported + 1 skipped (the newsletter)", c)
				}
				var why struct{ Decision, Rule string }
				e.ok(&why, "why", "--account", account.ID, "--message-id", "n1@news.example", "--json")
				if why.Decision != "skipped" || why.Rule != "group-sender" {
					t.Fatalf("why newsletter: %+v", why)
				}
				var people []struct{ PrimaryEmail string }
				e.ok(&people, "people", "list", "--json")
				if len(people) != 1 || people[0].PrimaryEmail != "jane.doe@acme-corp.com" {
					t.Fatalf("people %+v, want Jane (recipient of sent mail)", people)
				}
				var reports []struct{ OK bool }
				e.ok(&reports, "reconcile", "--json")
				if len(reports) != 1 || !reports[0].OK {
					t.Fatalf("reconcile: %+v", reports)
				}

				// The user revokes mailsync's access at the provider.
				auth.Revoke()
				mbox.deliver("inbox", rawMail("a2@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
					"user1@ourco.example", "Re: Quote for Q3", "a1@acme-corp.com", day.Add(3*time.Hour)))
				if code, _, errOut := e.run("sync", "--once"); code == 0 {
					t.Fatalf("sync with a revoked grant succeeded: %s", errOut)
				}
				e.ok(&list, "account", "list", "--json")
				if list[0].Status != "failed_auth" || !strings.Contains(list[0].LastError, "revoked") {
					t.Fatalf("after revocation: %+v", list[0])
				}

				// Reconnecting (a new grant for the same address) resumes.
				var again struct{ ID string }
				e.ok(&again, append(add, "--refresh-token-file", writeFile(t, auth.Grant()))...)
				if again.ID != account.ID {
					t.Fatalf("reconnect made account %s, want the same %s", again.ID, account.ID)
				}
				if _, out, _ := e.run("audit", "list", "--json"); !strings.Contains(out, "account.credentials") ||
					!strings.Contains(out, "account.add") || strings.Contains(out, "rt-") {
					t.Fatalf("audit log lacks the add and the reconnect, or holds a token:\n%s", out)
				}
				e.ok(nil, "sync", "--once")
				e.ok(&list, "account", "list", "--json")
				if c := list[0].Counts; list[0].Status != "active" || c.Listed != 4 || c.Imported != 3 || c.Skipped != 1 {
					t.Fatalf("after reconnect: %+v", list[0])
				}
				var threads struct {
					Total   int
					Threads []struct{ MessageCount int }
				}
				personID := ""
				var ppl []struct{ ID string }
				e.ok(&ppl, "people", "list", "--json")
				personID = ppl[0].ID
				e.ok(&threads, "threads", "--person", personID, "--as", "user1@ourco.example", "--json")
				if threads.Total != 1 || threads.Threads[0].MessageCount != 3 {
					t.Fatalf("threads %+v, want one thread of 3 messages, none twice", threads)
				}
			})
		}
	}
}
