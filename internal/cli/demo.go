package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailsync/mailsync/internal/connect"
	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/demoserver"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// runDemo shows mailsync end to end with no setup: a built-in IMAP server
// holding a generated mailbox is synced into a fresh SQLite file.
func runDemo(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("demo")
	fs.Lookup("db").DefValue = "sqlite:mailsync-demo.db"
	if app.dsn == database.DefaultDSN {
		app.dsn = "sqlite:mailsync-demo.db"
	}
	n := fs.Int("messages", 300, "messages in the generated mailbox")
	seed := fs.Uint64("seed", 7, "seed of the generated mailbox")
	serve := fs.Bool("serve", false, "then keep the IMAP server running with new mail arriving, and serve the web UI on the demo database")
	addr := fs.String("addr", "127.0.0.1:8080", "web UI address with --serve")
	every := fs.Duration("new-mail-every", 5*time.Second, "with --serve, how often a new message arrives")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	kind, path, err := database.ParseDSN(app.dsn)
	if err != nil {
		return err
	}
	if kind == database.SQLite {
		// The demo starts from scratch each time: its file is its own.
		for _, p := range []string{path, path + "-wal", path + "-shm", keyPathFor(path)} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("reset demo database: %w", err)
			}
		}
	}
	srv, err := demoserver.Start(ctx, demoserver.Options{Messages: *n, Seed: *seed})
	if err != nil {
		return fmt.Errorf("start demo IMAP server: %w", err)
	}
	defer srv.Close()
	host, port := srv.Addr()
	fmt.Fprintf(app.Stderr, "demo IMAP server on %s:%d with %d messages for %s\n", host, port, srv.Count("INBOX")+srv.Count("Sent"), srv.Username())

	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	box, err := app.box(st.DB)
	if err != nil {
		return err
	}
	owner := srv.Username()
	ws, err := st.CreateWorkspace(ctx, "Demo", []string{owner[strings.Index(owner, "@")+1:]})
	if err != nil {
		return err
	}
	member, err := st.AddMember(ctx, ws.ID, owner, "Alex Morgan", true)
	if err != nil {
		return err
	}
	account, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: member.ID, Provider: "imap",
		Handle: owner, Host: host, Port: port, Security: "none", Username: owner, SecretEnc: box.Seal(srv.Password())})
	if err != nil {
		return err
	}
	reporter := newProgressReporter(app.Stderr)
	syncer := &ingest.Syncer{Store: st, Box: box, Connect: connect.Connector{Guard: netguard.Guard{AllowPrivate: true}}.Connect, Log: app.Log, OnProgress: reporter.update}
	reporter.start(owner)
	err = syncer.SyncAccount(ctx, account.ID)
	reporter.finish(err)
	if err != nil {
		return err
	}
	if err := printDemoSummary(ctx, app, st, ws, member, account.ID, path); err != nil || !*serve {
		return err
	}
	return app.serveDemo(ctx, st, srv, member, *addr, *every)
}

// serveDemo keeps the demo going in the browser: new mail arrives in the
// demo IMAP server every few seconds (push picks it up), and the web UI
// serves the demo database with a login printed for the newcomer.
func (app *App) serveDemo(ctx context.Context, st *store.Store, srv *demoserver.Server, m *store.Member,
	addr string, every time.Duration) error {
	password := rand.Text()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := st.SetMemberPassword(ctx, m.ID, string(hash)); err != nil {
		return err
	}
	mailCtx, stopMail := context.WithCancel(ctx)
	mailDone := make(chan error, 1)
	go func() { mailDone <- srv.DeliverEvery(mailCtx, every) }()
	defer func() {
		stopMail()
		if err := <-mailDone; err != nil {
			app.Log.Warn("demo mail", "err", err)
		}
	}()
	// The demo's IMAP server is on loopback: the workers and push must reach it.
	app.allowPrivate = true
	fmt.Fprintf(app.Stdout, "\nThe demo goes on in the browser: http://%s\n  log in as %s with password %s\n"+
		"  a new message arrives every %s; Ctrl-C stops everything.\n", addr, m.Email, password, every)
	return app.runWorkers(ctx, time.Minute, 2, addr)
}

func printDemoSummary(ctx context.Context, app *App, st *store.Store, ws *store.Workspace, viewer *store.Member, accountID, path string) error {
	a, err := st.Account(ctx, ws.ID, accountID)
	if err != nil {
		return err
	}
	people, err := st.People(ctx, ws.ID)
	if err != nil {
		return err
	}
	companies, err := st.Companies(ctx, ws.ID)
	if err != nil {
		return err
	}
	msgs, err := st.Messages(ctx, ws.ID, "", 100000, 0)
	if err != nil {
		return err
	}
	threads := map[string]bool{}
	for _, m := range msgs {
		threads[m.ThreadID] = true
	}
	if app.json {
		return app.printJSON(map[string]any{"account": visibility.Account(a), "people": len(people),
			"companies": len(companies), "messages": len(msgs), "threads": len(threads), "db": "sqlite:" + path})
	}
	w := app.Stdout
	c := a.Counts
	fmt.Fprintf(w, "\nMailbox %s: %d messages on the server, %d imported, %d skipped by the privacy rules, %d failed to parse\n",
		a.Handle, c.Listed, c.Imported, c.Skipped, c.Failed)
	fmt.Fprintf(w, "Stored %d messages in %d threads.\n", len(msgs), len(threads))
	fmt.Fprintf(w, "\nCompanies (%d):\n", len(companies))
	for i, co := range companies {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(companies)-10)
			break
		}
		d := ""
		if co.Domain != nil {
			d = *co.Domain
		}
		fmt.Fprintf(w, "  %-28s %s\n", co.Name, d)
	}
	fmt.Fprintf(w, "\nPeople (%d):\n", len(people))
	for i, p := range people {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(people)-10)
			break
		}
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(p.FirstName+" "+p.LastName), p.PrimaryEmail)
	}
	if len(people) > 0 {
		_, rows, err := st.ThreadsForPerson(ctx, ws.ID, people[0].ID, 5, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nLatest threads with %s %s:\n", people[0].FirstName, people[0].LastName)
		for _, t := range rows {
			r := visibility.Row(viewer.ID, t)
			fmt.Fprintf(w, "  %s  %2d msg  %s\n", r.LastMessageAt[:10], r.MessageCount, orWithheld(r.Subject))
		}
	}
	cmd := "go run ./cmd/mailsync --db sqlite:" + path
	fmt.Fprintf(w, "\nExplore it (from the repository's root):\n")
	fmt.Fprintf(w, "  %s people list\n", cmd)
	if len(people) > 0 {
		fmt.Fprintf(w, "  %s threads --person %s --as %s\n", cmd, people[0].ID, viewer.Email)
	}
	fmt.Fprintf(w, "  %s messages list --as %s --limit 5\n", cmd, viewer.Email)
	fmt.Fprintf(w, "  %s help                # every command and flag\n", cmd)
	fmt.Fprintf(w, "  go run ./cmd/mailsync demo --serve      # the same demo, then in the browser with live mail\n")
	return nil
}
