package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// TestAccessRequestAPI walks request → grant → visible (later messages
// included) → revoke → withheld through the API, with the refusals on
// the way, on both databases.
func TestAccessRequestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		thread := "/api/v1/threads/" + f.soloThread
		level := func(who string) (string, bool) {
			t.Helper()
			var v struct {
				Visibility string
				Messages   []struct{ Text *string }
			}
			f.getJSON(t, who, thread, &v)
			return v.Visibility, v.Messages[len(v.Messages)-1].Text != nil
		}
		if lv, _ := level("bob"); lv != "metadata" {
			t.Fatalf("bob starts at %s", lv)
		}
		code, body := f.call(t, "bob", "POST", thread+"/access-requests", `{"note":"for the renewal"}`)
		if code != http.StatusCreated {
			t.Fatalf("request: %d %s", code, body)
		}
		var req struct{ ID, Status, ThreadID, Requester, Note string }
		json.Unmarshal([]byte(body), &req)
		if req.Status != "pending" || req.ThreadID != f.soloThread || req.Requester != f.bob.Email || req.Note != "for the renewal" {
			t.Fatalf("request: %s", body)
		}
		if _, again := f.call(t, "bob", "POST", thread+"/access-requests", ""); !strings.Contains(again, req.ID) {
			t.Errorf("asking twice made another request: %s", again)
		}
		if code, body := f.call(t, "alice", "POST", thread+"/access-requests", ""); code != http.StatusConflict {
			t.Errorf("the owner requesting: %d %s", code, body)
		}
		if code, _ := f.call(t, "eve", "POST", thread+"/access-requests", ""); code != http.StatusNotFound {
			t.Errorf("another workspace requesting: %d", code)
		}
		var list []struct{ ID, Status string }
		f.getJSON(t, "alice", "/api/v1/access-requests", &list)
		if len(list) != 1 || list[0].ID != req.ID {
			t.Fatalf("alice's list: %+v", list)
		}
		f.getJSON(t, "carol", "/api/v1/access-requests", &list)
		if len(list) != 0 {
			t.Fatalf("carol sees requests she cannot decide: %+v", list)
		}
		decide := func(who, action string) (int, string) {
			return f.call(t, who, "POST", "/api/v1/access-requests/"+req.ID+"/"+action, "")
		}
		for _, who := range []string{"carol", "bob"} {
			if code, _ := decide(who, "grant"); code != http.StatusForbidden {
				t.Errorf("%s granting: %d", who, code)
			}
		}
		if code, _ := decide("eve", "grant"); code != http.StatusNotFound {
			t.Errorf("eve granting: %d", code)
		}
		if code, _ := decide("alice", "revoke"); code != http.StatusConflict {
			t.Errorf("revoking a pending request: %d", code)
		}
		if code, body := decide("alice", "grant"); code != http.StatusOK || !strings.Contains(body, `"decidedBy": "`+f.alice.Email+`"`) {
			t.Fatalf("grant: %d %s", code, body)
		}
		if lv, text := level("bob"); lv != "everything" || !text {
			t.Fatalf("after the grant bob gets %s (text %v)", lv, text)
		}
		if lv, _ := level("carol"); lv != "metadata" {
			t.Fatalf("the grant opened the thread to carol: %s", lv)
		}
		// A message arriving later in the thread is open to bob too.
		later := &store.NewMessage{Key: "later@acme.test", Subject: "Re: " + soloSubject, Text: "LATER-BODY",
			SentAt: time.Date(2025, 3, 5, 9, 0, 0, 0, time.UTC), Refs: []string{"solo@acme.test"},
			Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test"}, {Role: "to", Email: f.alice.Email}}}
		f.deliver(t, f.acctA, later)
		var tv struct{ Messages []struct{ Text *string } }
		f.getJSON(t, "bob", thread, &tv)
		if len(tv.Messages) != 2 || tv.Messages[1].Text == nil || *tv.Messages[1].Text != "LATER-BODY" {
			t.Fatalf("the later message: %+v", tv.Messages)
		}
		var rows []struct{ Visibility string }
		f.getJSON(t, "bob", "/api/v1/people/"+f.pat.ID+"/threads", &struct {
			Threads *[]struct{ Visibility string }
		}{&rows})
		open := 0
		for _, r := range rows {
			if r.Visibility == "everything" {
				open++
			}
		}
		if open == 0 {
			t.Errorf("the Emails tab does not show the granted thread open: %+v", rows)
		}
		if code, _ := decide("alice", "revoke"); code != http.StatusOK {
			t.Fatalf("revoke: %d", code)
		}
		if lv, text := level("bob"); lv != "metadata" || text {
			t.Fatalf("after the revoke bob gets %s (text %v)", lv, text)
		}
		// Deny: a second request turned down leaves bob where he was.
		code, body = f.call(t, "bob", "POST", thread+"/access-requests", "")
		json.Unmarshal([]byte(body), &req)
		if code != http.StatusCreated {
			t.Fatalf("second request: %d %s", code, body)
		}
		if code, _ := decide("alice", "deny"); code != http.StatusOK {
			t.Fatalf("deny: %d", code)
		}
		if lv, _ := level("bob"); lv != "metadata" {
			t.Fatalf("after a deny bob gets %s", lv)
		}
		var audit struct{ Entries []struct{ Action string } }
		f.getJSON(t, "alice", "/api/v1/audit", &audit)
		seen := map[string]int{}
		for _, e := range audit.Entries {
			seen[e.Action]++
		}
		if seen["access.request"] != 2 || seen["access.grant"] != 1 || seen["access.revoke"] != 1 || seen["access.deny"] != 1 {
			t.Errorf("audit log: %v", seen)
		}
	})
}
