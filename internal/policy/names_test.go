package policy

import "testing"

func TestPersonName(t *testing.T) {
	tests := []struct {
		display, email      string
		wantFirst, wantLast string
	}{
		{"Jane Doe", "jane@acme.com", "Jane", "Doe"},
		{"Doe, Jane", "jd@acme.com", "Jane", "Doe"},
		{`"Doe, Jane"`, "jd@acme.com", "Jane", "Doe"},
		{"Doe, Jane Q.", "jd@acme.com", "Jane Q.", "Doe"},
		{"Jane Q. Doe", "jd@acme.com", "Jane", "Q. Doe"},
		{`"Jane Doe"`, "jd@acme.com", "Jane", "Doe"},
		{`'Jane Doe'`, "jd@acme.com", "Jane", "Doe"},
		{"“Jane Doe”", "jd@acme.com", "Jane", "Doe"},
		{"  Jane \t  van der  Berg ", "jd@acme.com", "Jane", "van der Berg"},
		{"Jane Doe, PhD", "jd@acme.com", "Jane", "Doe"},
		{"Doe, Jane, Jr.", "jd@acme.com", "Jane", "Doe"},
		{"Jane Doe (Acme)", "jd@acme.com", "Jane", "Doe"},
		{"Jane", "jd@acme.com", "Jane", ""},
		{"jane doe", "jd@acme.com", "jane", "doe"}, // a display name is kept as written
		{"José Álvarez", "jose@acme.es", "José", "Álvarez"},
		{"Doe,", "jd@acme.com", "Doe", ""},
		// Display names holding an address are ignored.
		{"jane.doe@acme.com", "jane.doe@acme.com", "Jane", "Doe"},
		{"'jane.doe@acme.com'", "jane.doe@acme.com", "Jane", "Doe"},
		{"Jane via jane@docs.example", "jane.doe@acme.com", "Jane", "Doe"},
		{"jane.doe", "jane.doe@acme.com", "Jane", "Doe"}, // repeats the local part
		{"JDoe", "jdoe+crm@acme.com", "Jdoe", ""},
		{"Jane", "jane@acme.com", "Jane", ""},
		// Failing a display name: the local part.
		{"", "jane.doe+crm@acme.com", "Jane", "Doe"},
		{`""`, "jane_doe@acme.com", "Jane", "Doe"},
		{"", "jane-doe@acme.com", "Jane", "Doe"},
		{"", "JANE.DOE@ACME.COM", "Jane", "Doe"},
		{"", "jane@acme.com", "Jane", ""},
		{"", "jane.van.der.berg@acme.com", "Jane", "Van Der Berg"},
		{"", "jane.doe.1987@acme.com", "Jane", "Doe"},
		{"", "1987@acme.com", "1987", ""},
		{"", "élodie.martin@acme.fr", "Élodie", "Martin"},
		{"", "malformed", "", ""},
		{"", "", "", ""},
		{"(Jane Doe)", "jd@acme.com", "Jane", "Doe"}, // only a comment: its text
	}
	for _, tt := range tests {
		first, last := PersonName(tt.display, tt.email)
		if first != tt.wantFirst || last != tt.wantLast {
			t.Errorf("PersonName(%q, %q) = %q / %q, want %q / %q", tt.display, tt.email, first, last, tt.wantFirst, tt.wantLast)
		}
	}
}
