package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/store"
)

// shape is the workspace to generate.
type shape struct {
	messages, mailboxes, people, companies int
	seed                                   uint64
}

// loader appends rows to a table: COPY on PostgreSQL, multi-row INSERTs
// in one transaction on SQLite. The generator writes straight into the
// tables (not through the import path): it builds a store of a million
// messages in minutes, not hours.
type loader func(ctx context.Context, table string, cols []string, rows [][]any) error

func newLoader(db *database.DB) loader {
	if db.Kind == database.Postgres {
		return func(ctx context.Context, table string, cols []string, rows [][]any) error {
			if len(rows) == 0 {
				return nil
			}
			_, err := db.Pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			return nil
		}
	}
	return func(ctx context.Context, table string, cols []string, rows [][]any) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			per := max(1, 2000/len(cols))
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			for start := 0; start < len(rows); start += per {
				chunk := rows[start:min(start+per, len(rows))]
				q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
					strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ")
				args := make([]any, 0, len(chunk)*len(cols))
				for _, r := range chunk {
					args = append(args, r...)
				}
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return fmt.Errorf("insert %s: %w", table, err)
				}
			}
			return nil
		})
	}
}

// table is the rows buffered for one table.
type table struct {
	name string
	cols []string
	rows [][]any
}

type generator struct {
	s      shape
	rng    *rand.Rand
	load   loader
	ws     string
	now    int64
	tables []*table // in foreign-key order
	// members' ids, addresses, channels and folders, by mailbox index.
	members, memberEmails, channels, folders []string
	people, personEmails, personNames        []string
	uid                                      int
}

func (g *generator) table(name string) *table {
	for _, t := range g.tables {
		if t.name == name {
			return t
		}
	}
	panic("no table " + name)
}

func (g *generator) add(name string, row ...any) { t := g.table(name); t.rows = append(t.rows, row) }

func (g *generator) flush(ctx context.Context) error {
	for _, t := range g.tables {
		if err := g.load(ctx, t.name, t.cols, t.rows); err != nil {
			return err
		}
		t.rows = t.rows[:0]
	}
	return nil
}

// skewed picks an index in [0, n) with a power-law bias towards 0, so that
// a few people and companies are far busier than the rest, as in a CRM.
func (g *generator) skewed(n int, power float64) int {
	return min(n-1, int(float64(n)*math.Pow(g.rng.Float64(), power)))
}

// generate fills an empty, migrated database with one workspace of the
// given shape and returns its id.
func generate(ctx context.Context, db *database.DB, s shape) (string, error) {
	st := store.New(db)
	w, err := st.CreateWorkspace(ctx, "readbench (generating)", []string{"ourco.example"})
	if err != nil {
		return "", err
	}
	g := &generator{s: s, rng: rand.New(rand.NewPCG(s.seed, 1)), load: newLoader(db), ws: w.ID,
		now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}
	for _, t := range []struct {
		name string
		cols string
	}{
		{"members", "id, workspace_id, email, name, role, created_at"},
		{"connected_accounts", "id, workspace_id, member_id, provider, handle, created_at"},
		{"channels", "id, account_id, workspace_id, visibility, status"},
		{"folders", "id, channel_id, name, listed"},
		{"companies", "id, workspace_id, name, domain, created_by, created_at"},
		{"people", "id, workspace_id, first_name, last_name, company_id, created_by, created_at"},
		{"person_emails", "workspace_id, email, person_id, is_primary"},
		{"threads", "id, workspace_id, subject, message_count, first_message_at, last_message_at"},
		{"messages", "id, workspace_id, thread_id, message_key, subject, text_body, snippet, size, sent_at, created_at"},
		{"participants", "message_id, position, workspace_id, role, email, name, person_id, member_id, thread_id"},
		{"folder_items", "folder_id, uid, channel_id, status, message_id, message_key, direction, received_at"},
	} {
		g.tables = append(g.tables, &table{name: t.name, cols: strings.Split(t.cols, ", ")})
	}
	g.directory()
	if err := g.flush(ctx); err != nil {
		return "", err
	}
	for made := 0; made < s.messages; {
		made += g.thread(made, min(1+g.rng.IntN(5), s.messages-made))
		if len(g.table("messages").rows) >= 20000 {
			if err := g.flush(ctx); err != nil {
				return "", err
			}
		}
	}
	if err := g.flush(ctx); err != nil {
		return "", err
	}
	// The Emails tabs' lists, which the import keeps as it goes.
	if err := st.RebuildContactThreads(ctx, w.ID); err != nil {
		return "", err
	}
	// The search index, which the import writes as it goes.
	if err := st.IndexUnindexed(ctx); err != nil {
		return "", err
	}
	// Fresh statistics, as a live server would have them; then the name
	// that marks the workspace complete for -keep.
	analyze := "ANALYZE"
	if db.Kind == database.Postgres {
		analyze = "VACUUM ANALYZE" // as autovacuum would: index-only scans need the visibility map
	}
	for _, q := range []string{analyze, "UPDATE workspaces SET name = 'readbench' WHERE id = $1"} {
		if _, err := db.ExecContext(ctx, q, argsFor(q, w.ID)...); err != nil {
			return "", err
		}
	}
	return w.ID, nil
}

func argsFor(q, id string) []any {
	if strings.Contains(q, "$1") {
		return []any{id}
	}
	return nil
}

var levels = []string{"everything", "subject", "metadata"}

// directory adds the members with their mailboxes, the companies and the people.
func (g *generator) directory() {
	for i := range g.s.mailboxes {
		id, acc, ch, f := store.NewID(), store.NewID(), store.NewID(), store.NewID()
		email := fmt.Sprintf("member%d@ourco.example", i)
		g.add("members", id, g.ws, email, fmt.Sprintf("Member %d", i), "member", g.now)
		g.add("connected_accounts", acc, g.ws, id, "imap", email, g.now)
		g.add("channels", ch, acc, g.ws, levels[i%len(levels)], "active")
		g.add("folders", f, ch, "INBOX", 0)
		g.members, g.memberEmails = append(g.members, id), append(g.memberEmails, email)
		g.channels, g.folders = append(g.channels, ch), append(g.folders, f)
	}
	companies := make([]string, g.s.companies)
	for i := range companies {
		companies[i] = store.NewID()
		g.add("companies", companies[i], g.ws, fmt.Sprintf("Company %d", i), fmt.Sprintf("c%d.example", i), "sync", g.now)
	}
	for i := range g.s.people {
		id := store.NewID()
		c := g.skewed(g.s.companies, 2)
		first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		email := fmt.Sprintf("%s.%s%d@c%d.example", strings.ToLower(first), strings.ToLower(last), i, c)
		g.add("people", id, g.ws, first, last, companies[c], "sync", g.now)
		g.add("person_emails", g.ws, email, id, true)
		g.people, g.personEmails = append(g.people, id), append(g.personEmails, email)
		g.personNames = append(g.personNames, first+" "+last)
	}
}

// thread adds one conversation of n messages between a member and one or
// two people (sometimes with an address no person has), held by the
// member's mailbox and, for one in ten, a colleague's too. It returns n.
func (g *generator) thread(seq, n int) int {
	tid := store.NewID()
	member := g.rng.IntN(g.s.mailboxes)
	holders := []int{member}
	if g.rng.IntN(10) == 0 {
		holders = append(holders, (member+1)%g.s.mailboxes)
	}
	p1 := g.skewed(g.s.people, 2.5)
	p2 := -1
	if g.rng.IntN(3) == 0 {
		p2 = g.skewed(g.s.people, 2.5)
	}
	stranger := g.rng.IntN(10) == 0
	subject := fmt.Sprintf("%s %d", topics[seq%len(topics)], seq)
	sent := g.now - g.rng.Int64N(2*365*24*3600*1000)
	first := sent
	for j := range n {
		mid, key := store.NewID(), fmt.Sprintf("%d.%d@bench.example", seq, j)
		text := fmt.Sprintf("Hello %s, about %s: %s", g.personNames[p1], subject, strings.Repeat("lorem ipsum dolor sit amet ", 10))
		msgSubject := subject
		if j > 0 {
			msgSubject = "Re: " + subject
		}
		g.add("messages", mid, g.ws, tid, key, msgSubject, text, text[:min(len(text), 140)], len(text)+600, sent, g.now)
		person := func(k int) (string, string, any, any) {
			return g.personEmails[k], g.personNames[k], g.people[k], nil
		}
		mem := func(k int) (string, string, any, any) {
			return g.memberEmails[k], fmt.Sprintf("Member %d", k), nil, g.members[k]
		}
		type addr struct {
			role               string
			email, name        string
			personID, memberID any
		}
		var parts []addr
		outgoing := j%2 == 1
		pe, pn, pp, pm := person(p1)
		me, mn, mp, mm := mem(member)
		if outgoing {
			parts = append(parts, addr{"from", me, mn, mp, mm}, addr{"to", pe, pn, pp, pm})
		} else {
			parts = append(parts, addr{"from", pe, pn, pp, pm}, addr{"to", me, mn, mp, mm})
		}
		if p2 >= 0 {
			e, nm, p, m := person(p2)
			parts = append(parts, addr{"cc", e, nm, p, m})
		}
		if stranger {
			parts = append(parts, addr{"cc", fmt.Sprintf("someone%d@gmail.com", seq), "", nil, nil})
		}
		for pos, a := range parts {
			g.add("participants", mid, pos, g.ws, a.role, a.email, a.name, a.personID, a.memberID, tid)
		}
		for _, h := range holders {
			dir := "incoming"
			if outgoing && h == member {
				dir = "outgoing"
			}
			g.uid++
			g.add("folder_items", g.folders[h], strconv.Itoa(g.uid), g.channels[h], "imported", mid, key, dir, sent)
		}
		if j < n-1 {
			sent += 1 + g.rng.Int64N(3*24*3600*1000)
		}
	}
	g.add("threads", tid, g.ws, subject, n, first, sent)
	return n
}

var (
	firstNames = []string{"Jane", "John", "Aiko", "Omar", "Lena", "Pavel", "Maria", "Kwame", "Chen", "Sofia",
		"Liam", "Noor", "Ivan", "Grace", "Mateo", "Zara", "Felix", "Hana", "Yusuf", "Elsa"}
	lastNames = []string{"Doe", "Smith", "Tanaka", "Haddad", "Berg", "Novak", "Garcia", "Mensah", "Wei", "Rossi",
		"Murphy", "Khan", "Petrov", "Okafor", "Silva", "Ali", "Weber", "Sato", "Demir", "Lund"}
	topics = []string{"Renewal", "Quote", "Onboarding", "Invoice question", "Meeting notes", "Proposal",
		"Contract draft", "Pilot results", "Pricing", "Roadmap"}
)
