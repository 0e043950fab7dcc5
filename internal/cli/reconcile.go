package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/reconcile"
	"github.com/mailsync/mailsync/internal/store"
)

// errDifferences makes `reconcile` exit 1 when differences remain, like diff.
var errDifferences = errors.New("the store and the server differ (run with --repair to fix it)")

func runReconcile(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("reconcile")
	accountID := fs.String("account", "", "check only this account")
	repair := fs.Bool("repair", false, "fix the differences through a sync")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		box, err := app.box(st.DB)
		if err != nil {
			return err
		}
		var accounts []*store.Account
		if *accountID != "" {
			a, err := st.Account(ctx, ws.ID, *accountID)
			if err != nil {
				return err
			}
			accounts = []*store.Account{a}
		} else if accounts, err = st.Accounts(ctx, ws.ID); err != nil {
			return err
		}
		r := reconcile.Reconciler{Syncer: &ingest.Syncer{Store: st, Box: box, Connect: app.connector(st, box), Log: app.Log}}
		reports := []*reconcile.Report{}
		allOK := true
		for _, a := range accounts {
			check := r.Check
			if *repair {
				check = r.Repair
			}
			rep, err := check(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("%s: %w", a.Handle, err)
			}
			allOK = allOK && rep.OK
			reports = append(reports, rep)
		}
		if app.json {
			if err := app.printJSON(reports); err != nil {
				return err
			}
		} else {
			printReconcile(app, reports)
		}
		if !allOK {
			return errDifferences
		}
		return nil
	})
}

func printReconcile(app *App, reports []*reconcile.Report) {
	for _, rep := range reports {
		state := "in sync"
		if !rep.OK {
			state = "DIFFERS"
		}
		if rep.Repaired {
			state += " after repair"
		}
		fmt.Fprintf(app.Stdout, "%s (%s): %s\n", rep.Handle, rep.AccountID, state)
		if rep.Reason != "" {
			fmt.Fprintf(app.Stdout, "  %s\n", rep.Reason)
		}
		for _, f := range rep.Folders {
			fmt.Fprintf(app.Stdout, "  %-20s on server %d = imported %d + skipped %d + failed %d", f.Folder, f.OnServer,
				f.Imported, f.Skipped, f.Failed)
			if len(f.Missing) > 0 {
				fmt.Fprintf(app.Stdout, " + %d not recorded", len(f.Missing))
			}
			fmt.Fprintln(app.Stdout)
			if f.Reason != "" {
				fmt.Fprintf(app.Stdout, "    %s\n", f.Reason)
			}
			if len(f.Missing) > 0 {
				fmt.Fprintf(app.Stdout, "    %d ids %s: %v\n", len(f.Missing), reconcile.ReasonNotRecorded, f.Missing)
			}
			if len(f.Extra) > 0 {
				fmt.Fprintf(app.Stdout, "    %d ids %s: %v\n", len(f.Extra), reconcile.ReasonGone, f.Extra)
			}
		}
	}
}
