package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// reviewFlags are the flags of `meter-sync review …`.
type reviewFlags struct {
	common   *commonFlags
	cycle    *string
	reader   *string
	customer *string
	code     *string
	why      *string
}

func runReview(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "usage: meter-sync review confirm|reread|missed|commit --cycle YYYY-MM --reader R [--customer ID] [--code CODE] [--why TEXT]")
		if len(args) == 0 {
			return errors.New("review: confirm, reread, missed or commit")
		}
		return fmt.Errorf("review: unknown action %q", args[0])
	}
	sub := args[0]
	usageLine := "--cycle YYYY-MM --reader R (--customer ID | --code CODE[,CODE…] | both) [--why TEXT] [--data DIR]"
	switch sub {
	case "missed":
		usageLine = "--cycle YYYY-MM --reader R [--customer ID] --why TEXT [--data DIR]"
	case "commit":
		usageLine = "--cycle YYYY-MM [--reader R] [--data DIR]"
	case "confirm", "reread":
	default:
		return fmt.Errorf("review: unknown action %q (confirm, reread, missed or commit)", sub)
	}
	fs, common := newFlags(e, "review "+sub, usageLine)
	f := reviewFlags{common: common,
		cycle:    fs.String("cycle", "", "the reading month `YYYY-MM`"),
		reader:   fs.String("reader", "", "the reader (抄表员编号)"),
		customer: fs.String("customer", "", "one household (用户编号)"),
		code:     fs.String("code", "", "anomaly `CODES`, comma-separated (e.g. LARGE_VOLUME)"),
		why:      fs.String("why", "", "the reason, recorded with the decision"),
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cycle, err := domain.ParseMonth(*f.cycle)
	if err != nil {
		return fmt.Errorf("review %s: --cycle: %w", sub, err)
	}
	if sub != "commit" && *f.reader == "" {
		return fmt.Errorf("review %s: --reader is required", sub)
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "commit":
		return reviewCommit(e, db, cycle, *f.reader, vee.ParamsFrom(cfg.Validation, cfg.Clock, cfg.Cycle))
	case "missed":
		sel := review.Selection{Cycle: cycle, Reader: *f.reader, Customer: *f.customer, Codes: []string{string(vee.CodeMissed)}}
		return reviewDecide(e, db, sub, sel, review.Confirm, *f.why)
	}
	if *f.customer == "" && *f.code == "" {
		return fmt.Errorf("review %s: name the household (--customer), the codes (--code) or both", sub)
	}
	sel := review.Selection{Cycle: cycle, Reader: *f.reader, Customer: *f.customer}
	if *f.code != "" {
		for _, c := range strings.Split(*f.code, ",") {
			c = strings.ToUpper(strings.TrimSpace(c))
			if !slices.Contains(vee.Codes(), vee.Code(c)) {
				return fmt.Errorf("review %s: --code: unknown anomaly code %q", sub, c)
			}
			sel.Codes = append(sel.Codes, c)
		}
	}
	if sel.Customer != "" && len(sel.Codes) == 1 {
		// One anomaly: decided whatever its status, so that a household out
		// for a re-read can be confirmed without waiting (with a reason).
		k := store.AnomalyKey{Cycle: cycle, ReaderID: sel.Reader, CustomerID: sel.Customer, Code: sel.Codes[0]}
		out, err := review.Decide(db, cliActor, time.Now(), review.Request{Key: k, Action: review.Action(sub), Why: *f.why})
		return printDecisions(e, sub, review.Action(sub), out, err)
	}
	return reviewDecide(e, db, sub, sel, review.Action(sub), *f.why)
}

func reviewDecide(e *env, st store.Store, sub string, sel review.Selection, action review.Action, why string) error {
	out, err := review.DecideBulk(st, cliActor, time.Now(), sel, action, why)
	return printDecisions(e, sub, action, out, err)
}

func printDecisions(e *env, sub string, action review.Action, out []review.Outcome, err error) error {
	if err != nil {
		return fmt.Errorf("review %s: %w", sub, err)
	}
	for _, o := range out {
		a := o.Anomaly
		line := fmt.Sprintf("%s %s %s(%s): %s", a.ReaderID, a.CustomerID, a.Code, vee.Code(a.Code).Chinese(), action.Chinese())
		if sub == "missed" {
			line = fmt.Sprintf("%s %s %s(%s): 确认未抄", a.ReaderID, a.CustomerID, a.Code, vee.Code(a.Code).Chinese())
		}
		if o.Order != nil {
			line += fmt.Sprintf(", 派工单%s %s %s 待派工", o.Order.ID, o.Order.Business, o.Order.Priority)
		}
		fmt.Fprintln(e.stdout, line)
	}
	fmt.Fprintf(e.stdout, "%d anomalies: %s\n", len(out), action.Chinese())
	return nil
}

// reviewCommit commits one reader's cycle, or, with no reader, every
// reader's that brought readings back, each in a transaction of its own.
func reviewCommit(e *env, st store.Store, cycle domain.Month, reader string, p vee.Params) error {
	readers := []string{reader}
	if reader == "" {
		var err error
		if readers, err = readersOfCycle(st, cycle); err != nil {
			return err
		}
	}
	var refused []error
	for _, r := range readers {
		fmt.Fprintf(e.stderr, "入库 %s %s…\n", r, cycle)
		res, err := review.Commit(st, cliActor, time.Now(), cycle, r, p)
		var blocked *review.BlockedError
		switch {
		case errors.As(err, &blocked):
			if res.MissedAdded > 0 {
				fmt.Fprintf(e.stdout, "%s %s: %d households with no reading are now MISSED (漏抄)\n", r, cycle, res.MissedAdded)
			}
			fmt.Fprintf(e.stdout, "%s %s: refused, %d blocking anomalies unresolved:\n", r, cycle, len(blocked.Blocking))
			for _, k := range blocked.Blocking {
				fmt.Fprintf(e.stdout, "  %s %s(%s)\n", k.CustomerID, k.Code, vee.Code(k.Code).Chinese())
			}
			refused = append(refused, err)
			continue
		case err != nil:
			return fmt.Errorf("review commit: %w", err)
		}
		c := res.Commit
		state := "committed"
		if res.Already {
			state = "already committed"
		}
		fmt.Fprintf(e.stdout, "%s %s: %s by %s at %s: route %d, read %d (估抄 %d), missed %d, off route %d, anomalies %d\n",
			r, cycle, state, c.By, c.At.In(domain.Local).Format(time.DateTime), c.Counts.Route, c.Counts.Read, c.Counts.Estimated,
			c.Counts.Missed, c.Counts.OffRoute, c.Counts.Anomalies)
	}
	if len(refused) == 1 {
		return fmt.Errorf("review commit: %w", refused[0])
	}
	if len(refused) > 1 {
		return fmt.Errorf("review commit: %d of %d readers refused", len(refused), len(readers))
	}
	return nil
}

// readersOfCycle lists the readers with readings or anomalies in cycle.
func readersOfCycle(st store.Store, cycle domain.Month) ([]string, error) {
	var out []string
	err := st.View(func(rt store.ReadTx) error {
		rs, err := rt.Readers()
		if err != nil {
			return err
		}
		for _, r := range rs {
			vs, err := rt.ReadingsOf(cycle, r.ID)
			if err != nil {
				return err
			}
			if len(vs) > 0 {
				out = append(out, r.ID)
			}
		}
		return nil
	})
	return out, err
}

func runOrders(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New("orders: usage: meter-sync orders list [--customer ID] [--status 待派工] [--business 点火] [--format csv|json]")
	}
	fs, common := newFlags(e, "orders list", "[--customer ID] [--status S] [--business B] [--format csv|json] [--data DIR]")
	var q store.OrderQuery
	fs.StringVar(&q.CustomerID, "customer", "", "only this household's orders (用户编号)")
	fs.StringVar(&q.Status, "status", "", "only orders in this status, e.g. 待派工")
	fs.StringVar(&q.Business, "business", "", "only this business type, e.g. 换表")
	format := fs.String("format", "csv", "output `FORMAT`: csv or json")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("orders: --format: want csv or json, got %q", *format)
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := review.Orders(db, q)
	if err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if list == nil {
			list = []store.Order{}
		}
		return enc.Encode(list)
	}
	w, err := review.NewWriter(e.stdout, "csv", []string{"派工单号", "用户编号", "业务类型", "业务级别", "用户对施工要求", "状态", "来源异常", "依据", "受理人", "受理时间"})
	if err != nil {
		return err
	}
	for _, o := range list {
		src := ""
		if o.Anomaly != nil {
			src = fmt.Sprintf("%s %s %s", o.Anomaly.Cycle, o.Anomaly.ReaderID, o.Anomaly.Code)
		}
		if err := w.Write([]string{o.ID, o.CustomerID, o.Business, o.Priority, o.Requirement, o.Status, src, o.Source,
			o.CreatedBy, o.CreatedAt.In(domain.Local).Format(time.DateTime)}); err != nil {
			return err
		}
	}
	return w.Close()
}

// formatOf is "csv" or "xlsx" from a file name.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".xlsx":
		return "xlsx", nil
	}
	return "", fmt.Errorf("%s: want a .csv or .xlsx file", path)
}

// writeFile writes a file whole or not at all: to a temporary file beside
// it, renamed when complete.
func writeFile(path string, fn func(f *os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "export", "--kind readings --cycle YYYY-MM --out FILE.csv|FILE.xlsx [--data DIR]")
	kind := fs.String("kind", "readings", "what to export: readings (the committed readings of a month, for the CIS)")
	cycleText := fs.String("cycle", "", "the reading month `YYYY-MM`")
	out := fs.String("out", "", "the `FILE`, .csv (UTF-8 with BOM) or .xlsx")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *kind != "readings" {
		return fmt.Errorf("export: --kind: only readings, got %q", *kind)
	}
	if *cycleText == "" || *out == "" {
		return errors.New("export: --cycle and --out are required")
	}
	cycle, err := domain.ParseMonth(*cycleText)
	if err != nil {
		return fmt.Errorf("export: --cycle: %w", err)
	}
	format, err := formatOf(*out)
	if err != nil {
		return fmt.Errorf("export: --out: %w", err)
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var n, readers int
	err = db.View(func(rt store.ReadTx) error {
		cs, err := rt.CommitsOf(cycle)
		readers = len(cs)
		if err != nil {
			return err
		}
		rows, _, err := review.ExportReadings(rt, cycle, "", 0)
		if err != nil {
			return err
		}
		n = len(rows)
		return writeFile(*out, func(f *os.File) error { return review.WriteReadings(f, format, rows) })
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s: %d committed readings of %d readers written to %s\n", cycle, n, readers, *out)
	return nil
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "report", "[--kind readers|ignitions] --cycle YYYY-MM [--reader R] --out FILE.xlsx [--data DIR]")
	kind := fs.String("kind", "readers", "readers (抄表管理报告, one row per reader) or ignitions (点火户数 per estate, the 26th-25th window ending in the month)")
	cycleText := fs.String("cycle", "", "the month `YYYY-MM`")
	reader := fs.String("reader", "", "only this reader (readers report)")
	out := fs.String("out", "", "the `FILE`, .xlsx")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cycleText == "" || *out == "" {
		return errors.New("report: --cycle and --out are required")
	}
	if *kind != "readers" && *kind != "ignitions" {
		return fmt.Errorf("report: --kind: readers or ignitions, got %q", *kind)
	}
	if format, err := formatOf(*out); err != nil || format != "xlsx" {
		return fmt.Errorf("report: --out: %s: want an .xlsx file", *out)
	}
	cycle, err := domain.ParseMonth(*cycleText)
	if err != nil {
		return fmt.Errorf("report: --cycle: %w", err)
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var summary string
	err = db.View(func(rt store.ReadTx) error {
		if *kind == "ignitions" {
			t, err := review.Ignitions(rt, cycle, cfg.Cycle.IgnitionWindowStartDay)
			if err != nil {
				return err
			}
			summary = fmt.Sprintf("ignitions %s to %s: %d in %d estates", t.From.Format(time.DateOnly),
				t.To.AddDate(0, 0, -1).Format(time.DateOnly), len(t.Ignited), len(t.Estates))
			return writeFile(*out, func(f *os.File) error { return review.WriteIgnitionsXLSX(f, t) })
		}
		reps, err := review.ReaderReports(rt, cycle, *reader)
		if err != nil {
			return err
		}
		summary = fmt.Sprintf("抄表管理报告 %s: %d readers", cycle, len(reps))
		return writeFile(*out, func(f *os.File) error { return review.WriteReportsXLSX(f, reps) })
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s, written to %s\n", summary, *out)
	return nil
}
