package visibility

import (
	"slices"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

func TestSearchWords(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"", nil},
		{"  \t ", nil},
		{"Renewal  PLAN renewal", []string{"renewal", "plan"}},
		{"a b c d", []string{"a", "b", "c"}},
	} {
		if got := SearchWords(c.q, 3); !slices.Equal(got, c.want) {
			t.Errorf("SearchWords(%q) = %q, want %q", c.q, got, c.want)
		}
	}
}

// Score sees only the fields the viewer's level shows, and ranks from
// them alone.
func TestScore(t *testing.T) {
	msg := func(level string, granted ...string) *store.StoredMessage {
		return &store.StoredMessage{Subject: "Renewal plan", Text: "the price is secret",
			Participants: []store.StoredParticipant{{Email: "pat@acme.test", Name: "Pat Doe"}},
			Holders:      []store.Holder{{MemberID: "owner", Visibility: level}}, Granted: granted}
	}
	for _, c := range []struct {
		name   string
		m      *store.StoredMessage
		viewer string
		words  []string
		want   int
		ok     bool
	}{
		{"participant at metadata", msg(Metadata), "v", []string{"pat"}, weightParticipant, true},
		{"address at metadata", msg(Metadata), "v", []string{"acme.test"}, weightParticipant, true},
		{"subject at metadata", msg(Metadata), "v", []string{"renewal"}, 0, false},
		{"subject at subject", msg(Subject), "v", []string{"renewal"}, weightSubject, true},
		{"body at subject", msg(Subject), "v", []string{"secret"}, 0, false},
		{"one word withheld", msg(Subject), "v", []string{"pat", "secret"}, 0, false},
		{"body at everything", msg(Everything), "v", []string{"secret"}, weightBody, true},
		{"body for the owner", msg(Metadata), "owner", []string{"secret"}, weightBody, true},
		{"body through a grant", msg(Metadata, "v"), "v", []string{"secret"}, weightBody, true},
		{"grant for another", msg(Metadata, "w"), "v", []string{"secret"}, 0, false},
		{"every field for the owner", msg(Metadata), "owner", []string{"pat", "plan", "price"},
			weightParticipant + weightSubject + weightBody, true},
	} {
		got, ok := Score(c.viewer, c.m, c.words)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Score = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// Search ranks by visible score, then newest first, and redacts.
func TestSearchOrder(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(id string, level string, subject string, d int) *store.StoredMessage {
		return &store.StoredMessage{ID: id, Subject: subject, SentAt: day.AddDate(0, 0, d),
			Participants: []store.StoredParticipant{{Email: "pat@acme.test"}},
			Holders:      []store.Holder{{MemberID: "owner", Visibility: level}}}
	}
	msgs := []*store.StoredMessage{
		at("old-visible", Subject, "pat", 0),
		at("new", Metadata, "", 2),
		at("withheld", Metadata, "pat", 3),
		at("mid", Metadata, "", 1),
	}
	var ids []string
	for _, v := range Search("v", msgs, []string{"pat"}) {
		ids = append(ids, v.ID)
		if v.ID == "withheld" && v.Subject != nil {
			t.Errorf("withheld subject sent: %q", *v.Subject)
		}
	}
	if want := []string{"old-visible", "withheld", "new", "mid"}; !slices.Equal(ids, want) {
		t.Errorf("order %v, want %v", ids, want)
	}
}
