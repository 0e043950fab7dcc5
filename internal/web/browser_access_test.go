package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// TestBrowserAccessRequest: bob asks for a withheld thread with a note,
// alice sees the badge and the request, grants it; bob reads the thread;
// alice revokes; bob is back to the lock and the button.
func TestBrowserAccessRequest(t *testing.T) {
	bob, alice := headless(t), headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	loginAs(t, bob, ts.URL, f.bob.Email, false)
	loginAs(t, alice, ts.URL, f.alice.Email, false)
	thread := ts.URL + "/threads/" + f.soloThread
	body := func() string { return eval[string](t, bob, `document.body.innerText`) }

	step(t, bob, "open the withheld thread", chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS("form.request-access")))
	if strings.Contains(body(), soloBody) {
		t.Fatal("the withheld body is on the page")
	}
	step(t, bob, "request access", chromedp.SendKeys(chromedp.CSS(`form.request-access input[name=note]`), "for the QBR"),
		chromedp.Click(chromedp.CSS(`form.request-access button`)), chromedp.WaitVisible(chromedp.CSS(".access-pending")))
	if !strings.Contains(body(), "You asked for access") {
		t.Fatalf("after asking: %q", body())
	}

	step(t, alice, "open the people page", chromedp.Navigate(ts.URL+"/people"), chromedp.WaitVisible(chromedp.CSS(".badge")))
	if badge := eval[string](t, alice, `document.querySelector(".badge").innerText`); badge != "1" {
		t.Fatalf("badge %q", badge)
	}
	step(t, alice, "open the requests", chromedp.Click(chromedp.CSS(`a[href="/access"]`)), chromedp.WaitVisible(chromedp.CSS("table.access")))
	row := eval[string](t, alice, `document.querySelector("table.access tbody tr").innerText`)
	if !strings.Contains(row, f.bob.Email) || !strings.Contains(row, "for the QBR") || !strings.Contains(row, "pending") {
		t.Fatalf("request row %q", row)
	}
	step(t, alice, "grant", chromedp.Click(chromedp.CSS(`form[action$="/grant"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/revoke"]`)))

	step(t, bob, "reload the thread", chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS("ol.messages")))
	if !strings.Contains(body(), soloBody) || !strings.Contains(body(), soloSubject) {
		t.Fatalf("after the grant bob reads %q", body())
	}

	step(t, alice, "revoke", chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button`)), chromedp.WaitVisible(chromedp.CSS(".status-revoked")))
	step(t, bob, "reload the thread again", chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS("form.request-access")))
	if strings.Contains(body(), soloBody) {
		t.Fatal("the body stays visible after the revoke")
	}
}
