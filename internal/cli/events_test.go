package cli

import (
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/store"
)

// TestEventsList replays the feed through `events list` from every cursor.
func TestEventsList(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e := newCLIEnv(t, kind)
			e.ok(nil, "member", "add", "--email", "a@ourco.example", "--name", "A", "--admin")
			var p struct{ ID string }
			e.ok(&p, "people", "add", "--email", "jane@acme.example", "--first", "Jane", "--json")
			e.ok(nil, "people", "add-email", p.ID, "jane2@acme.example")
			e.ok(nil, "people", "delete", p.ID)
			var all store.Feed
			e.ok(&all, "events", "list", "--json")
			var types []string
			for _, ev := range all.Events {
				types = append(types, ev.Type)
			}
			if strings.Join(types, " ") != "person.created person.updated person.deleted" || all.Next != all.Events[2].ID {
				t.Fatalf("feed: %v next %q", types, all.Next)
			}
			for i, ev := range all.Events {
				var rest store.Feed
				e.ok(&rest, "events", "list", "--after", ev.ID, "--json")
				if len(rest.Events) != len(all.Events)-i-1 || rest.Next == "" {
					t.Errorf("after %s: %d events, next %q", ev.ID, len(rest.Events), rest.Next)
				}
			}
			var one store.Feed
			e.ok(&one, "events", "list", "--limit", "1", "--json")
			if len(one.Events) != 1 || one.Next != all.Events[0].ID {
				t.Errorf("--limit 1: %+v", one)
			}
			if code, _, errOut := e.run("events", "list", "--after", "nope"); code != 2 || !strings.Contains(errOut, "cursor") {
				t.Errorf("bad cursor: exit %d %s", code, errOut)
			}
		})
	}
}

// TestWebhookCommands: add refuses internal hosts unless allowed, prints
// the secret once; list shows status without it; remove removes.
func TestWebhookCommands(t *testing.T) {
	e := newCLIEnv(t, database.SQLite)
	delete(e.env, netguard.EnvAllowPrivate)
	e.ok(nil, "member", "add", "--email", "a@ourco.example", "--name", "A", "--admin")
	if code, _, errOut := e.run("webhook", "add", "--url", "http://127.0.0.1:9/hook"); code == 0 || !strings.Contains(errOut, "allow-private-hosts") {
		t.Fatalf("internal URL: exit %d %s", code, errOut)
	}
	if code, _, errOut := e.run("webhook", "add", "--url", "https://192.0.2.1/x", "--type", "nope"); code != 2 || !strings.Contains(errOut, "unknown event type") {
		t.Fatalf("bad type: exit %d %s", code, errOut)
	}
	var added struct{ ID, Secret string }
	e.ok(&added, "--allow-private-hosts", "webhook", "add", "--url", "http://127.0.0.1:9/hook", "--type", "person.created", "--json")
	if added.ID == "" || !strings.HasPrefix(added.Secret, "whsec_") {
		t.Fatalf("add: %+v", added)
	}
	var list []store.Webhook
	e.ok(&list, "webhook", "list", "--json")
	if len(list) != 1 || list[0].Status != "active" || list[0].Types[0] != "person.created" {
		t.Fatalf("list: %+v", list)
	}
	if _, out, _ := e.run("webhook", "list", "--json"); strings.Contains(out, added.Secret) {
		t.Fatal("list shows the secret")
	}
	e.ok(nil, "webhook", "remove", added.ID)
	e.ok(&list, "webhook", "list", "--json")
	if len(list) != 0 {
		t.Fatalf("after remove: %+v", list)
	}
}
