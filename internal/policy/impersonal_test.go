package policy

import "testing"

func TestIsImpersonal(t *testing.T) {
	tests := []struct {
		email string
		want  bool
	}{
		{"noreply@github.com", true},
		{"no-reply@accounts.google.com", true},
		{"no_reply@acme.com", true},
		{"DoNotReply@bank.example.com", true},
		{"do-not-reply@acme.com", true},
		{"do_not_reply@acme.com", true},
		{"MAILER-DAEMON@mx.acme.com", true},
		{"notifications-noreply@linkedin.com", true}, // contains a marker
		{"billing-noreply+x@stripe.com", true},
		{"support@acme.com", true},
		{"Support+eu@acme.com", true}, // +tag ignored, case ignored
		{"INFO@acme.com", true},
		{"hr@acme.com", true},
		{"newsletter@acme.com", true},
		{"press@acme.com", true},
		{"jane.doe@acme.com", false},
		{"jane+support@acme.com", false}, // the tag is not the local part
		{"supportive@acme.com", false},   // role names match whole local parts
		{"sales.jane@acme.com", false},
		{"hrvoje@acme.com", false},
		{"support", false}, // malformed
		{"", false},
	}
	for _, tt := range tests {
		if got := IsImpersonal(tt.email); got != tt.want {
			t.Errorf("IsImpersonal(%q) = %v, want %v", tt.email, got, tt.want)
		}
	}
}
