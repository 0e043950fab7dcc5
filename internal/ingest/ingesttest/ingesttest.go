// Package ingesttest sets up, for tests of the packages that sync, a
// workspace on ourco.example whose member user1 has a mailbox (IMAP on a
// test Dovecot, or any provider the test connects), and a Syncer for it.
// Test tooling only.
package ingesttest

import (
	"context"
	"testing"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// Handle is the address of user1's mailbox.
const Handle = "user1@ourco.example"

// Mailbox is user1@ourco.example's mailbox, connected but not synced.
type Mailbox struct {
	Store     *store.Store
	Box       *secrets.Box
	Workspace *store.Workspace
	Member    *store.Member
	Account   *store.Account
	Syncer    *ingest.Syncer
}

// New connects user1's mailbox on dove in a new workspace of db.
func New(t testing.TB, db *database.DB, dove *dovecottest.Server) *Mailbox {
	t.Helper()
	return Setup(t, db, store.NewAccount{Provider: "imap", Host: dove.Host(), Port: dove.Port(), Security: "none",
		Username: "user1"}, dovecottest.Password, connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect)
}

// Setup connects user1's mailbox described by account (its workspace,
// member and handle are filled in), with secret sealed as its
// credentials, synced through connect.
func Setup(t testing.TB, db *database.DB, account store.NewAccount, secret string, connect ingest.ConnectFunc) *Mailbox {
	t.Helper()
	ctx := context.Background()
	key, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	ws, err := st.CreateWorkspace(ctx, "Our Co", []string{"ourco.example"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.AddMember(ctx, ws.ID, Handle, "User One", false)
	if err != nil {
		t.Fatal(err)
	}
	account.WorkspaceID, account.MemberID, account.Handle, account.SecretEnc = ws.ID, m.ID, Handle, box.Seal(secret)
	a, err := st.AddAccount(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	return &Mailbox{Store: st, Box: box, Workspace: ws, Member: m, Account: a,
		Syncer: &ingest.Syncer{Store: st, Box: box, Connect: connect}}
}
