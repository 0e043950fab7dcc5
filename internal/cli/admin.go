package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

func runMigrate(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("migrate")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	db, err := database.Open(ctx, app.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(app.Stderr, "schema is up to date")
	return nil
}

func runKeygen(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("keygen")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprint(app.Stdout, secrets.NewKey())
	return nil
}

func runWorkspace(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync workspace create|set|show …")
	}
	switch args[0] {
	case "create":
		return workspaceCreate(ctx, app, args[1:])
	case "set":
		return workspaceSet(ctx, app, args[1:])
	case "show":
		return workspaceShow(ctx, app, args[1:])
	}
	return usagef("unknown workspace command %q: use create, set or show", args[0])
}

func workspaceCreate(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("workspace create")
	name := fs.String("name", "", "workspace name")
	var domains stringList
	fs.Var(&domains, "domain", "a domain the workspace owns (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usagef("--name is required")
	}
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := st.CreateWorkspace(ctx, *name, domains)
	if err != nil {
		return err
	}
	app.audit(ctx, st, ws.ID, store.AuditWorkspaceCreate, ws.ID, map[string]any{"name": ws.Name, "domains": ws.Domains})
	return app.printID(ws.ID, "created workspace")
}

// workspaceSet changes the workspace's settings. "Import internal mail"
// decides what is imported, so changing it acts on past mail at once, as
// `account set --exclude-group` does.
func workspaceSet(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("workspace set")
	internal := fs.String("import-internal", "", "true | false: import mail between the workspace's own addresses")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	on, err := boolFlag("--import-internal", *internal)
	if err != nil {
		return err
	}
	if len(pos) != 0 || on == nil {
		return usagef("usage: mailsync workspace set --import-internal true|false")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		res, err := rules.SetImportInternal(ctx, st, ws.ID, *on)
		if err != nil {
			return err
		}
		app.audit(ctx, st, ws.ID, store.AuditWorkspaceUpdate, ws.ID, map[string]any{"importInternal": *on})
		fmt.Fprintf(app.Stderr, "workspace %s updated\n", ws.Name)
		return app.reportRules(ctx, st, res)
	})
}

func workspaceShow(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("workspace show")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return usagef("usage: mailsync workspace show [--json]")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		if app.json {
			return app.printJSON(ws)
		}
		domains := strings.Join(ws.Domains, ", ")
		if domains == "" {
			domains = "(none declared)"
		}
		fmt.Fprintf(app.Stdout, "workspace %s\nname             %s\ndomains          %s\nimport internal  %t\n",
			ws.ID, ws.Name, domains, ws.ImportInternal)
		return nil
	})
}

func runMember(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync member add|passwd …")
	}
	switch args[0] {
	case "add":
		return memberAdd(ctx, app, args[1:])
	case "passwd":
		return memberPasswd(ctx, app, args[1:])
	}
	return usagef("unknown member command %q: use add or passwd", args[0])
}

func memberAdd(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("member add")
	email := fs.String("email", "", "login email")
	name := fs.String("name", "", "full name")
	admin := fs.Bool("admin", false, "make the member an admin")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if !strings.Contains(*email, "@") {
		return usagef("--email must be an email address")
	}
	if strings.TrimSpace(*name) == "" {
		return usagef("--name is required")
	}
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspaceOrDefault(ctx, st)
	if err != nil {
		return err
	}
	m, err := st.AddMember(ctx, ws.ID, *email, *name, *admin)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("member %s already exists", *email)
	}
	if err != nil {
		return err
	}
	app.audit(ctx, st, ws.ID, store.AuditMemberAdd, m.ID, map[string]any{"email": m.Email, "role": m.Role})
	return app.printID(m.ID, "added member")
}

// workspaceOrDefault is workspace, except that with no workspace at all it
// creates one named "default" (the contract's first-run convenience).
func (app *App) workspaceOrDefault(ctx context.Context, st *store.Store) (*store.Workspace, error) {
	if app.ws == "" {
		ids, err := st.WorkspaceIDs(ctx)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return st.CreateWorkspace(ctx, "default", nil)
		}
	}
	return app.workspace(ctx, st)
}

func memberPasswd(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("member passwd")
	email := fs.String("email", "", "login email")
	file := fs.String("password-file", "", "file holding the new password")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--password-file is required")
	}
	password, err := app.readSecret(*file, "")
	if err != nil {
		return err
	}
	if len(password) < 8 {
		return errors.New("the password must have at least 8 characters")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return app.withMember(ctx, *email, func(st *store.Store, _ *store.Workspace, m *store.Member) error {
		if err := st.SetMemberPassword(ctx, m.ID, string(hash)); err != nil {
			return err
		}
		app.audit(ctx, st, m.WorkspaceID, store.AuditMemberPassword, m.ID, map[string]any{"email": m.Email})
		fmt.Fprintf(app.Stderr, "password set for %s\n", m.Email)
		return nil
	})
}

func runToken(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: mailsync token create --member EMAIL [--name NAME] --json")
	}
	fs := app.flagSet("token create")
	email := fs.String("member", "", "member email")
	name := fs.String("name", "cli", "token name")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	return app.withMember(ctx, *email, func(st *store.Store, _ *store.Workspace, m *store.Member) error {
		id, token, err := st.CreateToken(ctx, m.ID, *name)
		if err != nil {
			return err
		}
		app.audit(ctx, st, m.WorkspaceID, store.AuditTokenCreate, id, map[string]any{"member": m.Email, "name": *name})
		if app.json {
			return app.printJSON(map[string]string{"id": id, "token": token})
		}
		fmt.Fprintf(app.Stdout, "token %s\n%s\n", id, token)
		return nil
	})
}
