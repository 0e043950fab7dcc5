package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/net/publicsuffix"
)

// ErrNoRegistrableDomain is returned by RegistrableDomain when the domain is
// empty, malformed, or itself a public suffix (com, co.uk).
var ErrNoRegistrableDomain = errors.New("no registrable domain")

// normalize lower-cases an address or domain and trims spaces and a
// trailing root dot from it.
func normalize(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// splitAddress returns the local part and domain of a normalized address.
// It splits at the last '@' (a quoted local part may hold one) and reports
// false when either side is empty.
func splitAddress(email string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(email, '@')
	if i <= 0 || i == len(email)-1 {
		return "", "", false
	}
	return email[:i], email[i+1:], true
}

// domainOf returns the normalized domain of an address, or "" when the
// address is malformed.
func domainOf(email string) string {
	_, domain, ok := splitAddress(normalize(email))
	if !ok {
		return ""
	}
	return domain
}

// withinDomain reports whether domain is parent or one of its subdomains.
// Both must be normalized.
func withinDomain(domain, parent string) bool {
	if parent == "" || domain == "" {
		return false
	}
	return domain == parent || strings.HasSuffix(domain, "."+parent)
}

// RegistrableDomain returns the registrable domain ("eTLD+1", public suffix
// aware) of an address or of a bare domain: a@eu.acme.co.uk and
// eu.acme.co.uk both give acme.co.uk. It fails for malformed input and for
// public suffixes themselves.
func RegistrableDomain(emailOrDomain string) (string, error) {
	s := normalize(emailOrDomain)
	if strings.Contains(s, "@") {
		_, domain, ok := splitAddress(s)
		if !ok {
			return "", fmt.Errorf("registrable domain of %q: %w", emailOrDomain, ErrNoRegistrableDomain)
		}
		s = domain
	}
	if !validDomain(s) {
		return "", fmt.Errorf("registrable domain of %q: %w", emailOrDomain, ErrNoRegistrableDomain)
	}
	rd, err := publicsuffix.EffectiveTLDPlusOne(s)
	if err != nil {
		return "", fmt.Errorf("registrable domain of %q: %w: %v", emailOrDomain, ErrNoRegistrableDomain, err)
	}
	return rd, nil
}

// validDomain reports whether s (normalized) looks like a host name: at
// least two dot-separated labels of letters, digits and inner hyphens, within
// DNS length limits. Letters may be non-ASCII (internationalized domains as
// written in headers).
func validDomain(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(label string) bool {
	if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, r := range label {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
		case r > 0x7f && isLetterOrDigit(r):
		default:
			return false
		}
	}
	return true
}

func isLetterOrDigit(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// validAddress reports whether a normalized address has a non-empty local
// part without spaces or control characters and a valid domain.
func validAddress(email string) bool {
	local, domain, ok := splitAddress(email)
	if !ok || len(local) > 64 || !validDomain(domain) {
		return false
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
