package mime

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"
)

// fastAlternative turns alternative on; the test that compares it with
// enmime turns it off.
var fastAlternative = true

// alternative decodes the most common multipart without enmime: a
// multipart/alternative of exactly one text/plain part then one text/html
// part, in UTF-8 (or ASCII), each a leaf with a plain transfer encoding.
// It gives what enmime gives for such a message (a test compares the two
// over a generated corpus); ok is false for anything else, which enmime
// then reads. charset is the first part's declared charset.
func alternative(h header, body []byte) (text, html, charset string, ok bool) {
	mt, params, err := mime.ParseMediaType(h.get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		return "", "", "", false
	}
	parts, ok := splitParts(body, params["boundary"])
	if !ok || len(parts) != 2 {
		return "", "", "", false
	}
	var out [2]string
	var charsets [2]string
	for i, want := range []string{"text/plain", "text/html"} {
		ph, pbody, err := splitMessage(parts[i])
		if err != nil {
			return "", "", "", false
		}
		for _, f := range ph {
			// Only the fields a leaf text part carries; anything else
			// (a disposition, an id, a description) goes to enmime.
			switch strings.ToLower(f.name) {
			case "content-type", "content-transfer-encoding":
			default:
				return "", "", "", false
			}
		}
		pt, pparams, err := mime.ParseMediaType(ph.get("Content-Type"))
		if err != nil || pt != want || !isUTF8(pparams["charset"]) || pparams["charset"] == "" {
			return "", "", "", false
		}
		decoded, ok := decodeTransfer(ph.get("Content-Transfer-Encoding"), pbody)
		if !ok || !utf8.Valid(decoded) || bytes.IndexByte(decoded, 0) >= 0 {
			return "", "", "", false
		}
		out[i], charsets[i] = string(decoded), pparams["charset"]
	}
	return out[0], out[1], charsets[0], true
}

// splitParts cuts a multipart body at its boundary lines (RFC 2046 §5.1.1:
// the line break before a delimiter belongs to it). ok is false when the
// body has no closing delimiter, or text after it other than blank lines.
func splitParts(body []byte, boundary string) ([][]byte, bool) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content, -1 in the preamble
	for pos := 0; pos < len(body); {
		line, rest := nextLine(body[pos:])
		next := len(body) - len(rest)
		if bytes.HasPrefix(line, delim) {
			tail := bytes.TrimRight(line[len(delim):], " \t\r\n")
			closing := bytes.Equal(tail, []byte("--"))
			if len(tail) > 0 && !closing {
				return nil, false // a line that merely starts like the delimiter
			}
			if start >= 0 {
				parts = append(parts, trimLineBreak(body[start:pos]))
			}
			if closing {
				return parts, len(bytes.TrimSpace(body[next:])) == 0
			}
			start = next
		}
		pos = next
	}
	return nil, false
}

// trimLineBreak removes the one line break that ends a part's content.
func trimLineBreak(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b[:len(b)-2]
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}
