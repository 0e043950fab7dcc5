package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzSanitizeHTML feeds any markup through the mail sanitizer and parses
// the result as a browser would: no script, frame, object, form or style
// element, no event handler or style attribute, no javascript: or other
// active URL, and while images are held back no img loads from the network.
func FuzzSanitizeHTML(f *testing.F) {
	f.Add(evilHTML)
	for _, s := range []string{
		`<img src=x onerror=alert(1)>`, `<a href="jav&#x09;ascript:alert(1)">x</a>`, `<svg><script>alert(1)</script></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, `<img srcset="https://t.example/a.png 1x">`,
		`<IMG SRC="https://tracker.example/p.gif">`, `<p style="background:url(https://t.example/x)">x</p>`,
		`<iframe srcdoc="<script>alert(1)</script>"></iframe>`, `<form action="https://evil.example"><input></form>`,
		`<!--<img src="--><img src=x onerror=alert(1)//">`, `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<a href="data:text/html,<script>alert(1)</script>">x</a>`, `<base href="https://evil.example/">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, _ := sanitizeHTML(raw, false)
		z := html.NewTokenizer(strings.NewReader(string(out)))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "frame", "object", "embed", "form", "style", "base", "link", "meta", "svg", "math":
				t.Fatalf("%q → %q: <%s> survived", raw, out, tok.Data)
			}
			for _, a := range tok.Attr {
				key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "formaction":
					t.Fatalf("%q → %q: attribute %s survived", raw, out, a.Key)
				case (key == "href" || key == "action" || key == "src" && tok.Data != "img") && activeURL(val):
					t.Fatalf("%q → %q: %s=%q survived", raw, out, a.Key, a.Val)
				case tok.Data == "img" && (key == "src" && !strings.HasPrefix(val, "data:") || key == "srcset"):
					t.Fatalf("%q → %q: image loads %q before Show images", raw, out, a.Val)
				}
			}
		}
	})
}

// activeURL reports a URL that runs code or renders a document when followed.
func activeURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, v)
	for _, p := range []string{"javascript:", "vbscript:", "data:text/html", "data:image/svg"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}
