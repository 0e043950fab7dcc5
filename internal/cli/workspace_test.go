package cli

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
)

// TestWorkspaceImportInternal drives `workspace show` and `workspace set
// --import-internal` through the CLI, on both databases: the setting acts
// on internal mail already synced, both ways.
func TestWorkspaceImportInternal(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) { testWorkspaceImportInternal(t, kind) })
	}
}

func testWorkspaceImportInternal(t *testing.T, kind database.Kind) {
	e := newRulesEnv(t, kind)
	u1 := e.addAccount("user1")
	e.deliver("user1", "INBOX",
		msg("memo@ourco.example", "Boss <boss@ourco.example>", "user1@ourco.example"),
		msg("deal@acme-corp.com", "Jane Doe <jane.doe@acme-corp.com>", "user1@ourco.example"))
	e.must(nil, "sync", "--once")
	if w := e.why(u1, "memo@ourco.example"); w.Decision != "skipped" || w.Rule != "internal" {
		t.Fatalf("internal mail by default: %+v, want skipped by rule internal", w)
	}

	// The contract's JSON, exactly: these keys and no others.
	var raw map[string]json.RawMessage
	e.must(&raw, "workspace", "show", "--json")
	var keys []string
	for _, k := range []string{"id", "name", "domains", "importInternal"} {
		if _, ok := raw[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(raw) != 4 || len(keys) != 4 || string(raw["domains"]) != "[]" || string(raw["importInternal"]) != "false" {
		t.Fatalf("workspace show --json: %v", raw)
	}

	var res struct {
		Removed, Deleted, Refetch int
		Pending, Resync           []string
	}
	e.must(&res, "workspace", "set", "--import-internal", "true", "--json")
	if res.Refetch != 1 || res.Removed != 0 || !reflect.DeepEqual(res.Resync, []string{u1}) {
		t.Fatalf("import-internal on: %+v, want the memo to refetch", res)
	}
	var ws struct {
		Name           string
		ImportInternal bool
	}
	e.must(&ws, "workspace", "show", "--json")
	if !ws.ImportInternal || ws.Name != "default" {
		t.Fatalf("after set true: %+v", ws)
	}
	e.must(nil, "sync", "--once")
	if w := e.why(u1, "memo@ourco.example"); w.Decision != "imported" {
		t.Fatalf("internal mail after import-internal on and a sync: %+v", w)
	}

	// Off again: the internal mail leaves at once, customer mail stays.
	e.must(&res, "workspace", "set", "--import-internal=false", "--json")
	if res.Removed != 1 || res.Deleted != 1 || res.Refetch != 0 {
		t.Fatalf("import-internal off: %+v, want 1 removed and deleted", res)
	}
	if w := e.why(u1, "memo@ourco.example"); w.Decision != "skipped" || w.Rule != "internal" {
		t.Fatalf("internal mail after import-internal off: %+v", w)
	}
	if w := e.why(u1, "deal@acme-corp.com"); w.Decision != "imported" {
		t.Fatalf("customer mail after import-internal off: %+v", w)
	}

	// Mistakes are usage errors (exit 2) and change nothing.
	c := &cliEnv{t: t, dsn: e.dsn, env: e.env}
	for _, args := range [][]string{
		{"workspace", "set"},
		{"workspace", "set", "--import-internal", "maybe"},
		{"workspace", "set", "extra", "--import-internal", "true"},
		{"workspace", "show", "extra"},
		{"workspace", "rename"},
	} {
		if code, _, _ := c.run(args...); code != 2 {
			t.Errorf("mailsync %v: exit %d, want 2", args, code)
		}
	}
	e.must(&ws, "workspace", "show", "--json")
	if ws.ImportInternal {
		t.Fatal("a refused command changed the setting")
	}
}
