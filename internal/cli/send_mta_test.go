package cli

import (
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/smtptest"
)

// TestSendThroughRealMTA submits through Dovecot's SMTP submission
// service (a real MTA front: AUTH against its users, relaying to a
// loopback SMTP server): a refused password is an error that sends
// nothing, the right one delivers the message with its envelope.
func TestSendThroughRealMTA(t *testing.T) {
	e := newCLIEnv(t, database.SQLite)
	relay := smtptest.Start(t, "", "")
	dove := dovecottest.Start(t, dovecottest.Options{SubmissionRelay: relay.Port()})
	e.ok(nil, "member", "add", "--email", "user1@ourco.example", "--name", "User One")
	var account struct{ ID string }
	e.ok(&account, "account", "add", "imap", "--member", "user1@ourco.example", "--host", "127.0.0.1",
		"--port", itoa(dove.Port()), "--security", "none", "--username", "user1", "--handle", "user1@ourco.example",
		"--password-file", writeFile(t, dove.Password("user1")), "--smtp-port", itoa(dove.SubmissionPort()),
		"--smtp-security", "none", "--smtp-username", "user1@ourco.example", // the relay takes AUTH= as a mailbox
		"--smtp-password-file", writeFile(t, "not-the-password"), "--json")
	e.env["BODY"] = "Hello through a real MTA."
	args := []string{"send", "--account", account.ID, "--as", "user1@ourco.example", "--to", "jane@acme-corp.example",
		"--cc", "sam@acme-corp.example", "--subject", "Via Dovecot", "--body-env", "BODY", "--json"}
	code, _, errOut := e.run(args...)
	if code != 1 || !strings.Contains(errOut, "refused the login") || len(relay.Messages()) != 0 {
		t.Fatalf("wrong SMTP password: exit %d %q, %d relayed", code, errOut, len(relay.Messages()))
	}
	e.ok(nil, "account", "set", account.ID, "--smtp-password-file", writeFile(t, dove.Password("user1")))
	var res struct{ ID, MessageID string }
	e.ok(&res, args...)
	got := relay.Messages()
	if len(got) != 1 || got[0].From != "user1@ourco.example" || strings.Join(got[0].To, ",") != "jane@acme-corp.example,sam@acme-corp.example" {
		t.Fatalf("relayed: %+v", got)
	}
	if raw := string(got[0].Data); !strings.Contains(raw, "Message-ID: <"+res.MessageID+">") || !strings.Contains(raw, "Subject: Via Dovecot") {
		t.Fatalf("relayed message:\n%s", raw)
	}
	e.ok(nil, "sync", "--once")
	var msgs []struct{ MessageID, Direction string }
	e.ok(&msgs, "messages", "list", "--as", "user1@ourco.example", "--json")
	if len(msgs) != 1 || msgs[0].MessageID != res.MessageID || msgs[0].Direction != "outgoing" {
		t.Fatalf("after the sync: %+v", msgs)
	}
}
