package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// TestBrowserAttachments opens a thread with hostile attachments: each is
// linked, only the raster image is previewed, and an HTML or SVG file
// loaded in a frame of the app's origin renders nothing and runs nothing.
func TestBrowserAttachments(t *testing.T) {
	ctx := headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	acct, err := f.st.Account(t.Context(), f.ws.ID, f.evilAccount)
	if err != nil {
		t.Fatal(err)
	}
	id := f.withFiles(t, acct, "files@acme.test")
	msg, err := f.st.Message(t.Context(), f.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, ctx, ts.URL, f.bob.Email, false)

	step(t, ctx, "open the thread", chromedp.Navigate(ts.URL+"/threads/"+msg.ThreadID),
		chromedp.WaitVisible(chromedp.CSS("ul.attachments")))
	links := eval[[]string](t, ctx, `[...document.querySelectorAll("ul.attachments a")].map(a => a.textContent)`)
	if len(links) != len(hostileFiles) || links[1] != hostileFiles[1].name {
		t.Fatalf("attachment links: %q", links)
	}
	previews := eval[[]string](t, ctx, `[...document.querySelectorAll("ul.attachments img")].map(i => i.getAttribute("src"))`)
	if len(previews) != 1 || previews[0] != "/messages/"+id+"/attachments/0?inline=1" {
		t.Fatalf("previews: %q, want the PNG only", previews)
	}
	// Open the HTML and SVG files as a person would, asking for inline
	// too: the browser must download them, never show them as a page.
	thread := ts.URL + "/threads/" + msg.ThreadID
	for _, i := range []string{"1", "2"} {
		for _, q := range []string{"", "?inline=1"} {
			step(t, ctx, "back to the thread", chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS("ul.attachments")))
			_, _ = chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/messages/"+id+"/attachments/"+i+q)) // a download aborts the navigation
			step(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
			doc := eval[[]string](t, ctx, `[location.pathname, document.contentType, String(typeof window.__pwned)]`)
			if doc[0] != "/threads/"+msg.ThreadID && (doc[1] == "text/html" || doc[1] == "image/svg+xml") {
				t.Errorf("attachment %s%s rendered as %s", i, q, doc[1])
			}
			if doc[2] != "undefined" {
				t.Errorf("attachment %s%s ran a script", i, q)
			}
		}
	}
}
