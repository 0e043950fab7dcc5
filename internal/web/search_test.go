package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// searchResult is the answer of GET /api/v1/search, rows kept raw so that
// their shape can be compared with the redacted message views.
type searchResult struct {
	Total    int               `json:"total"`
	Messages []json.RawMessage `json:"messages"`
}

func (f *fixture) search(t *testing.T, who, q, extra string) (searchResult, []string) {
	t.Helper()
	var res searchResult
	f.getJSON(t, who, "/api/v1/search?q="+url.QueryEscape(q)+extra, &res)
	var ids []string
	for _, raw := range res.Messages {
		var row struct{ ID string }
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, row.ID)
	}
	return res, ids
}

// In the fixture, carol holds neither solo (alice's mailbox, metadata) nor
// shared (alice's and bob's, subject at best); the evil message is in her
// own mailbox. Each field matches only for a viewer who sees it.
func TestSearchRedaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		for _, c := range []struct {
			who, q string
			want   func(f *fixture) []string
		}{
			// Participants match for anyone; newest first among equals.
			{"carol", "pat@acme.test", func(f *fixture) []string { return []string{f.evilMsg, f.sharedMsg, f.soloMsg} }},
			{"carol", "PAT DOE", func(f *fixture) []string { return []string{f.evilMsg, f.sharedMsg, f.soloMsg} }},
			// A metadata-only viewer: not by subject nor body.
			{"carol", "SOLO-SUBJECT", none},
			{"carol", "SOLO-BODY", none},
			{"carol", "pat numbers", none}, // one word visible, the other only in a withheld subject
			// A subject viewer: by subject, not by body.
			{"carol", "shared-subject", func(f *fixture) []string { return []string{f.sharedMsg} }},
			{"carol", "SHARED-BODY", none},
			{"bob", "SOLO-SUBJECT", none},
			// Everything, or the owner: by body.
			{"carol", "plain version", func(f *fixture) []string { return []string{f.evilMsg} }},
			{"alice", "SOLO-BODY", func(f *fixture) []string { return []string{f.soloMsg} }},
			{"alice", "SHARED-BODY", func(f *fixture) []string { return []string{f.sharedMsg} }},
			{"bob", "SHARED-BODY", func(f *fixture) []string { return []string{f.sharedMsg} }},
			// Another workspace's mail never matches.
			{"eve", "pat", none},
			{"eve", "eve body", func(f *fixture) []string { return []string{f.eveMsg} }},
		} {
			res, ids := f.search(t, c.who, c.q, "")
			want := c.want(f)
			if !slices.Equal(ids, want) || res.Total != len(want) {
				t.Errorf("%s searching %q: total %d, %v; want %v", c.who, c.q, res.Total, ids, want)
			}
		}
	})
}

func none(*fixture) []string { return nil }

// Rows are the rows of `messages list`, redacted for the caller, and
// ranking uses only what the caller sees: a message whose withheld
// subject and body repeat the word ranks as a participant match alone.
func TestSearchRowsRankingAndPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		old := &store.NewMessage{Key: "ranked@acme.test", Subject: "Pat, about Pat", Text: "pat pat", Snippet: "pat pat",
			SentAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test", Name: "Pat Doe"},
				{Role: "to", Email: f.alice.Email}}}
		ranked := f.deliver(t, f.acctA, old)[old.Key] // alice's mailbox shares metadata only

		_, ids := f.search(t, "alice", "pat", "")
		if len(ids) != 4 || ids[0] != ranked {
			t.Fatalf("alice (owner) searching pat: %v, want %s first", ids, ranked)
		}
		res, ids := f.search(t, "carol", "pat", "")
		if want := []string{f.evilMsg, f.sharedMsg, f.soloMsg, ranked}; !slices.Equal(ids, want) || res.Total != 4 {
			t.Fatalf("carol searching pat: total %d, %v; want newest first %v", res.Total, ids, want)
		}
		for i, raw := range res.Messages {
			m, err := f.st.Message(ctx, f.ws.ID, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(visibility.Message(f.carol.ID, m))
			if !jsonEqual(t, raw, want) {
				t.Errorf("row %d:\n%s\nwant the messages list row\n%s", i, raw, want)
			}
		}

		for _, c := range []struct {
			page string
			want []string
		}{
			{"&limit=2", ids[:2]},
			{"&limit=2&offset=2", ids[2:]},
			{"&offset=3", ids[3:]},
			{"&offset=10", nil},
		} {
			res, got := f.search(t, "carol", "pat", c.page)
			if res.Total != 4 || !slices.Equal(got, c.want) || res.Messages == nil {
				t.Errorf("page %s: total %d, %v; want 4, %v", c.page, res.Total, got, c.want)
			}
		}
		for _, path := range []string{"/api/v1/search", "/api/v1/search?q=%20", "/api/v1/search?q=x&limit=0"} {
			if code, body := f.call(t, "carol", "GET", path, ""); code != http.StatusBadRequest {
				t.Errorf("GET %s: %d %s, want 400", path, code, body)
			}
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// An access grant opens a thread's body to its requester in search too,
// and its revocation closes it again.
func TestSearchFollowsAccessGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		found := func() []string {
			_, ids := f.search(t, "carol", "solo-body", "")
			return ids
		}
		if ids := found(); ids != nil {
			t.Fatalf("before any grant carol finds %v", ids)
		}
		code, body := f.call(t, "carol", "POST", "/api/v1/threads/"+f.soloThread+"/access-requests", "")
		if code != http.StatusCreated {
			t.Fatalf("request: %d %s", code, body)
		}
		var req struct{ ID string }
		json.Unmarshal([]byte(body), &req)
		if ids := found(); ids != nil {
			t.Fatalf("a pending request let carol find %v", ids)
		}
		for _, c := range []struct {
			action string
			want   []string
		}{{"grant", []string{f.soloMsg}}, {"revoke", nil}} {
			if code, body := f.call(t, "alice", "POST", "/api/v1/access-requests/"+req.ID+"/"+c.action, ""); code != http.StatusOK {
				t.Fatalf("%s: %d %s", c.action, code, body)
			}
			if ids := found(); !slices.Equal(ids, c.want) {
				t.Errorf("after %s carol finds %v, want %v", c.action, ids, c.want)
			}
		}
	})
}

// The store's candidates already leave out messages that match only
// through a withheld field: the bound is taken over what the viewer may
// see, so withheld words cannot crowd visible matches out of it.
func TestSearchCandidatesNarrowByLevel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, c := range []struct {
			viewer *store.Member
			words  []string
			want   []string
		}{
			{f.carol, []string{"solo-subject"}, nil},
			{f.carol, []string{"shared-body"}, nil},
			{f.carol, []string{"shared-subject"}, []string{f.sharedMsg}},
			{f.bob, []string{"shared-body"}, []string{f.sharedMsg}},
			{f.carol, []string{"pat", "solo-body"}, nil},
			{f.carol, []string{"pat"}, []string{f.evilMsg, f.sharedMsg, f.soloMsg}},
		} {
			msgs, err := f.st.SearchMessages(ctx, f.ws.ID, c.viewer.ID, c.words, store.SearchBound)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range msgs {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, c.want) {
				t.Errorf("%s, %q: candidates %v, want %v", c.viewer.Email, c.words, ids, c.want)
			}
		}
		msgs, err := f.st.SearchMessages(ctx, f.ws.ID, f.carol.ID, []string{"pat"}, 2)
		if err != nil || len(msgs) != 2 || msgs[0].ID != f.evilMsg {
			t.Fatalf("bound 2: %d candidates (%v), want the 2 newest", len(msgs), err)
		}
	})
}

// The Search mail page lists the caller's results with links to their
// threads, redacted like the Emails tab; a withheld match is not there.
func TestSearchPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ts := httptest.NewServer(f.srv)
		defer ts.Close()
		b := newBrowser(t, ts.URL)
		b.login(f.carol.Email)

		_, page := b.do("GET", "/search?q=pat", nil)
		for _, want := range []string{`href="/threads/` + f.evilThread, `href="/threads/` + f.sharedThread,
			`href="/threads/` + f.soloThread, sharedSubject, "3 messages", "Subject hidden", "plain version"} {
			if !strings.Contains(page, want) {
				t.Errorf("results for pat lack %q", want)
			}
		}
		for _, secret := range []string{soloSubject, soloBody, sharedBody} {
			if strings.Contains(page, secret) {
				t.Errorf("results for pat show withheld %q", secret)
			}
		}
		for _, q := range []string{"SOLO-SUBJECT", "SHARED-BODY"} {
			_, page := b.do("GET", "/search?q="+url.QueryEscape(q), nil)
			if strings.Contains(page, "/threads/") || !strings.Contains(page, "No message you can read matches") {
				t.Errorf("carol's search for %s found something", q)
			}
		}
		if _, page := b.do("GET", "/search", nil); !strings.Contains(page, `role="search"`) {
			t.Error("the empty search page has no search box")
		}
	})
}
