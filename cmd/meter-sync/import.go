package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/vee"
)

func runImport(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "import", "--kind KIND --file FILE [--reader R --cycle YYYY-MM] [--partial] [--data DIR]")
	kind := fs.String("kind", "", "file `KIND`: customers, readers, history, ic_purchases, meter_changes, or readings")
	reader := fs.String("reader", "", "readings only: the reader (抄表员编号) whose readings the file holds")
	cycleText := fs.String("cycle", "", "readings only: the reading month `YYYY-MM` the file holds")
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
	cycle, err := readerCycle(interchange.Kind(*kind), *reader, *cycleText)
	if err != nil {
		return err
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	params := vee.ParamsFrom(cfg.Validation, cfg.Clock, cfg.Cycle)
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
		Reader: *reader, Cycle: cycle, Validation: &params,
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
	if res.Kind == interchange.Readings {
		fmt.Fprint(e.stdout, anomalySummary(*reader, cycle, res))
	}
	return nil
}

// readerCycle checks --reader and --cycle against the kind: a readings file
// needs both, the other kinds take neither.
func readerCycle(kind interchange.Kind, reader, cycle string) (domain.Month, error) {
	if kind != interchange.Readings {
		if reader != "" || cycle != "" {
			return 0, fmt.Errorf("import: --reader and --cycle are for --kind readings only, not %s", kind)
		}
		return 0, nil
	}
	if reader == "" || cycle == "" {
		return 0, errors.New("import: --kind readings needs --reader and --cycle")
	}
	m, err := domain.ParseMonth(cycle)
	if err != nil {
		return 0, fmt.Errorf("import: --cycle: %w", err)
	}
	return m, nil
}

func summary(res masterdata.Result) string {
	var b strings.Builder
	if res.Kind == interchange.Readings {
		fmt.Fprintf(&b, "%s %s (%s): %d rows, %d new readings, %d new versions, %d unchanged, %d not read",
			res.Kind, res.File, res.Encoding, res.Rows, res.Created, res.Updated, res.Unchanged, res.Skipped)
	} else {
		fmt.Fprintf(&b, "%s %s (%s): %d rows, %d created, %d updated, %d unchanged",
			res.Kind, res.File, res.Encoding, res.Rows, res.Created, res.Updated, res.Unchanged)
	}
	if res.Rejected > 0 {
		fmt.Fprintf(&b, ", %d rejected (written to %s)", res.Rejected, res.RejectsPath)
	}
	if s := res.Duration.Seconds(); s > 0 {
		fmt.Fprintf(&b, " in %.2fs (%.0f rows/s)", s, float64(res.Rows)/s)
	}
	return b.String()
}

// anomalySummary counts the reader's anomalies of the cycle by code, in
// the order of vee.Codes, one line each.
func anomalySummary(reader string, cycle domain.Month, res masterdata.Result) string {
	var b strings.Builder
	total := 0
	for _, n := range res.Anomalies {
		total += n
	}
	ac := res.AnomalyChanges
	fmt.Fprintf(&b, "anomalies of %s %s: %d (added %d, updated %d, removed %d; %d decided left as they are)\n",
		reader, cycle, total, ac.Added, ac.Updated, ac.Removed, ac.Kept)
	for _, c := range vee.Codes() {
		if n := res.Anomalies[string(c)]; n > 0 {
			fmt.Fprintf(&b, "  %-16s %6d  %-8s  %s\n", c, n, severity(c.Blocking()), c.Chinese())
		}
	}
	return b.String()
}

// severity names whether an anomaly holds its cycle's commit back.
func severity(blocking bool) string {
	if blocking {
		return "blocking"
	}
	return "info"
}
