package rules

import (
	"reflect"
	"testing"

	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/store"
)

func TestFactsRoundTrip(t *testing.T) {
	m := policy.Message{
		Participants: []policy.Participant{{Role: "from", Email: "jane@acme.example"}, {Role: "to", Email: ""},
			{Role: "cc", Email: "user1@ourco.example"}},
		ListID: "<l.acme.example>", Precedence: "bulk",
	}
	got, err := DecodeFacts(EncodeFacts(m))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, m)
	}
	if _, err := DecodeFacts("{not json"); err == nil {
		t.Fatal("corrupt facts decoded without error")
	}
}

func TestDecide(t *testing.T) {
	mb := policy.Mailbox{Handle: "user1@ourco.example", ExcludeGroup: true, Blocklist: []string{"@spam.example"}}
	facts := func(from string, headers ...string) string {
		m := policy.Message{Participants: []policy.Participant{{Role: "from", Email: from}, {Role: "to", Email: "user1@ourco.example"}}}
		if len(headers) > 0 {
			m.ListID = headers[0]
		}
		return EncodeFacts(m)
	}
	item := func(status, rule, f string) store.RuleItem {
		return store.RuleItem{FolderID: "f", UID: "7", Status: status, Rule: rule, Detail: "old", Facts: f, MessageID: "m1"}
	}
	tests := []struct {
		name    string
		it      store.RuleItem
		changed bool
		want    store.ItemChange
	}{
		{"imported, still allowed", item("imported", "", facts("jane@acme.example")), false, store.ItemChange{}},
		{"imported, now blocked", item("imported", "", facts("deals@eu.spam.example")), true,
			store.ItemChange{Skip: true, Rule: "blocklist", Detail: "participant deals@eu.spam.example (from) matches blocklist entry @spam.example"}},
		{"imported, now bulk", item("imported", "", facts("jane@acme.example", "<l>")), true,
			store.ItemChange{Skip: true, Rule: "bulk", Detail: "bulk mail: List-Id header present"}},
		{"skipped, no rule keeps it out", item("skipped", "blocklist", facts("jane@acme.example")), true,
			store.ItemChange{Rule: "blocklist", Detail: "old", Refetch: true}},
		{"skipped, another rule now", item("skipped", "blocklist", facts("noreply@acme.example")), true,
			store.ItemChange{Rule: "group-sender", Detail: "sender noreply@acme.example is a group or no-reply address"}},
		{"skipped, same rule and detail", store.RuleItem{Status: "skipped", Rule: "bulk", Detail: "bulk mail: List-Id header present",
			Facts: facts("jane@acme.example", "<l>")}, false, store.ItemChange{}},
		{"skipped without facts", item("skipped", "internal", ""), true, store.ItemChange{Rule: "internal", Detail: "old", Refetch: true}},
		{"skipped without facts, already marked", store.RuleItem{Status: "skipped", Rule: "internal", Refetch: true}, false, store.ItemChange{}},
		{"failed to parse: not a rule", item("skipped", "parse", facts("jane@acme.example")), false, store.ItemChange{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := decide(mb, tc.it, nil)
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v (%+v)", changed, tc.changed, got)
			}
			if !changed {
				return
			}
			tc.want.FolderID, tc.want.UID = tc.it.FolderID, tc.it.UID
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// An imported item stored before facts existed is re-decided from its
	// stored participants.
	legacy := store.RuleItem{FolderID: "f", UID: "1", Status: "imported", MessageID: "m1"}
	parts := map[string][]store.NewParticipant{"m1": {{Role: "from", Email: "x@spam.example"}}}
	if c, changed := decide(mb, legacy, parts); !changed || !c.Skip || c.Rule != "blocklist" {
		t.Fatalf("legacy item: %+v, %v; want skipped by the blocklist", c, changed)
	}
}
