package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/mailsync/mailsync/internal/access"
	"github.com/mailsync/mailsync/internal/store"
)

func runAccess(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync access request|list|grant|deny|revoke …")
	}
	switch args[0] {
	case "request":
		return accessRequest(ctx, app, args[1:])
	case "list":
		return accessList(ctx, app, args[1:])
	case "grant", "deny", "revoke":
		return accessDecide(ctx, app, args[0], args[1:])
	}
	return usagef("unknown access command %q", args[0])
}

// memberActor is the member a command acts for, from the command line.
func memberActor(m *store.Member) store.Actor {
	return store.Actor{MemberID: m.ID, Email: m.Email, IP: "cli"}
}

func accessRequest(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("access request")
	thread := fs.String("thread", "", "id of the withheld thread")
	as := fs.String("as", "", "member email of the requester")
	note := fs.String("note", "", "a note for the owners (optional)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *thread == "" {
		return usagef("usage: mailsync access request --thread ID --as MEMBER_EMAIL [--note TEXT]")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		m, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		r, err := access.Request(ctx, st, memberActor(m), m, *thread, *note)
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(map[string]string{"id": r.ID, "status": r.Status})
		}
		fmt.Fprintf(app.Stdout, "%s\t%s\n", r.ID, r.Status)
		return nil
	})
}

func accessList(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("access list")
	as := fs.String("as", "", "member email")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		m, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		rs, err := st.AccessRequestsFor(ctx, ws.ID, m.ID)
		if err != nil {
			return err
		}
		views := make([]access.View, 0, len(rs))
		for _, r := range rs {
			views = append(views, access.ViewOf(r))
		}
		if app.json {
			return app.printJSON(views)
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTHREAD\tREQUESTER\tSTATUS\tCREATED\tDECIDED BY")
		for _, v := range views {
			by := ""
			if v.DecidedBy != nil {
				by = *v.DecidedBy
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.ThreadID, v.Requester, v.Status, v.CreatedAt, by)
		}
		return tw.Flush()
	})
}

func accessDecide(ctx context.Context, app *App, action string, args []string) error {
	fs := app.flagSet("access " + action)
	as := fs.String("as", "", "member email of the mailbox owner deciding")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync access %s ID --as MEMBER_EMAIL", action)
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		m, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		r, err := access.Decide(ctx, st, memberActor(m), m, pos[0], action)
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(access.ViewOf(r))
		}
		fmt.Fprintf(app.Stdout, "%s\t%s\n", r.ID, r.Status)
		return nil
	})
}
