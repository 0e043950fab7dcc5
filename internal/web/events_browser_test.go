package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// TestBrowserExplainsAndWebhooks drives the new UI parts as an admin who
// owns a mailbox: "Why is this email here?" in a thread, "why not?" on the
// mailbox's settings page, and Settings > Webhooks from adding one to
// seeing why it was disabled.
func TestBrowserExplainsAndWebhooks(t *testing.T) {
	ctx := headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, ctx, ts.URL, f.alice.Email, false)

	t.Run("WhyHere", func(t *testing.T) {
		step(t, ctx, "open alice's thread", chromedp.Navigate(ts.URL+"/threads/"+f.sharedThread),
			chromedp.WaitVisible(chromedp.CSS("details.why summary")))
		step(t, ctx, "open the panel", chromedp.Click(chromedp.CSS("details.why summary")),
			chromedp.WaitVisible(chromedp.CSS("details.why ul.why-list")))
		text := eval[string](t, ctx, `document.querySelector("details.why").innerText`)
		if !strings.Contains(text, "INBOX") || !strings.Contains(text, "imported") {
			t.Errorf("why panel: %q", text)
		}
		screenshot(t, ctx, "thread-why")
	})

	t.Run("WhyNot", func(t *testing.T) {
		msg, err := f.st.Message(context.Background(), f.ws.ID, f.sharedMsg)
		if err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "mailbox settings", chromedp.Navigate(ts.URL+"/settings/emails/"+f.acctA.ID),
			chromedp.WaitVisible(chromedp.CSS("#why-form")))
		step(t, ctx, "ask why", chromedp.SendKeys(chromedp.CSS("#why"), "<"+msg.Key+">"),
			chromedp.Submit(chromedp.CSS("#why-form")), chromedp.WaitVisible(chromedp.CSS("#why-answer")))
		if text := eval[string](t, ctx, `document.querySelector("#why-answer").innerText`); !strings.Contains(text, "imported") {
			t.Errorf("why answer: %q", text)
		}
		step(t, ctx, "ask about an unknown one", chromedp.Navigate(ts.URL+"/settings/emails/"+f.acctA.ID+"?why=nope%40x.example"),
			chromedp.WaitVisible(chromedp.CSS("#why-answer")))
		if text := eval[string](t, ctx, `document.querySelector("#why-answer").innerText`); !strings.Contains(text, "no synced folder") {
			t.Errorf("why-not answer: %q", text)
		}
	})

	t.Run("Webhooks", func(t *testing.T) {
		step(t, ctx, "open webhooks", chromedp.Navigate(ts.URL+"/settings/webhooks"), chromedp.WaitVisible(chromedp.CSS("#add-webhook")))
		step(t, ctx, "internal URL", chromedp.SendKeys(chromedp.CSS("#url"), "http://127.0.0.1:9/hook"),
			chromedp.Click(chromedp.CSS("#add-webhook button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#url-error")))
		if text := eval[string](t, ctx, `document.querySelector("#url-error").innerText`); !strings.Contains(text, "loopback") {
			t.Errorf("refusal: %q", text)
		}
		step(t, ctx, "good URL", chromedp.SetValue(chromedp.CSS("#url"), "https://192.0.2.44/hook"),
			chromedp.Click(chromedp.CSS(`input[name=type][value="message.created"]`)),
			chromedp.Click(chromedp.CSS("#add-webhook button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#webhook-secret")))
		if text := eval[string](t, ctx, `document.querySelector("#webhook-secret").innerText`); !strings.Contains(text, "whsec_") {
			t.Errorf("secret notice: %q", text)
		}
		if text := eval[string](t, ctx, `document.querySelector("table.webhooks tbody").innerText`); !strings.Contains(text, "active") ||
			!strings.Contains(text, "message.created") {
			t.Errorf("webhook row: %q", text)
		}
		hooks, err := f.st.Webhooks(context.Background(), f.ws.ID)
		if err != nil || len(hooks) != 1 {
			t.Fatalf("webhooks: %v %v", hooks, err)
		}
		since := time.Now().Add(-73 * time.Hour)
		if err := f.st.WebhookFailed(context.Background(), hooks[0].ID, "the receiver answered 503 Service Unavailable", since,
			time.Now(), "disabled after failing for 73h0m0s: last error: the receiver answered 503 Service Unavailable"); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "reload", chromedp.Navigate(ts.URL+"/settings/webhooks"), chromedp.WaitVisible(chromedp.CSS("td.status-disabled")))
		if text := eval[string](t, ctx, `document.querySelector("td.status-disabled").innerText`); !strings.Contains(text, "503") {
			t.Errorf("disabled row: %q", text)
		}
		if strings.Contains(eval[string](t, ctx, `document.body.innerText`), "whsec_") {
			t.Error("the secret is shown again")
		}
		screenshot(t, ctx, "settings-webhooks")
		step(t, ctx, "remove", chromedp.Click(chromedp.CSS("table.webhooks button.link")), chromedp.WaitVisible(chromedp.CSS("p.empty")))
	})
}
