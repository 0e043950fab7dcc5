package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// xssPayloads try to run script or reach REMOTE (replaced by a server on
// another origin that counts what it is asked) from any place a sender
// controls.
var xssPayloads = []string{
	`<script>window.__pwned="script"</script>`,
	`"><img src=x onerror="window.__pwned='img'">`,
	`'><svg/onload=window.__pwned='svg'>`,
	`</title><script>window.__pwned='title'</script>`,
	`javascript:window.__pwned='js'`,
	`<img src="REMOTE/img.png">`,
	`<iframe src="REMOTE/frame"></iframe><iframe srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>`,
	`<style>@import url(REMOTE/import.css); body{background:url(REMOTE/bg.png)}</style>`,
	`<a id="xss-link" href="javascript:window.__pwned='href'">click</a>`,
	`{{.}} ${window.__pwned='template'} <x onmouseover=window.__pwned='hover'>hover`,
	`<link rel=stylesheet href="REMOTE/link.css"><meta http-equiv="refresh" content="0;url=REMOTE/refresh">`,
	`<object data="REMOTE/object"></object><embed src="REMOTE/embed"><video poster="REMOTE/poster.png"></video>`,
	`<form action="REMOTE/form"><button formaction="javascript:window.__pwned='form'">go</button></form>`,
	`<base href="REMOTE/"><img src="relative.png">`,
}

// TestBrowserXSSCorpus stores every payload as a subject, a sender's
// name, a body (text and HTML), an attachment name, a person's name and
// the rule and detail of "Why is this email here?",
// opens every page that shows them in headless Chromium, and checks that
// no script ran and no request reached the remote host until the reader
// clicked Show images.
func TestBrowserXSSCorpus(t *testing.T) {
	ctx := headless(t)
	var (
		hits atomic.Int64
		mu   sync.Mutex
		seen []string
	)
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	defer remote.Close()

	f := newFixture(t, dbtest.Open(t, database.SQLite))
	bg := context.Background()
	acct, err := f.st.Account(bg, f.ws.ID, f.evilAccount) // carol's, shared at everything
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/people", "/companies", "/people/" + f.pat.ID, "/companies/" + f.acme.ID, "/search?q=pat"}
	for i, p := range xssPayloads {
		p = strings.ReplaceAll(p, "REMOTE", remote.URL)
		files, _ := json.Marshal([]map[string]any{{"Filename": p, "ContentType": "text/html", "Size": 3}})
		m := &store.NewMessage{Key: fmt.Sprintf("xss-%d@acme.test", i), Subject: p, Text: p,
			HTML:        p + fmt.Sprintf(`<p>body %d</p><img src="%s/held-%d.png">`, i, remote.URL, i),
			Attachments: string(files), AttachmentData: [][]byte{[]byte("abc")},
			SentAt: time.Date(2025, 4, 1, 9, i, 0, 0, time.UTC),
			Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test", Name: p},
				{Role: "to", Email: f.carol.Email, Name: p}}}
		id := f.deliver(t, acct, m)[m.Key]
		// The payload as the rule and detail "Why is this email here?" shows.
		if _, err := f.st.DB.ExecContext(bg, `UPDATE folder_items SET rule = $1, detail = $1 WHERE message_key = $2`, p, m.Key); err != nil {
			t.Fatal(err)
		}
		msg, err := f.st.Message(bg, f.ws.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		person, err := f.st.AddPerson(bg, f.ws.ID, store.NewPerson{FirstName: p, LastName: p,
			Emails: []string{fmt.Sprintf("xss%d@acme.test", i)}, CompanyID: f.acme.ID, CreatedBy: store.CreatedBySync})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, "/threads/"+msg.ThreadID, "/people/"+person.ID)
	}

	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, ctx, ts.URL, f.carol.Email, false)
	whys := 0
	for _, page := range pages {
		step(t, ctx, "open "+page, chromedp.Navigate(ts.URL+page), chromedp.WaitVisible(chromedp.CSS("main")))
		// Open every "Why is this email here?" so its details render.
		whys += eval[int](t, ctx, `document.querySelectorAll("details.why").forEach(d => d.open = true), document.querySelectorAll("details.why").length`)
		step(t, ctx, "let "+page+" settle", chromedp.Sleep(100*time.Millisecond))
		if got := eval[string](t, ctx, `String(window.__pwned)`); got != "undefined" {
			t.Errorf("%s: a payload ran: window.__pwned = %s", page, got)
		}
		if got := eval[string](t, ctx, `location.origin`); got != ts.URL {
			t.Fatalf("%s: the page navigated away to %s", page, got)
		}
	}
	if whys == 0 {
		t.Error("no thread showed its why details: the corpus did not go through them")
	}
	if n := hits.Load(); n != 0 {
		mu.Lock()
		t.Errorf("%d requests reached the remote host before Show images: %q", n, seen)
		mu.Unlock()
	}

	// The check can fail: once the reader asks, the held images load.
	step(t, ctx, "open a thread", chromedp.Navigate(ts.URL+pages[len(pages)-2]), chromedp.WaitVisible(chromedp.CSS(".notice a.button")))
	step(t, ctx, "show images", chromedp.Click(chromedp.CSS(".notice a.button")), chromedp.WaitVisible(chromedp.CSS("main")),
		chromedp.Sleep(300*time.Millisecond))
	if hits.Load() == 0 {
		t.Error("Show images loaded nothing from the remote host: the test cannot see requests")
	}
	if got := eval[string](t, ctx, `String(window.__pwned)`); got != "undefined" {
		t.Errorf("a payload ran after Show images: %s", got)
	}
}
