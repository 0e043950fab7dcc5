package gmailfake_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/gmailfake"
)

// get calls the fake as the gmail client would and decodes the answer.
func get(t *testing.T, s *gmailfake.Server, path string, query url.Values, token string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+"gmail/v1/users/me/"+path+"?"+query.Encode(), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode, resp.Header, body
}

func msg(id string, refs string) []byte {
	h := "From: a@acme-corp.com\r\nTo: user1@ourco.example\r\nSubject: x\r\nDate: Mon, 2 Mar 2026 12:00:00 +0000\r\nMessage-ID: <" + id + ">\r\n"
	if refs != "" {
		h += "In-Reply-To: " + refs + "\r\nReferences: " + refs + "\r\n"
	}
	return []byte(h + "\r\nbody\r\n")
}

func errorStatus(body map[string]any) (float64, string) {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(float64)
	status, _ := e["status"].(string)
	return code, status
}

func TestErrorsInGoogleShape(t *testing.T) {
	s := gmailfake.Start(t, "user1@ourco.example")
	s.Authorize = func(tok string) bool { return tok == "good" }
	tests := []struct {
		path, token string
		code        int
		status      string
	}{
		{"profile", "", 401, "UNAUTHENTICATED"},
		{"profile", "bad", 401, "UNAUTHENTICATED"},
		{"messages/0123456789abcdef", "good", 404, "NOT_FOUND"},
		{"history", "good", 400, "INVALID_ARGUMENT"}, // no startHistoryId
	}
	for _, tt := range tests {
		code, _, body := get(t, s, tt.path, url.Values{"format": {"raw"}}, tt.token)
		if c, st := errorStatus(body); code != tt.code || int(c) != tt.code || st != tt.status {
			t.Errorf("%s with %q: %d %v, want %d %s", tt.path, tt.token, code, body, tt.code, tt.status)
		}
	}
}

func TestListingHistoryAndThreads(t *testing.T) {
	s := gmailfake.Start(t, "user1@ourco.example")
	reply := s.Add(msg("r@x", "<root@x>"))
	root := s.Add(msg("root@x", ""))
	other := s.Add(msg("o@x", ""))
	promo := s.Add(msg("p@x", ""), "INBOX", "CATEGORY_PROMOTIONS")
	spam := s.Add(msg("s@x", ""), "SPAM")
	if s.ThreadID(reply) != s.ThreadID(root) || s.ThreadID(other) == s.ThreadID(root) {
		t.Fatal("a reply and its parent must share a thread, others not")
	}
	listed := func(q url.Values) []string {
		var ids []string
		for {
			code, _, body := get(t, s, "messages", q, "tok")
			if code != 200 {
				t.Fatalf("list %v: %d %v", q, code, body)
			}
			msgs, _ := body["messages"].([]any)
			for _, m := range msgs {
				ids = append(ids, m.(map[string]any)["id"].(string))
			}
			next, _ := body["nextPageToken"].(string)
			if next == "" {
				return ids
			}
			q.Set("pageToken", next)
		}
	}
	for _, tt := range []struct {
		q    url.Values
		want []string
	}{
		{url.Values{"maxResults": {"2"}}, []string{promo, other, root, reply}},
		{url.Values{"q": {"-category:promotions -in:drafts"}}, []string{other, root, reply}},
		{url.Values{"q": {"category:promotions"}}, []string{promo}},
		{url.Values{"q": {"in:spam"}}, []string{spam}},
		{url.Values{"includeSpamTrash": {"true"}}, []string{spam, promo, other, root, reply}},
		{url.Values{"labelIds": {"CATEGORY_PROMOTIONS"}}, []string{promo}},
	} {
		if got := listed(tt.q); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("list %v = %v, want %v", tt.q, got, tt.want)
		}
	}

	_, _, m := get(t, s, "messages/"+root, url.Values{"format": {"raw"}}, "tok")
	raw, _ := base64.URLEncoding.DecodeString(m["raw"].(string))
	if !strings.Contains(string(raw), "Message-ID: <root@x>") || m["internalDate"] != "1772452800000" {
		t.Fatalf("message %v", m)
	}

	start := s.HistoryID()
	s.Label(root, []string{"STARRED"}, []string{"INBOX"})
	s.Delete(other)
	_, _, h := get(t, s, "history", url.Values{"startHistoryId": {itoa(start)}}, "tok")
	recs, _ := h["history"].([]any)
	if len(recs) != 2 || h["historyId"] != itoa(s.HistoryID()) {
		t.Fatalf("history since %d: %v", start, h)
	}
	first := recs[0].(map[string]any)
	if first["labelsAdded"] == nil || first["labelsRemoved"] == nil || recs[1].(map[string]any)["messagesDeleted"] == nil {
		t.Fatalf("history records %v", recs)
	}
	s.ExpireHistory()
	if code, _, _ := get(t, s, "history", url.Values{"startHistoryId": {itoa(start)}}, "tok"); code != 404 {
		t.Fatalf("expired history answered %d, want 404", code)
	}
	if code, _, _ := get(t, s, "history", url.Values{"startHistoryId": {itoa(s.HistoryID())}}, "tok"); code != 200 {
		t.Fatalf("current history answered %d, want 200", code)
	}
	if s.Requests("history.list") != 3 || s.Fetches(root) != 1 {
		t.Fatalf("counters: history %d, fetches %d", s.Requests("history.list"), s.Fetches(root))
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestThrottleAndQuota(t *testing.T) {
	s := gmailfake.Start(t, "user1@ourco.example")
	s.Throttle(1, 3*time.Second)
	code, hdr, body := get(t, s, "profile", nil, "tok")
	if _, st := errorStatus(body); code != 429 || hdr.Get("Retry-After") != "3" || st != "RESOURCE_EXHAUSTED" {
		t.Fatalf("throttled: %d %v %v", code, hdr, body)
	}
	s.EnforceQuota = true
	refused := 0
	for range 60 { // 300 units in a burst, over the 250 a second
		if code, hdr, _ := get(t, s, "messages", nil, "tok"); code == 429 {
			refused++
			if hdr.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if refused < 5 || refused > 15 {
		t.Fatalf("%d of 60 list calls refused, want about 10", refused)
	}
}
