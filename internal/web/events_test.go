package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/store"
)

// testEvents reads the feed the fixture's changes wrote: every page and
// every cursor replays the same ordered log, the other workspace's events
// stay out, and no subject or body leaks.
func (f *fixture) testEvents(t *testing.T) {
	var all store.Feed
	f.getJSON(t, "alice", "/api/v1/events?limit=1000", &all)
	if len(all.Events) < 5 || all.Next != all.Events[len(all.Events)-1].ID {
		t.Fatalf("feed: %d events, next %q", len(all.Events), all.Next)
	}
	types := map[string]int{}
	for _, e := range all.Events {
		types[e.Type]++
	}
	for _, want := range []string{store.EventMessageCreated, store.EventPersonCreated, store.EventCompanyCreated} {
		if types[want] == 0 {
			t.Errorf("no %s event in %v", want, types)
		}
	}
	_, raw := f.call(t, "alice", "GET", "/api/v1/events?limit=1000", "")
	for _, secret := range []string{soloSubject, soloBody, sharedSubject, sharedBody} {
		if strings.Contains(raw, secret) {
			t.Errorf("the feed carries %q", secret)
		}
	}
	// Page through with limit 2: the same events, in the same order.
	var paged []string
	next := ""
	for {
		var page store.Feed
		f.getJSON(t, "alice", "/api/v1/events?limit=2&after="+next, &page)
		if len(page.Events) == 0 {
			if page.Next != next {
				t.Fatalf("empty page moved the cursor from %q to %q", next, page.Next)
			}
			break
		}
		for _, e := range page.Events {
			paged = append(paged, e.ID)
		}
		next = page.Next
	}
	if len(paged) != len(all.Events) {
		t.Fatalf("paged %d events, all %d", len(paged), len(all.Events))
	}
	for i, e := range all.Events {
		if paged[i] != e.ID {
			t.Fatalf("page order differs at %d", i)
		}
	}
	mid := all.Events[len(all.Events)/2]
	var rest store.Feed
	f.getJSON(t, "alice", "/api/v1/events?after="+mid.ID, &rest)
	if len(rest.Events) == 0 || rest.Events[0].ID == mid.ID || len(rest.Events) != len(all.Events)-len(all.Events)/2-1 {
		t.Errorf("replay after %s: %d events", mid.ID, len(rest.Events))
	}
	var eve store.Feed
	f.getJSON(t, "eve", "/api/v1/events?limit=1000", &eve)
	for _, e := range eve.Events {
		if strings.Contains(string(e.Data), f.acme.ID) {
			t.Errorf("eve sees workspace ws's event %s", e.Data)
		}
	}
	for _, q := range []string{"?after=x", "?after=-1", "?limit=0", "?limit=1001"} {
		if code, body := f.call(t, "alice", "GET", "/api/v1/events"+q, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}

// webhook registers a webhook in workspace ws and returns its id.
func (f *fixture) webhook(t *testing.T) string {
	t.Helper()
	w, err := f.st.AddWebhook(context.Background(), f.ws.ID, f.alice.ID, "https://192.0.2.1/hook", nil, f.box.Seal("s"))
	if err != nil {
		t.Fatal(err)
	}
	return w.ID
}

// testWebhooks: admins register, list and remove webhooks through the
// API; internal URLs and unknown types are refused with a reason.
func (f *fixture) testWebhooks(t *testing.T) {
	code, body := f.call(t, "alice", "POST", "/api/v1/webhooks", `{"url":"https://192.0.2.7/in","types":["message.created","person.deleted"]}`)
	var created struct{ ID, Secret string }
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &created) != nil || created.Secret == "" {
		t.Fatalf("add: %d %s", code, body)
	}
	var hooks []store.Webhook
	f.getJSON(t, "alice", "/api/v1/webhooks", &hooks)
	found := false
	for _, h := range hooks {
		if h.ID == created.ID {
			found = h.Status == "active" && len(h.Types) == 2 && h.URL == "https://192.0.2.7/in"
		}
	}
	if !found || strings.Contains(body, "secretEnc") {
		t.Fatalf("list: %+v", hooks)
	}
	_, raw := f.call(t, "alice", "GET", "/api/v1/webhooks", "")
	if strings.Contains(raw, created.Secret) {
		t.Error("the list shows the secret")
	}
	for _, bad := range []struct{ body, want string }{
		{`{"url":"http://127.0.0.1:8080/x"}`, "loopback"},
		{`{"url":"http://169.254.169.254/latest"}`, "link-local"},
		{`{"url":"http://10.0.0.5/x"}`, "private"},
		{`{"url":"ftp://192.0.2.1/x"}`, "http"},
		{`{"url":"https://192.0.2.1/x","types":["message.exploded"]}`, "unknown event type"},
	} {
		if code, body := f.call(t, "alice", "POST", "/api/v1/webhooks", bad.body); code != http.StatusBadRequest || !strings.Contains(body, bad.want) {
			t.Errorf("%s: %d %s", bad.body, code, body)
		}
	}
	if code, _ := f.call(t, "alice", "DELETE", "/api/v1/webhooks/"+created.ID, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := f.call(t, "alice", "DELETE", "/api/v1/webhooks/"+created.ID, ""); code != http.StatusNotFound {
		t.Fatalf("delete again: %d", code)
	}
}
