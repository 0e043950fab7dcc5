package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
)

// TestAttachmentGet syncs a real mailbox holding attachments and saves
// them with `attachment get`: the exact bytes, for a reader at everything
// only; below it the metadata is null and the command fails as for an
// unknown index.
func TestAttachmentGet(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			big := make([]byte, 700<<10) // spans several stored chunks
			rand.Read(big)
			files := []compose.File{
				{Name: "figures.bin", ContentType: "application/octet-stream", Data: big},
				{Name: `"><img src=x onerror=alert(1)>.html`, ContentType: "text/html", Data: []byte("<script>alert(1)</script>")},
			}
			raw, err := (&compose.Message{From: mail.Address{Name: "Jane", Address: "jane@acme-corp.com"},
				To: []mail.Address{{Address: "user1@ourco.example"}}, Subject: "Files", Text: "see attached",
				Files: files, MessageID: "files@acme-corp.com", Date: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			e, accountID := syncedMailbox(t, kind, 2, raw)

			type row struct {
				ID          string
				Attachments *[]struct {
					Index       int
					Filename    string
					ContentType string
					Size        int
				}
			}
			var rows []row
			e.ok(&rows, "messages", "list", "--as", "user2@ourco.example", "--json")
			if len(rows) != 1 || rows[0].Attachments == nil || len(*rows[0].Attachments) != 2 {
				t.Fatalf("messages list: %+v", rows)
			}
			got := *rows[0].Attachments
			if got[0].Index != 0 || got[0].Size != len(big) || got[1].Filename != files[1].Name || got[1].ContentType != "text/html" {
				t.Fatalf("attachments: %+v", got)
			}
			dir := t.TempDir()
			for i, f := range files {
				out := filepath.Join(dir, "out"+itoa(i))
				e.ok(nil, "attachment", "get", rows[0].ID, itoa(i), "--as", "user2@ourco.example", "-o", out)
				b, err := os.ReadFile(out)
				if err != nil || !bytes.Equal(b, f.Data) {
					t.Fatalf("attachment %d: %d bytes, want %d (%v)", i, len(b), len(f.Data), err)
				}
			}
			code, _, unknown := e.run("attachment", "get", rows[0].ID, "2", "--as", "user2@ourco.example", "-o", filepath.Join(dir, "x"))
			if code != 1 {
				t.Fatalf("unknown index: exit %d", code)
			}

			e.ok(nil, "account", "set", accountID, "--visibility", "subject")
			e.ok(&rows, "messages", "list", "--as", "user2@ourco.example", "--json")
			if rows[0].Attachments != nil {
				t.Fatalf("attachments shown below everything: %+v", *rows[0].Attachments)
			}
			code, _, withheld := e.run("attachment", "get", rows[0].ID, "0", "--as", "user2@ourco.example", "-o", filepath.Join(dir, "y"))
			if code != 1 || strings.Replace(withheld, " 0 ", " 2 ", 1) != unknown {
				t.Fatalf("withheld: exit %d %q, unknown said %q", code, withheld, unknown)
			}
			if _, err := os.Stat(filepath.Join(dir, "y")); err == nil {
				t.Fatal("a withheld attachment was written")
			}
			// The owner still reads it whatever the sharing level.
			e.ok(nil, "attachment", "get", rows[0].ID, "1", "--as", "user1@ourco.example", "-o", filepath.Join(dir, "own"))
		})
	}
}

// syncedMailbox starts Dovecot with raws in user1's INBOX, adds members
// user1@ourco.example … userN@ourco.example and user1's mailbox, syncs it,
// and returns the environment and the mailbox's id.
func syncedMailbox(t *testing.T, kind database.Kind, members int, raws ...[]byte) (*cliEnv, string) {
	t.Helper()
	e := newCLIEnv(t, kind)
	dove := dovecottest.Start(t, dovecottest.Options{})
	if err := dove.Append(context.Background(), "user1", "INBOX", raws...); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= members; i++ {
		e.ok(nil, "member", "add", "--email", "user"+itoa(i)+"@ourco.example", "--name", "User "+itoa(i))
	}
	var account struct{ ID string }
	e.ok(&account, "account", "add", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
		"--port", itoa(dove.Port()), "--security", "none", "--username", "user1", "--handle", "user1@ourco.example",
		"--password-file", writeFile(t, "pass"), "--json")
	e.ok(nil, "sync", "--once")
	return e, account.ID
}
