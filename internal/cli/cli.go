// Package cli is what the project's command-line programs share: a table
// of subcommands, each parsing its own flags, the usage listing, and a
// one-line reason on failure.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Command is one subcommand of a program whose commands share an E.
type Command[E any] struct {
	Summary string
	Run     func(ctx context.Context, e E, args []string) error
}

// PrintCommands writes one line per command, sorted by name, the names
// padded to width.
func PrintCommands[E any](w io.Writer, cmds map[string]Command[E], width int) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s %s\n", width, n, cmds[n].Summary)
	}
}

// NewFlags makes a subcommand's flag set; its usage, written to w, starts
// "usage: <program> <name> <usageLine>", program naming also the global
// flags (e.g. "handheld [--data DIR]").
func NewFlags(w io.Writer, program, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: %s %s %s\n\n", program, name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args and rejects stray positional arguments.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// Main runs a program's dispatch with a context that SIGINT and SIGTERM
// cancel. On failure it prints "program: reason" once (a reason that names
// the program already is not prefixed again) and exits 1; --help exits 0.
func Main(program string, dispatch func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx)
	stop()
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	msg := err.Error()
	if prefix := program + ": "; !strings.HasPrefix(msg, prefix) {
		msg = prefix + msg
	}
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}
