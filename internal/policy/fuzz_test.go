package policy

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzPersonName(f *testing.F) {
	for _, s := range [][2]string{
		{"Doe, Jane", "jd@acme.com"},
		{`"Jane Q. Doe"`, "jane@acme.com"},
		{"jane@acme.com", "jane.doe+crm@acme.com"},
		{"Jane Doe, PhD (Acme)", ""},
		{"(((", "a.b_c-d@x.io"},
		{",,,", "\"a@b\"@x.io"},
		{"\x00\xff", "@"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, display, email string) {
		first, last := PersonName(display, email)
		if last != "" && first == "" {
			t.Fatalf("last name %q without first name", last)
		}
		for _, part := range []string{first, last} {
			if !utf8.ValidString(part) {
				t.Fatalf("invalid UTF-8 in %q", part)
			}
			if strings.TrimSpace(part) != part || strings.Contains(part, "  ") {
				t.Fatalf("untidy spaces in %q", part)
			}
			if strings.Contains(part, "@") {
				t.Fatalf("address in name part %q", part)
			}
			if strings.IndexFunc(part, unicode.IsControl) >= 0 {
				t.Fatalf("control character in %q", part)
			}
		}
	})
}

func FuzzValidBlocklistEntry(f *testing.F) {
	for _, s := range []string{
		"jane@spam.com", "@spam.com", "*@Spam.COM.", " @eu.spam.co.uk ", "@co.uk", "spam.com",
		"a@b@c.com", "@bücher.de", "Jane <jane@spam.com>", "@", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		entry, err := ValidBlocklistEntry(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidBlocklistEntry) {
				t.Fatalf("error %v does not wrap ErrInvalidBlocklistEntry", err)
			}
			return
		}
		if again, err := ValidBlocklistEntry(entry); err != nil || again != entry {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, entry, again, err)
		}
		if entry != strings.ToLower(entry) || strings.TrimSpace(entry) != entry {
			t.Fatalf("entry %q is not normalized", entry)
		}
		if domain, ok := strings.CutPrefix(entry, "@"); ok {
			for _, addr := range []string{"someone@" + domain, "someone@sub." + domain} {
				if _, ok := MatchesBlocklist([]string{entry}, addr); !ok {
					t.Fatalf("entry %q does not match %q", entry, addr)
				}
			}
			if _, ok := MatchesBlocklist([]string{entry}, "someone@x"+domain); ok {
				t.Fatalf("entry %q matches look-alike domain x%s", entry, domain)
			}
			return
		}
		probes := []string{entry}
		if upper := strings.ToUpper(entry); strings.ToLower(upper) == entry {
			probes = append(probes, upper)
		}
		for _, addr := range probes {
			if _, ok := MatchesBlocklist([]string{entry}, addr); !ok {
				t.Fatalf("address entry %q does not match %q", entry, addr)
			}
		}
	})
}
