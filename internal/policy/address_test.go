package policy

import (
	"errors"
	"testing"
)

func TestRegistrableDomain(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a@eu.acme.co.uk", "acme.co.uk"},
		{"Jane@ACME.com", "acme.com"},
		{"jane@mail.acme-tools.com.", "acme-tools.com"},
		{"eu.acme.co.uk", "acme.co.uk"},
		{"acme.com", "acme.com"},
		{"bob@sales.example.com.au", "example.com.au"},
		{"x@blog.github.io", "blog.github.io"}, // private suffix: each site is its own
		{"\"a@b\"@acme.com", "acme.com"},
	}
	for _, tt := range tests {
		got, err := RegistrableDomain(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("RegistrableDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRegistrableDomainErrors(t *testing.T) {
	for _, in := range []string{"", "jane", "jane@", "@", "jane@com", "co.uk", "jane@co.uk", "jane@localhost", "jane@acme..com", "jane@-acme.com", "jane@ac me.com"} {
		got, err := RegistrableDomain(in)
		if !errors.Is(err, ErrNoRegistrableDomain) {
			t.Errorf("RegistrableDomain(%q) = %q, %v; want ErrNoRegistrableDomain", in, got, err)
		}
	}
}

func TestCompanyNameFromDomain(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"acme-tools.com", "Acme Tools"},
		{"acme.com", "Acme"},
		{"ACME.COM", "Acme"},
		{"eu.acme.co.uk", "Acme"},
		{"jane@eu.acme.co.uk", "Acme"},
		{"xn--mnchen-3ya.de", "München"},
		{"3m.com", "3m"},
		{"big--dash.io", "Big Dash"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CompanyNameFromDomain(tt.in); got != tt.want {
			t.Errorf("CompanyNameFromDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
