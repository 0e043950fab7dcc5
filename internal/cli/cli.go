// Package cli is mailsync's command line: it parses flags, wires the
// packages together and prints results. Commands do no work of their own
// beyond that; the behaviour lives in the packages they call.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// App is one invocation: where it reads and writes, and its global options.
type App struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	Log            *slog.Logger
	// Connect overrides how mailboxes are reached (tests trust their own CA).
	Connect ingest.ConnectFunc
	// Transport, when set, carries the Gmail and Graph API requests.
	Transport http.RoundTripper

	dsn     string
	keyFile string
	ws      string
	json    bool
	// helpOut, when set, receives a flag set's flags instead of the
	// command running (help mode).
	helpOut io.Writer
	// allowPrivate lets users' hosts resolve to internal addresses
	// (--allow-private-hosts, MAILSYNC_ALLOW_PRIVATE_HOSTS).
	allowPrivate bool
	// eventRetention is serve's and worker's --event-retention.
	eventRetention time.Duration
}

// command is a top-level command; subs lists its verbs when it has some,
// and help prints each with its flags.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, app *App, args []string) error
	args    string // positional synopsis, for commands without subs
	subs    []subcommand
}

func commands() []command {
	return []command{
		{name: "demo", summary: "import a generated mailbox from a built-in IMAP server and show the result", run: runDemo},
		{name: "serve", summary: "run the web UI, REST API, scheduler and sync workers", run: runServe},
		{name: "worker", summary: "run sync workers only", run: runWorker},
		{name: "migrate", summary: "bring the database schema up to date", run: runMigrate},
		{name: "keygen", summary: "print a new secret key", run: runKeygen},
		{name: "rekey", summary: "re-seal every stored secret with the current key (after keygen)", run: runRekey},
		{name: "workspace", summary: "workspace create | set | show", run: runWorkspace, subs: []subcommand{
			{"create", "", "create a workspace"},
			{"set", "", "change workspace settings (admins)"},
			{"show", "", "show the workspace and its settings"},
		}},
		{name: "member", summary: "member add | passwd", run: runMember, subs: []subcommand{
			{"add", "", "add a member (creates the workspace \"default\" when none exists)"},
			{"passwd", "", "set a member's web UI password from a file"},
		}},
		{name: "token", summary: "token create", run: runToken, subs: []subcommand{
			{"create", "", "create an API token (Authorization: Bearer TOKEN)"},
		}},
		{name: "account", summary: "account add | preview | set | list | remove | pause | resume", run: runAccount, subs: []subcommand{
			{"add imap", "", "check an IMAP login and add the mailbox"},
			{"add gmail", "", "add a Gmail mailbox with an OAuth refresh token"},
			{"add microsoft", "", "add a Microsoft 365 mailbox with an OAuth refresh token"},
			{"preview imap", "", "what connecting an IMAP mailbox would import, skip and create, storing nothing"},
			{"preview gmail", "", "the same for a Gmail mailbox, from a refresh token"},
			{"preview microsoft", "", "the same for a Microsoft 365 mailbox, from a refresh token"},
			{"set", "ID", "change a mailbox's sharing level, folders, exclusions and auto-creation"},
			{"list", "", "mailboxes with their status and counts"},
			{"remove", "ID", "remove a mailbox and the mail only it holds"},
			{"pause", "ID", "stop syncing a mailbox until resumed"},
			{"resume", "ID", "resume a paused mailbox and queue a sync"},
		}},
		{name: "sync", summary: "sync --once: bring mailboxes up to date", run: runSync},
		{name: "reconcile", summary: "compare mailboxes with the store, and repair with --repair", run: runReconcile},
		{name: "people", summary: "people list | add | delete | add-email | remove-email | merge", run: runPeople, subs: []subcommand{
			{"list", "", "every person in the workspace"},
			{"add", "", "add a person by address"},
			{"delete", "ID", "delete a person; sync will not create them again"},
			{"add-email", "ID EMAIL", "give a person another address; past mail re-links"},
			{"remove-email", "ID EMAIL", "take an address from a person; past mail re-links"},
			{"merge", "KEEP_ID OTHER_ID", "merge OTHER into KEEP (addresses and messages move)"},
		}},
		{name: "companies", summary: "companies list | delete", run: runCompanies, subs: []subcommand{
			{"list", "", "every company in the workspace"},
			{"delete", "ID", "delete a company; sync will not create it again"},
		}},
		{name: "threads", summary: "threads of a person or company, as a member sees them", run: runThreads},
		{name: "thread", summary: "one thread, as a member sees it", run: runThread, args: "ID"},
		{name: "messages", summary: "messages list", run: runMessages, subs: []subcommand{
			{"list", "", "every stored message a member may see, redacted for them"},
		}},
		{name: "search", summary: "search mail by words, as a member sees it", run: runSearch, args: "QUERY"},
		{name: "attachment", summary: "attachment get: save an attachment's bytes", run: runAttachment, subs: []subcommand{
			{"get", "MESSAGE_ID INDEX", "write an attachment's exact bytes to -o FILE"},
		}},
		{name: "send", summary: "send or reply from a mailbox (its owner only)", run: runSend},
		{name: "access", summary: "access request | list | grant | deny | revoke: reading withheld threads", run: runAccess, subs: []subcommand{
			{"request", "", "ask the owners to open a withheld thread (--thread ID --as E [--note TEXT])"},
			{"list", "", "requests a member made and those they may decide"},
			{"grant", "ID", "open the thread to the requester, later messages included"},
			{"deny", "ID", "turn a pending request down"},
			{"revoke", "ID", "withdraw a grant"},
		}},
		{name: "why", summary: "why a message was imported or skipped", run: runWhy},
		{name: "blocklist", summary: "blocklist add | remove | list", run: runBlocklist, subs: []subcommand{
			{"add", "ENTRY", "block an address or @domain: no import, no contact"},
			{"remove", "ENTRY", "unblock an address or @domain"},
			{"list", "", "a member's blocklist"},
		}},
		{name: "events", summary: "events list: the workspace's event feed, from any cursor", run: runEvents, subs: []subcommand{
			{"list", "", "events after a cursor, oldest first (ids and metadata, never a body)"},
		}},
		{name: "webhook", summary: "webhook add | list | remove: signed POSTs of the event feed", run: runWebhook, subs: []subcommand{
			{"add", "", "register a receiver URL; prints its signing secret"},
			{"list", "", "webhooks with their delivery status and why one is failing or disabled"},
			{"remove", "ID", "stop and remove a webhook"},
		}},
		{name: "audit", summary: "audit list: who changed what, when and from where", run: runAudit, subs: []subcommand{
			{"list", "", "audit log entries, newest first"},
		}},
	}
}

// Main runs mailsync with os.Args-style arguments and returns the exit code.
func Main(ctx context.Context, args []string) int {
	app := &App{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}
	return app.Run(ctx, args)
}

// Run runs one command and returns its exit code.
func (app *App) Run(ctx context.Context, args []string) int {
	if app.Log == nil {
		app.Log = slog.New(slog.NewTextHandler(app.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	err := app.dispatch(ctx, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(app.Stderr, "mailsync: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func (app *App) dispatch(ctx context.Context, args []string) error {
	// Global flags may come before the command name too.
	global := app.flagSet("mailsync")
	if err := global.Parse(args); errors.Is(err, flag.ErrHelp) {
		app.helpAll(ctx, app.Stdout)
		return nil
	} else if err != nil {
		return usageError{err.Error()}
	}
	rest := global.Args()
	if len(rest) == 0 {
		app.usage()
		return usagef("no command given")
	}
	if rest[0] == "help" {
		return app.runHelp(ctx, rest[1:])
	}
	for _, c := range commands() {
		if c.name != rest[0] {
			continue
		}
		if before, ok := wantsHelp(rest[1:]); ok {
			return app.helpCommand(ctx, app.Stdout, c, c.subPrefix(before))
		}
		return c.run(ctx, app, rest[1:])
	}
	return usagef("unknown command %q (see `mailsync help`)", rest[0])
}

// subPrefix returns the longest run of leading words that names some of
// c's subcommands (`account set ID` → ["set"]).
func (c command) subPrefix(words []string) []string {
	for k := len(words); k > 0; k-- {
		for _, s := range c.subs {
			w := strings.Fields(s.name)
			if k <= len(w) && slices.Equal(w[:k], words[:k]) {
				return words[:k]
			}
		}
	}
	return nil
}

// usage is the short list printed when no command is given.
func (app *App) usage() {
	fmt.Fprintln(app.Stderr, "usage: mailsync [--db DSN] COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(app.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(app.Stderr, "\n`mailsync --help` lists every subcommand and flag; `mailsync help COMMAND` one command.")
}

// flagSet returns a FlagSet with the options every command accepts.
func (app *App) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(app.Stderr)
	fs.Usage = func() {
		if app.helpOut != nil {
			app.printFlags(app.helpOut, fs, false)
		}
	}
	fs.StringVar(&app.dsn, "db", app.dsnDefault(), "database: sqlite:PATH or postgres://… (env MAILSYNC_DB)")
	fs.StringVar(&app.keyFile, "secret-key-file", app.keyFileDefault(), "file holding the secret key (env MAILSYNC_SECRET_KEY_FILE)")
	fs.StringVar(&app.ws, "workspace", app.ws, "workspace id (may be left out while only one exists)")
	fs.BoolVar(&app.json, "json", app.json, "print JSON")
	fs.BoolVar(&app.allowPrivate, "allow-private-hosts", app.allowPrivate || netguard.FromEnv(app.Getenv).AllowPrivate,
		"let IMAP/SMTP hosts and webhook URLs be loopback, private, link-local or metadata addresses (env "+netguard.EnvAllowPrivate+"=1)")
	return fs
}

func (app *App) dsnDefault() string {
	if app.dsn != "" {
		return app.dsn
	}
	if v := app.Getenv("MAILSYNC_DB"); v != "" {
		return v
	}
	return database.DefaultDSN
}

func (app *App) keyFileDefault() string {
	if app.keyFile != "" {
		return app.keyFile
	}
	return app.Getenv("MAILSYNC_SECRET_KEY_FILE")
}

// parse parses flags that may stand before, between or after positional
// arguments (`account set ID --visibility subject`), and returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// Guard is the check for hosts users type, as the operator configured it;
// the SMTP sender and webhook deliverer dial through it too.
func (app *App) Guard() netguard.Guard {
	return netguard.Guard{AllowPrivate: app.allowPrivate}
}

// open opens the database (migrating it) and returns a Store.
func (app *App) open(ctx context.Context) (*store.Store, error) {
	db, err := database.Open(ctx, app.dsn)
	if err != nil {
		return nil, err
	}
	return store.New(db), nil
}

// box loads the secret key: from MAILSYNC_SECRET_KEY, from the key file,
// or for SQLite from a key file next to the database, created on first use.
func (app *App) box(db *database.DB) (*secrets.Box, error) {
	if v := app.Getenv("MAILSYNC_SECRET_KEY"); v != "" && app.keyFile == "" {
		key, err := secrets.ParseKey(v)
		if err != nil {
			return nil, fmt.Errorf("MAILSYNC_SECRET_KEY: %w", err)
		}
		return secrets.New(key)
	}
	if app.keyFile != "" {
		return secrets.LoadFile(app.keyFile)
	}
	if db.Kind != database.SQLite {
		return nil, errors.New("no secret key: set MAILSYNC_SECRET_KEY_FILE (make one with `mailsync keygen`)")
	}
	return secrets.LoadOrCreateFile(keyPathFor(db.Path))
}

func keyPathFor(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))+".key")
}

// workspace resolves --workspace, or the only workspace there is.
func (app *App) workspace(ctx context.Context, st *store.Store) (*store.Workspace, error) {
	if app.ws != "" {
		ws, err := st.Workspace(ctx, app.ws)
		if err != nil {
			return nil, fmt.Errorf("--workspace %s: %w", app.ws, err)
		}
		return ws, nil
	}
	ids, err := st.WorkspaceIDs(ctx)
	if err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, errors.New("no workspace yet: create one with `mailsync member add` or `mailsync workspace create`")
	case 1:
		return st.Workspace(ctx, ids[0])
	}
	return nil, fmt.Errorf("%d workspaces exist: say which with --workspace ID", len(ids))
}

// member resolves a member email in the workspace.
func (app *App) member(ctx context.Context, st *store.Store, ws *store.Workspace, email string) (*store.Member, error) {
	if email == "" {
		return nil, usagef("a member email is required")
	}
	m, err := st.MemberByEmail(ctx, ws.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no member %s in workspace %s (add one with `mailsync member add`)", email, ws.Name)
	}
	return m, err
}

// printJSON writes one JSON document.
func (app *App) printJSON(v any) error {
	enc := json.NewEncoder(app.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printID prints the id of something created: {"id": …} with --json.
func (app *App) printID(id, what string) error {
	if app.json {
		return app.printJSON(map[string]string{"id": id})
	}
	fmt.Fprintf(app.Stdout, "%s %s\n", what, id)
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// readSecret reads a password from a file or an environment variable,
// never from the command line.
func (app *App) readSecret(file, env string) (string, error) {
	switch {
	case file != "" && env != "":
		return "", usagef("give --password-file or --password-env, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	}
	return "", usagef("a password is required: --password-file FILE or --password-env VAR")
}
