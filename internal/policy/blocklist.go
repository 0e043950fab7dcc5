package policy

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// ErrInvalidBlocklistEntry is wrapped by ValidBlocklistEntry's errors.
var ErrInvalidBlocklistEntry = errors.New("invalid blocklist entry")

// ValidBlocklistEntry checks a blocklist entry typed by a user and returns
// it in the form to store: a full address ("jane@spam.com") or a domain
// preceded by @ ("@spam.com"), lower-cased and trimmed. "*@spam.com" is
// accepted as "@spam.com". A bare public suffix ("@com", "@co.uk") is
// refused: it would block a whole country or the whole web.
func ValidBlocklistEntry(s string) (string, error) {
	e := normalize(s)
	if rest, ok := strings.CutPrefix(e, "*@"); ok {
		e = "@" + rest
	}
	if e == "" {
		return "", fmt.Errorf("%w: empty; write an address (jane@spam.com) or a domain (@spam.com)", ErrInvalidBlocklistEntry)
	}
	if domain, ok := strings.CutPrefix(e, "@"); ok {
		if err := checkBlockedDomain(domain); err != nil {
			return "", fmt.Errorf("%w %q: %v", ErrInvalidBlocklistEntry, s, err)
		}
		return e, nil
	}
	if !strings.Contains(e, "@") {
		return "", fmt.Errorf("%w %q: write @%s to block a domain, or a full address", ErrInvalidBlocklistEntry, s, e)
	}
	if strings.Count(e, "@") != 1 || !validAddress(e) || strings.ContainsAny(e, "<>\",;:()[]\\") {
		return "", fmt.Errorf("%w %q: not an email address; write jane@spam.com or @spam.com", ErrInvalidBlocklistEntry, s)
	}
	return e, nil
}

func checkBlockedDomain(domain string) error {
	if !validDomain(domain) {
		return errors.New("not a domain; write @spam.com")
	}
	if suffix, _ := publicsuffix.PublicSuffix(domain); suffix == domain {
		return fmt.Errorf("%s is a public suffix shared by unrelated organizations; block a domain under it", domain)
	}
	return nil
}

// MatchesBlocklist returns the first entry that matches email: an address
// entry matches that address (case ignored), an @domain entry matches that
// domain and its subdomains (@twenty.com matches hello@twenty.twenty.com,
// not hello@twentytwenty.com). The entry is returned as given.
func MatchesBlocklist(entries []string, email string) (entry string, ok bool) {
	addr := normalize(email)
	domain := domainOf(addr)
	if domain == "" {
		return "", false
	}
	for _, raw := range entries {
		e := normalize(raw)
		if d, isDomain := strings.CutPrefix(e, "@"); isDomain {
			if withinDomain(domain, d) {
				return raw, true
			}
		} else if e != "" && e == addr {
			return raw, true
		}
	}
	return "", false
}
