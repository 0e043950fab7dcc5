package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/mailgen"
)

// TestKilledAPIImportResumes is TestKilledImportResumes for Gmail and
// Microsoft mailboxes: `sync --once` is killed with SIGKILL in the middle
// of the first import, run again, and every message on the server ends up
// recorded once, none stored twice.
func TestKilledAPIImportResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports through the API fakes")
	}
	bin := buildBinary(t)
	// Gmail's quota (250 units/s, 5 per message) paces the import at
	// about 50 messages/s: 300 messages leave time to kill it halfway.
	const n = 300
	mails := mailgen.Generate(mailgen.Options{N: n, Seed: 5, Owner: "user1@ourco.example"})
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		for _, provider := range []string{"gmail", "microsoft"} {
			t.Run(string(kind)+"/"+provider, func(t *testing.T) {
				e := newCLIEnv(t, kind)
				auth, mbox := oauthEnv(t, e, provider)
				for _, m := range mails {
					folder := "inbox"
					if m.Folder == "Sent" {
						folder = "sent"
					}
					mbox.deliver(folder, m.Raw)
				}
				e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
				e.ok(nil, "account", "add", provider, "--member", "user1@ourco.example", "--refresh-token-file", writeFile(t, auth.Grant()))
				db, err := database.OpenNoMigrate(context.Background(), e.dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				env := os.Environ()
				for k, v := range e.env {
					env = append(env, k+"="+v)
				}
				cmd := exec.Command(bin, "--db", e.dsn, "sync", "--once", "--batch-size", "20")
				cmd.Env = env
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(60 * time.Second)
				for count(t, db, `SELECT COUNT(*) FROM folder_items`) < 60 {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatal("import never got going")
					}
					time.Sleep(5 * time.Millisecond)
				}
				cmd.Process.Kill() // SIGKILL: no cleanup, no deferred code
				cmd.Wait()
				if c := count(t, db, `SELECT COUNT(*) FROM folder_items`); c >= n {
					t.Fatalf("killed too late: %d items already stored", c)
				}
				run := exec.Command(bin, "--db", e.dsn, "sync", "--once")
				run.Env = env
				if out, err := run.CombinedOutput(); err != nil {
					t.Fatalf("sync --once after kill: %v\n%s", err, out)
				}
				items := count(t, db, `SELECT COUNT(*) FROM folder_items`)
				listed := count(t, db, `SELECT COALESCE(SUM(listed), 0) FROM folders WHERE selected`)
				imported := count(t, db, `SELECT COUNT(DISTINCT message_id) FROM folder_items WHERE status = 'imported'`)
				messages := count(t, db, `SELECT COUNT(*) FROM messages`)
				keys := count(t, db, `SELECT COUNT(DISTINCT message_key) FROM messages`)
				if items != n || listed != n || messages != imported || messages != keys || messages == 0 {
					t.Fatalf("after resume: %d items, %d listed (want %d each); %d messages, %d imported items, %d keys",
						items, listed, n, messages, imported, keys)
				}
				var list []struct{ Status string }
				e.ok(&list, "account", "list", "--json")
				if len(list) != 1 || !strings.EqualFold(list[0].Status, "active") {
					t.Fatalf("account after resume: %+v", list)
				}
			})
		}
	}
}
