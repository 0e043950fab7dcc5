package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestIsPersonalProvider(t *testing.T) {
	tests := []struct {
		domain string
		want   bool
	}{
		{"gmail.com", true},
		{"googlemail.com", true},
		{"outlook.com", true},
		{"hotmail.com", true},
		{"icloud.com", true},
		{"yahoo.fr", true},
		{"gmx.de", true},
		{"web.de", true},
		{"proton.me", true},
		{"163.com", true},
		{"mailinator.com", true}, // disposable
		{"tutanota.com", true},   // supplement
		{"GMail.COM.", true},
		{"jane@gmail.com", true}, // an address works too
		{"eu.gmail.com", true},   // by registrable domain
		{"yahoo.com.pe", true},   // family yahoo.*
		{"gmx.it", true},         // family gmx.*
		{"hotmail.co.nz", true},  // family hotmail.*
		{"acme.com", false},
		{"acme.co.uk", false},
		{"gmail.acme.com", false}, // a company's subdomain
		{"yahoo-inc.com", false},
		{"", false},
		{"com", false},
	}
	for _, tt := range tests {
		if got := IsPersonalProvider(tt.domain); got != tt.want {
			t.Errorf("IsPersonalProvider(%q) = %v, want %v", tt.domain, got, tt.want)
		}
	}
}

// TestFreemailLists checks the embedded files keep the format their README
// promises, so that a refresh that went wrong fails here.
func TestFreemailLists(t *testing.T) {
	for name, list := range map[string]string{"domains.txt": freemailDomains, "supplement.txt": freemailSupplement} {
		var domains []string
		for line := range strings.Lines(list) {
			line = strings.TrimSuffix(line, "\n")
			if strings.HasPrefix(line, "#") {
				continue
			}
			if line != normalize(line) || !validDomain(line) {
				t.Errorf("%s: %q is not a lower-case domain", name, line)
			}
			domains = append(domains, line)
		}
		if !slices.IsSorted(domains) || len(slices.Compact(slices.Clone(domains))) != len(domains) {
			t.Errorf("%s: not sorted or has duplicates", name)
		}
	}
	if n := len(personalProviders); n < 10000 {
		t.Errorf("only %d personal provider domains loaded", n)
	}
}
