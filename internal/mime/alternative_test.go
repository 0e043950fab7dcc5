package mime

import (
	"reflect"
	"testing"

	"github.com/mailsync/mailsync/internal/mailgen"
)

// The multipart/alternative fast path must change nothing: over a
// generated mailbox (the start of the importbench corpus: every kind of
// message mailgen writes), each message parses exactly as enmime parses it, so
// an import takes the same decisions and stores the same text.
func TestAlternativeFastPathMatchesEnmime(t *testing.T) {
	n := 8000
	if testing.Short() {
		n = 1000
	}
	fast := 0
	err := mailgen.Each(mailgen.Options{N: n, Seed: 7, Owner: "user1@ourco.example"}, func(m mailgen.Mail) error {
		h, body, err := splitMessage(m.Raw)
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		if _, _, _, ok := alternative(h, body); ok {
			fast++
		}
		got, err := Parse(m.Raw)
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		fastAlternative = false
		want, err := Parse(m.Raw)
		fastAlternative = true
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s parses differently on the fast path:\n got %+v\nwant %+v", m.MessageID, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fast < n/4 {
		t.Fatalf("the fast path took %d of %d messages; expected a large share", fast, n)
	}
	t.Logf("fast path: %d of %d messages", fast, n)
}

// Anything but a plain two-part alternative goes to enmime.
func TestAlternativeFastPathDeclines(t *testing.T) {
	head := "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	text := "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
	html := "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n"
	for _, tt := range []struct{ name, raw string }{
		{"accepted", head + text + html + "--b--\r\n"},
		{"no closing delimiter", head + text + html},
		{"three parts", head + text + html + html + "--b--\r\n"},
		{"html first", head + html + text + "--b--\r\n"},
		{"latin-1", head + "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nhi\r\n" + html + "--b--\r\n"},
		{"disposition", head + "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment\r\n\r\nhi\r\n" + html + "--b--\r\n"},
		{"invalid utf-8", head + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nh\xffi\r\n" + html + "--b--\r\n"},
		{"epilogue text", head + text + html + "--b--\r\ntrailing words\r\n"},
	} {
		h, body, err := splitMessage([]byte(tt.raw))
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, ok := alternative(h, body)
		if ok != (tt.name == "accepted") {
			t.Errorf("%s: fast path ok=%v", tt.name, ok)
		}
	}
}
