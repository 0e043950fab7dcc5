package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailsync/mailsync/internal/jobs"
	"github.com/mailsync/mailsync/internal/store"
)

// The CLI is the operator's tool: it reaches the database directly and may
// change any mailbox. What it changes is recorded in the audit log as
// made by "cli", from "cli".

// audit records a change the CLI made in workspace ws. The change is
// made already: a failure to record it is reported, not undone.
func (app *App) audit(ctx context.Context, st *store.Store, ws, action, target string, details map[string]any) {
	if err := st.Audit(ctx, ws, store.CLI, action, target, details); err != nil {
		fmt.Fprintf(app.Stderr, "warning: the audit log did not record %s %s: %v\n", action, target, err)
	}
}

// accountPause pauses or resumes a mailbox's sync; resuming queues a sync
// that a running `serve` or `worker` picks up.
func accountPause(ctx context.Context, app *App, args []string, paused bool) error {
	verb := "resume"
	if paused {
		verb = "pause"
	}
	fs := app.flagSet("account " + verb)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync account %s ID", verb)
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		changed, err := st.SetPaused(ctx, ws.ID, pos[0], paused, store.CLI)
		if err != nil {
			return err
		}
		switch {
		case !changed:
			fmt.Fprintf(app.Stderr, "account %s was already %sd\n", pos[0], verb)
		case paused:
			fmt.Fprintf(app.Stderr, "account %s paused: no sync until `mailsync account resume %s`\n", pos[0], pos[0])
		default:
			q, err := jobs.NewInserter(st.DB)
			if err != nil {
				return err
			}
			if err := q.EnqueueSync(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "account %s resumed: a sync is queued (`mailsync sync --once` runs it without a server)\n", pos[0])
		}
		return nil
	})
}

func runAudit(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("usage: mailsync audit list [--limit N] [--offset N] [--json]")
	}
	fs := app.flagSet("audit list")
	limit := fs.Int("limit", 50, "entries to show, newest first")
	offset := fs.Int("offset", 0, "entries to skip")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *limit < 1 || *offset < 0 {
		return usagef("--limit must be at least 1 and --offset at least 0")
	}
	var total int
	var entries []*store.AuditEntry
	err := app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		var err error
		total, entries, err = st.AuditLog(ctx, ws.ID, *limit, *offset)
		return err
	})
	if err != nil {
		return err
	}
	if app.json {
		return app.printJSON(map[string]any{"total": total, "limit": *limit, "offset": *offset, "entries": entries})
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tFROM\tACTION\tTARGET\tCHANGES")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.IP, e.Action, e.TargetID,
			changes(e.Details))
	}
	return tw.Flush()
}

// changes prints an entry's details as "name=value" pairs, sorted.
func changes(details map[string]any) string {
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, details[k]))
	}
	return strings.Join(parts, " ")
}
