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
	"strings"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/ingest"
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
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, app *App, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "import a generated mailbox from a built-in IMAP server and show the result", runDemo},
		{"serve", "run the web UI, REST API, scheduler and sync workers", runServe},
		{"worker", "run sync workers only", runWorker},
		{"migrate", "bring the database schema up to date", runMigrate},
		{"keygen", "print a new secret key", runKeygen},
		{"workspace", "workspace create | set | show", runWorkspace},
		{"member", "member add | passwd", runMember},
		{"token", "token create", runToken},
		{"account", "account add | set | list | remove | pause | resume", runAccount},
		{"sync", "sync --once: bring mailboxes up to date", runSync},
		{"reconcile", "compare mailboxes with the store, and repair with --repair", runReconcile},
		{"people", "people list | add | delete | add-email | remove-email | merge", runPeople},
		{"companies", "companies list | delete", runCompanies},
		{"threads", "threads of a person or company, as a member sees them", runThreads},
		{"thread", "one thread, as a member sees it", runThread},
		{"messages", "messages list", runMessages},
		{"why", "why a message was imported or skipped", runWhy},
		{"blocklist", "blocklist add | remove | list", runBlocklist},
		{"audit", "audit list: who changed what, when and from where", runAudit},
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
	if err == nil {
		return 0
	}
	fmt.Fprintf(app.Stderr, "mailsync: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func (app *App) dispatch(ctx context.Context, args []string) error {
	// Global flags may come before the command name too.
	global := app.flagSet("mailsync")
	if err := global.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	rest := global.Args()
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" {
		app.usage()
		if len(rest) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			return c.run(ctx, app, rest[1:])
		}
	}
	return usagef("unknown command %q (see `mailsync help`)", rest[0])
}

func (app *App) usage() {
	fmt.Fprintln(app.Stderr, "usage: mailsync [--db DSN] COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(app.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(app.Stderr, "\nSee docs/cli.md for every flag.")
}

// flagSet returns a FlagSet with the options every command accepts.
func (app *App) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(app.Stderr)
	fs.StringVar(&app.dsn, "db", app.dsnDefault(), "database: sqlite:PATH or postgres://… (env MAILSYNC_DB)")
	fs.StringVar(&app.keyFile, "secret-key-file", app.keyFileDefault(), "file holding the secret key (env MAILSYNC_SECRET_KEY_FILE)")
	fs.StringVar(&app.ws, "workspace", app.ws, "workspace id (may be left out while only one exists)")
	fs.BoolVar(&app.json, "json", app.json, "print JSON")
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
