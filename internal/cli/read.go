package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

func runPeople(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync people list|add|delete|add-email|remove-email|merge …")
	}
	switch args[0] {
	case "list":
		return peopleList(ctx, app, args[1:])
	case "add":
		return peopleAdd(ctx, app, args[1:])
	case "delete":
		return deleteByID(ctx, app, "people delete", args[1:], (*store.Store).DeletePerson)
	case "add-email":
		return peopleEmail(ctx, app, "add-email", args[1:], (*store.Store).AddPersonEmail)
	case "remove-email":
		return peopleEmail(ctx, app, "remove-email", args[1:], (*store.Store).RemovePersonEmail)
	case "merge":
		return peopleMerge(ctx, app, args[1:])
	}
	return usagef("unknown people command %q", args[0])
}

// withWorkspace opens the store and resolves the workspace for a command.
func (app *App) withWorkspace(ctx context.Context, fn func(st *store.Store, ws *store.Workspace) error) error {
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	return fn(st, ws)
}

// withMember is withWorkspace for a command acting for one member.
func (app *App) withMember(ctx context.Context, email string, fn func(st *store.Store, ws *store.Workspace, m *store.Member) error) error {
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		m, err := app.member(ctx, st, ws, email)
		if err != nil {
			return err
		}
		return fn(st, ws, m)
	})
}

func peopleList(ctx context.Context, app *App, args []string) error {
	if _, err := parse(app.flagSet("people list"), args); err != nil {
		return err
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		people, err := st.People(ctx, ws.ID)
		if err != nil {
			return err
		}
		if app.json {
			if people == nil {
				people = []*store.Person{}
			}
			return app.printJSON(people)
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tCOMPANY")
		for _, p := range people {
			company := ""
			if p.CompanyID != nil {
				company = *p.CompanyID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, strings.TrimSpace(p.FirstName+" "+p.LastName), p.PrimaryEmail, company)
		}
		return tw.Flush()
	})
}

func peopleAdd(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("people add")
	email := fs.String("email", "", "primary email")
	first := fs.String("first", "", "first name")
	last := fs.String("last", "", "last name")
	var more stringList
	fs.Var(&more, "additional-email", "another address of the person (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	for _, e := range append([]string{*email}, more...) {
		if !strings.Contains(e, "@") {
			return usagef("%q is not an email address (--email is required)", e)
		}
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		p, err := st.AddPerson(ctx, ws.ID, store.NewPerson{FirstName: *first, LastName: *last,
			Emails: append([]string{*email}, more...), CreatedBy: store.CreatedByUser})
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%v: another person has this address", err)
		}
		if err != nil {
			return err
		}
		return app.printID(p.ID, "added person")
	})
}

func deleteByID(ctx context.Context, app *App, name string, args []string,
	del func(*store.Store, context.Context, string, string) error) error {
	pos, err := parse(app.flagSet(name), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync %s ID", name)
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		if err := del(st, ctx, ws.ID, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(app.Stderr, "deleted %s; sync will not create it again\n", pos[0])
		return nil
	})
}

func runCompanies(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync companies list|delete …")
	}
	switch args[0] {
	case "list":
		if _, err := parse(app.flagSet("companies list"), args[1:]); err != nil {
			return err
		}
		return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
			companies, err := st.Companies(ctx, ws.ID)
			if err != nil {
				return err
			}
			if app.json {
				return app.printJSON(companies)
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tDOMAIN")
			for _, c := range companies {
				d := ""
				if c.Domain != nil {
					d = *c.Domain
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Name, d)
			}
			return tw.Flush()
		})
	case "delete":
		return deleteByID(ctx, app, "companies delete", args[1:], (*store.Store).DeleteCompany)
	}
	return usagef("unknown companies command %q", args[0])
}

// viewer resolves --as to a member of the workspace.
func (app *App) viewer(ctx context.Context, st *store.Store, ws *store.Workspace, as string) (*store.Member, error) {
	if as == "" {
		return nil, usagef("--as MEMBER_EMAIL is required: what a reader sees depends on who reads")
	}
	return app.member(ctx, st, ws, as)
}

func runThreads(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("threads")
	person := fs.String("person", "", "person id")
	company := fs.String("company", "", "company id")
	as := fs.String("as", "", "member email of the reader")
	limit := fs.Int("limit", 50, "page size")
	offset := fs.Int("offset", 0, "rows to skip")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*person == "") == (*company == "") {
		return usagef("give exactly one of --person ID or --company ID")
	}
	if *limit < 1 || *limit > 1000 || *offset < 0 {
		return usagef("--limit must be 1..1000 and --offset ≥ 0")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		viewer, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		var total int
		var threads []*store.ThreadSummary
		if *person != "" {
			if _, err := st.Person(ctx, ws.ID, *person); err != nil {
				return err
			}
			total, threads, err = st.ThreadsForPerson(ctx, ws.ID, *person, *limit, *offset)
		} else {
			if _, err := st.Company(ctx, ws.ID, *company); err != nil {
				return err
			}
			total, threads, err = st.ThreadsForCompany(ctx, ws.ID, *company, *limit, *offset)
		}
		if err != nil {
			return err
		}
		rows := make([]visibility.ThreadRow, 0, len(threads))
		for _, t := range threads {
			rows = append(rows, visibility.Row(viewer.ID, t))
		}
		if app.json {
			return app.printJSON(map[string]any{"total": total, "threads": rows})
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%d threads\nID\tLAST\tCOUNT\tSHOWN AT\tSUBJECT\n", total)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.ID, r.LastMessageAt, r.MessageCount, r.Visibility, orWithheld(r.Subject))
		}
		return tw.Flush()
	})
}

func orWithheld(s *string) string {
	if s == nil {
		return "(withheld)"
	}
	return *s
}

func runThread(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("thread")
	as := fs.String("as", "", "member email of the reader")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync thread ID --as MEMBER_EMAIL")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		viewer, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		t, msgs, err := st.Thread(ctx, ws.ID, pos[0])
		if err != nil {
			return err
		}
		v := visibility.Thread(viewer.ID, t, msgs)
		if app.json {
			return app.printJSON(v)
		}
		fmt.Fprintf(app.Stdout, "%s  [%s]\n", orWithheld(v.Subject), v.Visibility)
		for _, m := range v.Messages {
			printMessage(app, m)
		}
		return nil
	})
}

func printMessage(app *App, m visibility.MessageView) {
	fmt.Fprintf(app.Stdout, "\n— %s  %s  [%s]\n", m.ReceivedAt, m.Direction, m.Visibility)
	for _, p := range m.Participants {
		fmt.Fprintf(app.Stdout, "  %-8s %s <%s>\n", p.Role+":", p.Name, p.Email)
	}
	fmt.Fprintf(app.Stdout, "  subject: %s\n", orWithheld(m.Subject))
	if m.Text != nil {
		fmt.Fprintf(app.Stdout, "\n%s\n", *m.Text)
	}
}

func runMessages(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("usage: mailsync messages list --as MEMBER_EMAIL [--account ID] [--limit N] [--offset N]")
	}
	fs := app.flagSet("messages list")
	as := fs.String("as", "", "member email of the reader")
	account := fs.String("account", "", "only this account's messages")
	limit := fs.Int("limit", 100, "page size")
	offset := fs.Int("offset", 0, "rows to skip")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *limit < 1 || *limit > 100000 || *offset < 0 {
		return usagef("--limit must be 1..100000 and --offset ≥ 0")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		viewer, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		if *account != "" {
			if _, err := st.Account(ctx, ws.ID, *account); err != nil {
				return err
			}
		}
		msgs, err := st.Messages(ctx, ws.ID, *account, *limit, *offset)
		if err != nil {
			return err
		}
		views := make([]visibility.MessageView, 0, len(msgs))
		for _, m := range msgs {
			views = append(views, visibility.Message(viewer.ID, m))
		}
		if app.json {
			return app.printJSON(views)
		}
		for _, m := range views {
			fmt.Fprintf(app.Stdout, "%s  %s  %-10s %s\n", m.ReceivedAt, m.ID, m.Visibility, orWithheld(m.Subject))
		}
		return nil
	})
}

// runSearch finds the messages a member may see whose visible fields
// hold every word of the query, best match first.
func runSearch(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("search")
	as := fs.String("as", "", "member email of the reader")
	limit := fs.Int("limit", 50, "page size")
	offset := fs.Int("offset", 0, "rows to skip")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	words := visibility.SearchWords(strings.Join(pos, " "), store.MaxSearchWords)
	if len(words) == 0 {
		return usagef("usage: mailsync search QUERY --as MEMBER_EMAIL [--limit N] [--offset N]")
	}
	if *limit < 1 || *limit > 1000 || *offset < 0 {
		return usagef("--limit must be 1..1000 and --offset ≥ 0")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		viewer, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		total, hits, err := st.SearchMessages(ctx, ws.ID, viewer.ID, words, store.SearchBound, *limit, *offset)
		if err != nil {
			return err
		}
		page := visibility.Search(viewer.ID, total, hits)
		if app.json {
			return app.printJSON(page)
		}
		fmt.Fprintf(app.Stdout, "%d messages\n", page.Total)
		for _, m := range page.Messages {
			fmt.Fprintf(app.Stdout, "%s  %s  %-10s %s\n", m.ReceivedAt, m.ID, m.Visibility, orWithheld(m.Subject))
		}
		return nil
	})
}
