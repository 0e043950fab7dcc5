package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/smtptest"
)

// TestBrowserComposeAndReply: Compose on a Person page sends through a
// real SMTP server and opens the new thread; Reply on a message of a
// thread fills in the sender and subject and threads the answer.
func TestBrowserComposeAndReply(t *testing.T) {
	ctx := headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	f.srv.cfg.Providers.Guard = netguard.Guard{AllowPrivate: true}
	smtp := smtptest.Start(t, f.bob.Email, "pw")
	host, port, none := "127.0.0.1", smtp.Port(), "none"
	if err := f.st.SetSMTP(t.Context(), f.ws.ID, f.acctB.ID, &host, &none, nil, nil, &port); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, ctx, ts.URL, f.bob.Email, false)

	step(t, ctx, "open Pat", chromedp.Navigate(ts.URL+"/people/"+f.pat.ID), chromedp.WaitVisible(chromedp.CSS("a.compose")))
	step(t, ctx, "compose", chromedp.Click(chromedp.CSS("a.compose")), chromedp.WaitVisible(chromedp.CSS("form.compose")))
	if to := eval[string](t, ctx, `document.querySelector("input[name=to]").value`); to != "pat@acme.test" {
		t.Fatalf("To prefilled with %q", to)
	}
	step(t, ctx, "write and send",
		chromedp.SendKeys(chromedp.CSS("input[name=subject]"), "Lunch next week"),
		chromedp.SendKeys(chromedp.CSS("textarea[name=text]"), "Are you free on Tuesday?"),
		chromedp.Click(chromedp.CSS("form.compose button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ol.messages")))
	body := eval[string](t, ctx, `document.body.innerText`)
	if !strings.Contains(body, "Lunch next week") || !strings.Contains(body, "Are you free on Tuesday?") {
		t.Fatalf("after sending, the page shows %q", body)
	}
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d messages reached the SMTP server", n)
	}

	step(t, ctx, "open the shared thread", chromedp.Navigate(ts.URL+"/threads/"+f.sharedThread), chromedp.WaitVisible(chromedp.CSS("p.reply-actions")))
	step(t, ctx, "reply", chromedp.Click(chromedp.CSS("p.reply-actions a")), chromedp.WaitVisible(chromedp.CSS("form.compose")))
	to := eval[string](t, ctx, `document.querySelector("input[name=to]").value`)
	subject := eval[string](t, ctx, `document.querySelector("input[name=subject]").value`)
	if !strings.Contains(to, "pat@acme.test") || subject != "Re: "+sharedSubject {
		t.Fatalf("reply prefilled to %q subject %q", to, subject)
	}
	step(t, ctx, "send the reply", chromedp.SendKeys(chromedp.CSS("textarea[name=text]"), "Agreed."),
		chromedp.Click(chromedp.CSS("form.compose button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("ol.messages")))
	if got := eval[int](t, ctx, `document.querySelectorAll("ol.messages li.message").length`); got != 2 {
		t.Fatalf("the thread has %d messages after the reply, want 2", got)
	}
	if raw := string(smtp.Messages()[1].Data); !strings.Contains(raw, "In-Reply-To: <shared@acme.test>") {
		t.Fatalf("the reply is not threaded:\n%s", raw)
	}
}
