package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// The workspace's settings through the API: every member reads them, only
// an admin changes them, and turning "import internal mail" off removes
// the internal mail already imported.
func TestWorkspaceSettingsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		memo := &store.NewMessage{Key: "memo@ours.test", Subject: "Team lunch", Text: "Friday?",
			SentAt: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC), Participants: []store.NewParticipant{
				{Role: "from", Email: f.bob.Email}, {Role: "to", Email: f.alice.Email}}}
		memoID := f.deliver(t, f.acctA, memo)[memo.Key]

		for _, who := range []string{"alice", "bob"} {
			code, body := f.call(t, who, "GET", "/api/v1/workspace", "")
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK {
				t.Fatalf("GET /workspace as %s: %d %s", who, code, body)
			}
			want := map[string]any{"id": f.ws.ID, "name": "Ours", "domains": []any{"ours.test"}, "importInternal": false}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("GET /workspace as %s:\n got %v\nwant %v", who, got, want)
			}
		}
		var theirs store.Workspace
		f.getJSON(t, "eve", "/api/v1/workspace", &theirs)
		if theirs.ID != f.ws2.ID {
			t.Fatalf("eve reads workspace %s, want her own %s", theirs.ID, f.ws2.ID)
		}

		for _, tc := range []struct {
			who, body string
			code      int
		}{
			{"bob", `{"importInternal":true}`, http.StatusForbidden},
			{"alice", `{"importInternal":"yes"}`, http.StatusBadRequest},
			{"alice", `{"importInternals":true}`, http.StatusBadRequest},
			{"alice", `{"importInternal":true}`, http.StatusOK},
			{"alice", `{"importInternal":true}`, http.StatusOK}, // unchanged: nothing to do
			{"alice", `{}`, http.StatusOK},
		} {
			code, body := f.call(t, tc.who, "PATCH", "/api/v1/workspace", tc.body)
			if code != tc.code {
				t.Fatalf("PATCH %s as %s: %d %s, want %d", tc.body, tc.who, code, body, tc.code)
			}
			if code == http.StatusForbidden && !strings.Contains(errorOf(t, body), "only an admin") {
				t.Errorf("403 says %q", body)
			}
		}
		var ws store.Workspace
		f.getJSON(t, "bob", "/api/v1/workspace", &ws)
		if !ws.ImportInternal {
			t.Fatal("import internal mail is off after an admin turned it on")
		}
		if got, _ := f.st.Workspace(context.Background(), f.ws2.ID); got.ImportInternal {
			t.Fatal("the change reached another workspace")
		}
		if code, _ := f.call(t, "alice", "GET", "/api/v1/messages/"+memoID, ""); code != http.StatusOK {
			t.Fatalf("internal memo with import on: %d", code)
		}

		// Off: the memo, held by alice's mailbox only, is deleted at once.
		if code, body := f.call(t, "alice", "PATCH", "/api/v1/workspace", `{"importInternal":false}`); code != http.StatusOK {
			t.Fatalf("PATCH off: %d %s", code, body)
		}
		if code, _ := f.call(t, "alice", "GET", "/api/v1/messages/"+memoID, ""); code != http.StatusNotFound {
			t.Fatalf("internal memo after import-internal off: %d, want 404", code)
		}
		if code, _ := f.call(t, "alice", "GET", "/api/v1/messages/"+f.soloMsg, ""); code != http.StatusOK {
			t.Fatalf("customer mail after import-internal off: %d", code)
		}
	})
}

// The Settings > Workspace page: an admin sees and saves the setting; a
// member neither sees the entry nor reaches the page.
func TestWorkspaceSettingsUI(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	bob := newBrowser(t, ts.URL)
	bobCSRF := bob.login(f.bob.Email)
	if _, page := bob.do("GET", "/settings/blocklist", nil); strings.Contains(page, `href="/settings/workspace"`) {
		t.Error("a member is offered the workspace settings")
	}
	if resp, _ := bob.do("GET", "/settings/workspace", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member GET /settings/workspace: %d, want 403", resp.StatusCode)
	}
	if resp, _ := bob.do("POST", "/settings/workspace", url.Values{"csrf": {bobCSRF}, "importInternal": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member POST /settings/workspace: %d, want 403", resp.StatusCode)
	}

	alice := newBrowser(t, ts.URL)
	csrf := alice.login(f.alice.Email)
	_, page := alice.do("GET", "/settings/blocklist", nil)
	if !strings.Contains(page, `href="/settings/workspace"`) {
		t.Error("an admin is not offered the workspace settings")
	}
	resp, page := alice.do("GET", "/settings/workspace", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Import internal emails") ||
		!strings.Contains(page, "ours.test") || strings.Contains(page, "checked") {
		t.Fatalf("workspace page: %d\n%.2000s", resp.StatusCode, page)
	}
	if resp, _ := alice.do("POST", "/settings/workspace", url.Values{"importInternal": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without csrf: %d, want 403", resp.StatusCode)
	}
	for _, on := range []bool{true, false} {
		form := url.Values{"csrf": {csrf}}
		if on {
			form.Set("importInternal", "on")
		}
		resp, _ := alice.do("POST", "/settings/workspace", form)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/settings/workspace?saved=") {
			t.Fatalf("save %v: %d %s", on, resp.StatusCode, resp.Header.Get("Location"))
		}
		ws, err := f.st.Workspace(context.Background(), f.ws.ID)
		if err != nil || ws.ImportInternal != on {
			t.Fatalf("saved %v, stored %+v %v", on, ws, err)
		}
		_, page := alice.do("GET", resp.Header.Get("Location"), nil)
		if strings.Contains(page, `name="importInternal" checked`) != on || !strings.Contains(page, `role="status">Saved.`) {
			t.Errorf("page after saving %v:\n%.2000s", on, page)
		}
	}
	// The confirmation is never text from the URL.
	if _, page := alice.do("GET", "/settings/workspace?saved=<b>pwned</b>", nil); strings.Contains(page, "pwned") {
		t.Error("the page echoes the saved parameter")
	}
}
