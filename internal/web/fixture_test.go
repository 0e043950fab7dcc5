package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// Secrets the redaction tests look for in every answer.
const (
	soloSubject   = "Quarterly numbers SOLO-SUBJECT"
	soloBody      = "the SOLO-BODY text"
	sharedSubject = "Renewal SHARED-SUBJECT"
	sharedBody    = "the SHARED-BODY text"
	evilSubject   = "Newsletter with payloads"
	password      = "correct horse battery staple"
)

// evilHTML tries every way to run code or load remote content.
const evilHTML = `<p id="evil-para">Hello from Acme</p>
<script>window.__pwned = "script";</script>
<img src="x" onerror="window.__pwned = 'onerror'">
<a id="evil-link" href="javascript:window.__pwned='href'">click me</a>
<img src="https://tracker.example/pixel.gif" alt="tracker">
<svg onload="window.__pwned='svg'"><circle r="4"></circle></svg>
<iframe src="javascript:parent.__pwned='iframe'"></iframe>
<div style="background:url(https://tracker.example/bg.png)" onclick="window.__pwned='click'">styled</div>`

// fixture is a seeded database and server: workspace ws with members
// alice (admin), bob and carol; alice's mailbox shares as metadata, bob's
// as subject. Workspace ws2 has member eve with her own data.
type fixture struct {
	st     *store.Store
	box    *secrets.Box
	srv    *server
	queue  *fakeQueue
	ws     *store.Workspace
	ws2    *store.Workspace
	alice  *store.Member
	bob    *store.Member
	carol  *store.Member
	eve    *store.Member
	tokens map[string]string // member name → API token

	acctA, acctB, acctE *store.Account
	evilAccount         string // carol's, holding the evil message
	acme                *store.Company
	pat                 *store.Person
	// Threads and messages: held by alice only; by alice and bob; evil HTML (alice, everything).
	soloThread, sharedThread, evilThread string
	soloMsg, sharedMsg, evilMsg          string
	// eve's ids, in the other workspace.
	evePerson, eveCompany, eveThread, eveMsg string
}

// fakeQueue records the syncs asked for.
type fakeQueue struct {
	mu  sync.Mutex
	ids []string
}

func (q *fakeQueue) EnqueueSync(ctx context.Context, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

// reset forgets the syncs asked for so far.
func (q *fakeQueue) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = nil
}

// asked reports whether a sync of the account was asked for.
func (q *fakeQueue) asked(id string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, got := range q.ids {
		if got == id {
			return true
		}
	}
	return false
}

// fakeMailbox is a server that accepts the login and has an INBOX.
type fakeMailbox struct{}

func (fakeMailbox) Folders(ctx context.Context) ([]provider.Folder, error) {
	return []provider.Folder{{Name: "INBOX"}}, nil
}
func (fakeMailbox) SyncFolder(ctx context.Context, req provider.FolderRequest, apply provider.ApplyFunc) error {
	return apply(ctx, provider.Batch{Listed: 0})
}
func (fakeMailbox) Close() error { return nil }

// fakeConnect accepts the password "good" on any host but unreachable.test.
func fakeConnect(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
	if a.Host == "unreachable.test" {
		return nil, fmt.Errorf("dial %s: %w", a.Host, provider.ErrUnreachable)
	}
	if secret != "good" {
		return nil, fmt.Errorf("login: %w", provider.ErrAuth)
	}
	return fakeMailbox{}, nil
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(db)
	box, err := secrets.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, box: box, queue: &fakeQueue{}, tokens: map[string]string{}}
	f.srv = newServer(Config{Store: st, Box: box, Queue: f.queue, Connect: fakeConnect,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.ws, err = st.CreateWorkspace(ctx, "Ours", []string{"ours.test"})
	must(err)
	f.ws2, err = st.CreateWorkspace(ctx, "Theirs", []string{"theirs.test"})
	must(err)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(err)
	member := func(ws *store.Workspace, name string, admin bool) *store.Member {
		m, err := st.AddMember(ctx, ws.ID, name+"@"+strings.ToLower(ws.Name)+".test", strings.ToUpper(name[:1])+name[1:], admin)
		must(err)
		must(st.SetMemberPassword(ctx, m.ID, string(hash)))
		_, tok, err := st.CreateToken(ctx, m.ID, "test")
		must(err)
		f.tokens[name] = tok
		return m
	}
	f.alice, f.bob, f.carol = member(f.ws, "alice", true), member(f.ws, "bob", false), member(f.ws, "carol", false)
	f.eve = member(f.ws2, "eve", true)

	account := func(ws *store.Workspace, m *store.Member, level string) *store.Account {
		a, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: m.ID, Provider: "imap",
			Handle: m.Email, Host: "imap.test", Port: 993, Security: "tls", Username: m.Email, SecretEnc: box.Seal("pw")})
		must(err)
		must(st.UpdateChannelSettings(ctx, ws.ID, a.ID, store.ChannelSettings{Visibility: &level}))
		return a
	}
	f.acctA = account(f.ws, f.alice, visibility.Metadata)
	f.acctB = account(f.ws, f.bob, visibility.Subject)
	f.acctE = account(f.ws2, f.eve, visibility.Everything)

	f.acme, err = st.AddCompany(ctx, f.ws.ID, "Acme", "acme.test", store.CreatedBySync)
	must(err)
	f.pat, err = st.AddPerson(ctx, f.ws.ID, store.NewPerson{FirstName: "Pat", LastName: "Doe",
		Emails: []string{"pat@acme.test"}, CompanyID: f.acme.ID, CreatedBy: store.CreatedBySync})
	must(err)

	day := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	msg := func(key, subject, text, html string, at time.Time, to string) *store.NewMessage {
		return &store.NewMessage{Key: key, Subject: subject, Text: text, HTML: html, Snippet: text, SentAt: at,
			Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test", Name: "Pat Doe"},
				{Role: "to", Email: to, Name: ""}}}
	}
	solo := msg("solo@acme.test", soloSubject, soloBody, "", day, f.alice.Email)
	shared := msg("shared@acme.test", sharedSubject, sharedBody, "<p>"+sharedBody+"</p>", day.Add(time.Hour), f.bob.Email)
	evil := msg("evil@acme.test", evilSubject, "plain version", evilHTML, day.Add(2*time.Hour), f.alice.Email)
	ids := f.deliver(t, f.acctA, solo, shared)
	f.deliver(t, f.acctB, shared)
	f.soloMsg, f.sharedMsg = ids[solo.Key], ids[shared.Key]

	// The evil message sits in a mailbox sharing everything, so that
	// colleagues get its body too.
	level := visibility.Everything
	acctC, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: f.ws.ID, MemberID: f.carol.ID, Provider: "imap",
		Handle: f.carol.Email, Host: "imap.test", Port: 993, Security: "tls", Username: f.carol.Email, SecretEnc: box.Seal("pw")})
	must(err)
	must(st.UpdateChannelSettings(ctx, f.ws.ID, acctC.ID, store.ChannelSettings{Visibility: &level}))
	f.evilMsg = f.deliver(t, acctC, evil)[evil.Key]
	f.evilAccount = acctC.ID

	eveP, err := st.AddPerson(ctx, f.ws2.ID, store.NewPerson{FirstName: "Eve", Emails: []string{"x@other.test"},
		CreatedBy: store.CreatedByUser})
	must(err)
	eveC, err := st.AddCompany(ctx, f.ws2.ID, "Other", "other.test", store.CreatedByUser)
	must(err)
	f.evePerson, f.eveCompany = eveP.ID, eveC.ID
	eveMsg := &store.NewMessage{Key: "eve@other.test", Subject: "eve secret", Text: "eve body", SentAt: day,
		Participants: []store.NewParticipant{{Role: "from", Email: "x@other.test"}, {Role: "to", Email: f.eve.Email}}}
	f.eveMsg = f.deliver(t, f.acctE, eveMsg)[eveMsg.Key]

	for _, m := range []struct {
		id     string
		thread *string
	}{{f.soloMsg, &f.soloThread}, {f.sharedMsg, &f.sharedThread}, {f.evilMsg, &f.evilThread}} {
		sm, err := st.Message(ctx, f.ws.ID, m.id)
		must(err)
		*m.thread = sm.ThreadID
	}
	em, err := st.Message(ctx, f.ws2.ID, f.eveMsg)
	must(err)
	f.eveThread = em.ThreadID
	return f
}

// deliver stores messages as imported into the account's INBOX, the way a
// sync does, and returns their ids by key.
func (f *fixture) deliver(t testing.TB, a *store.Account, msgs ...*store.NewMessage) map[string]string {
	t.Helper()
	ctx := context.Background()
	folders, err := f.st.SyncFolders(ctx, a.WorkspaceID, a.ChannelID, []store.FolderSpec{{Name: "INBOX", Selected: true}})
	if err != nil {
		t.Fatal(err)
	}
	var ids map[string]string
	err = f.st.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if ids, err = store.InsertMessages(ctx, tx, a.WorkspaceID, msgs); err != nil {
			return err
		}
		items := make([]store.Item, 0, len(msgs))
		for _, m := range msgs {
			items = append(items, store.Item{FolderID: folders[0].ID, UID: m.Key, ChannelID: a.ChannelID,
				Status: store.ItemImported, MessageID: ids[m.Key], MessageKey: m.Key, Direction: "incoming", ReceivedAt: m.SentAt})
		}
		return store.PutItems(ctx, tx, items)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// call makes an API request as a member ("" for none) and returns the
// status and body.
func (f *fixture) call(t testing.TB, who, method, path, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if who != "" {
		tok, ok := f.tokens[who]
		if !ok {
			tok = who // a raw (invalid) token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// getJSON calls the API and decodes a 200 answer into v.
func (f *fixture) getJSON(t testing.TB, who, path string, v any) {
	t.Helper()
	code, body := f.call(t, who, "GET", path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s as %s: %d %s", path, who, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// errorOf decodes a JSON error answer.
func errorOf(t testing.TB, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("not a JSON error: %v\n%s", err, body)
	}
	return e.Error
}
