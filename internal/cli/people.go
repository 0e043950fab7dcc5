package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailsync/mailsync/internal/store"
)

// peopleEmail adds an address to a person or removes one; past messages
// re-link at once, nothing is fetched (SPEC §5.1).
func peopleEmail(ctx context.Context, app *App, sub string, args []string,
	edit func(*store.Store, context.Context, string, string, string) error) error {
	pos, err := parse(app.flagSet("people "+sub), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || !strings.Contains(pos[1], "@") {
		return usagef("usage: mailsync people %s ID EMAIL", sub)
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		err := edit(st, ctx, ws.ID, pos[0], pos[1])
		switch {
		case errors.Is(err, store.ErrConflict):
			return fmt.Errorf("%v: merge the two people instead (`mailsync people merge KEEP_ID OTHER_ID`)", err)
		case errors.Is(err, store.ErrLastEmail):
			return fmt.Errorf("%v: delete the person instead (`mailsync people delete %s`)", err, pos[0])
		case err != nil:
			return err
		}
		p, err := st.Person(ctx, ws.ID, pos[0])
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(p)
		}
		fmt.Fprintf(app.Stderr, "person %s: %s; past messages re-linked\n", p.ID,
			strings.Join(append([]string{p.PrimaryEmail}, p.AdditionalEmails...), ", "))
		return nil
	})
}

// peopleMerge merges the second person into the first.
func peopleMerge(ctx context.Context, app *App, args []string) error {
	pos, err := parse(app.flagSet("people merge"), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: mailsync people merge KEEP_ID OTHER_ID (OTHER's addresses and messages move to KEEP)")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		p, err := st.MergePeople(ctx, ws.ID, pos[0], pos[1])
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(p)
		}
		fmt.Fprintf(app.Stderr, "merged %s into %s (%s); past messages re-linked\n", pos[1], p.ID,
			strings.Join(append([]string{p.PrimaryEmail}, p.AdditionalEmails...), ", "))
		return nil
	})
}
