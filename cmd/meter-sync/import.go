package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"meter-sync/interchange"
	"meter-sync/masterdata"
)

func runImport(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "import", "--kind KIND --file FILE [--partial] [--data DIR]")
	kind := fs.String("kind", "", "file `KIND`: customers, readers, history, ic_purchases or meter_changes")
	file := fs.String("file", "", "the CSV (UTF-8 or GBK) or XLSX `FILE` to import")
	partial := fs.Bool("partial", false, "commit the good rows of a file with bad rows; write the bad ones to --rejects")
	rejects := fs.String("rejects", "", "where --partial writes refused rows (default FILE.rejects.csv)")
	encoding := fs.String("encoding", "", "CSV text encoding: auto, utf-8 or gbk (default from the configuration)")
	progress := fs.String("progress", "auto", "progress display: auto (a bar on a terminal), bar, lines (one line per 5%) or off")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *kind == "" || *file == "" {
		return errors.New("import: --kind and --file are required")
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	if *encoding == "" {
		*encoding = cfg.Import.Encoding
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// An import is one large transaction whose pages stay live until it
	// commits; collecting garbage less often saves a third of the work.
	debug.SetGCPercent(400)
	bar, err := newProgressBar(e, "导入 "+*file, *progress)
	if err != nil {
		return err
	}
	res, err := masterdata.Import(db, masterdata.Options{
		Kind: interchange.Kind(*kind), Path: *file, Encoding: *encoding,
		Partial: *partial, RejectsPath: *rejects, Progress: bar.update,
	})
	bar.done()
	for _, re := range res.Errors {
		fmt.Fprintln(e.stderr, re)
	}
	if more := res.Rejected - len(res.Errors); more > 0 {
		fmt.Fprintf(e.stderr, "… and %d more bad rows\n", more)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, summary(res))
	return nil
}

func summary(res masterdata.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s): %d rows, %d created, %d updated, %d unchanged",
		res.Kind, res.File, res.Encoding, res.Rows, res.Created, res.Updated, res.Unchanged)
	if res.Rejected > 0 {
		fmt.Fprintf(&b, ", %d rejected (written to %s)", res.Rejected, res.RejectsPath)
	}
	if s := res.Duration.Seconds(); s > 0 {
		fmt.Fprintf(&b, " in %.2fs (%.0f rows/s)", s, float64(res.Rows)/s)
	}
	return b.String()
}
