package mime

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// charsetReader converts from a named charset to UTF-8 for mime.WordDecoder.
// It decodes in one step: the input is a short encoded word, and a streaming
// transform.Reader would allocate kilobytes of buffers for each.
func charsetReader(name string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	s, err := decodeCharset(name, b)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(s), nil
}

// isUTF8 reports whether a charset name means UTF-8 or its subset US-ASCII.
func isUTF8(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// encodings caches charset lookups by lower-cased name; nil means unknown.
var encodings sync.Map // string -> encoding.Encoding

// lookupEncoding finds a charset by its IANA name or alias, as mail uses them,
// falling back to the names browsers accept.
func lookupEncoding(name string) encoding.Encoding {
	name = strings.ToLower(strings.Trim(name, " \t\"'"))
	if e, ok := encodings.Load(name); ok {
		enc, _ := e.(encoding.Encoding)
		return enc
	}
	enc, err := ianaindex.MIME.Encoding(name)
	if enc == nil || err != nil {
		enc, err = ianaindex.MIME.Encoding("cs" + name)
	}
	if enc == nil || err != nil {
		enc, _ = htmlindex.Get(name)
	}
	encodings.Store(name, enc)
	return enc
}

// decodeCharset converts b from the named charset to UTF-8.
func decodeCharset(name string, b []byte) (string, error) {
	if isUTF8(name) {
		return string(b), nil
	}
	enc := lookupEncoding(name)
	if enc == nil {
		return "", fmt.Errorf("unknown charset %q", name)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("charset %q: %w", name, err)
	}
	return string(out), nil
}

// clean makes a one-line header value safe to store: valid UTF-8, no control
// characters (NUL is rejected by PostgreSQL), runs of whitespace collapsed.
func clean(s string) string {
	if isPlainLine(s) {
		return strings.TrimSpace(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isPlainLine reports whether s is printable ASCII without double spaces,
// the common case that needs no cleaning beyond trimming.
func isPlainLine(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || (c == ' ' && i > 0 && s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// cleanBody makes a body safe to store: valid UTF-8, no NUL bytes, and for
// text, LF line endings without leading blank lines or trailing whitespace.
func cleanBody(s string, text bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if text && strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if text {
		s = strings.TrimRight(strings.TrimLeft(s, "\n"), " \t\n")
	}
	return s
}
