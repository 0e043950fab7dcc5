package mailgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// role says what kind of address a person is, which decides what they send.
type role int

const (
	roleContact   role = iota // an external person
	roleColleague             // a person on the owner's domain
	roleOwner                 // the mailbox owner
	roleGroup                 // support@, sales@ …
	roleNoreply               // noreply@, newsletter@ …
)

type person struct {
	first, last string
	addr        string
	charset     string // preferred for headers and bodies
	lang        string // "en" or a key of localTexts
	zone        int    // UTC offset in minutes
	role        role
}

func (p *person) name() string {
	switch {
	case p.last == "":
		return p.first
	case p.lang == "ja":
		return p.last + " " + p.first // family name first
	default:
		return p.first + " " + p.last
	}
}

func (p *person) domain() string { return p.addr[strings.LastIndexByte(p.addr, '@')+1:] }

// mailbox renders p as a mailbox for an address header the way assorted mail clients
// do: bare, quoted, "Last, First", or with an RFC 2047 encoded display name.
func (p *person) mailbox(r *rand.Rand) string {
	name := p.name()
	switch {
	case name == "" || r.IntN(20) == 0:
		return p.addr
	case !isASCII(name):
		return encodeWords(name, p.charset, nameUsesB(p.charset, r), " ") + " <" + p.addr + ">"
	case p.role == roleContact && r.IntN(10) == 0:
		return quote(p.last+", "+p.first) + " <" + p.addr + ">"
	case !isAtomText(name) || r.IntN(10) < 3:
		return quote(name) + " <" + p.addr + ">"
	default:
		return name + " <" + p.addr + ">"
	}
}

// nameUsesB picks the encoding a client in that charset would likely use: ISO-2022-JP is
// always B, Cyrillic mostly B, Latin mostly Q, UTF-8 either.
func nameUsesB(cs string, r *rand.Rand) bool {
	switch cs {
	case "iso-2022-jp":
		return true
	case "koi8-r":
		return r.IntN(10) < 7
	case "utf-8":
		return r.IntN(2) == 0
	default:
		return r.IntN(10) < 2
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// isAtomText reports whether s is a phrase of RFC 5322 atoms that needs no quoting.
func isAtomText(s string) bool {
	for _, c := range s {
		ok := c == ' ' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", c)
		if !ok {
			return false
		}
	}
	return true
}

// cast is everyone who writes or receives mail in the corpus.
type cast struct {
	owner      *person
	contacts   []*person // external people and colleagues
	colleagues []*person
	groups     []*person
	noreply    []*person
}

func newCast(r *rand.Rand, opts Options) (*cast, error) {
	owner, err := newOwner(opts.Owner, opts.OwnerName)
	if err != nil {
		return nil, err
	}
	c := &cast{owner: owner}
	for _, s := range contacts {
		c.contacts = append(c.contacts, &person{
			first: s.first, last: s.last, addr: localPart(r, s) + "@" + s.domain,
			charset: s.charset, lang: s.lang, zone: s.zone, role: roleContact,
		})
	}
	for _, n := range colleagueNames {
		addr := strings.ToLower(n[0]) + "@" + owner.domain()
		c.colleagues = append(c.colleagues, colleague(n[0], n[1], addr))
	}
	for _, addr := range opts.Colleagues {
		local, _, ok := strings.Cut(addr, "@")
		if !ok || local == "" {
			return nil, fmt.Errorf("mailgen: colleague %q is not an address", addr)
		}
		first, last, _ := strings.Cut(nameFromLocal(local), " ")
		c.colleagues = append(c.colleagues, colleague(first, last, addr))
	}
	c.contacts = append(c.contacts, c.colleagues...)
	for _, lp := range roleLocalparts {
		for _, d := range companyDomains[:4] {
			c.groups = append(c.groups, &person{first: title(lp), last: "Team", addr: lp + "@" + d,
				charset: "us-ascii", lang: "en", role: roleGroup})
		}
	}
	for _, lp := range noreplyLocalparts {
		for _, d := range companyDomains[4:8] {
			kind := "Notifications"
			if lp == "newsletter" {
				kind = "Newsletter"
			}
			c.noreply = append(c.noreply, &person{first: brand(d), last: kind, addr: lp + "@" + d,
				charset: "us-ascii", lang: "en", role: roleNoreply})
		}
	}
	return c, nil
}

func newOwner(addr, name string) (*person, error) {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return nil, fmt.Errorf("mailgen: owner %q is not an address", addr)
	}
	if name == "" {
		name = nameFromLocal(local)
	}
	first, last, _ := strings.Cut(name, " ")
	return &person{first: first, last: last, addr: addr, charset: "us-ascii", lang: "en",
		zone: 60, role: roleOwner}, nil
}

func colleague(first, last, addr string) *person {
	return &person{first: first, last: last, addr: addr, charset: "us-ascii", lang: "en",
		zone: 60, role: roleColleague}
}

// localPart picks one of the usual address styles: first.last, flast or first at a
// company; first.last with digits at a free-mail provider.
func localPart(r *rand.Rand, s contactSpec) string {
	if s.free {
		return fmt.Sprintf("%s.%s%d", s.asciiFirst, s.asciiLast, 1+r.IntN(99))
	}
	switch r.IntN(3) {
	case 0:
		return s.asciiFirst + "." + s.asciiLast
	case 1:
		return s.asciiFirst[:1] + s.asciiLast
	default:
		return s.asciiFirst
	}
}

// nameFromLocal guesses a display name from an address's local part: "bob.smith" is
// "Bob Smith".
func nameFromLocal(local string) string {
	words := strings.FieldsFunc(local, func(c rune) bool { return c == '.' || c == '_' || c == '-' })
	for i, w := range words {
		words[i] = title(w)
	}
	return strings.Join(words, " ")
}

// brand turns a domain into the company's name: "stark-industries.com" is
// "Stark Industries".
func brand(domain string) string {
	label, _, _ := strings.Cut(domain, ".")
	return nameFromLocal(label)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
