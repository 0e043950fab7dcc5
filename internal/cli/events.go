package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/mailsync/mailsync/internal/store"
)

// runEvents is `events list`: the workspace's event feed from a cursor.
func runEvents(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("usage: mailsync events list [--after CURSOR] [--limit N] [--json]")
	}
	fs := app.flagSet("events list")
	after := fs.String("after", "", "the id of the last event read (empty: from the start of the retention)")
	limit := fs.Int("limit", 100, "events to show, oldest first (at most 1000)")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *limit < 1 || *limit > store.MaxFeedPage {
		return usagef("--limit must be from 1 to %d", store.MaxFeedPage)
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		feed, err := st.Feed(ctx, ws.ID, *after, *limit)
		if errors.Is(err, store.ErrBadCursor) {
			return usageError{err.Error()}
		}
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(feed)
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tOCCURRED\tTYPE\tDATA")
		for _, e := range feed.Events {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.OccurredAt.Format("2006-01-02T15:04:05Z"), e.Type, e.Data)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(app.Stderr, "next: --after %s\n", feed.Next)
		return nil
	})
}
