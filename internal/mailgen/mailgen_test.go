package mailgen

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/ianaindex"
)

const owner = "user1@ourco.example"

// corpus is generated once: several tests read the same mailbox.
var corpus = Generate(Options{N: 3000, Seed: 7, Owner: owner})

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(Options{N: 300, Seed: 7, Owner: owner})
	b := Generate(Options{N: 300, Seed: 7, Owner: owner})
	if len(a) != 300 || len(b) != 300 {
		t.Fatalf("got %d and %d messages, want 300", len(a), len(b))
	}
	for i := range a {
		if a[i].MessageID != b[i].MessageID || a[i].Folder != b[i].Folder ||
			!a[i].Date.Equal(b[i].Date) || !bytes.Equal(a[i].Raw, b[i].Raw) {
			t.Fatalf("message %d differs between two runs with the same seed", i)
		}
	}

	c := Generate(Options{N: 300, Seed: 8, Owner: owner})
	same := 0
	for i := range a {
		if bytes.Equal(a[i].Raw, c[i].Raw) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d of 300 messages are identical for seeds 7 and 8", same)
	}
}

func TestEachMatchesGenerate(t *testing.T) {
	opts := Options{N: 500, Seed: 3, Owner: "alex@ourco.example"}
	want := Generate(opts)
	i := 0
	err := Each(opts, func(m Mail) error {
		if m.MessageID != want[i].MessageID || !bytes.Equal(m.Raw, want[i].Raw) {
			return fmt.Errorf("message %d differs from Generate's", i)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("Each delivered %d messages, Generate %d", i, len(want))
	}

	stop := errors.New("stop")
	calls := 0
	err = Each(opts, func(Mail) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Errorf("Each after fn failed on call 10: err %v after %d calls, want stop after 10", err, calls)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, opts := range []Options{
		{N: 1, Owner: "not-an-address"},
		{N: 1, Owner: "a@b@c"},
		{N: 1, Owner: owner, Colleagues: []string{"nobody"}},
	} {
		if err := Each(opts, func(Mail) error { return nil }); err == nil {
			t.Errorf("Each(%+v) succeeded, want an error", opts)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Generate with a bad owner did not panic")
		}
	}()
	Generate(Options{N: 1, Owner: "x"})
}

func TestStartAndColleagues(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	mails := Generate(Options{N: 400, Seed: 1, Owner: "alex@ourco.example", OwnerName: "Alex Morgan",
		Start: start, Colleagues: []string{"dana.scully@ourco.example"}, Reorder: -1})
	if !mails[0].Date.Equal(start) {
		t.Errorf("first message dated %v, want %v", mails[0].Date, start)
	}
	last := mails[len(mails)-1].Date
	if span := last.Sub(start); span < 150*24*time.Hour || span > 210*24*time.Hour {
		t.Errorf("400 messages span %v, want about 180 days", span)
	}
	var dana, alex bool
	for _, m := range mails {
		dana = dana || bytes.Contains(m.Raw, []byte("Dana Scully <dana.scully@ourco.example>")) ||
			bytes.Contains(m.Raw, []byte(`"Dana Scully" <dana.scully@ourco.example>`))
		alex = alex || bytes.Contains(m.Raw, []byte("Alex Morgan"))
	}
	if !dana {
		t.Error("the extra colleague never appears with the name guessed from the address")
	}
	if !alex {
		t.Error("the owner's display name never appears")
	}
}

// TestMessagesParse reads every message as a mail client would: header, addresses,
// encoded words, and every MIME part down to decoded UTF-8 text.
func TestMessagesParse(t *testing.T) {
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	addrs := mail.AddressParser{WordDecoder: dec}
	seen := map[string]bool{}
	for i, m := range corpus {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("message %d (%s): %s\n%s", i, m.MessageID, fmt.Sprintf(format, args...), m.Raw)
		}
		if bytes.Count(m.Raw, []byte("\n")) != bytes.Count(m.Raw, []byte("\r\n")) {
			fail("has a bare LF")
		}
		for line := range bytes.SplitSeq(m.Raw, []byte("\r\n")) {
			if len(line) > 998 {
				fail("has a line of %d octets", len(line))
			}
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			fail("net/mail: %v", err)
		}
		h := msg.Header
		if got := h.Get("Message-ID"); got != "<"+m.MessageID+">" {
			fail("Message-ID header %q, Mail.MessageID %q", got, m.MessageID)
		}
		if seen[m.MessageID] {
			fail("duplicate Message-ID")
		}
		seen[m.MessageID] = true
		if date, err := h.Date(); err != nil || !date.Equal(m.Date) {
			fail("Date %q (%v), Mail.Date %v", h.Get("Date"), err, m.Date)
		}
		from, err := addrs.ParseList(h.Get("From"))
		if err != nil || len(from) != 1 || from[0].Address != m.From {
			fail("From %q: %v %v, Mail.From %q", h.Get("From"), from, err, m.From)
		}
		if want := from[0].Address == owner; want != (m.Folder == "Sent") {
			fail("folder %q for a message from %s", m.Folder, from[0].Address)
		}
		for _, name := range []string{"From", "To", "Cc", "Bcc", "Reply-To"} {
			for _, a := range mustAddresses(t, addrs, h.Get(name)) {
				if !utf8.ValidString(a.Name) || strings.ContainsRune(a.Name, utf8.RuneError) {
					fail("%s name %q is not clean UTF-8", name, a.Name)
				}
			}
		}
		if subject, err := dec.DecodeHeader(h.Get("Subject")); err != nil || strings.Contains(subject, "=?") ||
			strings.ContainsRune(subject, utf8.RuneError) {
			fail("Subject %q decodes to %q, %v", h.Get("Subject"), subject, err)
		}
		if err := walk(mimeHeader(h), msg.Body, func(string, []byte) {}); err != nil {
			fail("MIME: %v", err)
		}
	}
}

func mustAddresses(t *testing.T, p mail.AddressParser, v string) []*mail.Address {
	t.Helper()
	if v == "" || v == "undisclosed-recipients:;" {
		return nil
	}
	list, err := p.ParseList(v)
	if err != nil {
		t.Fatalf("address list %q: %v", v, err)
	}
	return list
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := ianaindex.IANA.Encoding(charset)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("charset %q: %v", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}

type header map[string][]string

func (h header) Get(k string) string { return mail.Header(h).Get(k) }

func mimeHeader(h mail.Header) header { return header(h) }

var metaCharset = regexp.MustCompile(`<meta charset="([^"]+)"`)

// walk parses a MIME entity as a client would, calling leaf with each part's content type
// and decoded content (text converted to UTF-8). It fails on anything malformed.
func walk(h header, body io.Reader, leaf func(ctype string, content []byte)) error {
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(ctype, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		n := 0
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", ctype, err)
			}
			if err := walk(header(p.Header), p, leaf); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("%s without parts", ctype)
		}
		return nil
	}
	var r io.Reader = body
	switch cte := strings.ToLower(h.Get("Content-Transfer-Encoding")); cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit":
	default:
		return fmt.Errorf("unknown transfer encoding %q", cte)
	}
	if cs := params["charset"]; strings.HasPrefix(ctype, "text/") && cs != "" {
		if r, err = charsetReader(cs, r); err != nil {
			return err
		}
	}
	content, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", ctype, err)
	}
	if strings.HasPrefix(ctype, "text/") && (!utf8.Valid(content) || bytes.ContainsRune(content, utf8.RuneError)) {
		return fmt.Errorf("%s in %s does not decode cleanly: %q", ctype, params["charset"], content)
	}
	if meta := metaCharset.FindSubmatch(content); ctype == "text/html" && meta != nil &&
		!strings.EqualFold(string(meta[1]), params["charset"]) {
		return fmt.Errorf("HTML in %s says it is in %s", params["charset"], meta[1])
	}
	if ctype == "message/rfc822" {
		inner, err := mail.ReadMessage(bytes.NewReader(content))
		if err != nil {
			return fmt.Errorf("message/rfc822: %w", err)
		}
		if err := walk(mimeHeader(inner.Header), inner.Body, leaf); err != nil {
			return fmt.Errorf("message/rfc822: %w", err)
		}
	}
	if cd := h.Get("Content-Disposition"); cd != "" {
		if _, _, err := mime.ParseMediaType(cd); err != nil {
			return fmt.Errorf("Content-Disposition %q: %w", cd, err)
		}
	}
	leaf(ctype, content)
	return nil
}

// TestMix checks that the corpus has the mix of senders, structures and charsets the
// import benchmarks rely on, in about the proportions of the reference generator.
func TestMix(t *testing.T) {
	count := map[string]int{}
	var size int
	for _, m := range corpus {
		size += len(m.Raw)
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		h := msg.Header
		ctype, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
		count[ctype]++
		from := m.From
		switch {
		case m.Folder == "Sent":
			count["owner"]++
		case strings.HasSuffix(from, "@ourco.example"):
			count["colleague"]++
		case slices.ContainsFunc(roleLocalparts, func(lp string) bool { return strings.HasPrefix(from, lp+"@") }):
			count["group"]++
		}
		for _, d := range []string{"gmail.com", "gmx.de", "mail.ru", "yahoo.com", "outlook.com"} {
			if strings.HasSuffix(from, "@"+d) {
				count["free-mail"]++
			}
		}
		flag := func(name string, ok bool) {
			if ok {
				count[name]++
			}
		}
		subject := h.Get("Subject")
		flag("reply", h.Get("In-Reply-To") != "")
		flag("references", h.Get("References") != "")
		flag("newsletter", h.Get("List-Id") != "" && h.Get("List-Unsubscribe") != "")
		flag("auto-reply", h.Get("Auto-Submitted") == "auto-replied" && strings.HasPrefix(subject, "Automatic reply"))
		flag("cc", h.Get("Cc") != "")
		flag("bcc", h.Get("Bcc") != "")
		flag("bcc-not-sent", h.Get("Bcc") != "" && m.Folder != "Sent")
		flag("reply-to", h.Get("Reply-To") != "")
		flag("undisclosed", h.Get("To") == "undisclosed-recipients:;")
		flag("subject-q", strings.Contains(subject, "?Q?"))
		flag("subject-b", strings.Contains(subject, "?B?"))
		flag("name-encoded", strings.Contains(h.Get("From")+h.Get("To")+h.Get("Cc"), "=?"))
		for _, p := range []string{"Re: ", "AW: ", "SV: ", "RE : ", "Odp: "} {
			flag("prefix "+p, strings.HasPrefix(subject, p))
		}
		err = walk(mimeHeader(h), msg.Body, func(ctype string, content []byte) { count["part "+ctype]++ })
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range []string{"iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "iso-8859-2", "utf-8"} {
			flag("charset "+cs, bytes.Contains(m.Raw, []byte(`charset="`+cs+`"`)))
		}
		flag("rfc2231 filename", bytes.Contains(m.Raw, []byte("filename*=utf-8''")))
		flag("multipart/related", bytes.Contains(m.Raw, []byte("multipart/related")))
	}
	n := float64(len(corpus))
	pct := func(k string) float64 { return 100 * float64(count[k]) / n }
	for _, c := range []struct {
		what     string
		min, max float64 // percent of messages
	}{
		{"owner", 28, 40},
		{"colleague", 1, 8},
		{"group", 15, 35},
		{"free-mail", 3, 20},
		{"reply", 35, 52},
		{"references", 33, 50},
		{"newsletter", 2.5, 7},
		{"auto-reply", 0.7, 3},
		{"cc", 35, 60},
		{"bcc", 0.3, 3},
		{"bcc-not-sent", 0, 0},
		{"reply-to", 7, 20},
		{"undisclosed", 0.5, 3},
		{"multipart/alternative", 40, 60},
		{"text/plain", 15, 32},
		{"text/html", 7, 17},
		{"multipart/mixed", 9, 22},
		{"multipart/related", 0.5, 5},
		{"subject-q", 5, 30},
		{"subject-b", 5, 30},
		{"name-encoded", 15, 50},
		{"prefix Re: ", 10, 40},
		{"prefix AW: ", 0.5, 10},
		{"prefix SV: ", 0.3, 10},
		{"prefix RE : ", 0.3, 10},
		{"prefix Odp: ", 0.1, 10},
		{"part text/csv", 3, 10},
		{"part application/pdf", 2.5, 9},
		{"part image/png", 2.5, 9},
		{"part text/calendar", 1.5, 6},
		{"part message/rfc822", 0.7, 4},
		{"rfc2231 filename", 0.5, 6},
		{"charset iso-8859-1", 10, 30},
		{"charset windows-1252", 1, 8},
		{"charset koi8-r", 1, 8},
		{"charset iso-2022-jp", 0.5, 5},
		{"charset iso-8859-2", 1, 8},
		{"charset utf-8", 25, 60},
	} {
		got := pct(c.what)
		t.Logf("%-22s %5.1f%%", c.what, got)
		if got < c.min || got > c.max {
			t.Errorf("%s: %.1f%% of messages, want %.1f–%.1f%%", c.what, got, c.min, c.max)
		}
	}
	// gen-mail.py -n 20000 --seed 7 makes messages of 1160 octets on average.
	if mean := float64(size) / n; mean < 900 || mean > 1600 {
		t.Errorf("mean size %.0f octets, want 900–1600", mean)
	}
}

func TestThreadsAndDeliveryOrder(t *testing.T) {
	opts := Options{N: 3000, Seed: 7, Owner: owner}
	inOrder := Generate(Options{N: opts.N, Seed: opts.Seed, Owner: opts.Owner, Reorder: -1})
	delivered := corpus

	// Reordering changes only the order, never a message.
	byID := map[string][]byte{}
	for _, m := range inOrder {
		byID[m.MessageID] = m.Raw
	}
	for _, m := range delivered {
		if !bytes.Equal(byID[m.MessageID], m.Raw) {
			t.Fatalf("message %s differs between the two delivery orders", m.MessageID)
		}
	}
	if len(delivered) != len(inOrder) {
		t.Fatalf("delivered %d messages, generated %d", len(delivered), len(inOrder))
	}

	for i := 1; i < len(inOrder); i++ {
		if !inOrder[i].Date.After(inOrder[i-1].Date) {
			t.Fatalf("message %d dated %v, not after %v", i, inOrder[i].Date, inOrder[i-1].Date)
		}
	}

	early := func(mails []Mail) (replies, beforeParent int) {
		pos := map[string]int{}
		for i, m := range mails {
			pos[m.MessageID] = i
		}
		for i, m := range mails {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
			if err != nil {
				t.Fatal(err)
			}
			parent := strings.Trim(msg.Header.Get("In-Reply-To"), "<>")
			if parent == "" {
				continue
			}
			replies++
			p, ok := pos[parent]
			if !ok {
				t.Fatalf("message %s replies to %s, which is not in the mailbox", m.MessageID, parent)
			}
			refs := strings.Fields(msg.Header.Get("References"))
			if len(refs) > 0 && refs[len(refs)-1] != "<"+parent+">" {
				t.Fatalf("message %s: References %v does not end with In-Reply-To %s", m.MessageID, refs, parent)
			}
			if p > i {
				beforeParent++
			}
		}
		return replies, beforeParent
	}
	if _, n := early(inOrder); n != 0 {
		t.Errorf("with Reorder -1, %d replies come before their parent", n)
	}
	replies, n := early(delivered)
	t.Logf("%d of %d replies are delivered before their parent", n, replies)
	if n == 0 || n > replies/10 {
		t.Errorf("by default %d of %d replies come before their parent, want a few", n, replies)
	}
}

func TestMboxRoundTrip(t *testing.T) {
	mails := corpus[:800]
	var buf bytes.Buffer
	if err := WriteMbox(&buf, mails); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("\n>From our side")) || !bytes.Contains(buf.Bytes(), []byte("\n>>From the minutes")) {
		t.Fatal("the corpus has no body line that needs mboxrd quoting")
	}
	got := readMbox(t, buf.Bytes())
	if len(got) != len(mails) {
		t.Fatalf("read %d messages back, wrote %d", len(got), len(mails))
	}
	for i := range mails {
		if !bytes.Equal(got[i], mails[i].Raw) {
			t.Fatalf("message %d does not round-trip:\n%s\n----\n%s", i, got[i], mails[i].Raw)
		}
	}

	var streamed bytes.Buffer
	n, err := WriteMboxEach(&streamed, Options{N: 300, Seed: 7, Owner: owner})
	if err != nil || n != 300 {
		t.Fatalf("WriteMboxEach: %d, %v", n, err)
	}
	var whole bytes.Buffer
	if err := WriteMbox(&whole, Generate(Options{N: 300, Seed: 7, Owner: owner})); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
		t.Error("WriteMboxEach and WriteMbox(Generate) differ")
	}
}

func TestMboxQuoting(t *testing.T) {
	date := time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("", 3600))
	m := Mail{From: "a@example.com", Date: date, Raw: []byte("Subject: x\r\n\r\n" +
		"From here\r\n>From there\r\n>>From everywhere\r\nFromage\r\n >From indented\r\n")}
	var buf bytes.Buffer
	if err := WriteMbox(&buf, []Mail{m, {Raw: []byte("Subject: y\r\n\r\nno final newline")}}); err != nil {
		t.Fatal(err)
	}
	want := "From a@example.com Mon Jan  5 08:00:00 2026\n" +
		"Subject: x\n\n>From here\n>>From there\n>>>From everywhere\nFromage\n >From indented\n\n" +
		"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" +
		"Subject: y\n\nno final newline\n\n"
	if buf.String() != want {
		t.Errorf("mbox:\n%q\nwant\n%q", buf.String(), want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestMboxWriteErrors(t *testing.T) {
	if err := WriteMbox(failingWriter{}, corpus[:100]); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteMbox to a failing writer: %v", err)
	}
	if n, err := WriteMboxEach(failingWriter{}, Options{N: 100, Seed: 1}); err == nil || n != 0 {
		t.Errorf("WriteMboxEach to a failing writer: %d, %v", n, err)
	}
}

// readMbox is an independent mboxrd reader: it splits on "From " lines, drops the blank
// separator line, removes one ">" from quoted lines and restores CRLF.
func readMbox(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	var cur [][]byte
	flush := func() {
		if cur == nil {
			return
		}
		if n := len(cur); n == 0 || len(cur[n-1]) != 0 {
			t.Fatalf("message %d is not followed by a blank line", len(out))
		}
		cur = cur[:len(cur)-1]
		out = append(out, append(bytes.Join(cur, []byte("\r\n")), '\r', '\n'))
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	for _, line := range lines {
		if bytes.HasPrefix(line, []byte("From ")) {
			flush()
			cur = [][]byte{}
			continue
		}
		if cur == nil {
			t.Fatalf("mbox does not start with a From line: %q", line)
		}
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			line = line[1:]
		}
		cur = append(cur, line)
	}
	flush()
	return out
}
