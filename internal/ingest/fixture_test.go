package ingest_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

const domain = "ourco.example"

// fixture is a workspace on a fresh database with mailboxes on a real
// Dovecot: user1 and user2, both on ourco.example.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	st       *store.Store
	box      *secrets.Box
	dove     *dovecottest.Server
	ws       *store.Workspace
	members  map[string]*store.Member
	accounts map[string]*store.Account
	syncer   *ingest.Syncer
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	key, _ := secrets.ParseKey(secrets.NewKey())
	box, _ := secrets.New(key)
	st := store.New(db)
	ws, err := st.CreateWorkspace(ctx, "Our Co", []string{domain})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, st: st, box: box, dove: dovecottest.Start(t, dovecottest.Options{}), ws: ws,
		members: map[string]*store.Member{}, accounts: map[string]*store.Account{}}
	f.syncer = &ingest.Syncer{Store: st, Box: box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, BatchSize: 7}
	return f
}

// addAccount connects userN's mailbox (handle userN@ourco.example).
func (f *fixture) addAccount(user string) *store.Account {
	f.t.Helper()
	return f.addAccountWithPassword(user, dovecottest.Password)
}

func (f *fixture) addAccountWithPassword(user, password string) *store.Account {
	f.t.Helper()
	m, err := f.st.AddMember(f.ctx, f.ws.ID, user+"@"+domain, strings.ToUpper(user[:1])+user[1:], false)
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := f.st.AddAccount(f.ctx, store.NewAccount{WorkspaceID: f.ws.ID, MemberID: m.ID, Provider: "imap",
		Handle: user + "@" + domain, Host: f.dove.Host(), Port: f.dove.Port(), Security: "none", Username: user,
		SecretEnc: f.box.Seal(password)})
	if err != nil {
		f.t.Fatal(err)
	}
	f.members[user], f.accounts[user] = m, a
	return a
}

func (f *fixture) sync(user string) {
	f.t.Helper()
	if err := f.syncer.SyncAccount(f.ctx, f.accounts[user].ID); err != nil {
		f.t.Fatalf("sync %s: %v", user, err)
	}
}

// syncAtOnce imports these users' mailboxes concurrently, each in batches
// of batchSize, and fails the test if any sync fails.
func (f *fixture) syncAtOnce(batchSize int, users ...string) {
	f.t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, user := range users {
		syncer := &ingest.Syncer{Store: f.st, Box: f.box, Connect: f.syncer.Connect, BatchSize: batchSize}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = syncer.SyncAccount(f.ctx, f.accounts[user].ID)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) deliver(user, folder string, raws ...[]byte) {
	f.t.Helper()
	if err := f.dove.Append(f.ctx, user, folder, raws...); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) account(user string) *store.Account {
	f.t.Helper()
	a, err := f.st.Account(f.ctx, f.ws.ID, f.accounts[user].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// storedKeys returns the Message-IDs of every stored message, sorted.
func (f *fixture) storedKeys() []string {
	f.t.Helper()
	rows, err := f.st.DB.QueryContext(f.ctx, `SELECT message_key FROM messages WHERE workspace_id = $1 ORDER BY message_key`, f.ws.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	return keys
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.DB.QueryRowContext(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) wantCounts(user string, want store.Counts) {
	f.t.Helper()
	if got := f.account(user).Counts; got != want {
		f.t.Fatalf("%s counts = %+v, want %+v", user, got, want)
	}
}

// mail is a test message; zero fields get realistic defaults.
type mail struct {
	id, from, to, cc, subject, body string
	inReplyTo                       string
	refs                            []string
	date                            time.Time
	headers                         []string
}

var clock = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (m mail) raw() []byte {
	if m.from == "" {
		m.from = "Jane Doe <jane.doe@acme-corp.com>"
	}
	if m.to == "" {
		m.to = "User One <user1@" + domain + ">"
	}
	if m.subject == "" {
		m.subject = "Quote for Q3 renewal"
	}
	if m.body == "" {
		m.body = "Hello,\r\n\r\nplease find the figures below.\r\n\r\nBest,\r\nJane\r\n"
	}
	if m.date.IsZero() {
		clock = clock.Add(time.Hour)
		m.date = clock
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", m.from, m.to)
	if m.cc != "" {
		fmt.Fprintf(&b, "Cc: %s\r\n", m.cc)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\n", m.subject, m.date.Format(time.RFC1123Z))
	if m.id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", m.id)
	}
	if m.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.inReplyTo)
	}
	if len(m.refs) > 0 {
		fmt.Fprintf(&b, "References: <%s>\r\n", strings.Join(m.refs, "> <"))
	}
	for _, h := range m.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(m.body)
	return []byte(b.String())
}

// customerMails makes n messages from customers to user1.
func customerMails(prefix string, n int) ([][]byte, []string) {
	var raws [][]byte
	var ids []string
	senders := []string{"Jane Doe <jane.doe@acme-corp.com>", "\"Müller, Jürgen\" <jmueller@umbrella-gmbh.de>",
		"Peter Gibbons <peter@initech.co.uk>", "=?utf-8?q?Zo=C3=AB_Lef=C3=A8vre?= <zoe@soylent.fr>"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%03d@mail.example", prefix, i)
		ids = append(ids, id)
		raws = append(raws, mail{id: id, from: senders[i%len(senders)], subject: fmt.Sprintf("Order %s-%d", prefix, i)}.raw())
	}
	sort.Strings(ids)
	return raws, ids
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type ingestProgress = ingest.Progress

func sortStrings(ss []string) { sort.Strings(ss) }
