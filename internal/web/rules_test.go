package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// A blocklist entry added through the API acts on past mail at once, and
// removing it queues the sync that brings the mail back.
func TestBlocklistThroughAPIActsOnPastMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		if code, body := f.call(t, "carol", "GET", "/api/v1/messages/"+f.evilMsg, ""); code != http.StatusOK {
			t.Fatalf("before: %d %s", code, body)
		}
		if code, body := f.call(t, "carol", "POST", "/api/v1/blocklist", `{"entry":"@acme.test"}`); code != http.StatusCreated {
			t.Fatalf("block: %d %s", code, body)
		}
		if code, _ := f.call(t, "carol", "GET", "/api/v1/messages/"+f.evilMsg, ""); code != http.StatusNotFound {
			t.Fatalf("a message only carol held is still there after she blocked its sender: %d", code)
		}
		// alice's copy of her own mail is untouched by carol's blocklist.
		if code, _ := f.call(t, "alice", "GET", "/api/v1/messages/"+f.soloMsg, ""); code != http.StatusOK {
			t.Fatalf("carol's blocklist removed alice's mail: %d", code)
		}
		if code, _ := f.call(t, "carol", "DELETE", "/api/v1/blocklist/"+url.PathEscape("@acme.test"), ""); code != http.StatusNoContent {
			t.Fatalf("unblock: %d", code)
		}
		if !f.queue.asked(f.evilAccount) {
			t.Fatalf("unblocking did not queue the sync that re-imports the mail")
		}
	})
}

// Reconciliation is for a mailbox's owner or an admin, and says so when
// the server cannot be compared.
func TestReconcileAccess(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	path := "/api/v1/accounts/" + f.acctA.ID + "/reconcile"
	if code, _ := f.call(t, "bob", "GET", path, ""); code != http.StatusForbidden {
		t.Fatalf("bob reconciles alice's mailbox: %d", code)
	}
	code, body := f.call(t, "alice", "GET", path, "")
	if code != http.StatusBadGateway || !strings.Contains(errorOf(t, body), "cannot compare") {
		t.Fatalf("reconcile with a provider that cannot list: %d %s", code, body)
	}
}
