package mime

import (
	"strings"
	"testing"
	"unicode/utf8"
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
	} {
		f.Add([]byte(s))
	}
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
