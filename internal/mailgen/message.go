package mailgen

import (
	"fmt"
	"html"
	"mime"
	"strings"
	"time"
)

const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// serialize writes m as an RFC 5322 message.
func (g *generator) serialize(m *message) []byte {
	root := g.content(m)
	root.prepend(g.envelope(m))
	if root.parts != nil {
		root.preamble = "This is a multi-part message in MIME format.\r\n"
	}
	return root.bytes()
}

// envelope returns the top-level header fields other than the MIME ones.
func (g *generator) envelope(m *message) []field {
	r := g.r
	f := []field{
		{"Date", m.date.Format(dateLayout)},
		{"From", m.from.mailbox(r)},
	}
	if m.undisclosed {
		f = append(f, field{"To", "undisclosed-recipients:;"})
	} else {
		f = append(f, field{"To", foldList(g.mailboxes(m.to), len("To: "))})
	}
	if len(m.cc) > 0 {
		f = append(f, field{"Cc", foldList(g.mailboxes(m.cc), len("Cc: "))})
	}
	if len(m.bcc) > 0 {
		f = append(f, field{"Bcc", foldList(g.mailboxes(m.bcc), len("Bcc: "))})
	}
	f = append(f, field{"Subject", g.encodeSubject(m.subject, m.charset)})
	f = append(f, field{"Message-ID", "<" + m.id + ">"})
	if m.inReplyTo != "" {
		f = append(f, field{"In-Reply-To", "<" + m.inReplyTo + ">"})
	}
	if len(m.refs) > 0 {
		f = append(f, field{"References", "<" + strings.Join(m.refs, ">\r\n <") + ">"})
	}
	if m.replyTo != nil {
		f = append(f, field{"Reply-To", m.replyTo.mailbox(r)})
	}
	if m.newsletter {
		dom := m.from.domain()
		f = append(f,
			field{"List-Id", m.from.first + " news <news." + dom + ">"},
			field{"List-Unsubscribe", fmt.Sprintf("<mailto:unsubscribe@%s?subject=unsub>,\r\n <https://%s/u/%d>", dom, dom, m.index)},
			field{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
			field{"Precedence", "bulk"},
		)
	}
	if m.autoReply {
		f = append(f, field{"Auto-Submitted", "auto-replied"}, field{"X-Auto-Response-Suppress", "All"})
	}
	return append(f, field{"MIME-Version", "1.0"})
}

func (g *generator) mailboxes(ps []*person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.mailbox(g.r)
	}
	return out
}

// encodeSubject encodes a non-ASCII subject in the message's charset. Half the time the
// leading ASCII words ("AW: ") stay unencoded, as Thunderbird writes them; otherwise the
// whole subject is encoded, as Outlook does.
func (g *generator) encodeSubject(s, cs string) string {
	if isASCII(s) {
		return s
	}
	b := nameUsesB(cs, g.r)
	if g.r.IntN(2) == 0 {
		i := 0
		for j, c := range s {
			if c >= 0x80 {
				break
			}
			if c == ' ' {
				i = j + 1
			}
		}
		if i > 0 {
			return s[:i] + encodeWords(s[i:], cs, b, "\r\n ")
		}
	}
	return encodeWords(s, cs, b, "\r\n ")
}

// content builds the MIME structure: text, text+HTML or HTML alone, wrapped in
// multipart/related for an inline logo and in multipart/mixed for attachments.
func (g *generator) content(m *message) *part {
	r := g.r
	shape := r.Float64()
	var kinds []string
	if !m.newsletter && !m.autoReply && r.Float64() < 0.18 {
		for range []int{1, 1, 2}[r.IntN(3)] {
			kinds = append(kinds, attachmentKind(r.Float64()))
		}
	}
	// HTML mail in ISO-2022-JP is rare; clients send it as UTF-8. The meta tag must name
	// the charset the part is really in.
	htmlCS := m.charset
	if htmlCS == "iso-2022-jp" {
		htmlCS = "utf-8"
	}
	htmlCS = fitCharset(htmlCS, m.body)
	alternative := m.newsletter || shape < 0.55
	htmlOnly := !alternative && shape >= 0.85
	cid := ""
	if (alternative || htmlOnly) && len(kinds) > 0 && kinds[0] == "png" {
		cid = fmt.Sprintf("logo%d@%s", m.index, m.from.domain())
	}
	var body *part
	switch {
	case alternative:
		body = g.multipart("alternative",
			g.textPart(m.body, "plain", m.charset),
			g.textPart(g.html(m.body, htmlCS, cid), "html", htmlCS))
	case htmlOnly:
		body = g.textPart(g.html(m.body, htmlCS, cid), "html", htmlCS)
	default:
		body = g.textPart(m.body, "plain", m.charset)
	}
	if cid != "" {
		body = g.multipart("related", body, image(cid))
		kinds = kinds[1:]
	}
	if len(kinds) == 0 {
		return body
	}
	parts := []*part{body}
	for _, k := range kinds {
		parts = append(parts, g.attachment(k, m))
	}
	return g.multipart("mixed", parts...)
}

func (g *generator) multipart(subtype string, parts ...*part) *part {
	g.boundaries++
	b := fmt.Sprintf("----=_Part_%d_%08x", g.boundaries, g.r.Uint32())
	params := map[string]string{"boundary": b}
	if subtype == "related" {
		params["type"] = "multipart/alternative"
		if parts[0].parts == nil {
			params["type"] = "text/html"
		}
	}
	p := &part{parts: parts, boundary: b}
	p.add("Content-Type", mime.FormatMediaType("multipart/"+subtype, params))
	return p
}

// textPart is a text/SUBTYPE part in charset cs (UTF-8 when cs cannot hold the text),
// with the transfer encoding a client using that charset would likely pick.
func (g *generator) textPart(text, subtype, cs string) *part {
	cs = fitCharset(cs, text)
	b, _ := toCharset(cs, text)
	cte := g.transferEncoding(cs)
	p := &part{body: encodeBody(crlf(b), cte)}
	p.add("Content-Type", fmt.Sprintf("text/%s; charset=%q", subtype, cs))
	p.add("Content-Transfer-Encoding", cte)
	return p
}

func (g *generator) transferEncoding(cs string) string {
	x := g.r.Float64()
	switch cs {
	case "us-ascii", "iso-2022-jp":
		return "7bit"
	case "utf-8":
		return choose(x, []float64{0.5, 0.8}, "base64", "quoted-printable", "8bit")
	case "koi8-r":
		return choose(x, []float64{0.6}, "base64", "8bit")
	default:
		return choose(x, []float64{0.8}, "quoted-printable", "8bit")
	}
}

// choose returns the first of vals whose cumulative bound in upTo x is below, or the
// last value.
func choose(x float64, upTo []float64, vals ...string) string {
	for i, u := range upTo {
		if x < u {
			return vals[i]
		}
	}
	return vals[len(vals)-1]
}

// html renders a plain-text body as the HTML a webmail would send, sometimes with a
// tracking pixel or active content that a sanitizer must remove.
func (g *generator) html(text, cs, cid string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html><head><meta charset="%s"><style>p{margin:0}</style></head>`, cs)
	b.WriteString(`<body><div dir="ltr">`)
	for para := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n\n") {
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>") + "</p>\n")
	}
	if cid != "" {
		fmt.Fprintf(&b, `<img src="cid:%s" alt="logo" width="120" height="40">`, cid)
	}
	if g.r.Float64() < 0.3 {
		b.WriteString(`<img src="https://tracker.example.invalid/pixel.gif" width="1" height="1">`)
	}
	if g.r.Float64() < 0.2 {
		b.WriteString(`<script>alert(1)</script><a href="javascript:void(0)">click</a>`)
	}
	b.WriteString("</div></body></html>\n")
	return b.String()
}

func attachmentKind(x float64) string {
	return choose(x, []float64{0.3, 0.55, 0.75, 0.9}, "csv", "pdf", "png", "ics", "eml")
}

func (g *generator) attachment(kind string, m *message) *part {
	switch kind {
	case "csv":
		return g.csv()
	case "pdf":
		return g.pdf()
	case "png":
		return image(fmt.Sprintf("logo%d@%s", m.index, m.from.domain()))
	case "ics":
		return invite(m)
	default:
		return g.forwarded(m)
	}
}

func (g *generator) csv() *part {
	var b strings.Builder
	b.WriteString("name,email,amount\n")
	for _, p := range sample(g.r, g.cast.contacts, 3) {
		fmt.Fprintf(&b, "%s,%s,%d\n", p.name(), p.addr, 10+g.r.IntN(9990))
	}
	p := &part{body: encodeBody(crlf([]byte(b.String())), "base64")}
	p.add("Content-Type", `text/csv; charset="utf-8"`)
	p.add("Content-Transfer-Encoding", "base64")
	p.add("Content-Disposition", `attachment; filename="export.csv"`)
	return p
}

// pdf is a PDF attachment; a non-ASCII file name is written either as RFC 2231 says or,
// as many clients still do, as an RFC 2047 word inside the quoted parameter.
func (g *generator) pdf() *part {
	name := pick(g.r, pdfNames)
	p := &part{body: encodeBody(pdfStub, "base64")}
	if !isASCII(name) && g.r.IntN(2) == 0 {
		name = encodeWords(name, "utf-8", true, " ")
	}
	p.add("Content-Type", mime.FormatMediaType("application/pdf", map[string]string{"name": name}))
	p.add("Content-Transfer-Encoding", "base64")
	p.add("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return p
}

// image is an inline PNG logo referenced by Content-ID.
func image(cid string) *part {
	p := &part{body: encodeBody(pngPixel, "base64")}
	p.add("Content-Type", `image/png; name="logo.png"`)
	p.add("Content-Transfer-Encoding", "base64")
	p.add("Content-Disposition", `inline; filename="logo.png"`)
	p.add("Content-ID", "<"+cid+">")
	return p
}

// invite is a calendar invitation for a call three days after the message.
func invite(m *message) *part {
	const ics = "20060102T150405Z"
	start := m.date.Add(72 * time.Hour).UTC().Truncate(time.Hour)
	body := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//mailsync//mailgen//EN\nMETHOD:REQUEST\n" +
		"BEGIN:VEVENT\nUID:evt" + fmt.Sprint(m.index) + "@mailgen.invalid\n" +
		"DTSTART:" + start.Format(ics) + "\nDTEND:" + start.Add(time.Hour).Format(ics) + "\n" +
		"SUMMARY:Call\nORGANIZER:mailto:" + m.from.addr + "\nATTENDEE:mailto:" + m.to[0].addr + "\n" +
		"END:VEVENT\nEND:VCALENDAR\n"
	p := &part{body: encodeBody([]byte(body), "7bit")}
	p.add("Content-Type", `text/calendar; charset="utf-8"; method=REQUEST`)
	p.add("Content-Transfer-Encoding", "7bit")
	p.add("Content-Disposition", `attachment; filename="invite.ics"`)
	return p
}

// forwarded is a message/rfc822 attachment: an earlier message forwarded as a whole.
func (g *generator) forwarded(m *message) *part {
	inner := &part{body: []byte("Forwarded original.\r\n")}
	inner.add("Date", m.date.Add(-48*time.Hour).Format(dateLayout))
	inner.add("From", pick(g.r, g.cast.contacts).mailbox(g.r))
	inner.add("To", g.cast.owner.addr)
	inner.add("Subject", "Original message")
	inner.add("Message-ID", fmt.Sprintf("<%016x.%d@fwd.example>", g.r.Uint64(), 10_000_000+m.index))
	inner.add("MIME-Version", "1.0")
	inner.add("Content-Type", `text/plain; charset="us-ascii"`)
	inner.add("Content-Transfer-Encoding", "7bit")

	p := &part{body: inner.bytes()}
	p.add("Content-Type", "message/rfc822")
	if g.r.IntN(2) == 0 {
		p.add("Content-Disposition", `attachment; filename="original.eml"`)
	} else {
		p.add("Content-Disposition", "attachment")
	}
	return p
}
