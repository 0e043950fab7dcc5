package visibility

import (
	"testing"

	"github.com/mailsync/mailsync/internal/store"
)

func TestFor(t *testing.T) {
	tests := []struct {
		name    string
		viewer  string
		holders []Holder
		want    string
	}{
		{"own mailbox at metadata still shows everything", "alice", []Holder{{"alice", Metadata}}, Everything},
		{"colleague's metadata mailbox", "bob", []Holder{{"alice", Metadata}}, Metadata},
		{"colleague's subject mailbox", "bob", []Holder{{"alice", Subject}}, Subject},
		{"colleague's everything mailbox", "bob", []Holder{{"alice", Everything}}, Everything},
		{"most open of two mailboxes", "carol", []Holder{{"alice", Metadata}, {"bob", Subject}}, Subject},
		{"most open regardless of order", "carol", []Holder{{"bob", Everything}, {"alice", Metadata}}, Everything},
		{"viewer holds one of two copies", "bob", []Holder{{"alice", Metadata}, {"bob", Metadata}}, Everything},
		{"no holders", "bob", nil, Metadata},
		{"empty viewer never owns", "", []Holder{{"", Metadata}}, Metadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := For(tt.viewer, tt.holders); got != tt.want {
				t.Fatalf("For = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShows(t *testing.T) {
	tests := []struct {
		level         string
		subject, body bool
	}{
		{Metadata, false, false},
		{Subject, true, false},
		{Everything, true, true},
	}
	for _, tt := range tests {
		if ShowsSubject(tt.level) != tt.subject || ShowsBody(tt.level) != tt.body {
			t.Errorf("%s: ShowsSubject=%v ShowsBody=%v", tt.level, ShowsSubject(tt.level), ShowsBody(tt.level))
		}
	}
	if Valid("public") == nil || Valid(Subject) != nil {
		t.Error("Valid misjudges")
	}
}

// A thread shows at the most open level of its messages, but the snippet
// is the latest message's body and must follow that message's own level.
func TestRowSnippetFollowsLatestMessage(t *testing.T) {
	open := store.Holder{MemberID: "alice", Visibility: Everything}
	closed := store.Holder{MemberID: "bob", Visibility: Metadata}
	thread := &store.ThreadSummary{ID: "t1", Subject: "Renewal", Snippet: "the price is 40k",
		Holders: []store.Holder{open, closed}, SnippetHolders: []store.Holder{closed}}
	row := Row("carol", thread)
	if row.Visibility != Everything || row.Subject == nil {
		t.Fatalf("thread level %q subject %v, want everything with a subject", row.Visibility, row.Subject)
	}
	if row.Snippet != nil {
		t.Fatalf("snippet %q of a metadata-only message leaked", *row.Snippet)
	}
	if own := Row("bob", thread); own.Snippet == nil {
		t.Fatal("the owner of the latest message does not see its snippet")
	}
}

// An access grant opens the whole thread to its requester only, the
// latest message's snippet included, whatever the sharing levels say.
func TestGrantOpensThreadToRequesterOnly(t *testing.T) {
	closed := store.Holder{MemberID: "alice", Visibility: Metadata}
	thread := &store.ThreadSummary{ID: "t1", Subject: "Renewal", Snippet: "40k", Holders: []store.Holder{closed},
		SnippetHolders: []store.Holder{closed}, Granted: []string{"bob"}}
	msg := &store.StoredMessage{ID: "m1", ThreadID: "t1", Subject: "Renewal", Text: "40k", Holders: []store.Holder{closed},
		Granted: []string{"bob"}, Attachments: `[{"Filename":"a.pdf","ContentType":"application/pdf","Size":3}]`}
	for _, tt := range []struct {
		viewer string
		want   string
	}{{"bob", Everything}, {"carol", Metadata}, {"", Metadata}} {
		row, v := Row(tt.viewer, thread), Message(tt.viewer, msg)
		if row.Visibility != tt.want || v.Visibility != tt.want {
			t.Errorf("%q: row %s message %s, want %s", tt.viewer, row.Visibility, v.Visibility, tt.want)
		}
		if open := tt.want == Everything; (row.Snippet != nil) != open || (v.Text != nil) != open || (v.Attachments != nil) != open {
			t.Errorf("%q: snippet %v text %v attachments %v", tt.viewer, row.Snippet, v.Text, v.Attachments)
		}
		if _, ok := Attachment(tt.viewer, msg, 0); ok != (tt.want == Everything) {
			t.Errorf("%q: attachment served = %v", tt.viewer, ok)
		}
	}
}
