package mime

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/mailgen"
)

// hostile is a message built to cost a parser memory or time.
type hostile struct {
	name string
	raw  func() []byte
	// err is set when the message must fail with ErrLimit.
	err bool
	// limit is a substring one of Message.Limits must hold ("" for none).
	limit string
	check func(t *testing.T, m *Message)
}

// hostileMail are the hostile messages of issue 8, for the test and the benchmark.
var hostileMail = []hostile{
	{name: "10 MB header block", raw: func() []byte { return mailgen.HugeHeader("h@x", 10_000_000) }, err: true},
	{name: "one 10 MB header field", raw: func() []byte { return mailgen.HugeField("h@x", 10_000_000) }, err: true},
	{name: "100,000 recipients", raw: func() []byte { return mailgen.ManyRecipients("h@x", 100_000) },
		limit: "100001 participants: the first 1000 kept", check: func(t *testing.T, m *Message) {
			if len(m.Participants) != MaxParticipants || m.Participants[0].Email != "mallory@example.com" ||
				m.Participants[MaxParticipants-1].Email != "r998@example.com" {
				t.Errorf("kept %d participants, first %v", len(m.Participants), m.Participants[0])
			}
			eq(t, "Text", m.Text, "hello everyone")
		}},
	{name: "50-deep nested multiparts", raw: func() []byte { return mailgen.NestedMultipart("h@x", 50) },
		limit: "nested deeper than 16 levels", check: func(t *testing.T, m *Message) {
			eq(t, "Text", m.Text, "")
			eq(t, "Subject", m.Subject, "hostile")
		}},
	{name: "16-deep nested multiparts", raw: func() []byte { return mailgen.NestedMultipart("h@x", 16) },
		check: func(t *testing.T, m *Message) { eq(t, "Text", m.Text, "deep text") }},
	{name: "base64 bomb, single part", raw: func() []byte { return mailgen.Base64Text("h@x", 20_000_000) },
		limit: "text cut at 1 MiB", check: func(t *testing.T, m *Message) {
			if len(m.Text) > MaxBodyBytes || !strings.HasPrefix(m.Text, "hahaha") {
				t.Errorf("text of %d bytes starting %.10q", len(m.Text), m.Text)
			}
		}},
	{name: "base64 bomb, multipart", raw: func() []byte { return mailgen.Base64HTML("h@x", 16_000_000) },
		limit: "HTML cut at 1 MiB", check: func(t *testing.T, m *Message) {
			eq(t, "Text", m.Text, "short text")
			if len(m.HTML) > MaxBodyBytes || !strings.HasPrefix(m.HTML, "<p><b>x</b>") {
				t.Errorf("HTML of %d bytes starting %.10q", len(m.HTML), m.HTML)
			}
		}},
	{name: "quoted-printable bomb", raw: func() []byte { return mailgen.QPSoftBreaks("h@x", 20_000_000) },
		limit: "text cut at 1 MiB", check: func(t *testing.T, m *Message) {
			if len(m.Text) > MaxBodyBytes || strings.Trim(m.Text, "=") != "" {
				t.Errorf("text of %d bytes starting %.10q", len(m.Text), m.Text)
			}
		}},
	{name: "quoted-printable bomb, one line", raw: func() []byte { return mailgen.QPOneLine("h@x", 7_000_000) },
		limit: "text cut at 1 MiB", check: func(t *testing.T, m *Message) {
			if len(m.Text) != MaxBodyBytes || strings.Trim(m.Text, "A") != "" {
				t.Errorf("text of %d bytes starting %.10q", len(m.Text), m.Text)
			}
		}},
	{name: "message cut mid-attachment", raw: func() []byte {
		// What a provider hands over of a message larger than it fetches.
		return mailgen.LargeAttachment("h@x", 8_000_000)[:4_000_000]
	}, check: func(t *testing.T, m *Message) {
		eq(t, "Text", m.Text, "see the file")
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "big.pdf" {
			t.Errorf("attachments %+v", m.Attachments)
		}
	}},
}

// TestHostileMail parses mail built to exhaust a parser: each either fails
// with ErrLimit or parses with what was left out named in Limits.
func TestHostileMail(t *testing.T) {
	for _, tt := range hostileMail {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.raw())
			if tt.err {
				if !errors.Is(err, ErrLimit) {
					t.Fatalf("err = %v, want ErrLimit", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(m.Limits, "; ")
			if (tt.limit == "") != (joined == "") || !strings.Contains(joined, tt.limit) {
				t.Errorf("Limits = %q, want one holding %q", joined, tt.limit)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// BenchmarkParseHostile shows what each hostile message costs to parse:
// B/op is every byte allocated for one message.
func BenchmarkParseHostile(b *testing.B) {
	for _, tt := range hostileMail {
		raw := tt.raw()
		b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				_, _ = Parse(raw)
			}
		})
	}
}
