package mime

import (
	"testing"
)

// BenchmarkParse parses realistic messages of the common kinds.
func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct {
		name string
		raw  []byte
	}{
		{"plain", crlf(plainMsg)},
		{"alternative", crlf(alternativeMsg)},
		{"html-only", crlf(htmlOnlyMsg)},
		{"attachment", crlf(mixedMsg)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.raw)))
			for b.Loop() {
				m, err := Parse(bm.raw)
				if err != nil {
					b.Fatal(err)
				}
				_ = m.Key()
				_ = m.Snippet()
			}
		})
	}
}
