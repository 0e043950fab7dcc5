package visibility

import (
	"slices"
	"testing"

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
		{"Jane.Doe@ACME", []string{"jane", "doe", "acme"}},
		{"Café Ünïcödé", []string{"cafe", "unicode"}},
	} {
		if got := SearchWords(c.q, 3); !slices.Equal(got, c.want) {
			t.Errorf("SearchWords(%q) = %q, want %q", c.q, got, c.want)
		}
	}
}

// A hit shows only where the viewer's level shows every field it was
// found in.
func TestSearchSeesOnlyVisibleFields(t *testing.T) {
	hit := func(found int, level string, granted ...string) store.SearchHit {
		return store.SearchHit{Found: found, Message: &store.StoredMessage{ID: "m", Subject: "Renewal plan", Text: "secret",
			Holders: []store.Holder{{MemberID: "owner", Visibility: level}}, Granted: granted}}
	}
	for _, c := range []struct {
		name   string
		h      store.SearchHit
		viewer string
		want   bool
	}{
		{"participant at metadata", hit(store.FoundInParticipants, Metadata), "v", true},
		{"subject at metadata", hit(store.FoundInSubject, Metadata), "v", false},
		{"subject at subject", hit(store.FoundInSubject, Subject), "v", true},
		{"body at subject", hit(store.FoundInBody, Subject), "v", false},
		{"body at everything", hit(store.FoundInBody, Everything), "v", true},
		{"body for the owner", hit(store.FoundInBody, Metadata), "owner", true},
		{"body through a grant", hit(store.FoundInBody, Metadata, "v"), "v", true},
		{"grant for another", hit(store.FoundInBody, Metadata, "w"), "v", false},
		{"unknown field", hit(0, Everything), "v", false},
	} {
		if got := Sees(c.viewer, c.h); got != c.want {
			t.Errorf("%s: Sees = %v, want %v", c.name, got, c.want)
		}
		p := Search(c.viewer, 1, []store.SearchHit{c.h})
		if shown := len(p.Messages) == 1; shown != c.want || p.Total != 1 || p.Messages == nil {
			t.Errorf("%s: page %+v, want shown %v", c.name, p, c.want)
		}
	}
	p := Search("v", 1, []store.SearchHit{hit(store.FoundInParticipants, Metadata)})
	if v := p.Messages[0]; v.Subject != nil || v.Text != nil {
		t.Errorf("metadata hit not redacted: %+v", v)
	}
}
