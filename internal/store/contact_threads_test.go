package store_test

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// contactWorld is a workspace built through the store's write paths, as
// the sync and the users' edits build it.
type contactWorld struct {
	t      *testing.T
	ctx    context.Context
	db     *database.DB
	st     *store.Store
	ws     string
	folder string
	chanID string
	day    time.Time
	n      int // messages stored, for distinct dates
}

func (w *contactWorld) msg(key, from string, refs []string, to ...string) *store.NewMessage {
	w.n++
	m := &store.NewMessage{Key: key, Subject: "about " + key, SentAt: w.day.Add(time.Duration(w.n) * time.Hour), Refs: refs,
		Participants: []store.NewParticipant{{Role: "from", Email: from}}}
	for _, a := range to {
		m.Participants = append(m.Participants, store.NewParticipant{Role: "to", Email: a})
	}
	return m
}

// importBatch stores a batch as an import does: the messages and their
// folder items in one transaction, then the contacts the batch creates
// (address -> company domain, "" for none).
func (w *contactWorld) importBatch(msgs []*store.NewMessage, create map[string]string) {
	w.t.Helper()
	err := w.st.Tx(w.ctx, func(tx *sql.Tx) error {
		ids, err := store.InsertMessages(w.ctx, tx, w.ws, msgs)
		if err != nil {
			return err
		}
		var items []store.Item
		for _, m := range msgs {
			items = append(items, store.Item{FolderID: w.folder, UID: m.Key, ChannelID: w.chanID, Status: "imported",
				MessageID: ids[m.Key], MessageKey: m.Key, Direction: "incoming", ReceivedAt: m.SentAt})
		}
		if err := store.PutItems(w.ctx, tx, items); err != nil {
			return err
		}
		return w.createContacts(tx, create)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *contactWorld) createContacts(tx *sql.Tx, create map[string]string) error {
	for _, email := range slices.Sorted(maps.Keys(create)) {
		company := ""
		if domain := create[email]; domain != "" {
			var err error
			if company, err = store.EnsureCompany(w.ctx, tx, w.ws, domain, domain); err != nil {
				return err
			}
		}
		if _, _, err := store.CreatePersonIfAbsent(w.ctx, tx, w.ws, store.NewPerson{FirstName: email,
			Emails: []string{email}, CompanyID: company, CreatedBy: store.CreatedBySync}); err != nil {
			return err
		}
	}
	return nil
}

// expected is today's Emails tab computed from scratch: the threads of
// the messages where one of the contact's people is a participant,
// newest activity first.
func (w *contactWorld) expected(personWhere, id string) []string {
	w.t.Helper()
	rows, err := w.db.Query(`SELECT t.id FROM threads t WHERE t.id IN (SELECT m.thread_id FROM participants p
		JOIN messages m ON m.id = p.message_id JOIN people pe ON pe.id = p.person_id
		WHERE pe.workspace_id = $1 AND `+personWhere+` = $2)
		ORDER BY t.last_message_at DESC, t.id`, w.ws, id)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// check compares every person's and company's Emails tab, whole and in
// pages of two, with the from-scratch computation.
func (w *contactWorld) check(step string) {
	w.t.Helper()
	type contact struct {
		kind, id, where string
		list            func(limit, offset int) (int, []*store.ThreadSummary, error)
	}
	var contacts []contact
	people, err := w.st.People(w.ctx, w.ws)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range people {
		contacts = append(contacts, contact{"person " + p.PrimaryEmail, p.ID, "pe.id",
			func(limit, offset int) (int, []*store.ThreadSummary, error) {
				return w.st.ThreadsForPerson(w.ctx, w.ws, p.ID, limit, offset)
			}})
	}
	companies, err := w.st.Companies(w.ctx, w.ws)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range companies {
		contacts = append(contacts, contact{"company " + c.Name, c.ID, "pe.company_id",
			func(limit, offset int) (int, []*store.ThreadSummary, error) {
				return w.st.ThreadsForCompany(w.ctx, w.ws, c.ID, limit, offset)
			}})
	}
	nonEmpty := 0
	for _, c := range contacts {
		want := w.expected(c.where, c.id)
		if len(want) > 0 {
			nonEmpty++
		}
		for offset := 0; offset <= len(want); offset += 2 {
			total, page, err := c.list(2, offset)
			if err != nil {
				w.t.Fatalf("%s: %s: %v", step, c.kind, err)
			}
			got := []string{}
			for _, t := range page {
				got = append(got, t.ID)
			}
			if total != len(want) || !slices.Equal(got, want[offset:min(offset+2, len(want))]) {
				w.t.Fatalf("%s: %s at offset %d: total %d, threads %v; from scratch: %d threads %v",
					step, c.kind, offset, total, got, len(want), want)
			}
		}
	}
	if nonEmpty == 0 {
		w.t.Fatalf("%s: no contact has a thread: the check compares nothing", step)
	}
}

func newContactWorld(t *testing.T, db *database.DB) *contactWorld {
	ctx := context.Background()
	st := store.New(db)
	ws, err := st.CreateWorkspace(ctx, "w", []string{"ourco.example"})
	if err != nil {
		t.Fatal(err)
	}
	me, err := st.AddMember(ctx, ws.ID, "me@ourco.example", "Me", false)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: me.ID, Provider: "imap", Handle: "me@ourco.example"})
	if err != nil {
		t.Fatal(err)
	}
	folders, err := st.SyncFolders(ctx, ws.ID, acc.ChannelID, []store.FolderSpec{{Name: "INBOX", Selected: true}})
	if err != nil {
		t.Fatal(err)
	}
	return &contactWorld{t: t, ctx: ctx, db: db, st: st, ws: ws.ID, folder: folders[0].ID, chanID: acc.ChannelID,
		day: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
}

// The Emails tab lists (person_threads, company_threads) stay what
// today's query computes from the messages, through imports, thread
// merges, contacts created and edited, people moved between companies
// and merged, and messages, people and companies deleted.
func TestEmailsTabListsFollowEveryWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newContactWorld(t, db)
		ctx, st, ws := w.ctx, w.st, w.ws
		acme, err := st.AddCompany(ctx, ws, "Acme", "acme.example", store.CreatedByUser)
		if err != nil {
			t.Fatal(err)
		}
		jane, err := st.AddPerson(ctx, ws, store.NewPerson{FirstName: "Jane", Emails: []string{"jane@acme.example"},
			CompanyID: acme.ID, CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		me := "me@ourco.example"

		w.importBatch([]*store.NewMessage{
			w.msg("a1", "jane@acme.example", nil, me),
			w.msg("b1", "bob@globex.example", nil, me),
			w.msg("c1", me, nil, "carol@acme.example", "jane@acme.example"),
			w.msg("e1", "erin@freelance.example", nil, me),
		}, map[string]string{"bob@globex.example": "globex.example"})
		w.check("first batch, bob created with his company")

		w.importBatch([]*store.NewMessage{
			w.msg("a2", me, []string{"a1"}, "jane@acme.example", "bob@globex.example"),
			w.msg("d1", "dave@globex.example", nil, me, "bob@globex.example"),
		}, map[string]string{"dave@globex.example": "globex.example", "erin@freelance.example": ""})
		w.check("a reply moves a thread's date; dave and erin created")

		w.importBatch([]*store.NewMessage{w.msg("f1", me, []string{"a1", "c1"}, "jane@acme.example")}, nil)
		w.check("a message joining two stored threads merges them")

		carol, err := st.AddPerson(ctx, ws, store.NewPerson{FirstName: "Carol", Emails: []string{"carol@acme.example"},
			CompanyID: acme.ID, CreatedBy: store.CreatedByUser})
		if err != nil {
			t.Fatal(err)
		}
		w.check("carol added by hand: her past messages link to her")

		if err := st.AddPersonEmail(ctx, ws, jane.ID, "jane@home.example"); err != nil {
			t.Fatal(err)
		}
		w.importBatch([]*store.NewMessage{w.msg("g1", "jane@home.example", nil, me)}, nil)
		w.check("an address added to jane")
		if err := st.RemovePersonEmail(ctx, ws, jane.ID, "jane@home.example"); err != nil {
			t.Fatal(err)
		}
		w.check("the address taken from jane again")

		people := map[string]string{}
		all, err := st.People(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range all {
			people[p.PrimaryEmail] = p.ID
		}
		if _, err := st.MergePeople(ctx, ws, people["erin@freelance.example"], carol.ID); err != nil {
			t.Fatal(err)
		}
		w.check("erin, of no company, merged with carol: erin moves to Acme")
		if _, err := st.MergePeople(ctx, ws, jane.ID, people["bob@globex.example"]); err != nil {
			t.Fatal(err)
		}
		w.check("bob of Globex merged into jane of Acme")

		err = st.Tx(ctx, func(tx *sql.Tx) error { return store.RemoveItems(ctx, tx, ws, w.folder, []string{"a2", "b1"}) })
		if err != nil {
			t.Fatal(err)
		}
		w.check("a reply and a thread's only message deleted")

		if err := st.DeletePerson(ctx, ws, jane.ID); err != nil {
			t.Fatal(err)
		}
		w.check("jane deleted")

		companies, err := st.Companies(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range companies {
			if c.Name == "globex.example" {
				if err := st.DeleteCompany(ctx, ws, c.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.check("Globex deleted")

		if db.Kind == database.Postgres {
			w.concurrentImports()
		}
	})
}

// concurrentImports runs two imports at once (PostgreSQL only: SQLite
// runs one write transaction at a time): one creates a person while the
// other stores her mail, and they split a conversation into two threads;
// LinkUnlinked and RepairThreads, run after both committed, fix both.
func (w *contactWorld) concurrentImports() {
	w.t.Helper()
	ctx := w.ctx
	txA, err := w.st.Begin(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	txB, err := w.st.Begin(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	root := w.msg("h1", "hana@acme.example", nil, "me@ourco.example")
	reply := w.msg("h2", "me@ourco.example", []string{"h1"}, "hana@acme.example", "dave@globex.example")
	for _, step := range []struct {
		tx  *sql.Tx
		msg *store.NewMessage
	}{{txA, root}, {txB, reply}} {
		if _, err := store.InsertMessages(ctx, step.tx, w.ws, []*store.NewMessage{step.msg}); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := w.createContacts(txA, map[string]string{"hana@acme.example": "acme.example"}); err != nil {
		w.t.Fatal(err)
	}
	commit(w.t, txA)
	commit(w.t, txB)
	if err := w.st.LinkUnlinked(ctx, w.ws, []string{"hana@acme.example", "me@ourco.example"}); err != nil {
		w.t.Fatal(err)
	}
	w.check("two imports at once, a person created by one linked to the other's messages")
	if err := w.st.RepairThreads(ctx, w.ws, []string{"h2"}); err != nil {
		w.t.Fatal(err)
	}
	var n int
	if err := w.db.QueryRow(`SELECT COUNT(DISTINCT thread_id) FROM messages WHERE message_key IN ('h1', 'h2')`).Scan(&n); err != nil || n != 1 {
		w.t.Fatalf("h1 and h2 in %d threads (%v), want 1 after the repair", n, err)
	}
	w.check("the split thread repaired")
}
