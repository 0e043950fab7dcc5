package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// whyJSON is the contract's answer to "why is this email here / not here?".
type whyJSON struct {
	MessageID string                 `json:"messageId"`
	Decision  string                 `json:"decision"`
	Rule      string                 `json:"rule"`
	Detail    string                 `json:"detail"`
	Folders   []string               `json:"folders"`
	Contacts  []store.ContactOutcome `json:"contacts"`
}

func runWhy(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("why")
	account := fs.String("account", "", "account id")
	msgID := fs.String("message-id", "", "the Message-ID, with or without angle brackets")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	key := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(*msgID), "<"), ">")
	if *account == "" || key == "" {
		return usagef("usage: mailsync why --account ID --message-id MSGID")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		if _, err := st.Account(ctx, ws.ID, *account); err != nil {
			return err
		}
		decisions, err := st.Decisions(ctx, *account, key)
		if err != nil {
			return err
		}
		if len(decisions) == 0 {
			return fmt.Errorf("message <%s> is not in any synced folder of account %s (not on the server, in a folder that is not synced, or not synced yet)", key, *account)
		}
		out := whyJSON{MessageID: key, Contacts: []store.ContactOutcome{}}
		// Imported in one folder wins over skipped in another: the message is here.
		best := decisions[0]
		for _, d := range decisions {
			out.Folders = append(out.Folders, d.Folder)
			if d.Status == store.ItemImported {
				best = d
			}
		}
		out.Decision, out.Rule, out.Detail = best.Status, best.Rule, best.Detail
		if best.Contacts != nil {
			out.Contacts = best.Contacts
		}
		if app.json {
			return app.printJSON(out)
		}
		fmt.Fprintf(app.Stdout, "<%s> in %s: %s", key, strings.Join(out.Folders, ", "), out.Decision)
		if out.Rule != "" {
			fmt.Fprintf(app.Stdout, " (rule %s)", out.Rule)
		}
		if out.Detail != "" {
			fmt.Fprintf(app.Stdout, ": %s", out.Detail)
		}
		fmt.Fprintln(app.Stdout)
		for _, c := range out.Contacts {
			fmt.Fprintf(app.Stdout, "  %-40s %s %s\n", c.Email, c.Outcome, c.Reason)
		}
		return nil
	})
}

func runBlocklist(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync blocklist add|remove|list --member E [ENTRY]")
	}
	sub := args[0]
	fs := app.flagSet("blocklist " + sub)
	memberEmail := fs.String("member", "", "member email")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	var entry string
	switch sub {
	case "add", "remove":
		if len(pos) != 1 {
			return usagef("usage: mailsync blocklist %s --member E ENTRY (an address or @domain)", sub)
		}
		if entry, err = policy.ValidBlocklistEntry(pos[0]); err != nil {
			return usageError{err.Error()}
		}
	case "list":
	default:
		return usagef("unknown blocklist command %q", sub)
	}
	return app.withMember(ctx, *memberEmail, func(st *store.Store, _ *store.Workspace, m *store.Member) error {
		switch sub {
		case "add":
			res, err := rules.AddBlocklistEntry(ctx, st, m.ID, entry)
			if err != nil {
				return err
			}
			app.audit(ctx, st, m.WorkspaceID, store.AuditBlocklistAdd, m.ID, map[string]any{"member": m.Email, "entry": entry})
			fmt.Fprintf(app.Stderr, "blocked %s for %s's mailboxes\n", entry, m.Email)
			return app.reportRules(ctx, st, res)
		case "remove":
			res, err := rules.RemoveBlocklistEntry(ctx, st, m.ID, entry)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s is not on %s's blocklist (see `mailsync blocklist list --member %s`)", entry, m.Email, m.Email)
			}
			if err != nil {
				return err
			}
			app.audit(ctx, st, m.WorkspaceID, store.AuditBlocklistRemove, m.ID, map[string]any{"member": m.Email, "entry": entry})
			fmt.Fprintf(app.Stderr, "unblocked %s for %s's mailboxes\n", entry, m.Email)
			return app.reportRules(ctx, st, res)
		case "list":
			entries, err := st.Blocklist(ctx, m.ID)
			if err != nil {
				return err
			}
			if app.json {
				return app.printJSON(entries)
			}
			for _, e := range entries {
				fmt.Fprintln(app.Stdout, e)
			}
		}
		return nil
	})
}
