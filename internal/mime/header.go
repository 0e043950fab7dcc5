package mime

import (
	"bytes"
	"errors"
	"mime"
	"strings"
	"unicode/utf8"
)

// field is one header field: its name as written and its unfolded, undecoded value.
type field struct {
	name  string
	value string
}

// header is a message header in the order it was written.
type header []field

// get returns the first value of the named field, or "".
func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// all returns every value of the named field in header order.
func (h header) all(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

var (
	errEmpty    = errors.New("empty message")
	errNoHeader = errors.New("no header block: first line is not a header field")
)

// splitMessage separates the header block from the body and parses the header
// leniently: unindented lines without a colon continue the previous field, lines
// with an invalid field name are dropped, and a leading mbox "From " line is
// skipped. It fails only when the input does not start with a header field,
// or when the header block is over MaxHeaderBytes.
func splitMessage(raw []byte) (header, []byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, errEmpty
	}
	rest := raw
	if bytes.HasPrefix(rest, []byte("From ")) {
		_, rest = nextLine(rest)
	}
	var (
		h     header
		value []byte // the value of the last field, unfolded so far
		body  []byte
	)
	flush := func() {
		if len(h) > 0 {
			h[len(h)-1].value = string(bytes.TrimSpace(value))
		}
	}
	for len(rest) > 0 {
		if len(raw)-len(rest) > MaxHeaderBytes {
			return nil, nil, errHeaderTooLarge
		}
		line, next := nextLine(rest)
		if len(line) == 0 {
			if len(h) == 0 {
				return nil, nil, errNoHeader
			}
			body = next
			break
		}
		rest = next
		if line[0] == ' ' || line[0] == '\t' {
			value = unfold(value, line)
			continue
		}
		name, v, ok := splitField(line)
		switch {
		case ok:
			flush()
			h = append(h, field{name: name})
			value = append(value[:0], bytes.TrimLeft(v, " \t")...)
		case len(h) == 0:
			return nil, nil, errNoHeader
		case bytes.IndexByte(line, ':') < 0:
			value = unfold(value, line)
		}
	}
	if len(h) == 0 {
		return nil, nil, errNoHeader
	}
	flush()
	return h, body, nil
}

// nextLine returns the first line of b without its line ending, and the rest.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		line, rest = b, nil
	} else {
		line, rest = b[:i], b[i+1:]
	}
	return bytes.TrimSuffix(line, []byte{'\r'}), rest
}

// unfold appends a continuation line to a field value, joined by one space.
func unfold(value, line []byte) []byte {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return value
	}
	if len(value) > 0 {
		value = append(value, ' ')
	}
	return append(value, line...)
}

// splitField splits "Name: value". Whitespace between the name and the colon
// is tolerated; a name must otherwise be printable ASCII without spaces.
func splitField(line []byte) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", nil, false
	}
	n := bytes.TrimRight(line[:i], " \t")
	if len(n) == 0 {
		return "", nil, false
	}
	for _, c := range n {
		if c <= ' ' || c >= 0x7f {
			return "", nil, false
		}
	}
	return string(n), line[i+1:], true
}

// decoder decodes header text: raw 8-bit bytes in the message's charset (or
// windows-1252 when that fails), then RFC 2047 encoded words in any charset.
type decoder struct {
	fallback string // charset for raw 8-bit header bytes
	words    mime.WordDecoder
}

func newDecoder(fallback string) *decoder {
	return &decoder{fallback: fallback, words: mime.WordDecoder{CharsetReader: charsetReader}}
}

// text decodes an unstructured header value such as Subject.
func (d *decoder) text(v string) string {
	v = d.raw8bit(v)
	if strings.Contains(v, "=?") {
		v = d.words2047(v)
	}
	return clean(v)
}

// raw8bit converts header bytes that are not UTF-8 to UTF-8.
func (d *decoder) raw8bit(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	if s, err := decodeCharset(d.fallback, []byte(v)); err == nil && utf8.ValidString(s) {
		return s
	}
	s, _ := decodeCharset("windows-1252", []byte(v))
	return s
}

// words2047 decodes RFC 2047 encoded words, leaving the input unchanged when
// they are malformed. Encoded words that wrongly contain spaces (a common
// mistake of hand-written mailers) are retried with the spaces removed.
func (d *decoder) words2047(v string) string {
	s, err := d.words.DecodeHeader(v)
	if err == nil && s != v {
		return s
	}
	if fixed := squeezeEncodedWords(v); fixed != v {
		if s, err := d.words.DecodeHeader(fixed); err == nil {
			return s
		}
	}
	if err != nil {
		return v
	}
	return s
}

// squeezeEncodedWords repairs "=?charset?enc?text?=" words that contain
// whitespace: it is dropped from the charset, the encoding and B text, and
// stands for a space ("_") in Q text.
func squeezeEncodedWords(v string) string {
	var b strings.Builder
	for {
		start := strings.Index(v, "=?")
		if start < 0 {
			break
		}
		parts, n := splitEncodedWord(v[start+2:])
		if n < 0 {
			break
		}
		b.WriteString(v[:start])
		charset, enc, text := squeeze(parts[0]), squeeze(parts[1]), parts[2]
		if strings.EqualFold(enc, "q") {
			text = strings.Join(strings.Fields(text), "_")
		} else {
			text = squeeze(text)
		}
		b.WriteString("=?" + charset + "?" + enc + "?" + text + "?=")
		v = v[start+2+n:]
	}
	b.WriteString(v)
	return b.String()
}

// splitEncodedWord splits "charset?enc?text?=..." (the "=?" already consumed)
// and returns the three parts and the length consumed, or n < 0.
func splitEncodedWord(s string) (parts [3]string, n int) {
	from := 0
	for k := 0; k < 3; k++ {
		i := strings.IndexByte(s[from:], '?')
		if i < 0 {
			return parts, -1
		}
		parts[k] = s[from : from+i]
		from += i + 1
	}
	if from >= len(s) || s[from] != '=' {
		return parts, -1
	}
	return parts, from + 1
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }
