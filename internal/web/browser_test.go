package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// One headless Chromium serves every browser test; each test gets its own
// browser context (separate cookies) in it.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds the browser, or "".
func chromiumPath() string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// headless returns a fresh, isolated browser tab. Without Chromium the
// test is skipped, or fails when CI=true.
func headless(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is required under CI")
		}
		t.Skip("chromium not installed")
	}
	chrome.once.Do(func() {
		dir, err := os.MkdirTemp("", "mailsync-chromium-")
		if err != nil {
			chrome.err = err
			return
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Headless,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-default-browser-check", true), chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))
		ctx, cancelBrowser := chromedp.NewContext(alloc)
		chrome.ctx = ctx
		chrome.cancel = func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
		chrome.err = chromedp.Do(ctx) // starts the browser
	})
	if chrome.err != nil {
		t.Fatalf("start chromium: %v", chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// step runs browser actions with a deadline, failing the test on error.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// screenshot saves the page as docs/screenshots/NAME.png when
// MAILSYNC_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("MAILSYNC_SCREENSHOTS") != "1" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loginAs fills in the login form like a person would.
func loginAs(t *testing.T, ctx context.Context, base, email string, shot bool) {
	t.Helper()
	step(t, ctx, "open login", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	step(t, ctx, "type credentials",
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password))
	if shot {
		screenshot(t, ctx, "login")
	}
	step(t, ctx, "submit login", chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/people"][aria-current]`)))
}

func TestBrowser(t *testing.T) {
	ctx := headless(t)
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	loginAs(t, ctx, ts.URL, f.carol.Email, true)

	t.Run("CompanyEmailsTab", func(t *testing.T) {
		step(t, ctx, "open companies", chromedp.Navigate(ts.URL+"/companies"), chromedp.WaitVisible(chromedp.CSS("table.list")))
		step(t, ctx, "open Acme", chromedp.Click(chromedp.CSS(`a[href="/companies/`+f.acme.ID+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("ul.threads")))
		rows := eval[[]string](t, ctx, `[...document.querySelectorAll("ul.threads li")].map(li => li.innerText)`)
		if len(rows) != 3 {
			t.Fatalf("Emails tab shows %d threads, want 3: %q", len(rows), rows)
		}
		if !strings.Contains(rows[0], evilSubject) || !strings.Contains(rows[2], "Subject hidden: shared as Metadata Only") {
			t.Errorf("rows not newest first with the lock badge: %q", rows)
		}
		if text := eval[string](t, ctx, `document.body.innerText`); strings.Contains(text, soloSubject) {
			t.Error("the metadata-level subject is on the page")
		}
	})

	t.Run("MetadataThreadHidesSubject", func(t *testing.T) {
		step(t, ctx, "open the metadata thread", chromedp.Click(chromedp.CSS(`a[href="/threads/`+f.soloThread+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("ol.messages")))
		heading := eval[string](t, ctx, `document.querySelector("h1").innerText`)
		if !strings.Contains(heading, "Subject hidden") {
			t.Errorf("heading %q", heading)
		}
		html := eval[string](t, ctx, `document.documentElement.outerHTML`)
		if strings.Contains(html, soloSubject) || strings.Contains(html, soloBody) {
			t.Error("withheld subject or body is in the page")
		}
		if !strings.Contains(html, "Pat Doe") {
			t.Error("participants missing")
		}
	})

	t.Run("HostileHTMLRunsNothing", func(t *testing.T) {
		step(t, ctx, "open the hostile thread", chromedp.Navigate(ts.URL+"/threads/"+f.evilThread),
			chromedp.WaitVisible(chromedp.CSS("#evil-para")))
		screenshot(t, ctx, "thread")
		step(t, ctx, "click the javascript: link", chromedp.Click(chromedp.CSS("#evil-link")), chromedp.Sleep(200*time.Millisecond))
		if got := eval[string](t, ctx, `typeof window.__pwned`); got != "undefined" {
			t.Errorf("a payload ran: window.__pwned is %s", got)
		}
		remote := eval[int](t, ctx, `[...document.images].filter(i => i.src.startsWith("http") && !i.src.startsWith(location.origin)).length`)
		if remote != 0 {
			t.Errorf("%d remote images load before consent", remote)
		}
		step(t, ctx, "show images", chromedp.Click(chromedp.CSS(".notice a.button")), chromedp.WaitVisible(chromedp.CSS("#evil-para")))
		if got := eval[string](t, ctx, `typeof window.__pwned`); got != "undefined" {
			t.Errorf("a payload ran after Show images: %s", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('img[src^="https://tracker.example/"]').length`); n != 1 {
			t.Errorf("Show images: %d remote images, want 1", n)
		}
	})

	t.Run("ProgressPolling", func(t *testing.T) {
		rows, err := f.srv.ownAccounts(httptest.NewRequest("GET", "/", nil), f.carol)
		if err != nil || len(rows) != 1 {
			t.Fatalf("carol's accounts: %v %v", rows, err)
		}
		bg := context.Background()
		a, err := f.st.Account(bg, f.ws.ID, rows[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetChannelStatus(bg, a.ChannelID, store.StatusImporting, "", false); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "open accounts while importing", chromedp.Navigate(ts.URL+"/settings/accounts"),
			chromedp.WaitVisible(chromedp.CSS(`li.account progress`)))
		if err := f.st.SetChannelStatus(bg, a.ChannelID, store.StatusActive, "", true); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[bool](
			`document.querySelector('li.account [data-field="status"]').innerText === "Synced" && document.querySelector("li.account progress").hidden`,
			chromedp.WithPollingInterval(200*time.Millisecond))); err != nil {
			dbg := eval[string](t, ctx, `document.querySelector("li.account").outerHTML`)
			t.Fatalf("the page did not follow the import's end: %v\n%s", err, dbg)
		}
	})

	t.Run("Screens", func(t *testing.T) {
		step(t, ctx, "person", chromedp.Navigate(ts.URL+"/people/"+f.pat.ID), chromedp.WaitVisible(chromedp.CSS("ul.threads")))
		screenshot(t, ctx, "person-emails")
		step(t, ctx, "accounts", chromedp.Navigate(ts.URL+"/settings/accounts"), chromedp.WaitVisible(chromedp.CSS("#add-account")))
		// The preset hides the server fields; Custom shows them.
		if !eval[bool](t, ctx, `document.getElementById("server-fields").hidden`) {
			t.Error("server fields shown for the Gmail preset")
		}
		screenshot(t, ctx, "settings-accounts")
		step(t, ctx, "emails", chromedp.Navigate(ts.URL+"/settings/emails"), chromedp.WaitVisible(chromedp.CSS(".settings-form")))
		screenshot(t, ctx, "settings-emails")
		// Checking a folder switches from the default set to picked folders.
		step(t, ctx, "pick a folder", chromedp.Click(chromedp.CSS(`input[name=folder][value=INBOX]`)))
		if !eval[bool](t, ctx, `document.querySelector("input[name=folderMode][value=pick]").checked`) {
			t.Error("checking a folder leaves the default set chosen")
		}
		step(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ts.URL+"/people/"+f.pat.ID),
			chromedp.WaitVisible(chromedp.CSS("ul.threads")))
		if overflow := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`); overflow {
			t.Error("the person page scrolls sideways at phone width")
		}
		screenshot(t, ctx, "person-emails-phone")
	})
}
