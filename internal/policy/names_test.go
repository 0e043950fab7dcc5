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
		// Dots joining words split like spaces (issue 13).
		{"John.Doe Doe", "x@acme.com", "John", "Doe"}, // the repeated last name is dropped
		{"John.Doe Smith", "x@acme.com", "John", "Doe Smith"},
		{"john.doe", "someone.else@acme.com", "John", "Doe"}, // lower case, as an address: capitalized
		{"John.Doe", "x@acme.com", "John", "Doe"},
		{"Dr.Who", "x@acme.com", "Dr", "Who"}, // no title rule: as "Dr Who"
		{"McDonald.Jane", "x@acme.com", "McDonald", "Jane"},
		{"jean.luc.picard", "x@acme.com", "Jean", "Luc Picard"},
		{"Li Li", "x@acme.com", "Li", "Li"},   // a repeat without a dot is a name
		{"J. Doe", "x@acme.com", "J.", "Doe"}, // an initial stays an initial
		{"J.Doe", "x@acme.com", "J.Doe", ""},
		{"J.R.R. Tolkien", "x@acme.com", "J.R.R.", "Tolkien"},
		{"Doe, J.", "x@acme.com", "J.", "Doe"},
		// A trailing :TAG is dropped before parsing (issue 13).
		{"Smith, Jane:GROUP", "x@acme.com", "Jane", "Smith"},
		{"Jane:GROUP Smith", "x@acme.com", "Jane", "Smith"},
		{"Smith, Jane, Jr.:GROUP", "x@acme.com", "Jane", "Smith"}, // the suffix rule still applies
		{"Jane Smith:ext", "x@acme.com", "Jane", "Smith"},
		{"Jane Smith:42", "x@acme.com", "Jane", "Smith:42"}, // not letters: not a tag
		{"Jane: Smith", "x@acme.com", "Jane:", "Smith"},     // a space after the colon: not a tag
		{"john.doe:GROUP", "x@acme.com", "John", "Doe"},
		{"jane.doe@acme.com:GROUP", "jane.doe@acme.com", "Jane", "Doe"}, // an address: ignored
		{"John.Doe@acme.com", "someone.else@acme.com", "Someone", "Else"},
		{"", "jean.luc.picard@acme.com", "Jean", "Luc Picard"}, // every word of the last name capitalized
	}
	for _, tt := range tests {
		first, last := PersonName(tt.display, tt.email)
		if first != tt.wantFirst || last != tt.wantLast {
			t.Errorf("PersonName(%q, %q) = %q / %q, want %q / %q", tt.display, tt.email, first, last, tt.wantFirst, tt.wantLast)
		}
	}
}
