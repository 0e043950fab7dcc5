package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// TestRekey rotates the secret key: every stored secret opens with the new
// key afterwards and no longer with the old one; a second run changes
// nothing; a wrong old key changes nothing at all.
func TestRekey(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			e := newCLIEnv(t, kind)
			oldFile := e.env["MAILSYNC_SECRET_KEY_FILE"]
			newFile, wrongFile := writeFile(t, secrets.NewKey()), writeFile(t, secrets.NewKey())
			oldBox, _ := secrets.LoadFile(oldFile)
			newBox, _ := secrets.LoadFile(newFile)
			e.ok(nil, "member", "add", "--email", "alex@ourco.example", "--name", "Alex")

			db, err := database.Open(ctx, e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			st := store.New(db)
			ids, err := st.WorkspaceIDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m, err := st.MemberByEmail(ctx, ids[0], "alex@ourco.example")
			if err != nil {
				t.Fatal(err)
			}
			plain := map[string]string{}
			add := func(i int, box *secrets.Box) {
				secret := fmt.Sprintf("password-%d", i)
				a, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: m.WorkspaceID, MemberID: m.ID, Provider: "imap",
					Handle: fmt.Sprintf("alex%d@ourco.example", i), Host: "imap.test", Port: 993, Security: "tls",
					Username: "alex", SecretEnc: box.Seal(secret)})
				if err != nil {
					t.Fatal(err)
				}
				plain[a.ID] = secret
			}
			for i := range 3 {
				add(i, oldBox)
			}
			opensWith := func(box *secrets.Box) int {
				n := 0
				for id, want := range plain {
					a, err := st.Account(ctx, m.WorkspaceID, id)
					if err != nil {
						t.Fatal(err)
					}
					if got, err := box.Open(a.Secret); err == nil && got == want {
						n++
					}
				}
				return n
			}

			var got map[string]int
			e.ok(&got, "--secret-key-file", newFile, "rekey", "--old-key-file", oldFile, "--json")
			if got["resealed"] != 3 || got["alreadyCurrent"] != 0 || opensWith(newBox) != 3 || opensWith(oldBox) != 0 {
				t.Fatalf("rekey: %v; %d open with the new key, %d with the old", got, opensWith(newBox), opensWith(oldBox))
			}
			e.ok(&got, "--secret-key-file", newFile, "rekey", "--old-key-file", oldFile, "--json")
			if got["resealed"] != 0 || got["alreadyCurrent"] != 3 {
				t.Fatalf("second rekey: %v", got)
			}

			// One secret still under the old key, and a wrong --old-key-file:
			// refused, and the transaction leaves everything as it was.
			add(9, oldBox)
			code, _, errOut := e.run("--secret-key-file", newFile, "rekey", "--old-key-file", wrongFile)
			if code == 0 || !strings.Contains(errOut, "nothing changed") || !strings.Contains(errOut, "--old-key-file") {
				t.Fatalf("rekey with a wrong old key: exit %d, %s", code, errOut)
			}
			if opensWith(newBox) != 3 || opensWith(oldBox) != 1 {
				t.Fatalf("a failed rekey changed secrets: %d new, %d old", opensWith(newBox), opensWith(oldBox))
			}
		})
	}
}
