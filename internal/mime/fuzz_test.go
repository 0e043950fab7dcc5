package mime

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailsync/mailsync/internal/mailgen"
)

// FuzzParse checks that no input panics and that whatever Parse returns is
// safe to store: valid UTF-8 without NUL bytes, and a usable dedupe key.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		plainMsg, alternativeMsg, htmlOnlyMsg, mixedMsg, nestedMsg, latin1Msg, headersOnlyMsg,
		"", "\r\n", "From: a@b\n\n", "Subject: =?utf-8?Q?x?=\n\n",
		"To: undisclosed-recipients:;\n\n", "To: \"a\\\" <b@c>, <@>, (x\n\n",
		"References: <a@b> <c@d\n\n", "Content-Type: multipart/mixed; boundary=a\n\n--a\n--a--\n",
		"Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: base64\n\nGyRCMnE1RCRON28bKEI=\n",
		"Content-Type: text/html\n\n<p>unclosed <b>",
		"From: =?koi8-r?b?5M3J1NLJyiDp18HOz9c=?= <d@x.ru>\n\n",
		"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed;\n boundary=b\n\n--b\n\nx\n--b--\n--a--\n",
	} {
		f.Add([]byte(s))
	}
	f.Add(mailgen.NestedMultipart("deep@x", MaxMIMEDepth+1))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mime: parse: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			return
		}
		stored := []string{m.MessageID, m.Subject, m.Text, m.HTML, m.ListID, m.ListUnsubscribe,
			m.Precedence, m.AutoSubmitted, m.Key(), m.Snippet()}
		stored = append(stored, m.InReplyTo...)
		stored = append(stored, m.References...)
		for _, p := range m.Participants {
			stored = append(stored, p.Name, p.Email, p.Raw)
			if (p.Email == "") == (p.Raw == "") {
				t.Errorf("participant %+v: want exactly one of Email and Raw", p)
			}
		}
		for _, a := range m.Attachments {
			stored = append(stored, a.Filename, a.ContentType)
		}
		for _, s := range stored {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Errorf("unsafe string %q", s)
			}
		}
		if m.Key() == "" {
			t.Error("empty Key")
		}
		if n := utf8.RuneCountInString(m.Snippet()); n > snippetLen {
			t.Errorf("Snippet has %d characters", n)
		}
	})
}

// FuzzAddressList checks the lenient address parser on any header value:
// no panic, each address either parsed (a lower-cased addr-spec with one
// @, no spaces or angle brackets) or kept raw, and every string safe to
// store.
func FuzzAddressList(f *testing.F) {
	for _, s := range []string{
		"jane@example.com", `"Doe, Jane" <Jane@X.com>`, "jane@x.com (Jane Doe)", "Team: a@x.com, b@x.com;, c@x.com",
		"not an address, <@>, good@x.com, Bad <x@>", "<@relay.example:jane@x.com>", "=?utf-8?B?w6lsw6g=?= <e@x.fr>",
		"Jane <jane@x.com> Bob <bob@x.com>", "\"unterminated <a@b>", "(((a@b", "<>", "a@b\x00c", "\xff\xfe@x.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		d := newDecoder("")
		for _, elem := range splitAddressList(d.raw8bit(header)) {
			a, ok := d.address(elem)
			if !ok {
				continue
			}
			if (a.Email == "") == (a.Raw == "") {
				t.Fatalf("%q: address %+v: want exactly one of Email and Raw", header, a)
			}
			if a.Email != "" && (strings.Count(a.Email, "@") < 1 || strings.ContainsAny(a.Email, " <>\r\n") ||
				a.Email != strings.ToLower(a.Email)) {
				t.Fatalf("%q: unusable email %q", header, a.Email)
			}
			for _, s := range []string{a.Name, a.Email, a.Raw} {
				if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
					t.Fatalf("%q: unsafe string %q", header, s)
				}
			}
		}
	})
}
