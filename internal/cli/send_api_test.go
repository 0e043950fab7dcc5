package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
)

// TestSendThroughProviderAPIs replies from a Gmail and a Microsoft
// mailbox (users.messages.send, /me/sendMail on the fakes): the reply is
// in the thread at once, the provider's Sent copy synced afterwards
// changes nothing, and the counts and reconciliation agree.
func TestSendThroughProviderAPIs(t *testing.T) {
	for _, provider := range []string{"gmail", "microsoft"} {
		t.Run(provider, func(t *testing.T) {
			e := newCLIEnv(t, database.SQLite)
			auth, mbox := oauthEnv(t, e, provider)
			mbox.deliver("inbox", rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Quote for Q3", "", time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)))
			e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
			var account struct{ ID string }
			e.ok(&account, "account", "add", provider, "--member", "user1@ourco.example", "--json",
				"--refresh-token-file", writeFile(t, auth.Grant()))
			e.ok(nil, "sync", "--once")
			var msgs []struct{ ID, MessageID, ThreadID, Direction string }
			e.ok(&msgs, "messages", "list", "--as", "user1@ourco.example", "--json")
			incoming := msgs[0]

			e.env["BODY"] = "Thanks, here it is."
			var res struct{ ID, MessageID, ThreadID string }
			e.ok(&res, "send", "--account", account.ID, "--as", "user1@ourco.example", "--to", "jane.doe@acme-corp.com",
				"--bcc", "boss@ourco.example", "--body-env", "BODY", "--reply-to", incoming.ID, "--json")
			sent := mbox.sent()
			if len(sent) != 1 || !strings.Contains(string(sent[0]), "In-Reply-To: <a1@acme-corp.com>") ||
				!strings.Contains(string(sent[0]), "Bcc: <boss@ourco.example>") {
				t.Fatalf("what the API took: %q", sent)
			}
			if res.ThreadID != incoming.ThreadID {
				t.Fatalf("reply thread %s, want %s", res.ThreadID, incoming.ThreadID)
			}
			once := func(when string) {
				t.Helper()
				e.ok(&msgs, "messages", "list", "--as", "user1@ourco.example", "--json")
				n := 0
				for _, m := range msgs {
					if m.MessageID == res.MessageID {
						n++
						if m.ID != res.ID || m.Direction != "outgoing" {
							t.Errorf("%s: %+v", when, m)
						}
					}
				}
				if n != 1 || len(msgs) != 2 {
					t.Fatalf("%s: %d messages, the reply %d times", when, len(msgs), n)
				}
			}
			once("at once")
			e.ok(nil, "sync", "--once")
			once("after a sync")
			var list []struct {
				Counts struct{ Listed, Imported int }
			}
			e.ok(&list, "account", "list", "--json")
			if c := list[0].Counts; c.Listed != 2 || c.Imported != 2 {
				t.Errorf("counts %+v, want 2 listed and imported", c)
			}
			var reports []struct{ OK bool }
			e.ok(&reports, "reconcile", "--json")
			if len(reports) != 1 || !reports[0].OK {
				t.Errorf("reconcile after a send: %+v", reports)
			}
		})
	}
}
