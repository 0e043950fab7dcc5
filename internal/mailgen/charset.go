package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// legacyCharsets are the non-UTF-8 charsets the generator writes.
var legacyCharsets = map[string]encoding.Encoding{
	"iso-8859-1":   charmap.ISO8859_1,
	"iso-8859-2":   charmap.ISO8859_2,
	"windows-1252": charmap.Windows1252,
	"koi8-r":       charmap.KOI8R,
	"iso-2022-jp":  japanese.ISO2022JP,
}

// toCharset converts the UTF-8 string s to charset cs. ok is false when cs cannot hold
// every character of s or is unknown.
func toCharset(cs, s string) (b []byte, ok bool) {
	switch cs {
	case "utf-8":
		return []byte(s), true
	case "us-ascii":
		return []byte(s), isASCII(s)
	}
	enc, known := legacyCharsets[cs]
	if !known {
		return nil, false
	}
	out, err := enc.NewEncoder().String(s)
	if err != nil {
		return nil, false
	}
	return []byte(out), true
}

// fitCharset returns the charset to write s in: cs when it can hold s, else UTF-8 (as mail
// clients do), and US-ASCII text declared as such only when it is ASCII.
func fitCharset(cs, s string) string {
	if cs == "us-ascii" && !isASCII(s) {
		return "utf-8"
	}
	if _, ok := toCharset(cs, s); !ok {
		return "utf-8"
	}
	return cs
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxWordLen is the longest RFC 2047 encoded-word allowed (RFC 2047 section 2).
const maxWordLen = 75

// encodeWords returns s as RFC 2047 encoded-words in charset cs (UTF-8 when cs cannot
// hold s), using the B encoding when b is true and Q otherwise. Each word is at most 75
// characters and holds whole characters, so stateful charsets such as ISO-2022-JP return
// to ASCII inside every word. Words are joined by sep.
func encodeWords(s, cs string, b bool, sep string) string {
	cs = fitCharset(cs, s)
	if cs == "us-ascii" {
		cs = "utf-8"
	}
	runes := []rune(s)
	var words []string
	start := 0
	for start < len(runes) {
		end := start + 1
		word := encodedWord(cs, string(runes[start:end]), b)
		for end < len(runes) {
			next := encodedWord(cs, string(runes[start:end+1]), b)
			if len(next) > maxWordLen {
				break
			}
			word = next
			end++
		}
		words = append(words, word)
		start = end
	}
	return strings.Join(words, sep)
}

func encodedWord(cs, s string, b bool) string {
	raw, _ := toCharset(cs, s)
	if b {
		return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString(raw) + "?="
	}
	var w strings.Builder
	w.WriteString("=?" + cs + "?Q?")
	for _, c := range raw {
		switch {
		case c == ' ':
			w.WriteByte('_')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '!', c == '*', c == '+', c == '-', c == '/':
			// The characters RFC 2047 section 5 allows in a phrase, so the word is
			// valid in display names as well as in unstructured fields.
			w.WriteByte(c)
		default:
			fmt.Fprintf(&w, "=%02X", c)
		}
	}
	w.WriteString("?=")
	return w.String()
}

// encodeBody applies a content-transfer-encoding to b. Line breaks in b may be LF or CRLF;
// the result uses CRLF and ends with one.
func encodeBody(b []byte, cte string) []byte {
	switch cte {
	case "base64":
		return base64Lines(b)
	case "quoted-printable":
		var out bytes.Buffer
		w := quotedprintable.NewWriter(&out)
		// Writes to a bytes.Buffer cannot fail.
		_, _ = w.Write(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
		_ = w.Close()
		return withFinalCRLF(out.Bytes())
	default:
		return withFinalCRLF(crlf(b))
	}
}

// base64Lines encodes b in base64 lines of 76 characters.
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(enc) > 76 {
		out.WriteString(enc[:76])
		out.WriteString("\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc)
	out.WriteString("\r\n")
	return out.Bytes()
}

// crlf turns every bare LF of b into CRLF.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

func withFinalCRLF(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b
	}
	return append(b, '\r', '\n')
}
