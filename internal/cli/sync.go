package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/store"
)

func runSync(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("sync")
	once := fs.Bool("once", false, "sync every mailbox (or --account) once, then exit")
	accountID := fs.String("account", "", "sync only this account")
	batch := fs.Int("batch-size", 0, "messages per batch (default: the provider's)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if !*once {
		return usagef("use `mailsync sync --once` (continuous sync runs in `mailsync serve` or `mailsync worker`)")
	}
	st, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	box, err := app.box(st.DB)
	if err != nil {
		return err
	}
	ws, err := app.workspace(ctx, st)
	if err != nil {
		return err
	}
	var accounts []*store.Account
	if *accountID != "" {
		a, err := st.Account(ctx, ws.ID, *accountID)
		if err != nil {
			return err
		}
		if a.Paused {
			return fmt.Errorf("%s is paused: resume it first with `mailsync account resume %s`", a.Handle, a.ID)
		}
		accounts = append(accounts, a)
	} else if accounts, err = st.Accounts(ctx, ws.ID); err != nil {
		return err
	}
	if len(accounts) == 0 {
		return errors.New("no mailbox to sync: add one with `mailsync account add imap`")
	}
	accounts = skipPaused(accounts, app.Stderr)
	reporter := newProgressReporter(app.Stderr)
	syncer := &ingest.Syncer{Store: st, Box: box, Connect: app.connector(st, box), Log: app.Log, BatchSize: *batch,
		OnProgress: reporter.update}
	var failed []string
	for _, a := range accounts {
		reporter.start(a.Handle)
		err := syncOnce(ctx, syncer, a.ID, app.Stderr)
		reporter.finish(err)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", a.Handle, err))
		}
	}
	if len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintln(app.Stderr, "failed:", f)
		}
		return fmt.Errorf("%d of %d mailboxes failed to sync", len(failed), len(accounts))
	}
	return nil
}

// skipPaused leaves out the paused mailboxes, saying so: a pause holds for
// every way a sync starts, this one included.
func skipPaused(accounts []*store.Account, w io.Writer) []*store.Account {
	kept := accounts[:0:0]
	for _, a := range accounts {
		if a.Paused {
			fmt.Fprintf(w, "%s: paused, not synced (`mailsync account resume %s`)\n", a.Handle, a.ID)
			continue
		}
		kept = append(kept, a)
	}
	return kept
}

// syncOnce syncs one account, waiting while another process holds it.
func syncOnce(ctx context.Context, s *ingest.Syncer, accountID string, w io.Writer) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		err := s.SyncAccount(ctx, accountID)
		if !errors.Is(err, ingest.ErrBusy) || time.Now().After(deadline) {
			return err
		}
		fmt.Fprintln(w, "another process is syncing this mailbox; waiting…")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// progressReporter shows a progress bar on a terminal and plain periodic
// lines otherwise (logs, CI).
type progressReporter struct {
	w        io.Writer
	tty      bool
	bar      *progressbar.ProgressBar
	handle   string
	started  time.Time
	lastLine time.Time
	last     ingest.Progress
}

func newProgressReporter(w io.Writer) *progressReporter {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progressReporter{w: w, tty: tty}
}

func (r *progressReporter) start(handle string) {
	r.handle, r.started, r.last = handle, time.Now(), ingest.Progress{}
	if r.tty {
		r.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(r.w),
			progressbar.OptionSetDescription(handle),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	} else {
		fmt.Fprintf(r.w, "syncing %s\n", handle)
	}
}

func (r *progressReporter) update(p ingest.Progress) {
	r.last = p
	done := p.Imported + p.Skipped + p.Failed
	if r.bar != nil {
		if p.Listed > 0 && r.bar.GetMax() != p.Listed {
			r.bar.ChangeMax(max(p.Listed, done))
		}
		r.bar.Describe(fmt.Sprintf("%s  imported %d  skipped %d  failed %d", r.handle, p.Imported, p.Skipped, p.Failed))
		r.bar.Set(done)
		return
	}
	if time.Since(r.lastLine) >= 2*time.Second {
		r.lastLine = time.Now()
		fmt.Fprintf(r.w, "%s: %s\n", r.handle, r.summary(p))
	}
}

func (r *progressReporter) summary(p ingest.Progress) string {
	done := p.Imported + p.Skipped + p.Failed
	elapsed := time.Since(r.started)
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	s := fmt.Sprintf("listed %d, imported %d, skipped %d, failed %d, removed %d (%.0f msg/s)",
		p.Listed, p.Imported, p.Skipped, p.Failed, p.Removed, rate)
	if left := p.Listed - done; !p.Done && left > 0 && rate > 0 {
		s += fmt.Sprintf(", about %s left", (time.Duration(float64(left)/rate) * time.Second).Round(time.Second))
	}
	return s
}

func (r *progressReporter) finish(err error) {
	if r.bar != nil {
		r.bar.Finish()
	}
	if err != nil {
		fmt.Fprintf(r.w, "%s: failed: %v\n", r.handle, err)
		return
	}
	fmt.Fprintf(r.w, "%s: done in %s: %s\n", r.handle, time.Since(r.started).Round(time.Millisecond), r.summary(r.last))
}
