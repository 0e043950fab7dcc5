package fulltext

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"Hello, World! hello", []string{"hello", "world"}},
		{"Jane.Doe+crm@Acme-Corp.example", []string{"jane", "doe", "crm", "acme", "corp", "example"}},
		{"Café RÉSUMÉ naïve Zoë", []string{"cafe", "resume", "naive", "zoe"}},
		{"cafe\u0301", []string{"cafe"}}, // decomposed already
		{"Straße ПРИВЕТ мир", []string{"straße", "привет", "мир"}},
		{"v2.5 2026-12-02", []string{"v2", "5", "2026", "12", "02"}},
		{"東京 の会議", []string{"東京", "の会議"}},
		{strings.Repeat("a", MaxWordBytes) + " " + strings.Repeat("b", MaxWordBytes+1) + " c",
			[]string{strings.Repeat("a", MaxWordBytes), "c"}},
	} {
		if got := Words(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// Each word set is the previous one plus a field, every word once, and
// the body is read up to MaxBodyBytes.
func TestNewDoc(t *testing.T) {
	body := "Body words " + strings.Repeat("x ", MaxBodyBytes) + "tail"
	d := NewDoc("m", "w", 7, "Re: Pat's plan", body, []Participant{{"Pat Doe", "pat@acme.example"}, {"", "PAT@acme.example"}})
	for _, c := range []struct{ set, want string }{
		{d.P, "pat doe acme example"},
		{d.PS, "pat doe acme example re s plan"},
		{d.PSB, "pat doe acme example re s plan body words x"},
	} {
		if c.set != c.want {
			t.Errorf("set %q, want %q", c.set, c.want)
		}
	}
}

// However many words a message has, its sets stay under what a tsvector
// holds (1 MB).
func TestNewDocBounded(t *testing.T) {
	var huge strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&huge, "w%d ", i)
	}
	d := NewDoc("m", "w", 7, huge.String(), "", []Participant{{"", huge.String()}})
	if len(d.PSB) >= maxSetBytes || len(d.PSB) < maxSetBytes-MaxWordBytes-1 || !strings.HasPrefix(d.PSB, "w0 w1 w2") {
		t.Errorf("set of %d bytes, want just under %d", len(d.PSB), maxSetBytes)
	}
}
