// Command handheld plays a handheld (抄表机) for trials and tests: it keeps
// what a handheld keeps in DIR/handheld.db and shows its screens.
//
//	handheld --data DIR init --id HH-0001 --key HEX     pair (the key from meter-sync device pair)
//	handheld --data DIR clock --offset 3h               run the clock 3 hours fast
//	handheld --data DIR load-route --reader R001 --cycle 2026-01 --file route.csv
//	handheld --data DIR load-rereads --file rereads.csv
//	handheld --data DIR walk --seed 7                   walk the route, entering readings
//	handheld --data DIR manage                          数据管理
//	handheld --data DIR stats                           抄表统计
//	handheld --data DIR readings > readings.csv         the readings waiting for upload
//	handheld --data DIR dock --port /dev/ttyUSB0        answer the server's docking sessions
//
// On failure it exits non-zero with a one-line reason.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"meter-sync/device/handheld"
)

// command is one subcommand; run parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands are the subcommands by name. A command that talks to the server
// over a serial line adds itself here.
var commands = map[string]command{
	"init":         {"pair the handheld: its device id and key", runInit},
	"clock":        {"show or set the handheld's clock", runClock},
	"load-route":   {"load a route file (CSV), replacing the loaded route", runLoadRoute},
	"load-rereads": {"add the households of a re-read file (CSV)", runLoadRereads},
	"walk":         {"walk the route and the re-reads, entering readings", runWalk},
	"manage":       {"show 数据管理: what is loaded and what waits for upload", runManage},
	"stats":        {"show 抄表统计: households to read, read, unread, estimated", runStats},
	"readings":     {"write the readings waiting for upload as a readings CSV file", runReadings},
	"dock":         {"wait on a serial port for the server and answer its docking sessions", runDock},
}

// env is what every command shares.
type env struct {
	data           string // the data directory
	stdout, stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	if err := dispatch(ctx, e, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "handheld: ") { // the package's errors say it already
			msg = "handheld: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
}

// dispatch reads the global flags, then runs the named command.
func dispatch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("handheld", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.data, "data", "./handheld-data", "data `DIR` holding handheld.db")
	fs.Usage = func() { usage(e.stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		usage(e.stderr, fs)
		return errors.New("no command given")
	}
	cmd, ok := commands[fs.Arg(0)]
	if !ok {
		usage(e.stderr, fs)
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
	return cmd.run(ctx, e, fs.Args()[1:])
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: handheld [--data DIR] <command> [flags]\n\nflags:")
	fs.PrintDefaults()
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun handheld <command> --help for its flags.")
}

// newFlags makes a command's flag set.
func newFlags(e *env, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: handheld [--data DIR] %s %s\n\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and rejects stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// open opens the handheld's store in the data directory, making the
// directory if needed.
func (e *env) open() (*handheld.Store, error) {
	if err := os.MkdirAll(e.data, 0o700); err != nil {
		return nil, err
	}
	return handheld.Open(filepath.Join(e.data, "handheld.db"), nil)
}

// withStore runs fn on the open store and closes it.
func (e *env) withStore(fn func(s *handheld.Store) error) error {
	s, err := e.open()
	if err != nil {
		return err
	}
	err = fn(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
