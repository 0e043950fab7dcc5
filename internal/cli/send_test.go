package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/smtptest"
)

// TestSendAndReply sends through a real SMTP server with a Sent copy in a
// real Dovecot: the message is in its thread at once, a sync stores it
// no second time, a reply threads under the incoming message, an
// attachment comes back byte for byte, and failures send and store
// nothing — on both databases.
func TestSendAndReply(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e, accountID := syncedMailbox(t, kind, 2, rawMail("q1@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>",
				"user1@ourco.example", "Quote for Q3", "", time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)))
			smtp := smtptest.Start(t, "user1", "pass")
			e.ok(nil, "account", "set", accountID, "--smtp-host", "127.0.0.1", "--smtp-port", itoa(smtp.Port()), "--smtp-security", "none")

			type msgJSON struct {
				ID, MessageID, ThreadID, Direction string
				Subject                            *string
				Attachments                        []struct{ Filename string }
			}
			list := func() []msgJSON {
				var out []msgJSON
				e.ok(&out, "messages", "list", "--as", "user1@ourco.example", "--json")
				return out
			}
			incoming := list()[0]
			dir := t.TempDir()
			body := filepath.Join(dir, "body.txt")
			os.WriteFile(body, []byte("Here is the signed quote.\n"), 0o600)
			pdf := filepath.Join(dir, "quote.pdf")
			pdfBytes := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 255}, 5000)...)
			os.WriteFile(pdf, pdfBytes, 0o600)

			// Another member may not send from user1's mailbox.
			code, _, errOut := e.run("send", "--account", accountID, "--as", "user2@ourco.example", "--to", "jane.doe@acme-corp.com", "--body-file", body)
			if code != 1 || !strings.Contains(errOut, "only the owner") || len(smtp.Messages()) != 0 {
				t.Fatalf("a colleague sending: exit %d %q, %d sent", code, errOut, len(smtp.Messages()))
			}

			var res struct{ ID, MessageID, ThreadID string }
			e.ok(&res, "send", "--account", accountID, "--as", "user1@ourco.example", "--to", "Jane Doe <jane.doe@acme-corp.com>",
				"--bcc", "boss@ourco.example", "--body-file", body, "--attach", pdf, "--reply-to", incoming.ID, "--json")
			if res.ThreadID != incoming.ThreadID || res.ID == "" {
				t.Fatalf("the reply is not in the thread: %+v, incoming %+v", res, incoming)
			}
			sent := smtp.Messages()
			if len(sent) != 1 || strings.Join(sent[0].To, ",") != "jane.doe@acme-corp.com,boss@ourco.example" {
				t.Fatalf("envelope: %+v", sent)
			}
			raw := string(sent[0].Data)
			for _, want := range []string{"In-Reply-To: <q1@acme-corp.com>", "References: <q1@acme-corp.com>",
				"Subject: Re: Quote for Q3", "Message-ID: <" + res.MessageID + ">", "Date: "} {
				if !strings.Contains(raw, want) {
					t.Errorf("sent message lacks %q", want)
				}
			}
			if strings.Contains(raw, "boss@") {
				t.Error("the bcc recipient is in the headers")
			}

			check := func(when string) {
				t.Helper()
				n := 0
				for _, m := range list() {
					if m.MessageID == res.MessageID {
						n++
						if m.Direction != "outgoing" || m.ID != res.ID || len(m.Attachments) != 1 {
							t.Errorf("%s: stored as %+v", when, m)
						}
					}
				}
				if n != 1 {
					t.Fatalf("%s: the sent message is stored %d times", when, n)
				}
				var th struct{ Messages []msgJSON }
				e.ok(&th, "thread", res.ThreadID, "--as", "user1@ourco.example", "--json")
				if len(th.Messages) != 2 || *th.Messages[1].Subject != "Re: Quote for Q3" {
					t.Fatalf("%s: thread %+v", when, th.Messages)
				}
			}
			check("at once")
			e.ok(nil, "sync", "--once")
			check("after a sync")
			e.ok(nil, "sync", "--once")
			check("after a second sync")
			var accounts []struct {
				Counts struct{ Listed, Imported, Skipped, Failed int }
			}
			e.ok(&accounts, "account", "list", "--json")
			if c := accounts[0].Counts; c.Listed != 2 || c.Imported != 2 {
				t.Errorf("counts after the Sent copy was synced: %+v", c)
			}
			out := filepath.Join(dir, "back.pdf")
			e.ok(nil, "attachment", "get", res.ID, "0", "--as", "user1@ourco.example", "-o", out)
			if got, _ := os.ReadFile(out); !bytes.Equal(got, pdfBytes) {
				t.Fatalf("attachment back: %d bytes, want %d", len(got), len(pdfBytes))
			}

			// A refused recipient: an error saying so, nothing stored.
			smtp.RefuseRcpt = "nobody@acme-corp.com"
			before := len(list())
			code, _, errOut = e.run("send", "--account", accountID, "--as", "user1@ourco.example", "--to", "nobody@acme-corp.com",
				"--subject", "Hello", "--body-file", body)
			if code != 1 || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, "nobody@acme-corp.com") {
				t.Fatalf("refused recipient: exit %d %q", code, errOut)
			}
			if len(list()) != before {
				t.Fatal("a failed send stored a message")
			}
		})
	}
}
