package mailgen

import (
	"bytes"
	"strings"
)

// part is one MIME entity: a header and either an encoded body or child parts.
type part struct {
	header   []field
	body     []byte // encoded, CRLF line breaks, ends with CRLF; unused when parts is set
	parts    []*part
	boundary string
	preamble string // text before the first boundary, for clients without MIME
}

// field is a header field whose value is already encoded and folded.
type field struct{ name, value string }

func (p *part) add(name, value string) { p.header = append(p.header, field{name, value}) }

// prepend puts fields before p's own, so a message's envelope headers come before its
// Content-Type as most clients write them.
func (p *part) prepend(fields []field) { p.header = append(fields, p.header...) }

// bytes serializes p with CRLF line breaks.
func (p *part) bytes() []byte {
	var b bytes.Buffer
	p.write(&b)
	return b.Bytes()
}

func (p *part) write(b *bytes.Buffer) {
	for _, f := range p.header {
		b.WriteString(f.name)
		b.WriteString(": ")
		b.WriteString(f.value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	if p.parts == nil {
		b.Write(p.body)
		return
	}
	b.WriteString(p.preamble)
	for i, c := range p.parts {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("--" + p.boundary + "\r\n")
		c.write(b)
	}
	b.WriteString("\r\n--" + p.boundary + "--\r\n")
}

// foldList joins header items with ", ", breaking the line before an item that would
// take it past 78 characters. used is how much of the first line the field name takes.
func foldList(items []string, used int) string {
	var b strings.Builder
	col := used
	for i, it := range items {
		if i > 0 {
			if col+2+len(it) > 78 {
				b.WriteString(",\r\n ")
				col = 1
			} else {
				b.WriteString(", ")
				col += 2
			}
		}
		b.WriteString(it)
		col += len(it)
		if j := strings.LastIndex(it, "\n"); j >= 0 {
			col = len(it) - j
		}
	}
	return b.String()
}
