package web

import (
	"context"
	"encoding/json"
	"fmt"
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

// Rows are the rows of `messages list`, redacted for the caller, ranked
// by where the words were found (participants, then the subject, then
// the body), newest first among equals, from what the caller sees only:
// a message whose withheld subject and body repeat the word ranks as a
// participant match, and one matching only in a withheld body is absent.
func TestSearchRowsRankingAndPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		old := &store.NewMessage{Key: "ranked@acme.test", Subject: "Pat, about Pat", Text: "pat pat", Snippet: "pat pat",
			SentAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test", Name: "Pat Doe"},
				{Role: "to", Email: f.alice.Email}}}
		ranked := f.deliver(t, f.acctA, old)[old.Key] // alice's mailbox shares metadata only
		newest := &store.NewMessage{Key: "body-only@acme.test", Subject: "Lunch", Text: "ask pat", Snippet: "ask pat",
			SentAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
			Participants: []store.NewParticipant{{Role: "from", Email: "lee@acme.test", Name: "Lee"},
				{Role: "to", Email: f.alice.Email}}}
		bodyOnly := f.deliver(t, f.acctA, newest)[newest.Key]

		_, ids := f.search(t, "alice", "pat", "")
		if len(ids) != 5 || ids[4] != bodyOnly || !slices.Contains(ids, ranked) {
			t.Fatalf("alice (owner) searching pat: %v, want the body match %s last", ids, bodyOnly)
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
			words := visibility.SearchWords(strings.Join(c.words, " "), store.MaxSearchWords)
			total, hits, err := f.st.SearchMessages(ctx, f.ws.ID, c.viewer.ID, words, store.SearchBound, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range hits {
				ids = append(ids, h.Message.ID)
			}
			if !slices.Equal(ids, c.want) || total != len(c.want) {
				t.Errorf("%s, %q: %d candidates %v, want %v", c.viewer.Email, c.words, total, ids, c.want)
			}
		}
		total, hits, err := f.st.SearchMessages(ctx, f.ws.ID, f.carol.ID, []string{"pat"}, 2, 100, 0)
		if err != nil || total != 2 || len(hits) != 2 || hits[0].Message.ID != f.evilMsg {
			t.Fatalf("bound 2: %d candidates (%v), want the 2 newest", total, err)
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

// The index cuts words the same way on both databases: case and
// diacritics folded, an address is its words, a word matches whole words
// only.
func TestSearchWordsMatchAlikeOnBothEngines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		m := &store.NewMessage{Key: "cafe@acme.test", Subject: "Réunion au Café", Text: "Prix: 12,50 EUR. Straße",
			SentAt: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
			Participants: []store.NewParticipant{{Role: "from", Email: "Zoë.Müller@Kunde.example", Name: "Zoë Müller"},
				{Role: "to", Email: f.carol.Email}}}
		id := f.deliver(t, f.acctA, m)[m.Key] // alice's own mailbox: she sees everything
		for _, c := range []struct {
			q     string
			found bool
		}{
			{"cafe", true}, {"CAFÉ reunion", true}, {"zoe.muller@kunde.example", true}, {"muller kunde", true},
			{"prix 12 50", true}, {"straße", true}, {"strasse", false},
			{"reu", false}, // not the start of a word
			{"afe", false}, // nor its middle
		} {
			_, ids := f.search(t, "alice", c.q, "")
			if got := slices.Contains(ids, id); got != c.found {
				t.Errorf("searching %q: found %v, want %v", c.q, got, c.found)
			}
		}
		// Dates far from today (spam's year 9999) are indexed too, in order.
		var far []*store.NewMessage
		for i, year := range []int{1900, 9999, 9999, 1800} {
			far = append(far, &store.NewMessage{Key: fmt.Sprintf("far%d@acme.test", i), Subject: "farfetched",
				SentAt: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)})
		}
		ids := f.deliver(t, f.acctA, far...)
		if _, got := f.search(t, "alice", "farfetched", ""); len(got) != 4 ||
			got[2] != ids["far0@acme.test"] || got[3] != ids["far3@acme.test"] {
			t.Errorf("far dates: found %v, want all 4, 1900 and 1800 last (%v)", got, ids)
		}
	})
}

// Messages deleted with their mailbox leave the index with them: they are
// no longer found nor counted, and their index rows are gone.
func TestSearchForgetsDeletedMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if res, _ := f.search(t, "carol", "plain version", ""); res.Total != 1 {
			t.Fatalf("before: total %d, want the evil message", res.Total)
		}
		before := indexRows(t, db)
		if err := f.st.DeleteAccount(ctx, f.ws.ID, f.evilAccount); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"plain version", "newsletter payloads"} {
			if res, ids := f.search(t, "carol", q, ""); res.Total != 0 || ids != nil {
				t.Errorf("after deletion, %q: total %d, %v", q, res.Total, ids)
			}
		}
		if res, ids := f.search(t, "carol", "pat", ""); res.Total != 2 || !slices.Equal(ids, []string{f.sharedMsg, f.soloMsg}) {
			t.Errorf("after deletion, pat: total %d, %v; want the two others", res.Total, ids)
		}
		if after := indexRows(t, db); after != before-1 {
			t.Errorf("index rows: %d before, %d after deleting one message", before, after)
		}
	})
}

// indexRows counts the index rows of every table that holds them.
func indexRows(t *testing.T, db *database.DB) int {
	t.Helper()
	tables := []string{"message_search"}
	if db.Kind == database.SQLite {
		tables = []string{"search_docs", "search_p", "search_ps", "search_psb"}
	}
	counts := map[int]bool{}
	n := 0
	for _, table := range tables {
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[n] = true
	}
	if len(counts) != 1 {
		t.Fatalf("index tables disagree: %v", counts)
	}
	return n
}

// Migration 0013 indexes the messages stored before it: a database
// whose index is dropped and the migration forgotten finds the same
// messages once migrated again.
func TestSearchMigrationBackfills(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		queries := []string{"pat", "shared subject", "solo body", "plain version"}
		want := map[string][]string{}
		for _, q := range queries {
			_, want[q] = f.search(t, "alice", q, "")
		}
		drop := []string{"DROP TABLE message_search"}
		if db.Kind == database.SQLite {
			drop = []string{"DROP TRIGGER messages_search_delete", "DROP VIEW message_search", "DROP TABLE search_p",
				"DROP TABLE search_ps", "DROP TABLE search_psb", "DROP TABLE search_docs"}
		}
		drop = append(drop, `DELETE FROM schema_migrations WHERE name LIKE '%0013_search%'`)
		for _, q := range drop {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := database.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n := indexRows(t, db); n != 4 {
			t.Errorf("%d index rows after the backfill, want the 4 messages", n)
		}
		if db.Kind == database.Postgres {
			// The planner has the filled table's statistics (reltuples is -1
			// until a table is first analyzed or vacuumed).
			var tuples float64
			if err := db.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE relname = 'message_search'`).Scan(&tuples); err != nil || tuples != 4 {
				t.Errorf("message_search analyzed with %v rows (%v), want 4", tuples, err)
			}
		}
		for _, q := range queries {
			if _, got := f.search(t, "alice", q, ""); !slices.Equal(got, want[q]) || len(got) == 0 {
				t.Errorf("after the backfill, %q finds %v, want %v", q, got, want[q])
			}
		}
	})
}
