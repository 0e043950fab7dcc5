package mime

import (
	"strings"
	"testing"
	"time"
)

// lf returns a message with LF line endings; crlf the same with CRLF.
func lf(s string) []byte   { return []byte(s) }
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const plainMsg = `Return-Path: <jane@example.com>
Received: from mx.example.com (mx.example.com [192.0.2.1])
	by mail.ourco.example with ESMTPS id 4B2C
	for <alice@ourco.example>; Mon, 06 Jan 2025 09:18:01 +0100
Message-ID: <CAF=plain.1@mail.example.com>
Date: Mon, 6 Jan 2025 09:18:00 +0100
From: Jane Roe <Jane.Roe@Example.com>
To: Alice Owner <alice@ourco.example>
Subject: Lunch on Friday?
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hi Alice,

Are you free for lunch on Friday? The café on 5th is open again.

Jane
`

const alternativeMsg = `Message-ID: <alt.2@mail.example.com>
Date: Tue, 07 Jan 2025 10:00:00 +0000
From: "Jane Roe" <jane@example.com>
To: alice@ourco.example
Subject: Quarterly numbers
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Revenue is up 12 =E2=82=AC this quarter.
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Revenue is <b>up 12 =E2=82=AC</b> this quarter.</p></body></html>
--b1--
`

const htmlOnlyMsg = `Message-ID: <html.3@news.example.com>
Date: Wed, 08 Jan 2025 11:00:00 +0000
From: Example News <news@news.example.com>
To: alice@ourco.example
Subject: This month at Example
List-Id: Example News <news.example.com>
List-Unsubscribe: <mailto:unsub@news.example.com>,
 <https://news.example.com/u/42>
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<!DOCTYPE html><html><head><style>p{margin:0}</style></head><body>
<h1>New features</h1><p>Caf=E9 meetups &amp; <a href=3D"https://example.com/w">webinars</a>.</p>
</body></html>
`

const mixedMsg = `Message-ID: <mixed.4@example.com>
Date: Thu, 09 Jan 2025 12:00:00 +0000
From: Jane Roe <jane@example.com>
To: alice@ourco.example
Subject: Invoice attached
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>See the logo: <img src="cid:logo@example.com"></p>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@example.com>
Content-Disposition: inline; filename="logo.png"

iVBORw0KGgoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
--rel--

--outer
Content-Type: application/pdf; name="invoice-2025-01.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="invoice-2025-01.pdf"

JVBERi0xLjQKJW1haWxzeW5jIHRlc3QKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVF
T0YK
--outer--
`

const nestedMsg = `Message-ID: <fwd.5@example.com>
Date: Fri, 10 Jan 2025 08:00:00 +0000
From: Bob Colleague <bob@ourco.example>
To: alice@ourco.example
Subject: Fwd: Contract draft
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=utf-8

See the forwarded message below.
--m
Content-Type: message/rfc822

Message-ID: <inner.6@client.example>
From: Carol Client <carol@client.example>
To: bob@ourco.example
Subject: Contract draft
Content-Type: text/plain; charset=utf-8

Inner body that must not leak into the outer text.
--m--
`

const latin1Msg = `Message-ID: <latin1.7@example.de>
Date: Sat, 11 Jan 2025 08:00:00 +0100
From: =?iso-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>
To: alice@ourco.example
Subject: =?iso-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Sch=F6ne Gr=FC=DFe aus M=FCnchen, die Gr=F6=DFe ist 1,20 m.
`

const headersOnlyMsg = `Message-ID: <empty.8@example.com>
Date: Sun, 12 Jan 2025 08:00:00 +0000
From: jane@example.com
To: alice@ourco.example
Subject: (no body)
`

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		raw   []byte
		check func(t *testing.T, m *Message)
	}{
		{"plain text LF", lf(plainMsg), checkPlain},
		{"plain text CRLF", crlf(plainMsg), checkPlain},
		{"multipart/alternative", crlf(alternativeMsg), func(t *testing.T, m *Message) {
			eq(t, "Text", m.Text, "Revenue is up 12 € this quarter.")
			if !strings.Contains(m.HTML, "<b>up 12 €</b>") {
				t.Errorf("HTML = %q, want the HTML part decoded", m.HTML)
			}
			eq(t, "attachments", len(m.Attachments), 0)
			eqParticipants(t, m, "from Jane Roe <jane@example.com>", "to <alice@ourco.example>")
		}},
		{"html only", lf(htmlOnlyMsg), func(t *testing.T, m *Message) {
			for _, want := range []string{"New features", "Café meetups & webinars"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("Text = %q, want it to contain %q", m.Text, want)
				}
			}
			for _, tag := range []string{"<h1", "<p", "</", "<a "} {
				if strings.Contains(m.Text, tag) {
					t.Errorf("Text = %q, contains markup %q", m.Text, tag)
				}
			}
			if strings.Contains(m.Text, "margin") {
				t.Errorf("Text = %q, contains the style sheet", m.Text)
			}
			if !strings.Contains(m.HTML, "<h1>New features</h1>") || !strings.Contains(m.HTML, "Café") {
				t.Errorf("HTML = %q, want it as sent, decoded to UTF-8", m.HTML)
			}
			eq(t, "ListID", m.ListID, "Example News <news.example.com>")
			eq(t, "ListUnsubscribe", m.ListUnsubscribe, "<mailto:unsub@news.example.com>, <https://news.example.com/u/42>")
			eq(t, "Precedence", m.Precedence, "bulk")
			eq(t, "AutoSubmitted", m.AutoSubmitted, "")
		}},
		{"multipart/mixed with PDF and inline image", crlf(mixedMsg), func(t *testing.T, m *Message) {
			if !strings.Contains(m.HTML, `cid:logo@example.com`) {
				t.Errorf("HTML = %q, want the related HTML part", m.HTML)
			}
			eq(t, "Text", m.Text, "See the logo:")
			want := []Attachment{
				{Filename: "logo.png", ContentType: "image/png", Size: 32, Inline: true},
				{Filename: "invoice-2025-01.pdf", ContentType: "application/pdf", Size: 60},
			}
			eqAttachments(t, m.Attachments, want)
		}},
		{"nested message/rfc822", lf(nestedMsg), func(t *testing.T, m *Message) {
			eq(t, "Text", m.Text, "See the forwarded message below.")
			eq(t, "Subject", m.Subject, "Fwd: Contract draft")
			eqParticipants(t, m, "from Bob Colleague <bob@ourco.example>", "to <alice@ourco.example>")
			if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "message/rfc822" || m.Attachments[0].Size == 0 {
				t.Errorf("Attachments = %+v, want one message/rfc822 with its size", m.Attachments)
			}
		}},
		{"iso-8859-1 body and headers", lf(latin1Msg), func(t *testing.T, m *Message) {
			eq(t, "Text", m.Text, "Schöne Grüße aus München, die Größe ist 1,20 m.")
			eq(t, "Subject", m.Subject, "Grüße aus München")
			eqParticipants(t, m, "from Jürgen Müller <juergen@example.de>", "to <alice@ourco.example>")
			eq(t, "Date", m.Date, time.Date(2025, 1, 11, 7, 0, 0, 0, time.UTC))
		}},
		{"koi8-r name and body", crlf(`Message-ID: <koi8.9@example.ru>
From: =?koi8-r?b?5M3J1NLJyiDp18HOz9c=?= <dmitry@example.ru>
To: alice@ourco.example
Subject: =?koi8-r?Q?=EF=CC=D8=C7=C1?=
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: base64

8NLJ18XULCDNydI=
`), func(t *testing.T, m *Message) {
			eqParticipants(t, m, "from Дмитрий Иванов <dmitry@example.ru>", "to <alice@ourco.example>")
			eq(t, "Subject", m.Subject, "Ольга")
			eq(t, "Text", m.Text, "Привет, мир")
		}},
		{"iso-2022-jp subject", lf(`Message-ID: <jp.10@example.jp>
From: =?iso-2022-jp?b?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>
To: alice@ourco.example
Subject: =?iso-2022-jp?b?GyRCMnE1RCRON28bKEI=?=

body
`), func(t *testing.T, m *Message) {
			eq(t, "Subject", m.Subject, "会議の件")
			eqParticipants(t, m, "from 山田 太郎 <taro@example.jp>", "to <alice@ourco.example>")
		}},
		{"quoted display name with comma", lf(`Message-ID: <doe.11@x.com>
From: "Doe, Jane" <Jane@X.com>
To: "Roe, Richard" <richard@x.com>, Alice <alice@ourco.example>

Hello
`), func(t *testing.T, m *Message) {
			eqParticipants(t, m, "from Doe, Jane <jane@x.com>", "to Roe, Richard <richard@x.com>", "to Alice <alice@ourco.example>")
		}},
		{"threading headers", lf(`Message-ID:
 <reply.12@example.com >
In-Reply-To: <b@example.com> (Bob's message of Mon, 6 Jan)
References: <a@example.com>
	<b@example.com><c@exa
 mple.com> <b@example.com>
From: jane@example.com

Reply
`), func(t *testing.T, m *Message) {
			eq(t, "MessageID", m.MessageID, "reply.12@example.com")
			eqStrings(t, "InReplyTo", m.InReplyTo, []string{"b@example.com"})
			eqStrings(t, "References", m.References, []string{"a@example.com", "b@example.com", "c@example.com"})
		}},
		{"undisclosed recipients", lf(`Message-ID: <group.13@example.com>
From: Jane <jane@example.com>
To: undisclosed-recipients:;
Bcc: Sales team: ann@example.com, "Ben" <ben@example.com>;, carl@example.com

Hello
`), func(t *testing.T, m *Message) {
			eqParticipants(t, m, "from Jane <jane@example.com>",
				"bcc <ann@example.com>", "bcc Ben <ben@example.com>", "bcc <carl@example.com>")
		}},
		{"malformed To among good Cc", lf(`Message-ID: <bad.14@example.com>
From: Jane <jane@example.com>
To: not an address, <@>, Good Guy <good@example.com>
Cc: Carol <carol@example.com>, dave@example.com

Hello
`), func(t *testing.T, m *Message) {
			eqParticipants(t, m, "from Jane <jane@example.com>",
				"to raw(not an address)", "to raw(<@>)", "to Good Guy <good@example.com>",
				"cc Carol <carol@example.com>", "cc <dave@example.com>")
		}},
		{"headers only", lf(headersOnlyMsg), func(t *testing.T, m *Message) {
			eq(t, "Subject", m.Subject, "(no body)")
			eq(t, "Text", m.Text, "")
			eq(t, "HTML", m.HTML, "")
			eq(t, "Key", m.Key(), "empty.8@example.com")
		}},
		{"headers only without final newline", []byte("From: jane@example.com\r\nSubject: hi"), func(t *testing.T, m *Message) {
			eq(t, "Subject", m.Subject, "hi")
			eqParticipants(t, m, "from <jane@example.com>")
		}},
		{"auto reply", lf(`From: Alice <alice@ourco.example>
To: jane@example.com
Subject: Automatic reply: Lunch
Auto-Submitted: auto-replied
Date: 12 Jan 2025 08:00 GMT

I am out of the office.
`), func(t *testing.T, m *Message) {
			eq(t, "AutoSubmitted", m.AutoSubmitted, "auto-replied")
			eq(t, "MessageID", m.MessageID, "")
			eq(t, "Date", m.Date, time.Date(2025, 1, 12, 8, 0, 0, 0, time.UTC))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			eq(t, "Size", m.Size, len(tt.raw))
			tt.check(t, m)
		})
	}
}

func checkPlain(t *testing.T, m *Message) {
	t.Helper()
	eq(t, "MessageID", m.MessageID, "CAF=plain.1@mail.example.com")
	eq(t, "Subject", m.Subject, "Lunch on Friday?")
	eq(t, "Date", m.Date, time.Date(2025, 1, 6, 8, 18, 0, 0, time.UTC))
	eq(t, "Text", m.Text, "Hi Alice,\n\nAre you free for lunch on Friday? The café on 5th is open again.\n\nJane")
	eq(t, "HTML", m.HTML, "")
	eqParticipants(t, m, "from Jane Roe <jane.roe@example.com>", "to Alice Owner <alice@ourco.example>")
	eq(t, "Snippet", m.Snippet(), "Hi Alice, Are you free for lunch on Friday? The café on 5th is open again. Jane")
}

// TestParseDamaged checks that problems enmime tolerates still give a message.
func TestParseDamaged(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		wantText string
	}{
		{"unknown charset", `From: a@example.com
Content-Type: text/plain; charset=x-no-such-charset

plain words
`, "plain words"},
		{"8-bit body declared us-ascii", "From: a@example.com\nContent-Type: text/plain; charset=us-ascii\n\nna\xefve caf\xe9\n", "naïve café"},
		{"8-bit body without content type", "From: a@example.com\n\nGr\xfc\xdfe\n", "Grüße"},
		{"broken base64 text", `From: a@example.com
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8gd29ybGQ=!!!*
`, "Hello world"},
		{"missing boundary parameter", `From: a@example.com
Content-Type: multipart/alternative

just text
`, "just text"},
		{"unterminated multipart", `From: a@example.com
Content-Type: multipart/mixed; boundary=zz

--zz
Content-Type: text/plain

first part
--zz
Content-Type: application/pdf; name=a.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK`, "first part"},
		{"unknown transfer encoding", `From: a@example.com
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

raw text
`, "raw text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !strings.Contains(m.Text, tt.wantText) {
				t.Errorf("Text = %q, want it to contain %q", m.Text, tt.wantText)
			}
			eqParticipants(t, m, "from <a@example.com>")
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", "empty message"},
		{"blank lines", "\r\n\r\n", "empty message"},
		{"binary garbage", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "no header block"},
		{"body without header", "\nHello there\n", "no header block"},
		{"prose", "Dear Sir, please find attached\nthe files.\n", "no header block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", m)
			}
			if !strings.HasPrefix(err.Error(), "mime: parse: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want \"mime: parse: ...%s...\"", err, tt.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	const noID = `Date: Mon, 13 Jan 2025 08:00:00 +0000
From: Jane <jane@example.com>
To: alice@ourco.example
Subject: No id here

The body text.
`
	parse := func(raw []byte) *Message {
		t.Helper()
		m, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return m
	}
	key := parse(lf(noID)).Key()
	if !strings.HasPrefix(key, "synthetic-") || !strings.HasSuffix(key, "@mailsync.invalid") {
		t.Fatalf("Key = %q, want synthetic-...@mailsync.invalid", key)
	}
	eq(t, "key of a second parse", parse(lf(noID)).Key(), key)
	eq(t, "key with CRLF line endings", parse(crlf(noID)).Key(), key)
	eq(t, "key with another Received header", parse(lf("Received: from x by y; Mon, 13 Jan 2025 08:00:01 +0000\n"+noID)).Key(), key)

	differs := map[string]string{
		"body":    strings.Replace(noID, "The body text.", "Another body.", 1),
		"subject": strings.Replace(noID, "No id here", "Other subject", 1),
		"from":    strings.Replace(noID, "jane@example.com", "john@example.com", 1),
		"date":    strings.Replace(noID, "08:00:00", "08:00:01", 1),
	}
	for what, raw := range differs {
		if k := parse(lf(raw)).Key(); k == key {
			t.Errorf("a message with another %s has the same key %q", what, k)
		}
	}
	eq(t, "key with unusable Message-ID", parse(lf("Message-ID: <>\n"+noID)).Key(), key)
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("word ", 100)
	tests := []struct {
		text, want string
	}{
		{"", ""},
		{"  Hello\n\n  there\tfriend  ", "Hello there friend"},
		{long, strings.TrimSpace(long[:200])},
		{strings.Repeat("é", 300), strings.Repeat("é", 200)},
	}
	for _, tt := range tests {
		got := (&Message{Text: tt.text}).Snippet()
		if got != tt.want {
			t.Errorf("Snippet(%.20q...) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// eqParticipants compares participants written as "role Name <email>" or
// "role raw(text)".
func eqParticipants(t *testing.T, m *Message, want ...string) {
	t.Helper()
	got := make([]string, len(m.Participants))
	for i, p := range m.Participants {
		got[i] = p.Role + " " + formatAddress(p.Address)
	}
	eqStrings(t, "Participants", got, want)
}

func formatAddress(a Address) string {
	if a.Email == "" {
		return "raw(" + a.Raw + ")"
	}
	if a.Name == "" {
		return "<" + a.Email + ">"
	}
	return a.Name + " <" + a.Email + ">"
}

func eqAttachments(t *testing.T, got, want []Attachment) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Attachments = %+v, want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.Size != len(g.Content) {
			t.Errorf("Attachments[%d]: size %d but %d bytes kept", i, g.Size, len(g.Content))
		}
		g.Content = nil
		if g.Filename != want[i].Filename || g.ContentType != want[i].ContentType || g.Size != want[i].Size || g.Inline != want[i].Inline {
			t.Errorf("Attachments[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}
