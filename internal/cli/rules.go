package cli

import (
	"context"
	"fmt"

	"github.com/mailsync/mailsync/internal/jobs"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// reportRules tells what a rule change did to past mail and asks for a
// sync of the mailboxes that have messages to fetch again, or that were
// being synced (their sync applies the change when it ends).
func (app *App) reportRules(ctx context.Context, st *store.Store, res rules.Result) error {
	if res.Pending == nil {
		res.Pending = []string{}
	}
	if res.Resync == nil {
		res.Resync = []string{}
	}
	if len(res.Resync) > 0 {
		// A running `serve` or `worker` picks the jobs up; without one,
		// `mailsync sync --once` does the work.
		q, err := jobs.NewInserter(st.DB)
		if err != nil {
			return err
		}
		for _, id := range res.Resync {
			if err := q.EnqueueSync(ctx, id); err != nil {
				return err
			}
		}
	}
	if app.json {
		return app.printJSON(res)
	}
	if res.Removed > 0 {
		fmt.Fprintf(app.Stderr, "%d messages left the mailboxes (%d deleted; the others are still in a colleague's mailbox)\n",
			res.Removed, res.Deleted)
	}
	if res.Refetch > 0 {
		fmt.Fprintf(app.Stderr, "%d messages will be imported again by the next sync (`mailsync sync --once`, or the running server)\n", res.Refetch)
	}
	for _, id := range res.Pending {
		fmt.Fprintf(app.Stderr, "account %s is being synced: the change applies to its past mail when that sync ends\n", id)
	}
	return nil
}
