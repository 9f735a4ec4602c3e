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
	"path/filepath"

	"meter-sync/device/handheld"
	"meter-sync/internal/cli"
)

// command is one subcommand; it parses its own flags from args.
type command = cli.Command[*env]

// commands are the subcommands by name. A command that talks to the server
// over a serial line adds itself here.
var commands = map[string]command{
	"init":         {Summary: "pair the handheld: its device id and key", Run: runInit},
	"clock":        {Summary: "show or set the handheld's clock", Run: runClock},
	"load-route":   {Summary: "load a route file (CSV), replacing the loaded route", Run: runLoadRoute},
	"load-rereads": {Summary: "add the households of a re-read file (CSV)", Run: runLoadRereads},
	"walk":         {Summary: "walk the route and the re-reads, entering readings", Run: runWalk},
	"manage":       {Summary: "show 数据管理: what is loaded and what waits for upload", Run: runManage},
	"stats":        {Summary: "show 抄表统计: households to read, read, unread, estimated", Run: runStats},
	"readings":     {Summary: "write the readings waiting for upload as a readings CSV file", Run: runReadings},
	"dock":         {Summary: "wait on a serial port for the server and answer its docking sessions", Run: runDock},
}

// env is what every command shares.
type env struct {
	data           string // the data directory
	stdout, stderr io.Writer
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	cli.Main("handheld", func(ctx context.Context) error { return dispatch(ctx, e, os.Args[1:]) })
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
	return cmd.Run(ctx, e, fs.Args()[1:])
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: handheld [--data DIR] <command> [flags]\n\nflags:")
	fs.PrintDefaults()
	fmt.Fprintln(w, "\ncommands:")
	cli.PrintCommands(w, commands, 13)
	fmt.Fprintln(w, "\nRun handheld <command> --help for its flags.")
}

// newFlags makes a command's flag set.
func newFlags(e *env, name, usageLine string) *flag.FlagSet {
	return cli.NewFlags(e.stderr, "handheld [--data DIR]", name, usageLine)
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
