// Package compose writes the RFC 5322 / MIME form of a message mailsync
// sends: headers, text and HTML bodies, attachments. It does no I/O and
// knows nothing of providers, storage or who may send.
package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
)

// File is an attachment to send.
type File struct {
	Name        string
	ContentType string // "" means application/octet-stream
	Data        []byte
}

// Message is what a member sends.
type Message struct {
	From   mail.Address
	To, Cc []mail.Address
	Bcc    []mail.Address // envelope only, unless BccHeader
	// BccHeader writes Bcc in the headers: the Gmail and Graph APIs read
	// recipients from them (and strip Bcc from what they deliver).
	BccHeader  bool
	Subject    string
	Text       string
	HTML       string // already sanitized by the caller; "" for text only
	Files      []File
	MessageID  string // without angle brackets; NewMessageID makes one
	InReplyTo  string // without angle brackets
	References []string
	Date       time.Time
}

// NewMessageID returns a unique Message-ID (without brackets) on the
// sender's domain, as mail clients make them.
func NewMessageID(from string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	domain := "mailsync.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = strings.ToLower(from[i+1:])
	}
	return fmt.Sprintf("%d.%s@%s", time.Now().UnixNano(), hex.EncodeToString(b[:]), domain)
}

// ReplySubject is "Re: " + subject, unless it already starts with "Re:".
func ReplySubject(subject string) string {
	s := strings.TrimSpace(subject)
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return s
	}
	return "Re: " + s
}

// Recipients lists every envelope recipient: to, cc and bcc, once each.
func (m *Message) Recipients() []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]mail.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range list {
			addr := strings.ToLower(a.Address)
			if !seen[addr] {
				seen[addr] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// Bytes writes the message with CRLF line ends.
func (m *Message) Bytes() ([]byte, error) {
	if m.MessageID == "" || m.From.Address == "" || len(m.Recipients()) == 0 {
		return nil, fmt.Errorf("compose: a message needs a Message-ID, a sender and a recipient")
	}
	var b bytes.Buffer
	h := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	h("Date", date.Format(time.RFC1123Z))
	h("From", m.From.String())
	if len(m.To) > 0 {
		h("To", addressList(m.To))
	}
	if len(m.Cc) > 0 {
		h("Cc", addressList(m.Cc))
	}
	if m.BccHeader && len(m.Bcc) > 0 {
		h("Bcc", addressList(m.Bcc))
	}
	h("Subject", mime.QEncoding.Encode("utf-8", headerSafe(m.Subject)))
	h("Message-ID", "<"+m.MessageID+">")
	if m.InReplyTo != "" {
		h("In-Reply-To", "<"+m.InReplyTo+">")
	}
	if len(m.References) > 0 {
		h("References", "<"+strings.Join(m.References, ">\r\n <")+">")
	}
	h("MIME-Version", "1.0")
	if len(m.Files) == 0 {
		if err := writeBody(&b, nil, m.Text, m.HTML); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	w := multipart.NewWriter(&b)
	h("Content-Type", `multipart/mixed; boundary="`+w.Boundary()+`"`)
	b.WriteString("\r\n")
	if err := writeBody(nil, w, m.Text, m.HTML); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if err := writeFile(w, f); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func addressList(as []mail.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",\r\n ")
}

// headerSafe removes line breaks a header value must not carry.
func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// writeBody writes the text (and HTML) body either as the message's own
// body (top != nil) or as a part of w.
func writeBody(top *bytes.Buffer, w *multipart.Writer, text, html string) error {
	if html == "" {
		return writeTextPart(top, w, "text/plain", text)
	}
	var alt bytes.Buffer
	aw := multipart.NewWriter(&alt)
	if err := writeTextPart(nil, aw, "text/plain", text); err != nil {
		return err
	}
	if err := writeTextPart(nil, aw, "text/html", html); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	ct := `multipart/alternative; boundary="` + aw.Boundary() + `"`
	if top != nil {
		top.WriteString("Content-Type: " + ct + "\r\n\r\n")
		_, err := top.Write(alt.Bytes())
		return err
	}
	pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}})
	if err != nil {
		return err
	}
	_, err = pw.Write(alt.Bytes())
	return err
}

// writeTextPart writes UTF-8 text as quoted-printable, with CRLF line ends.
func writeTextPart(top *bytes.Buffer, w *multipart.Writer, ct, text string) error {
	hdr := textproto.MIMEHeader{"Content-Type": {ct + "; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}}
	var body bytes.Buffer
	qw := quotedprintable.NewWriter(&body)
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qw.Write([]byte(text)); err != nil {
		return err
	}
	if err := qw.Close(); err != nil {
		return err
	}
	if top != nil {
		for _, k := range []string{"Content-Type", "Content-Transfer-Encoding"} {
			top.WriteString(k + ": " + hdr.Get(k) + "\r\n")
		}
		top.WriteString("\r\n")
		_, err := top.Write(body.Bytes())
		return err
	}
	pw, err := w.CreatePart(hdr)
	if err != nil {
		return err
	}
	_, err = pw.Write(body.Bytes())
	return err
}

// writeFile writes an attachment as base64 with its name in RFC 2231 form
// when it is not plain ASCII.
func writeFile(w *multipart.Writer, f File) error {
	ct := f.ContentType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	name := headerSafe(f.Name)
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}, "Content-Disposition": {disp},
		"Content-Transfer-Encoding": {"base64"}})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(f.Data)
	for len(enc) > 76 {
		if _, err := pw.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = pw.Write([]byte(enc + "\r\n"))
	return err
}

// sendPolicy is what an HTML body a member writes may hold: formatting,
// links and inline images, never scripts, handlers, forms or frames.
var sendPolicy = bluemonday.UGCPolicy()

// SafeHTML sanitizes an HTML body before it is sent.
func SafeHTML(html string) string { return sendPolicy.Sanitize(html) }
