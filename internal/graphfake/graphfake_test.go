package graphfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/graphfake"
)

const raw = "From: jane@acme-corp.com\r\nTo: user1@ourco.example\r\nSubject: Hi\r\nMessage-ID: <a@acme-corp.com>\r\n\r\nHello\r\n"

const reply = "From: user1@ourco.example\r\nTo: jane@acme-corp.com\r\nSubject: Re: Hi\r\nMessage-ID: <b@ourco.example>\r\n" +
	"In-Reply-To: <a@acme-corp.com>\r\n\r\nThanks\r\n"

// get requests link with a token and immutable ids and decodes a JSON answer.
func get(t *testing.T, link string, prefer ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Add("Prefer", `IdType="ImmutableId"`)
	for _, p := range prefer {
		req.Header.Add("Prefer", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

// deltaAll follows a delta round to its end and returns its items and delta link.
func deltaAll(t *testing.T, link string, pageSize string) ([]map[string]any, string, int) {
	t.Helper()
	var items []map[string]any
	pages := 0
	for {
		status, _, body := get(t, link, "odata.maxpagesize="+pageSize)
		if status != http.StatusOK {
			t.Fatalf("delta %s: %d %v", link, status, body)
		}
		pages++
		for _, v := range body["value"].([]any) {
			items = append(items, v.(map[string]any))
		}
		if next, ok := body["@odata.nextLink"].(string); ok {
			link = next
			continue
		}
		return items, body["@odata.deltaLink"].(string), pages
	}
}

func TestDeltaRounds(t *testing.T) {
	s := graphfake.Start(t, "user1@ourco.example")
	first := s.Add("inbox", []byte(raw))
	second := s.Add("inbox", []byte(reply), graphfake.Read())
	for range 3 {
		s.Add("inbox", []byte("Subject: filler\r\n\r\nx\r\n"))
	}
	items, deltaLink, pages := deltaAll(t, s.URL()+"/me/mailFolders/inbox/messages/delta?$select=id,isRead,conversationId", "2")
	if len(items) != 5 || pages != 3 {
		t.Fatalf("first round: %d items in %d pages, want 5 in 3", len(items), pages)
	}
	if items[0]["id"] != first || items[1]["isRead"] != true || items[0]["conversationId"] != items[1]["conversationId"] {
		t.Fatalf("first items %v", items[:2])
	}
	if _, ok := items[0]["receivedDateTime"]; ok {
		t.Fatalf("$select ignored: %v", items[0])
	}

	s.MarkRead(first, true)
	s.Move(second, "archive")
	items, deltaLink, _ = deltaAll(t, deltaLink, "10")
	if len(items) != 2 || items[0]["id"] != first || items[1]["@removed"] == nil {
		t.Fatalf("changes: %v", items)
	}
	items, _, _ = deltaAll(t, s.URL()+"/me/mailFolders/archive/messages/delta", "10")
	if len(items) != 1 || items[0]["id"] != second {
		t.Fatalf("moved message in archive, same id: %v", items)
	}

	s.ExpireDeltaTokens()
	status, _, body := get(t, deltaLink)
	if status != http.StatusGone || body["error"].(map[string]any)["code"] != "SyncStateNotFound" {
		t.Fatalf("expired delta link: %d %v", status, body)
	}
}

func TestFoldersAndBodies(t *testing.T) {
	s := graphfake.Start(t, "user1@ourco.example")
	s.AddFolder("inbox", "Projects")
	s.AddHiddenFolder("", "Hidden")
	status, _, body := get(t, s.URL()+"/me/mailFolders?$top=4")
	if status != http.StatusOK || len(body["value"].([]any)) != 4 || body["@odata.nextLink"] == nil {
		t.Fatalf("first page of folders: %d %v", status, body)
	}
	count := func(link string) int {
		n := 0
		for link != "" {
			_, _, body := get(t, link)
			n += len(body["value"].([]any))
			link, _ = body["@odata.nextLink"].(string)
		}
		return n
	}
	if a, b := count(s.URL()+"/me/mailFolders?$top=4"), count(s.URL()+"/me/mailFolders?includeHiddenFolders=true"); a != 9 || b != 10 {
		t.Fatalf("%d top-level folders, %d with hidden ones; want 9 and 10", a, b)
	}
	_, _, inbox := get(t, s.URL()+"/me/mailFolders/inbox")
	if inbox["displayName"] != "Inbox" || inbox["childFolderCount"] != 1.0 {
		t.Fatalf("inbox %v", inbox)
	}

	id := s.Add("Inbox/Projects", []byte(raw))
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/me/messages/"+id+"/$value", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != raw || s.BodyFetches()[id] != 1 {
		t.Fatalf("$value = %q, fetches %v", got, s.BodyFetches())
	}
	if paths := s.WithoutImmutableID(); !slices.Equal(paths, []string{"/v1.0/me/messages/" + id + "/$value"}) {
		t.Fatalf("requests without immutable ids: %v", paths)
	}
}

func TestRefusals(t *testing.T) {
	s := graphfake.Start(t, "user1@ourco.example")
	s.Authorize = func(token string) bool { return token == "t" }
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/me", nil)
	req.Header.Set("Authorization", "Bearer other")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}

	s.Throttle(1, 3*time.Second)
	status, header, body := get(t, s.URL()+"/me")
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "3" || body["error"] == nil {
		t.Fatalf("throttled: %d %v %v", status, header, body)
	}
	if status, _, body := get(t, s.URL()+"/me"); status != http.StatusOK || body["mail"] != "user1@ourco.example" {
		t.Fatalf("after throttling: %d %v", status, body)
	}

	// Eight at once against a limit of four: some are refused.
	s.SetLatency(50 * time.Millisecond)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/me", nil)
			req.Header.Set("Authorization", "Bearer t")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	refused := 0
	for _, st := range statuses {
		if st == http.StatusTooManyRequests {
			refused++
		}
	}
	if _, byLimit := s.Throttled(); refused == 0 || byLimit != refused || s.PeakInFlight() > 4 {
		t.Fatalf("statuses %v, %d refused by the limit, peak %d", statuses, byLimit, s.PeakInFlight())
	}
}
