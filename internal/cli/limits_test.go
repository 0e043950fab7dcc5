package cli

import (
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/mailgen"
)

// TestWhyNamesTheLimit syncs hostile mail with `sync --once` (which
// succeeds: a message over a limit fails alone) and asks `why` about it:
// the decision, rule "limit" and what was left out, as docs/rules.md says.
func TestWhyNamesTheLimit(t *testing.T) {
	e := newRulesEnv(t, database.SQLite)
	account := e.addAccount("user1")
	e.deliver("user1", "INBOX", string(mailgen.HugeField("field@x", 5_000_000)),
		string(mailgen.NestedMultipart("nested@x", 50)), string(mailgen.Base64Text("long@x", 3_000_000)),
		msg("plain@x", "jane@acme.example", "user1@ourco.example"))
	e.must(nil, "sync", "--once")
	for _, tt := range []struct{ id, decision, detail string }{
		{"field@x", "failed", "message over a limit: header block larger than 4 MiB"},
		{"nested@x", "imported", "MIME parts nested deeper than 16 levels: body not read"},
		{"long@x", "imported", "text cut at 1 MiB"},
		{"plain@x", "imported", ""},
	} {
		w := e.why(account, tt.id)
		wantRule := "limit"
		if tt.detail == "" {
			wantRule = ""
		}
		if w.Decision != tt.decision || w.Rule != wantRule || !strings.Contains(w.Detail, tt.detail) {
			t.Errorf("why %s: %s, rule %q, detail %q; want %s, rule %q, detail with %q",
				tt.id, w.Decision, w.Rule, w.Detail, tt.decision, wantRule, tt.detail)
		}
	}
}
