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
	"syscall"

	"meter-sync/internal/cli"
)

// command is one subcommand; it parses its own flags from args.
type command = cli.Command[*env]

var commands = map[string]command{
	"serve":           {Summary: "run the server (HTTP API and back office)", Run: runServe},
	"import":          {Summary: "import a CIS master file (customers, readers, history, ic_purchases, meter_changes) or a reader's readings", Run: runImport},
	"export-route":    {Summary: "load a reader's route for a month onto a docked handheld (--port), or write it as a CSV or XLSX file (--out)", Run: runExportRoute},
	"dock":            {Summary: "dock a handheld (抄表机) on a serial port: clock, readings, re-reads, and with --cycle its next route", Run: runDock},
	"import-readings": {Summary: "take a docked handheld's readings into the store", Run: runImportReadings},
	"anomalies":       {Summary: "list the anomalies reading validation found in a month, as CSV or JSON", Run: runAnomalies},
	"review":          {Summary: "review a reader's month: confirm, reread (退回重抄), missed (确认未抄), commit (入库)", Run: runReview},
	"orders":          {Summary: "list work orders (派工单): orders list", Run: runOrders},
	"export":          {Summary: "write the committed readings of a month for the CIS, as CSV or XLSX", Run: runExport},
	"report":          {Summary: "write the month's 抄表管理报告 per reader, or the ignition table per estate, as XLSX", Run: runReport},
	"fixtures":        {Summary: "generate a realistic city's master and readings files", Run: runFixtures},
	"backup":          {Summary: "write a consistent copy of the store, also while the server runs", Run: runBackup},
	"restore":         {Summary: "replace the store with a backup (the server must be stopped)", Run: runRestore},
	"check":           {Summary: "check the store's consistency", Run: runCheck},
	"config":          {Summary: "print the documented default configuration file", Run: runConfig},
	"user":            {Summary: "manage accounts and API tokens (add, passwd, disable, enable, role, list, token, tokens, revoke-token)", Run: runUser},
	"device":          {Summary: "manage paired handhelds (pair, list, revoke)", Run: runDevice},
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
	return cmd.Run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: meter-sync <command> [--data DIR] [flags]\n\ncommands:")
	cli.PrintCommands(w, commands, 12)
	fmt.Fprintln(w, "\nRun meter-sync <command> --help for its flags.")
}

// flags makes a command's flag set with the shared --data and --config.
type commonFlags struct {
	data   string
	config string
}

func newFlags(e *env, name, usageLine string) (*flag.FlagSet, *commonFlags) {
	fs := cli.NewFlags(e.stderr, "meter-sync", name, usageLine)
	c := &commonFlags{}
	fs.StringVar(&c.data, "data", "./data", "data `DIR` holding the store and the configuration")
	fs.StringVar(&c.config, "config", "", "configuration `FILE` (default DIR/meter-sync.toml if it exists)")
	return fs, c
}

// parse parses args and rejects stray positional arguments.
var parse = cli.Parse

func (c *commonFlags) configPath() (string, bool) {
	if c.config != "" {
		return c.config, true
	}
	return filepath.Join(c.data, "meter-sync.toml"), false
}
