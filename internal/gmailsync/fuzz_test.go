package gmailsync

import "testing"

// FuzzParseCursor reads any stored cursor without panicking, and writes
// back exactly what it accepted: a cursor survives a restart unchanged.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "history:1", "full:42:", "full:42:CAEQAA", "history:0", "history:1:x",
		"full:x:y", "full:18446744073709551615:tok:en", "other:1", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil || s == "" {
			return
		}
		again, err := parseCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("cursor %q → %+v → %q → %+v, %v", s, c, c.String(), again, err)
		}
	})
}
