// Command meter-sync is the gas company's meter-reading and field-service
// server, and the tools around it: imports, fixtures, backups.
//
//	meter-sync serve --demo          run the back office on a generated city
//	meter-sync import --kind customers --file customers.csv
//	meter-sync import --kind readings --reader R001 --cycle 2026-01 --file R001.csv
//	meter-sync export-route --reader R001 --cycle 2026-01 --out R001.xlsx
//	meter-sync anomalies --cycle 2026-01 --reader R001 --format json
//	meter-sync review confirm --cycle 2026-01 --reader R001 --code LARGE_VOLUME --why 冬季采暖
//	meter-sync review commit --cycle 2026-01 --reader R001
//	meter-sync export --kind readings --cycle 2026-01 --out readings.xlsx
//	meter-sync fixtures --households 1000000 --seed 1 --out city/
//	meter-sync backup --out backup.db
//	meter-sync user add --id zhangsan --name 张三 --role clerk
//	meter-sync device pair --id HH-0001 --name 一组3号机 --reader R001
//
// Every command takes --data DIR (default ./data) and --help, and on failure
// exits non-zero with a one-line reason.
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
	"syscall"
)

// command is one subcommand: its flags are registered on fs, run does the work.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]command{
	"serve":           {"run the server (HTTP API and back office)", runServe},
	"import":          {"import a CIS master file (customers, readers, history, ic_purchases, meter_changes) or a reader's readings", runImport},
	"export-route":    {"load a reader's route for a month onto a docked handheld (--port), or write it as a CSV or XLSX file (--out)", runExportRoute},
	"dock":            {"dock a handheld (抄表机) on a serial port: clock, readings, re-reads, and with --cycle its next route", runDock},
	"import-readings": {"take a docked handheld's readings into the store", runImportReadings},
	"anomalies":       {"list the anomalies reading validation found in a month, as CSV or JSON", runAnomalies},
	"review":          {"review a reader's month: confirm, reread (退回重抄), missed (确认未抄), commit (入库)", runReview},
	"orders":          {"list work orders (派工单): orders list", runOrders},
	"export":          {"write the committed readings of a month for the CIS, as CSV or XLSX", runExport},
	"report":          {"write the month's 抄表管理报告 per reader, or the ignition table per estate, as XLSX", runReport},
	"fixtures":        {"generate a realistic city's master and readings files", runFixtures},
	"backup":          {"write a consistent copy of the store, also while the server runs", runBackup},
	"restore":         {"replace the store with a backup (the server must be stopped)", runRestore},
	"check":           {"check the store's consistency", runCheck},
	"config":          {"print the documented default configuration file", runConfig},
	"user":            {"manage accounts and API tokens (add, passwd, disable, enable, role, list, token, tokens, revoke-token)", runUser},
	"device":          {"manage paired handhelds (pair, list, revoke)", runDevice},
}

// env is what every command shares: where it reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stderrIsTTY    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrIsTTY: isTerminal(os.Stderr)}
	if err := dispatch(ctx, e, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "meter-sync: %v\n", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return flag.ErrHelp
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(e.stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: meter-sync <command> [--data DIR] [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun meter-sync <command> --help for its flags.")
}

// flags makes a command's flag set with the shared --data and --config.
type commonFlags struct {
	data   string
	config string
}

func newFlags(e *env, name, usageLine string) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	c := &commonFlags{}
	fs.StringVar(&c.data, "data", "./data", "data `DIR` holding the store and the configuration")
	fs.StringVar(&c.config, "config", "", "configuration `FILE` (default DIR/meter-sync.toml if it exists)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: meter-sync %s %s\n\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs, c
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

func (c *commonFlags) configPath() (string, bool) {
	if c.config != "" {
		return c.config, true
	}
	return filepath.Join(c.data, "meter-sync.toml"), false
}
