package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// nameSuffixes are generational and academic suffixes that follow a name
// after a comma ("Jane Doe, PhD"); they are dropped rather than mistaken for
// a first name.
var nameSuffixes = map[string]bool{
	"jr": true, "sr": true, "ii": true, "iii": true, "iv": true,
	"phd": true, "md": true, "esq": true, "mba": true, "dds": true, "cpa": true,
}

// PersonName derives a first and last name for a new contact (SPEC §5.2).
// The display name wins: "Doe, Jane" gives Jane / Doe, "Jane Q. Doe" gives
// Jane / Q. Doe, surrounding quotes and parenthesized comments are removed,
// a trailing :TAG is dropped and dots joining words split like spaces
// ("John.Doe Smith" gives John / Doe Smith; see displayWords).
// A display name that is empty, holds an @ (an address, or "jane@x via
// Docs") or repeats the local part is ignored, and the local part of email
// is split instead: jane.doe+crm gives Jane / Doe, with '.', '_' and '-' as
// separators and each word capitalized. A single word is a first name only;
// last is never set without first.
func PersonName(displayName, email string) (first, last string) {
	first, last = nameFromDisplay(displayName)
	if first == "" || (last == "" && isLocalPart(first, email)) {
		// No display name, or one that merely repeats the local part
		// ("jane.doe" for jane.doe@acme.com): split the local part.
		return nameFromLocalPart(email)
	}
	return first, last
}

// isLocalPart reports whether name is the local part of email, with or
// without its +tag, case ignored.
func isLocalPart(name, email string) bool {
	local, _, ok := splitAddress(normalize(email))
	if !ok {
		return false
	}
	untagged, _, _ := strings.Cut(local, "+")
	name = strings.ToLower(name)
	return name == local || name == untagged
}

func nameFromDisplay(s string) (first, last string) {
	s = cleanText(s)
	if strings.Contains(s, "@") {
		return "", ""
	}
	s = trimQuotes(s)
	// Drop comments ("Jane Doe (Acme)"), but a name that is only a comment
	// is the old "jane@acme.com (Jane Doe)" form: keep its text.
	if t := cleanText(stripComments(s)); t != "" {
		s = trimQuotes(t)
	} else {
		s = trimQuotes(strings.Trim(s, "() "))
	}
	parts := make([]string, 0, 2)
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.Join(displayWords(trimQuotes(p)), " "); p != "" {
			parts = append(parts, p)
		}
	}
	for len(parts) > 1 && nameSuffixes[strings.ToLower(strings.TrimSuffix(parts[len(parts)-1], "."))] {
		parts = parts[:len(parts)-1]
	}
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		first, last, _ = strings.Cut(parts[0], " ")
		return first, strings.TrimSpace(last)
	default: // "Doe, Jane": last name first
		return strings.Join(parts[1:], " "), parts[0]
	}
}

// displayWords splits one comma-separated part of a display name into
// words as a person would read them. Some mail servers append a :TAG to a
// name ("Jane:GROUP"): it is dropped. Some clients build the name from the
// address ("John.Doe"): dots joining words split like spaces, and a name
// written all in lower case, as addresses are, is capitalized. The word
// right after a dotted one is dropped when it repeats the dotted one's last
// word ("John.Doe Doe"): the client appended the last name it already had.
func displayWords(part string) []string {
	var out []string
	repeat := ""
	for _, w := range strings.Fields(part) {
		w = dropTag(w)
		if repeat != "" && strings.EqualFold(w, repeat) {
			repeat = ""
			continue
		}
		repeat = ""
		words := splitDotted(w)
		if len(words) > 1 {
			if strings.ToLower(w) == w {
				for i, d := range words {
					words[i] = capitalize(d)
				}
			}
			repeat = words[len(words)-1]
		}
		out = append(out, words...)
	}
	return out
}

// dropTag removes a trailing :TAG (a colon then letters only) from a word:
// "Jane:GROUP" gives "Jane". A word that starts with the colon is kept.
func dropTag(w string) string {
	i := strings.LastIndexByte(w, ':')
	if i <= 0 || i == len(w)-1 {
		return w
	}
	for _, r := range w[i+1:] {
		if !unicode.IsLetter(r) {
			return w
		}
	}
	return w[:i]
}

// splitDotted splits a word at the dots that join words: "John.Doe" and
// "Dr.Who" give two words. Only when every part has two letters or more:
// initials ("J.", "J.R.R.", "J.Doe") stay as written, and so does a word
// that merely ends with a dot ("Jr.").
func splitDotted(w string) []string {
	parts := strings.Split(strings.Trim(w, "."), ".")
	if len(parts) < 2 {
		return []string{w}
	}
	for _, p := range parts {
		letters := 0
		for _, r := range p {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters < 2 {
			return []string{w}
		}
	}
	return parts
}

func nameFromLocalPart(email string) (first, last string) {
	local, _, ok := splitAddress(normalize(email))
	if !ok {
		return "", ""
	}
	local, _, _ = strings.Cut(local, "+")
	words := strings.FieldsFunc(cleanText(local), func(r rune) bool {
		return r == '.' || r == '_' || r == '-' || r == '@' || r == '"' || r == ' '
	})
	// Drop numbers (jane.doe.1987) unless nothing else is left.
	var named []string
	for _, w := range words {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			named = append(named, w)
		}
	}
	if len(named) > 0 {
		words = named
	}
	if len(words) == 0 {
		return "", ""
	}
	for i, w := range words {
		words[i] = capitalize(w)
	}
	return words[0], strings.Join(words[1:], " ")
}

// cleanText drops invalid UTF-8 and control characters and collapses runs
// of white space into single spaces.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// trimQuotes removes quotes and spaces around s, however nested.
func trimQuotes(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'`“”‘’«»", r)
	})
}

// stripComments removes parenthesized text: "Jane Doe (Acme)" gives
// "Jane Doe ". Unbalanced parentheses are kept as they are.
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	if depth != 0 {
		return s
	}
	return b.String()
}

// capitalize upper-cases the first letter of a word and lower-cases the
// rest: "DOE" and "doe" give "Doe".
func capitalize(w string) string {
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToTitle(r)) + strings.ToLower(w[size:])
}

// CompanyNameFromDomain names a company after its registrable domain's
// first label: acme-tools.com gives "Acme Tools", eu.acme.co.uk gives
// "Acme", xn--mnchen-3ya.de gives "München". It returns "" when no name can
// be derived.
func CompanyNameFromDomain(domain string) string {
	d, err := RegistrableDomain(domain)
	if err != nil {
		d = normalize(domain)
		if i := strings.LastIndexByte(d, '@'); i >= 0 {
			d = d[i+1:]
		}
	}
	label, _, _ := strings.Cut(d, ".")
	if u, err := idna.ToUnicode(label); err == nil {
		label = u
	}
	words := strings.FieldsFunc(cleanText(label), func(r rune) bool {
		return r == '-' || r == '_' || r == ' '
	})
	for i, w := range words {
		words[i] = capitalize(w)
	}
	return strings.Join(words, " ")
}
