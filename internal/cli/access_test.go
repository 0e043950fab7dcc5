package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
)

// TestAccessCommands: request → grant → the thread is open to the
// requester only → revoke → withheld again, through the CLI on both
// databases; a member who owns no mailbox holding the thread cannot
// decide, and one who reads it in full cannot ask.
func TestAccessCommands(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e, accountID := syncedMailbox(t, kind, 3, rawMail("a1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Pricing", "", time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)))
			e.ok(nil, "account", "set", accountID, "--visibility", "metadata")
			var msgs []struct{ ThreadID string }
			e.ok(&msgs, "messages", "list", "--as", "user2@ourco.example", "--json")
			thread := msgs[0].ThreadID
			type threadJSON struct {
				Visibility string
				Subject    *string
				Messages   []struct{ Text *string }
			}
			read := func(who string) threadJSON {
				var v threadJSON
				e.ok(&v, "thread", thread, "--as", who, "--json")
				return v
			}

			if code, _, errOut := e.run("access", "request", "--thread", thread, "--as", "user1@ourco.example"); code != 1 ||
				!strings.Contains(errOut, "already reads") {
				t.Fatalf("the owner requesting: exit %d %q", code, errOut)
			}
			var req struct{ ID, Status string }
			e.ok(&req, "access", "request", "--thread", thread, "--as", "user2@ourco.example", "--note", "renewal", "--json")
			if req.ID == "" || req.Status != "pending" {
				t.Fatalf("request: %+v", req)
			}
			var list []struct {
				ID, ThreadID, Requester, Status, CreatedAt string
				DecidedBy                                  *string
			}
			e.ok(&list, "access", "list", "--as", "user1@ourco.example", "--json")
			if len(list) != 1 || list[0].Requester != "user2@ourco.example" || list[0].DecidedBy != nil || list[0].CreatedAt == "" {
				t.Fatalf("owner's list: %+v", list)
			}
			if code, _, errOut := e.run("access", "grant", req.ID, "--as", "user3@ourco.example"); code != 1 || !strings.Contains(errOut, "only the owner") {
				t.Fatalf("a non-owner granting: exit %d %q", code, errOut)
			}
			if v := read("user2@ourco.example"); v.Visibility != "metadata" || v.Subject != nil {
				t.Fatalf("a refused grant changed something: %+v", v)
			}
			e.ok(nil, "access", "grant", req.ID, "--as", "user1@ourco.example")
			if v := read("user2@ourco.example"); v.Visibility != "everything" || v.Messages[0].Text == nil {
				t.Fatalf("after the grant: %+v", v)
			}
			if v := read("user3@ourco.example"); v.Visibility != "metadata" {
				t.Fatalf("the grant opened the thread to user3: %+v", v)
			}
			var rows []struct{ Text *string }
			e.ok(&rows, "messages", "list", "--as", "user2@ourco.example", "--json")
			if rows[0].Text == nil {
				t.Fatal("messages list ignores the grant")
			}
			e.ok(&list, "access", "list", "--as", "user2@ourco.example", "--json")
			if list[0].Status != "granted" || list[0].DecidedBy == nil || *list[0].DecidedBy != "user1@ourco.example" {
				t.Fatalf("requester's list: %+v", list)
			}
			e.ok(nil, "access", "revoke", req.ID, "--as", "user1@ourco.example")
			if v := read("user2@ourco.example"); v.Visibility != "metadata" || v.Messages[0].Text != nil {
				t.Fatalf("after the revoke: %+v", v)
			}
			if code, _, _ := e.run("access", "grant", req.ID, "--as", "user1@ourco.example"); code != 1 {
				t.Fatalf("granting a revoked request: exit %d", code)
			}
		})
	}
}
