// Command tablet plays a technician's tablet (平板) for trials and tests:
// it keeps its work orders, the receipts filled on it and their photos in
// DIR/tablet.db, and syncs with meter-sync through sync/client, the library
// a real tablet app can copy.
//
//	tablet --data DIR init --server URL --token mst_… --device TAB-01
//	tablet --data DIR sync                                  push, upload, pull until caught up
//	tablet --data DIR orders                                the work orders held
//	tablet --data DIR fill --order ID --outcome 合格 --photos 2
//	tablet --data DIR fill --all --photos 1                 a receipt for every order without one
//	tablet --data DIR status                                pending, rejected (with reasons), conflicts
//	tablet --data DIR network off|on                        lose the network, get it back
//	tablet --data DIR clock --offset 3m                     run the tablet's clock fast
//	tablet --data DIR script FILE                           scripted work, one command a line
//
// On failure it exits non-zero with a one-line reason.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"meter-sync/internal/cli"
	"meter-sync/sync/client"
	"meter-sync/sync/client/bolt"
)

// command is one subcommand; it parses its own flags from args.
type command = cli.Command[*env]

// commands are the subcommands by name.
func commands() map[string]command {
	return map[string]command{
		"init":    {Summary: "set the server, the technician's token and the tablet's id", Run: runInit},
		"sync":    {Summary: "push receipts, upload photos and pull work orders until caught up", Run: runSync},
		"orders":  {Summary: "list the work orders held", Run: runOrders},
		"fill":    {Summary: "fill a receipt for an order (or --all) with generated form data and photos", Run: runFill},
		"status":  {Summary: "show pending receipts, rejected ones with reasons, conflicts, photos waiting", Run: runStatus},
		"network": {Summary: "lose the network (off) or get it back (on)", Run: runNetwork},
		"clock":   {Summary: "show or set the tablet's clock offset", Run: runClock},
		"script":  {Summary: "run scripted work from a file, one command a line", Run: runScript},
	}
}

// env is what every command shares.
type env struct {
	data           string
	stdout, stderr io.Writer
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	cli.Main("tablet", func(ctx context.Context) error { return dispatch(ctx, e, os.Args[1:]) })
}

// dispatch reads the global flags, then runs the named command.
func dispatch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tablet", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.data, "data", "./tablet-data", "data `DIR` holding tablet.db and tablet.json")
	fs.Usage = func() { usage(e.stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		usage(e.stderr, fs)
		return errors.New("no command given")
	}
	return run(ctx, e, fs.Args())
}

func run(ctx context.Context, e *env, args []string) error {
	cmd, ok := commands()[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd.Run(ctx, e, args[1:])
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: tablet [--data DIR] <command> [flags]\n\nflags:")
	fs.PrintDefaults()
	fmt.Fprintln(w, "\ncommands:")
	cli.PrintCommands(w, commands(), 8)
	fmt.Fprintln(w, "\nRun tablet <command> --help for its flags.")
}

// newFlags makes a command's flag set.
func newFlags(e *env, name, usageLine string) *flag.FlagSet {
	return cli.NewFlags(e.stderr, "tablet [--data DIR]", name, usageLine)
}

// config is DIR/tablet.json: what the tablet was set up with.
type config struct {
	Server  string `json:"server"`
	Token   string `json:"token"`
	Device  string `json:"device"`
	Offline bool   `json:"offline,omitempty"`
	// ClockOffset runs the tablet's clock ahead of (or behind) the system's.
	ClockOffset time.Duration `json:"clock_offset,omitempty"`
}

func (e *env) configPath() string { return filepath.Join(e.data, "tablet.json") }

func (e *env) loadConfig() (config, error) {
	var c config
	b, err := os.ReadFile(e.configPath())
	if errors.Is(err, os.ErrNotExist) {
		return c, errors.New("not set up: run tablet init --server URL --token T --device ID")
	} else if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

func (e *env) saveConfig(c config) error {
	if err := os.MkdirAll(e.data, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp := e.configPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, e.configPath())
}

func (c config) now() time.Time { return time.Now().Add(c.ClockOffset) }

// tablet is an open tablet: its store and its sync client.
type tablet struct {
	cfg config
	st  *bolt.Store
	cl  *client.Client
}

// syncOptions are flags of the commands that talk to the server.
type syncOptions struct {
	retries   int
	batch     int
	chunk     int
	pageLimit int
	backoff   time.Duration
}

func (e *env) open(so syncOptions) (*tablet, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	st, err := bolt.Open(filepath.Join(e.data, "tablet.db"), nil)
	if err != nil {
		return nil, err
	}
	t := &tablet{cfg: cfg, st: st}
	if so.backoff <= 0 {
		so.backoff = 200 * time.Millisecond
	}
	t.cl, err = client.New(st, client.Options{BaseURL: cfg.Server, Token: cfg.Token, Device: cfg.Device,
		HTTP: httpClient(&t.cfg), Now: t.cfg.now, Retries: so.retries, PushBatch: so.batch, ChunkSize: so.chunk,
		PageLimit: so.pageLimit, Backoff: so.backoff, MaxBackoff: 20 * so.backoff})
	if err != nil {
		st.Close()
		return nil, err
	}
	return t, nil
}

func (t *tablet) Close() error { return t.st.Close() }

func (e *env) withTablet(so syncOptions, fn func(t *tablet) error) error {
	t, err := e.open(so)
	if err != nil {
		return err
	}
	err = fn(t)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	return err
}
