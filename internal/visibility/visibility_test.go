package visibility

import "testing"

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
