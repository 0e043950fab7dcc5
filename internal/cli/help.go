package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// subcommand is one verb of a command that has several (`account set`).
// name may hold two words (`add imap`); args is the positional synopsis.
type subcommand struct {
	name, args, summary string
}

// globalFlags are accepted by every command; help lists them once.
var globalFlags = []string{"db", "secret-key-file", "workspace", "json", "allow-private-hosts"}

// isHelpArg reports whether a is one of the ways to ask for help.
func isHelpArg(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "--h" }

// wantsHelp reports whether args ask for help, and returns the words
// before the help flag (`account set --help` → ["set"]).
func wantsHelp(args []string) ([]string, bool) {
	for i, a := range args {
		if isHelpArg(a) {
			return args[:i], true
		}
	}
	return nil, false
}

// helpAll prints every command, subcommand and flag with a line each.
func (app *App) helpAll(ctx context.Context, w io.Writer) {
	fmt.Fprintln(w, "usage: mailsync [global flags] COMMAND [SUBCOMMAND] [flags]")
	fmt.Fprintln(w, "\nglobal flags (any command, before or after it):")
	app.printFlags(w, app.flagSet("mailsync"), true)
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	for _, c := range commands() {
		fmt.Fprintln(w)
		app.helpCommand(ctx, w, c, nil)
	}
	fmt.Fprintln(w, "\n`mailsync help COMMAND` (or `mailsync COMMAND --help`) shows one command; docs/cli.md has examples and output formats.")
}

// helpCommand prints one command's subcommands (those starting with the
// words in prefix) and their flags.
func (app *App) helpCommand(ctx context.Context, w io.Writer, c command, prefix []string) error {
	if len(c.subs) == 0 {
		fmt.Fprintf(w, "mailsync %s%s — %s\n", c.name, argsSuffix(c.args), c.summary)
		return app.helpFlags(ctx, w, c, nil)
	}
	matched := false
	for _, s := range c.subs {
		words := strings.Fields(s.name)
		if len(prefix) > len(words) || !slices.Equal(words[:len(prefix)], prefix) {
			continue
		}
		matched = true
		fmt.Fprintf(w, "mailsync %s %s%s — %s\n", c.name, s.name, argsSuffix(s.args), s.summary)
		if err := app.helpFlags(ctx, w, c, words); err != nil {
			return err
		}
	}
	if !matched {
		return usagef("no %s command %q (see `mailsync help %s`)", c.name, strings.Join(prefix, " "), c.name)
	}
	return nil
}

func argsSuffix(args string) string {
	if args == "" {
		return ""
	}
	return " " + args
}

// helpFlags runs the command in help mode: its flag set prints its flags
// and parsing stops with flag.ErrHelp before the command does anything.
func (app *App) helpFlags(ctx context.Context, w io.Writer, c command, words []string) error {
	saved := app.helpOut
	app.helpOut = w
	defer func() { app.helpOut = saved }()
	err := c.run(ctx, app, append(slices.Clone(words), "--help"))
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err == nil {
		err = errors.New("ran instead of printing its help")
	}
	return fmt.Errorf("help for %s %s: %w", c.name, strings.Join(words, " "), err)
}

// printFlags prints a flag set's flags, one line each; the global ones
// only when globals is true.
func (app *App) printFlags(w io.Writer, fs *flag.FlagSet, globals bool) {
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(globalFlags, f.Name) != globals {
			return
		}
		n++
		name, usage := flag.UnquoteUsage(f)
		switch name {
		case "string", "value":
			name = placeholder(f.Name)
		case "int", "uint", "uint64":
			name = "N"
		case "duration":
			name = "DURATION"
		}
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "    %-30s %s\n", left, usage)
	})
	if n == 0 && !globals {
		fmt.Fprintln(w, "    (no flags of its own)")
	}
}

// placeholder names a flag's value in help: --password-file FILE.
func placeholder(flagName string) string {
	switch {
	case flagName == "db":
		return "DSN"
	case strings.HasSuffix(flagName, "-file"):
		return "FILE"
	case strings.HasSuffix(flagName, "-env"):
		return "VAR"
	case flagName == "member" || flagName == "as" || flagName == "email":
		return "EMAIL"
	case flagName == "workspace" || flagName == "account":
		return "ID"
	}
	if rest, ok := strings.CutPrefix(flagName, "smtp-"); ok {
		return strings.ToUpper(rest) // --smtp-host HOST
	}
	if strings.Contains(flagName, "-") {
		return "VALUE"
	}
	return strings.ToUpper(flagName)
}

// runHelp is `mailsync help [COMMAND [SUBCOMMAND]]`.
func (app *App) runHelp(ctx context.Context, args []string) error {
	if len(args) == 0 {
		app.helpAll(ctx, app.Stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return app.helpCommand(ctx, app.Stdout, c, args[1:])
		}
	}
	return usagef("unknown command %q (see `mailsync help`)", args[0])
}
