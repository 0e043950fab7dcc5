package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

func runAttachment(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "get" {
		return usagef("usage: mailsync attachment get MESSAGE_ID INDEX --as MEMBER_EMAIL -o FILE")
	}
	fs := app.flagSet("attachment get")
	as := fs.String("as", "", "member email of the reader")
	out := fs.String("o", "", "file to write (- for standard output)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 || *out == "" {
		return usagef("usage: mailsync attachment get MESSAGE_ID INDEX --as MEMBER_EMAIL -o FILE")
	}
	index, err := strconv.Atoi(pos[1])
	if err != nil {
		return usagef("INDEX %q is not a number: attachments count from 0, as `thread` lists them", pos[1])
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		viewer, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		notFound := fmt.Errorf("message %s has no attachment %d that %s may read", pos[0], index, viewer.Email)
		msg, err := st.Message(ctx, ws.ID, pos[0])
		if errors.Is(err, store.ErrNotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		a, ok := visibility.Attachment(viewer.ID, msg, index)
		if !ok {
			return notFound
		}
		body, err := st.OpenAttachment(ctx, msg.ID, index)
		if err != nil {
			return err
		}
		if err := saveTo(app, *out, body); err != nil {
			return err
		}
		if app.json {
			return app.printJSON(map[string]any{"file": *out, "filename": a.Filename, "contentType": a.ContentType, "size": a.Size})
		}
		return nil
	})
}

// saveTo copies r to path (or standard output for "-"), through a
// temporary file renamed at the end: a cut copy never looks complete.
func saveTo(app *App, path string, r io.Reader) error {
	if path == "-" {
		_, err := io.Copy(app.Stdout, r)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mailsync-attachment-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !app.json {
		fmt.Fprintf(app.Stderr, "wrote %d bytes to %s\n", n, path)
	}
	return nil
}
