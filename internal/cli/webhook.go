package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/webhooks"
)

// runWebhook is `webhook add|list|remove`.
func runWebhook(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return usagef("usage: mailsync webhook add|list|remove …")
	}
	switch args[0] {
	case "add":
		return webhookAdd(ctx, app, args[1:])
	case "list":
		return webhookList(ctx, app, args[1:])
	case "remove":
		return webhookRemove(ctx, app, args[1:])
	}
	return usagef("unknown webhook command %q: use add, list or remove", args[0])
}

func webhookAdd(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("webhook add")
	u := fs.String("url", "", "receiver URL (http or https; internal hosts need --allow-private-hosts)")
	var types stringList
	fs.Var(&types, "type", "an event type to receive (repeatable; none: every type)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *u == "" {
		return usagef("--url is required")
	}
	if err := webhooks.ValidTypes(types); err != nil {
		return usageError{err.Error()}
	}
	if err := webhooks.CheckURL(ctx, app.Guard(), *u); err != nil {
		return err
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		box, err := app.box(st.DB)
		if err != nil {
			return err
		}
		secret := webhooks.NewSecret()
		w, err := st.AddWebhook(ctx, ws.ID, "", *u, types, box.Seal(secret))
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(map[string]string{"id": w.ID, "secret": secret})
		}
		fmt.Fprintf(app.Stdout, "webhook %s\nsecret %s\n", w.ID, secret)
		fmt.Fprintln(app.Stderr, "keep the secret: it verifies the Mailsync-Signature header of every delivery (docs/events.md)")
		return nil
	})
}

func webhookList(ctx context.Context, app *App, args []string) error {
	if _, err := parse(app.flagSet("webhook list"), args); err != nil {
		return err
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		hooks, err := st.Webhooks(ctx, ws.ID)
		if err != nil {
			return err
		}
		if app.json {
			return app.printJSON(hooks)
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tTYPES\tSTATUS\tWHY")
		for _, w := range hooks {
			types := strings.Join(w.Types, ",")
			if types == "" {
				types = "all"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.ID, w.URL, types, w.Status, webhooks.Why(w))
		}
		return tw.Flush()
	})
}

func webhookRemove(ctx context.Context, app *App, args []string) error {
	pos, err := parse(app.flagSet("webhook remove"), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mailsync webhook remove ID")
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		if err := st.DeleteWebhook(ctx, ws.ID, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(app.Stderr, "removed webhook %s\n", pos[0])
		return nil
	})
}
