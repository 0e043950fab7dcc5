package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
)

// enmimeParser is configured to recover as much as it can from broken mail
// and to trust a declared charset (detection is slow and misreads short text).
var enmimeParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.StripMediaTypeInvalidCharacters(true),
	enmime.DisableCharacterDetection(true),
	enmime.MaxStoredPartErrors(1),
)

// parseBody fills Text, HTML and Attachments and returns the charset the body
// declares, which is the best guess for raw 8-bit header bytes.
// Text and HTML are cut at MaxBodyBytes; multiparts nested deeper than
// MaxMIMEDepth are not read at all.
func (m *Message) parseBody(h header, body []byte) (charset string) {
	prefix := bodyPrefix(body)
	if text, cs, ok := plainText(h, prefix); ok {
		m.Text = m.limitBody(text, "text", len(prefix) < len(body))
		return cs
	}
	if fastAlternative && len(prefix) == len(body) {
		if text, html, cs, ok := alternative(h, body); ok {
			m.Text = m.limitBody(cleanBody(text, true), "text", false)
			m.HTML = m.limitBody(cleanBody(html, false), "HTML", false)
			return cs
		}
	}
	if d := mimeDepth(h.get("Content-Type"), body, MaxMIMEDepth); d > MaxMIMEDepth {
		m.Limits = append(m.Limits, fmt.Sprintf("MIME parts nested deeper than %d levels: body not read", MaxMIMEDepth))
		return ""
	}
	env, err := enmimeParser.ReadEnvelope(io.MultiReader(
		strings.NewReader(contentHeader(h)), bytes.NewReader(body)))
	if err != nil {
		// enmime gave up on the structure: the raw body beats no body.
		m.Text = m.limitBody(cleanBody(string(prefix), true), "text", len(prefix) < len(body))
		return ""
	}
	m.Text = m.limitBody(cleanBody(env.Text, true), "text", false)
	m.HTML = m.limitBody(cleanBody(env.HTML, false), "HTML", false)
	m.Attachments = attachments(env.Root)
	return bodyCharset(env.Root)
}

// contentHeader returns the fields enmime needs to parse the body; the rest
// of the header (often most of a small message) is parsed here, once.
func contentHeader(h header) string {
	var b strings.Builder
	for _, f := range h {
		if len(f.name) > 8 && strings.EqualFold(f.name[:8], "content-") {
			b.WriteString(f.name + ": " + f.value + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// plainText decodes the body of a single-part text/plain message without
// enmime, which is several times faster for the most common kind of mail.
// ok is false when the message needs enmime: another type, an attachment, an
// unknown transfer encoding or charset, or content that fails to decode.
func plainText(h header, body []byte) (text, charset string, ok bool) {
	params := map[string]string{}
	if ct := h.get("Content-Type"); ct != "" {
		var (
			mt  string
			err error
		)
		mt, params, err = mime.ParseMediaType(ct)
		if err != nil {
			return "", "", false
		}
		// A multipart without a boundary cannot be split: it is all text.
		if mt != "text/plain" && (!strings.HasPrefix(mt, "multipart/") || params["boundary"] != "") {
			return "", "", false
		}
	}
	if cd := strings.ToLower(h.get("Content-Disposition")); cd != "" && !strings.HasPrefix(cd, "inline") {
		return "", "", false
	}
	decoded, ok := decodeTransfer(h.get("Content-Transfer-Encoding"), body)
	if !ok {
		return "", "", false
	}
	charset = params["charset"]
	if isUTF8(charset) {
		if utf8.Valid(decoded) {
			return cleanBody(string(decoded), true), charset, true
		}
		// Declared (or defaulted to) ASCII but 8-bit: almost always Windows Latin.
		charset = "windows-1252"
	}
	s, err := decodeCharset(charset, decoded)
	if err != nil {
		return "", "", false
	}
	return cleanBody(s, true), charset, true
}

// decodeTransfer undoes a Content-Transfer-Encoding.
func decodeTransfer(cte string, body []byte) ([]byte, bool) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return body, true
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return b, err == nil
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, body)
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(string(clean), "="))
		return b, err == nil
	}
	return nil, false
}

// attachments lists the parts that are not the message's text or HTML body.
func attachments(root *enmime.Part) []Attachment {
	var out []Attachment
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if a, ok := attachment(p); ok {
			out = append(out, a)
		}
		return false
	})
	return out
}

// attachment describes p when it is an attachment or inline file.
func attachment(p *enmime.Part) (Attachment, bool) {
	ct := strings.ToLower(p.ContentType)
	if p.FirstChild != nil || strings.HasPrefix(ct, "multipart/") {
		return Attachment{}, false
	}
	isAttachment := strings.EqualFold(p.Disposition, "attachment")
	switch {
	case (ct == "text/plain" || ct == "text/html") && !isAttachment:
		return Attachment{}, false // a body part
	case ct == "" && p.FileName == "" && !isAttachment:
		return Attachment{}, false // an untyped, unnamed part: nothing to show
	case ct == "":
		ct = "application/octet-stream"
	}
	return Attachment{
		Filename:    clean(p.FileName),
		ContentType: clean(ct),
		Size:        len(p.Content),
		Content:     p.Content,
		Inline:      strings.EqualFold(p.Disposition, "inline") || (p.Disposition == "" && p.ContentID != ""),
	}, true
}

// bodyCharset returns the charset declared by the first text part.
func bodyCharset(root *enmime.Part) string {
	p := root.DepthMatchFirst(func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && p.Charset != ""
	})
	if p == nil {
		return ""
	}
	if p.OrigCharset != "" {
		return p.OrigCharset
	}
	return p.Charset
}
