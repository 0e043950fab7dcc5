package web

import (
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// mailPolicy keeps what user-generated HTML may hold (no scripts, no event
// handlers, no javascript: URLs, no styles, no forms, no frames) and adds
// target=_blank rel="noopener noreferrer nofollow" to links.
var mailPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowDataURIImages()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// sanitizeHTML makes an email's HTML body safe to embed. Unless
// showImages is set, remote images are not loaded: their src moves to
// data-src (embedded data: images stay). It reports how many were held back.
func sanitizeHTML(raw string, showImages bool) (template.HTML, int) {
	clean := mailPolicy.Sanitize(raw)
	if showImages {
		return template.HTML(clean), 0
	}
	return blockRemoteImages(clean)
}

// blockRemoteImages rewrites the img tags of sanitized HTML so that none
// loads from the network. Each token is re-serialized by x/net/html,
// which escapes attribute values, so no markup can be smuggled through.
func blockRemoteImages(clean string) (template.HTML, int) {
	var b strings.Builder
	blocked := 0
	z := html.NewTokenizer(strings.NewReader(clean))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return template.HTML(b.String()), blocked
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data == "img" && holdImage(&t) {
				blocked++
			}
			b.WriteString(t.String())
		default:
			b.Write(z.Raw())
		}
	}
}

// holdImage moves a remote src to data-src; it reports whether it did.
func holdImage(t *html.Token) bool {
	held := false
	attrs := t.Attr[:0]
	for _, a := range t.Attr {
		if a.Key == "srcset" {
			continue
		}
		if a.Key == "src" && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "data:") {
			a.Key = "data-src"
			held = true
		}
		attrs = append(attrs, a)
	}
	t.Attr = attrs
	if held {
		t.Attr = append(t.Attr, html.Attribute{Key: "class", Val: "held-image"})
	}
	return held
}
