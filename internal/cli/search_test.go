package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/store"
)

// TestSearch runs `mailsync search` on both databases: the contract's
// JSON shape, rows equal to those of `messages list`, redaction by level
// (sam sees alex's mailbox at subject), paging and usage errors.
func TestSearch(t *testing.T) {
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) { testSearch(t, kind) })
	}
}

func testSearch(t *testing.T, kind database.Kind) {
	e := newCLIEnv(t, kind)
	e.ok(nil, "member", "add", "--email", "alex@ourco.example", "--name", "Alex")
	e.ok(nil, "member", "add", "--email", "sam@ourco.example", "--name", "Sam")
	seedSearch(t, e.dsn)

	type page struct {
		Total    int
		Messages []json.RawMessage
	}
	search := func(as string, args ...string) (page, []map[string]any) {
		t.Helper()
		var p page
		e.ok(&p, append([]string{"search", "--as", as, "--json"}, args...)...)
		var rows []map[string]any
		for _, raw := range p.Messages {
			var r map[string]any
			json.Unmarshal(raw, &r)
			rows = append(rows, r)
		}
		return p, rows
	}

	var listed []json.RawMessage
	e.ok(&listed, "messages", "list", "--as", "sam@ourco.example", "--json")
	p, rows := search("sam@ourco.example", "JANE")
	if p.Total != 3 || len(rows) != 3 || rows[0]["subject"] != "Contract renewal" {
		t.Fatalf("sam searching jane: %+v", rows)
	}
	for i := range listed { // messages list is newest first too, and the scores are equal
		if !sameJSON(t, listed[i], p.Messages[i]) {
			t.Errorf("row %d differs from messages list:\n%s\n%s", i, p.Messages[i], listed[i])
		}
	}
	if rows[0]["text"] != nil {
		t.Errorf("body sent at the subject level: %v", rows[0]["text"])
	}

	for _, c := range []struct {
		as, q string
		want  []string // subjects
	}{
		{"sam@ourco.example", "renewal", []string{"Contract renewal"}},
		{"sam@ourco.example", "42k", nil},
		{"sam@ourco.example", "jane 42k", nil},
		{"alex@ourco.example", "42k", []string{"Contract renewal"}},
		// A word in the subject outranks one in a newer message's body.
		{"alex@ourco.example", "jane price", []string{"Price list", "Contract renewal"}},
	} {
		p, rows := search(c.as, c.q)
		var got []string
		for _, r := range rows {
			got = append(got, r["subject"].(string))
		}
		if !slices.Equal(got, c.want) || p.Total != len(c.want) || p.Messages == nil {
			t.Errorf("%s searching %q: total %d, %q; want %q", c.as, c.q, p.Total, got, c.want)
		}
	}

	p, rows = search("sam@ourco.example", "jane", "--limit", "1", "--offset", "1")
	if p.Total != 3 || len(rows) != 1 || rows[0]["subject"] != "Price list" {
		t.Errorf("page 2 of 1: %d %+v", p.Total, rows)
	}
	for _, args := range [][]string{
		{"search", "--as", "sam@ourco.example"},
		{"search", " ", "--as", "sam@ourco.example"},
		{"search", "jane"},
		{"search", "jane", "--as", "sam@ourco.example", "--limit", "0"},
	} {
		if code, _, _ := e.run(args...); code == 0 {
			t.Errorf("mailsync %q succeeded", args)
		}
	}
}

// seedSearch stores three messages from Jane in alex's mailbox, which
// shares subjects with colleagues.
func seedSearch(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	wsIDs, err := st.WorkspaceIDs(ctx)
	if err != nil || len(wsIDs) != 1 {
		t.Fatalf("workspaces %v: %v", wsIDs, err)
	}
	ws := &store.Workspace{ID: wsIDs[0]}
	alex, err := st.MemberByEmail(ctx, ws.ID, "alex@ourco.example")
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: alex.ID, Provider: "imap",
		Handle: alex.Email, Host: "imap.test", Port: 993, Security: "tls", Username: alex.Email, SecretEnc: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	level := "subject"
	if err := st.UpdateChannelSettings(ctx, ws.ID, a.ID, store.ChannelSettings{Visibility: &level}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	var msgs []*store.NewMessage
	for i, m := range []struct{ subject, text string }{
		{"Hello", "nothing here"}, {"Price list", "attached"}, {"Contract renewal", "the price is 42k"},
	} {
		msgs = append(msgs, &store.NewMessage{Key: m.subject + "@acme-corp.com", Subject: m.subject, Text: m.text,
			SentAt: day.Add(time.Duration(i) * time.Hour), Participants: []store.NewParticipant{
				{Role: "from", Email: "jane@acme-corp.com", Name: "Jane Roe"}, {Role: "to", Email: alex.Email}}})
	}
	folders, err := st.SyncFolders(ctx, ws.ID, a.ChannelID, []store.FolderSpec{{Name: "INBOX", Selected: true}})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := store.InsertMessages(ctx, tx, ws.ID, msgs)
		if err != nil {
			return err
		}
		var items []store.Item
		for _, m := range msgs {
			items = append(items, store.Item{FolderID: folders[0].ID, UID: m.Key, ChannelID: a.ChannelID,
				Status: store.ItemImported, MessageID: ids[m.Key], MessageKey: m.Key, Direction: "incoming", ReceivedAt: m.SentAt})
		}
		return store.PutItems(ctx, tx, items)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("not JSON:\n%s\n%s", a, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
