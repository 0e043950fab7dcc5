package policy

import (
	"errors"
	"testing"
)

func TestValidBlocklistEntry(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"jane@spam.com", "jane@spam.com"},
		{"  Jane@Spam.COM ", "jane@spam.com"},
		{"@spam.com", "@spam.com"},
		{"@Spam.Com.", "@spam.com"},
		{"*@spam.com", "@spam.com"},
		{"@eu.spam.co.uk", "@eu.spam.co.uk"},
		{"@spam.co.uk", "@spam.co.uk"},
		{"jane+promo@spam.com", "jane+promo@spam.com"},
		{"@bücher.de", "@bücher.de"},
	}
	for _, tt := range tests {
		got, err := ValidBlocklistEntry(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ValidBlocklistEntry(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestValidBlocklistEntryErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "spam.com", "@", "@com", "@co.uk", "@localhost", "@spam..com",
		"@-spam.com", "@spam_x.com", "jane@", "jane@com", "jane doe@spam.com",
		"Jane <jane@spam.com>", "a@b@spam.com", "\"a\"@spam.com", "@*.spam.com",
	} {
		got, err := ValidBlocklistEntry(in)
		if !errors.Is(err, ErrInvalidBlocklistEntry) {
			t.Errorf("ValidBlocklistEntry(%q) = %q, %v; want ErrInvalidBlocklistEntry", in, got, err)
		}
	}
}

func TestMatchesBlocklist(t *testing.T) {
	entries := []string{"jane@spam.com", "@twenty.com", "@Acme.co.uk"}
	tests := []struct {
		email     string
		wantEntry string
	}{
		{"jane@spam.com", "jane@spam.com"},
		{"JANE@SPAM.COM", "jane@spam.com"},
		{"john@spam.com", ""}, // only the address is blocked
		{"jane@eu.spam.com", ""},
		{"hello@twenty.com", "@twenty.com"},
		{"hello@twenty.twenty.com", "@twenty.com"}, // subdomain
		{"hello@twentytwenty.com", ""},             // not a subdomain
		{"hello@twenty.com.evil.example", ""},
		{"a@eu.acme.co.uk", "@Acme.co.uk"}, // entry returned as given
		{"a@notacme.co.uk", ""},
		{"", ""},
		{"twenty.com", ""},
	}
	for _, tt := range tests {
		entry, ok := MatchesBlocklist(entries, tt.email)
		if entry != tt.wantEntry || ok != (tt.wantEntry != "") {
			t.Errorf("MatchesBlocklist(%q) = %q, %v; want %q", tt.email, entry, ok, tt.wantEntry)
		}
	}
	if _, ok := MatchesBlocklist(nil, "jane@spam.com"); ok {
		t.Error("empty blocklist matched")
	}
	if _, ok := MatchesBlocklist([]string{"", "@"}, "jane@spam.com"); ok {
		t.Error("blank entries matched")
	}
}
