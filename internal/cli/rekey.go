package cli

import (
	"context"
	"fmt"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// runRekey re-seals every stored secret under the current key: the step
// between `mailsync keygen` and pointing every process at the new key.
func runRekey(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("rekey")
	oldFile := fs.String("old-key-file", "", "file holding the key the secrets are sealed with now")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *oldFile == "" {
		return usagef("usage: mailsync rekey --old-key-file F (the new key: --secret-key-file or MAILSYNC_SECRET_KEY_FILE)")
	}
	old, err := secrets.LoadFile(*oldFile)
	if err != nil {
		return fmt.Errorf("--old-key-file: %w", err)
	}
	db, err := database.Open(ctx, app.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	current, err := app.box(db)
	if err != nil {
		return err
	}
	already := 0
	n, err := store.New(db).Reseal(ctx, func(sealed string) (string, error) {
		plain, err := old.Open(sealed)
		if err != nil {
			// Sealed with the current key already (an interrupted
			// rotation run again): keep it.
			if _, err := current.Open(sealed); err == nil {
				already++
				return sealed, nil
			}
			return "", fmt.Errorf("opens with neither the old key nor the current one: check --old-key-file")
		}
		return current.Seal(plain), nil
	})
	if err != nil {
		return fmt.Errorf("rekey: nothing changed: %w", err)
	}
	if app.json {
		return app.printJSON(map[string]int{"resealed": n - already, "alreadyCurrent": already})
	}
	fmt.Fprintf(app.Stdout, "re-sealed %d secrets with the current key (%d already were)\n", n-already, already)
	return nil
}
