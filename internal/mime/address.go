package mime

import (
	"net/mail"
	"strings"
)

// splitAddressList splits at top-level commas, dropping group names and
// group terminators. Quoted strings, comments and angle brackets are opaque.
// A missing comma after "<addr>" is tolerated.
func splitAddressList(v string) []string {
	var (
		elems   []string
		start   int
		quoted  bool
		comment int
		angle   bool
		closed  bool // an angle-addr ended and only CFWS may follow
	)
	flush := func(end int) {
		if e := strings.TrimSpace(v[start:end]); e != "" {
			elems = append(elems, e)
		}
		start = end + 1
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if closed && !quoted && comment == 0 {
			switch c {
			case ' ', '\t', '\r', '\n', '(':
			case ',', ';':
				closed = false
			default:
				flush(i)
				start = i
				closed = false
			}
		}
		switch {
		case c == '\\' && (quoted || comment > 0):
			i++
		case quoted:
			quoted = c != '"'
		case comment > 0:
			switch c {
			case '(':
				comment++
			case ')':
				comment--
			}
		case c == '"':
			quoted = true
		case c == '(':
			comment = 1
		case angle:
			angle = c != '>'
			closed = !angle
		case c == '<':
			angle = true
		case c == ',', c == ';':
			flush(i)
		case c == ':':
			start = i + 1 // the text before it was a group name
		}
	}
	flush(len(v))
	return elems
}

// address parses one mailbox. ok is false when elem holds nothing at all.
func (d *decoder) address(elem string) (Address, bool) {
	parser := mail.AddressParser{WordDecoder: &d.words}
	if a, err := parser.Parse(elem); err == nil {
		return Address{Name: d.displayName(a.Name), Email: strings.ToLower(a.Address)}, true
	}
	if a, ok := d.lenientAddress(elem); ok {
		return a, true
	}
	raw := clean(elem)
	if raw == "" || raw == "<>" {
		return Address{}, false
	}
	return Address{Raw: raw}, true
}

// lenientAddress handles what net/mail rejects but mailers send: an
// unquoted display name containing "@" or other specials before <addr>, and a
// bare address after a name without angle brackets.
func (d *decoder) lenientAddress(elem string) (Address, bool) {
	if open := strings.LastIndexByte(elem, '<'); open >= 0 {
		end := strings.IndexByte(elem[open:], '>')
		if end < 0 {
			return Address{}, false
		}
		email, ok := addrSpec(elem[open+1 : open+end])
		if !ok {
			return Address{}, false
		}
		return Address{Name: d.displayName(elem[:open]), Email: email}, true
	}
	fields := strings.Fields(elem)
	if len(fields) < 2 {
		return Address{}, false
	}
	last := fields[len(fields)-1]
	email, ok := addrSpec(last)
	if !ok {
		return Address{}, false
	}
	name := strings.TrimSpace(strings.TrimSuffix(elem, last))
	return Address{Name: d.displayName(name), Email: email}, true
}

// addrSpec validates and lower-cases a bare local@domain, dropping an
// obsolete source route ("@relay:user@host").
func addrSpec(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.HasPrefix(s, "@") {
		s = s[i+1:]
	}
	if s == "" {
		return "", false
	}
	a, err := mail.ParseAddress("<" + s + ">")
	if err != nil || a.Address == "" {
		return "", false
	}
	return strings.ToLower(a.Address), true
}

// displayName decodes a display name and removes surrounding quotes.
func (d *decoder) displayName(s string) string {
	s = strings.TrimSpace(s)
	for range 2 {
		s = unquote(s)
		if strings.Contains(s, "=?") {
			s = d.words2047(s)
		}
	}
	return clean(s)
}

// unquote removes one pair of surrounding quotes (" or ') and unescapes
// backslash pairs inside double quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return s
	}
	first, last := s[0], s[len(s)-1]
	switch {
	case first == '"' && last == '"':
		s = s[1 : len(s)-1]
		if strings.IndexByte(s, '\\') >= 0 {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			s = b.String()
		}
	case first == '\'' && last == '\'':
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}
