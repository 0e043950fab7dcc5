package web

import (
	"strings"
	"testing"
)

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		showImages bool
		want, not  []string
		held       int
	}{
		{name: "script dropped", in: `<p>hi</p><script>alert(1)</script>`, want: []string{"<p>hi</p>"}, not: []string{"script", "alert"}},
		{name: "event handler dropped", in: `<img src="data:image/png;base64,iVBORw0KGgo=" onerror="alert(1)">`,
			want: []string{`src="data:image/png;base64,iVBORw0KGgo="`}, not: []string{"onerror", "alert"}},
		{name: "javascript URL dropped", in: `<a href="javascript:alert(1)">x</a><a href="JaVaScRiPt&#58;alert(2)">y</a>`,
			want: []string{"xy"}, not: []string{"javascript", "JaVaScRiPt", "alert", "href"}},
		{name: "links open safely", in: `<a href="https://acme.test/">site</a>`,
			want: []string{`href="https://acme.test/"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`}},
		{name: "remote image held", in: `<img src="https://t.example/p.gif" srcset="https://t.example/2x.gif 2x" alt="p">`,
			want: []string{`data-src="https://t.example/p.gif"`, `alt="p"`}, not: []string{` src=`, "srcset", "2x.gif"}, held: 1},
		{name: "remote image shown on request", in: `<img src="https://t.example/p.gif">`, showImages: true,
			want: []string{`src="https://t.example/p.gif"`}},
		{name: "styles and frames dropped", in: `<style>body{background:url(https://t.example/x)}</style><iframe src="https://t.example"></iframe><div style="background:url(https://t.example/y)">d</div>`,
			want: []string{"<div>d</div>"}, not: []string{"t.example", "style", "iframe"}},
		{name: "forms and inputs dropped", in: `<form action="https://evil.test"><input name="pw"><button>Go</button></form>`,
			not: []string{"form", "input", "evil.test"}},
		{name: "svg handler dropped", in: `<svg onload="alert(1)"><circle r="1"/></svg>`, not: []string{"onload", "alert"}},
		{name: "attribute breakout stays escaped", in: `<img src="https://t.example/a.gif&quot; onerror=&quot;alert(1)">`,
			not: []string{` onerror=`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, held := sanitizeHTML(tt.in, tt.showImages)
			got := string(out)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q: %s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("keeps %q: %s", n, got)
				}
			}
			if held != tt.held {
				t.Errorf("held %d images, want %d", held, tt.held)
			}
		})
	}
}
