package cli

import (
	"context"
	"flag"
	"fmt"
	"mime"
	"os"
	"path/filepath"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/send"
	"github.com/mailsync/mailsync/internal/smtpsend"
	"github.com/mailsync/mailsync/internal/store"
)

func runSend(ctx context.Context, app *App, args []string) error {
	fs := app.flagSet("send")
	accountID := fs.String("account", "", "id of the mailbox to send from (its owner only)")
	as := fs.String("as", "", "member email of the sender")
	var to, cc, bcc, attach stringList
	fs.Var(&to, "to", "recipient (repeatable)")
	fs.Var(&cc, "cc", "copy recipient (repeatable)")
	fs.Var(&bcc, "bcc", "blind copy recipient, never in the headers (repeatable)")
	fs.Var(&attach, "attach", "file to attach (repeatable)")
	subject := fs.String("subject", "", "subject (a reply defaults to Re: and the original's)")
	bodyFile := fs.String("body-file", "", "file holding the plain text body")
	bodyEnv := fs.String("body-env", "", "environment variable holding the plain text body")
	htmlFile := fs.String("html-file", "", "file holding an HTML body (sanitized before sending)")
	replyTo := fs.String("reply-to", "", "stored id of the message replied to (as `thread` lists it)")
	key := fs.String("idempotency-key", "", "a retried command with the same key sends nothing twice")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *accountID == "" {
		return usagef("usage: mailsync send --account ID --as MEMBER_EMAIL --to ADDR … (--body-file F | --body-env VAR)")
	}
	req := send.Request{AccountID: *accountID, To: to, Cc: cc, Bcc: bcc, ReplyTo: *replyTo, IdempotencyKey: *key}
	if flagGiven(fs, "subject") {
		req.Subject = subject
	}
	var err error
	if req.Text, err = app.readBody(*bodyFile, *bodyEnv); err != nil {
		return err
	}
	if *htmlFile != "" {
		b, err := os.ReadFile(*htmlFile)
		if err != nil {
			return fmt.Errorf("--html-file: %w", err)
		}
		req.HTML = compose.SafeHTML(string(b))
	}
	for _, path := range attach {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("--attach: %w", err)
		}
		req.Files = append(req.Files, compose.File{Name: filepath.Base(path), Data: b,
			ContentType: mime.TypeByExtension(filepath.Ext(path))})
	}
	return app.withWorkspace(ctx, func(st *store.Store, ws *store.Workspace) error {
		m, err := app.viewer(ctx, st, ws, *as)
		if err != nil {
			return err
		}
		box, err := app.box(st.DB)
		if err != nil {
			return err
		}
		svc := &send.Service{Store: st, Box: box, Sender: app.connectorFor(st, box).Sender,
			Syncer: &ingest.Syncer{Store: st, Box: box, Log: app.Log}}
		res, err := svc.Send(ctx, m, req)
		if err != nil {
			return err
		}
		if res.Warning != "" {
			fmt.Fprintln(app.Stderr, "mailsync: warning:", res.Warning)
		}
		if app.json {
			return app.printJSON(res)
		}
		fmt.Fprintf(app.Stdout, "sent %s (message %s, thread %s)\n", res.MessageID, res.ID, res.ThreadID)
		return nil
	})
}

// readBody reads the body from a file or an environment variable.
func (app *App) readBody(file, env string) (string, error) {
	switch {
	case file != "" && env != "":
		return "", usagef("give --body-file or --body-env, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--body-file: %w", err)
		}
		return string(b), nil
	case env != "":
		return app.Getenv(env), nil
	}
	return "", usagef("the body is required: --body-file F or --body-env VAR")
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// smtpFlags are the SMTP settings of `account add imap` and `account set`.
type smtpFlags struct {
	fs                                     *flag.FlagSet
	host, security, username, passwordFile *string
	port                                   *int
}

func addSMTPFlags(fs *flag.FlagSet) *smtpFlags {
	return &smtpFlags{fs: fs,
		host:         fs.String("smtp-host", "", "SMTP server (default: the IMAP host)"),
		port:         fs.Int("smtp-port", 0, "SMTP port (default 465 for tls, 587 for starttls)"),
		security:     fs.String("smtp-security", "", "tls | starttls | none (default tls)"),
		username:     fs.String("smtp-username", "", "SMTP login (default: the IMAP username)"),
		passwordFile: fs.String("smtp-password-file", "", "file holding the SMTP password (default: the IMAP password)"),
	}
}

// apply stores the SMTP flags given (and only those).
func (f *smtpFlags) apply(ctx context.Context, app *App, st *store.Store, workspaceID, accountID string) error {
	var host, security, username, secret *string
	var port *int
	if flagGiven(f.fs, "smtp-security") {
		switch *f.security {
		case smtpsend.SecurityTLS, smtpsend.SecurityStartTLS, smtpsend.SecurityNone:
		default:
			return usagef("--smtp-security must be tls, starttls or none, not %q", *f.security)
		}
		security = f.security
	}
	if flagGiven(f.fs, "smtp-host") {
		if err := app.Guard().CheckHost(ctx, *f.host); err != nil {
			return fmt.Errorf("--smtp-host: %w", err)
		}
		host = f.host
	}
	if flagGiven(f.fs, "smtp-username") {
		username = f.username
	}
	if flagGiven(f.fs, "smtp-port") {
		port = f.port
	}
	if *f.passwordFile != "" {
		pw, err := app.readSecret(*f.passwordFile, "")
		if err != nil {
			return err
		}
		box, err := app.box(st.DB)
		if err != nil {
			return err
		}
		sealed := box.Seal(pw)
		secret = &sealed
	}
	return st.SetSMTP(ctx, workspaceID, accountID, host, security, username, secret, port)
}
