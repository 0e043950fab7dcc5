package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
)

// syncNow is a queue that syncs at once in the background, the way the
// job queue's worker would, and stops when the test ends.
type syncNow struct {
	ctx    context.Context
	syncer *ingest.Syncer
	wg     sync.WaitGroup
}

func (q *syncNow) EnqueueSync(_ context.Context, id string) error {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.syncer.SyncAccount(q.ctx, id)
	}()
	return nil
}

func importableMessage(i int) []byte {
	return []byte(fmt.Sprintf("From: Pat Doe <pat@acme.test>\r\nTo: user1@ours.test\r\nSubject: Dovecot message %d\r\n"+
		"Message-ID: <dovecot-%d@acme.test>\r\nDate: Mon, 3 Mar 2025 10:%02d:00 +0000\r\nContent-Type: text/plain\r\n\r\nBody %d\r\n",
		i, i, i%60, i))
}

// TestBrowserAddIMAPAccount connects a Dovecot mailbox through the Add
// account form, sees a wrong password refused on the form, and watches
// the import finish on the Accounts page.
func TestBrowserAddIMAPAccount(t *testing.T) {
	ctx := headless(t)
	imap := dovecottest.Start(t, dovecottest.Options{Users: []string{"user1"}})
	const n = 40
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = importableMessage(i)
	}
	if err := imap.Append(context.Background(), "user1", "INBOX", raws...); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	syncCtx, stop := context.WithCancel(context.Background())
	queue := &syncNow{ctx: syncCtx, syncer: &ingest.Syncer{Store: f.st, Box: f.box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, Log: log}}
	defer func() { stop(); queue.wg.Wait() }()
	ts := httptest.NewServer(newServer(Config{Store: f.st, Box: f.box, Queue: queue, Log: log, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect}))
	defer ts.Close()

	loginAs(t, ctx, ts.URL, f.bob.Email, false)
	fill := func(pw string) {
		step(t, ctx, "fill the Add account form",
			chromedp.Navigate(ts.URL+"/settings/accounts"), chromedp.WaitVisible(chromedp.CSS("#add-account")),
			chromedp.Click(chromedp.CSS(`input[name=preset][value=custom]`)), chromedp.WaitVisible(chromedp.CSS("#host")),
			chromedp.SetValue(chromedp.CSS("#host"), imap.Host()), chromedp.SetValue(chromedp.CSS("#port"), strconv.Itoa(imap.Port())),
			chromedp.SetValue(chromedp.CSS("#security"), "none"),
			chromedp.SendKeys(chromedp.CSS("#username"), "user1"), chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.SendKeys(chromedp.CSS("#handle"), "user1@ours.test"),
			chromedp.Click(chromedp.CSS(`#add-account button[type=submit]`)))
	}
	fill("wrong")
	step(t, ctx, "see the refusal", chromedp.WaitVisible(chromedp.CSS("#add-error")))
	if msg := eval[string](t, ctx, `document.getElementById("add-error").innerText`); !strings.Contains(msg, "refused the login") {
		t.Errorf("wrong password message: %q", msg)
	}
	if accounts, _ := f.st.Accounts(context.Background(), f.ws.ID); len(accounts) != 3 {
		t.Fatalf("a refused login saved an account: %d accounts", len(accounts))
	}

	// Preview first: the real rules on the newest messages, nothing saved.
	step(t, ctx, "fill the form again", chromedp.Navigate(ts.URL+"/settings/accounts"), chromedp.WaitVisible(chromedp.CSS("#add-account")),
		chromedp.Click(chromedp.CSS(`input[name=preset][value=custom]`)), chromedp.WaitVisible(chromedp.CSS("#host")),
		chromedp.SetValue(chromedp.CSS("#host"), imap.Host()), chromedp.SetValue(chromedp.CSS("#port"), strconv.Itoa(imap.Port())),
		chromedp.SetValue(chromedp.CSS("#security"), "none"),
		chromedp.SendKeys(chromedp.CSS("#username"), "user1"), chromedp.SendKeys(chromedp.CSS("#password"), dovecottest.Password),
		chromedp.SendKeys(chromedp.CSS("#handle"), "user1@ours.test"))
	step(t, ctx, "preview", chromedp.Click(chromedp.CSS("#preview-button")), chromedp.WaitVisible(chromedp.CSS("#preview")))
	if text := eval[string](t, ctx, `document.getElementById("preview").innerText`); !strings.Contains(text, fmt.Sprintf("newest %d emails", n)) ||
		!strings.Contains(text, fmt.Sprintf("%d would be imported", n)) || !strings.Contains(text, "Nothing was saved") {
		t.Errorf("preview: %q", text)
	}
	screenshot(t, ctx, "settings-accounts-preview")
	if accounts, _ := f.st.Accounts(context.Background(), f.ws.ID); len(accounts) != 3 {
		t.Fatalf("a preview saved an account: %d accounts", len(accounts))
	}
	step(t, ctx, "connect after the preview", chromedp.Click(chromedp.CSS(`#add-account button.primary`)))
	step(t, ctx, "land on the list", chromedp.WaitVisible(chromedp.CSS(`li.account`)))
	status, err := pollAcrossNavigation(ctx, 30*time.Second,
		`(() => { const s = [...document.querySelectorAll("li.account")].find(li => li.innerText.includes("user1@ours.test"));
		   const t = s && s.querySelector('[data-field="status"]').innerText; return t === "Synced" ? t : null; })()`)
	if err != nil {
		t.Fatalf("the import did not finish on the page: %v", err)
	}
	counts := eval[string](t, ctx, `[...document.querySelectorAll("li.account")].find(li => li.innerText.includes("user1@ours.test")).querySelector('[data-field="counts"]').innerText`)
	if status != "Synced" || !strings.Contains(counts, fmt.Sprintf("%d of %d messages · %d imported", n, n, n)) {
		t.Errorf("after the import: %q, %q", status, counts)
	}
	hidden := eval[bool](t, ctx, `[...document.querySelectorAll("li.account")].find(li => li.innerText.includes("user1@ours.test")).querySelector("progress").hidden`)
	if !hidden {
		t.Error("the progress bar stays after the import")
	}
	step(t, ctx, "open Pat", chromedp.Navigate(ts.URL+"/people/"+f.pat.ID), chromedp.WaitVisible(chromedp.CSS("ul.threads")))
	if text := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(text, fmt.Sprintf("%d threads", n+3)) ||
		!strings.Contains(text, "Dovecot message") {
		t.Errorf("Pat's Emails tab lacks the imported mail:\n%.400s", text)
	}
}

// pollAcrossNavigation polls a JavaScript expression until it returns a
// non-null string. The page may still be navigating (the redirect after
// the form's POST) when polling starts: a poll cut short by a navigation
// (or sent to the page's old JavaScript context) is started again on the
// new page.
func pollAcrossNavigation(ctx context.Context, timeout time.Duration, expr string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		got, err := chromedp.Run(wctx, chromedp.Poll[string](expr, chromedp.WithPollingInterval(200*time.Millisecond)))
		navigated := err != nil && (strings.Contains(err.Error(), "navigated or closed") ||
			strings.Contains(err.Error(), "Cannot find context with specified id"))
		if !navigated || wctx.Err() != nil {
			return got, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
