package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"meter-sync/domain"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/tabular"
	"meter-sync/vee"
)

func runExportRoute(ctx context.Context, e *env, args []string) error {
	fs, f := newDockFlags(e, "export-route", "--reader R --cycle YYYY-MM (--out FILE.csv|FILE.xlsx [--encoding gbk] | --port DEV [--expect N] [--mode device|ymodem]) [--data DIR]")
	out := fs.String("out", "", "the route `FILE`, .csv or .xlsx")
	encoding := fs.String("encoding", "", "CSV text encoding: utf-8 (with a BOM, the default), utf-8-nobom or gbk")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *f.reader == "" || *f.cycle == "" || (*out == "") == (*f.port == "") {
		return errors.New("export-route: --reader, --cycle and one of --out or --port are required")
	}
	if *f.port != "" {
		return runExportRouteToPort(ctx, e, f)
	}
	cycle, err := domain.ParseMonth(*f.cycle)
	if err != nil {
		return fmt.Errorf("export-route: --cycle: %w", err)
	}
	cfg, err := f.common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(f.common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := masterdata.ExportRoute(db, masterdata.ExportOptions{Reader: *f.reader, Cycle: cycle, Path: *out, Encoding: *encoding})
	if err != nil {
		return fmt.Errorf("export-route: %w", err)
	}
	fmt.Fprintf(e.stdout, "route of %s for %s: %d households written to %s\n", *f.reader, cycle, res.Households, res.File)
	return nil
}

func runAnomalies(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "anomalies", "--cycle YYYY-MM [--reader R] [--format csv|json] [--data DIR]")
	cycleText := fs.String("cycle", "", "the reading month `YYYY-MM`")
	reader := fs.String("reader", "", "only this reader's anomalies (default every reader's)")
	format := fs.String("format", "csv", "output `FORMAT`: csv (UTF-8, Chinese headers) or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cycleText == "" {
		return errors.New("anomalies: --cycle is required")
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("anomalies: --format: want csv or json, got %q", *format)
	}
	cycle, err := domain.ParseMonth(*cycleText)
	if err != nil {
		return fmt.Errorf("anomalies: --cycle: %w", err)
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
	var as []store.Anomaly
	err = db.View(func(tx store.ReadTx) error {
		var err error
		if *reader == "" {
			as, err = tx.AnomaliesOfCycle(cycle)
			return err
		}
		if _, err := tx.Reader(*reader); err != nil {
			return err
		}
		as, err = tx.Anomalies(cycle, *reader)
		return err
	})
	if err != nil {
		return fmt.Errorf("anomalies: %w", err)
	}
	if *format == "json" {
		return writeAnomaliesJSON(e, as)
	}
	return writeAnomaliesCSV(e, as)
}

// anomalyHeaders are the columns of `meter-sync anomalies --format csv`.
var anomalyHeaders = []string{"用户编号", "抄表员编号", "代码", "名称", "级别", "状态", "证据", "建议", "用气量", "读数版本"}

func writeAnomaliesCSV(e *env, as []store.Anomaly) error {
	w, err := tabular.NewCSVWriter(e.stdout, anomalyHeaders, tabular.WriteOptions{Encoding: tabular.EncodingUTF8NoBOM})
	if err != nil {
		return err
	}
	for _, a := range as {
		c := vee.Code(a.Code)
		err := w.Write([]string{a.CustomerID, a.ReaderID, a.Code, c.Chinese(), severity(a.Blocking), a.Status,
			evidenceText(a.Evidence), a.Suggest, strconv.FormatFloat(a.ConsumptionM3, 'f', -1, 64), strconv.Itoa(a.ReadingVersion)})
		if err != nil {
			return fmt.Errorf("anomalies: %s %s: %w", a.CustomerID, a.Code, err)
		}
	}
	return w.Close()
}

// evidenceText is the evidence as "name=value; …".
func evidenceText(facts []store.Fact) string {
	parts := make([]string, len(facts))
	for i, f := range facts {
		parts[i] = f.Name + "=" + f.Value
	}
	return strings.Join(parts, "; ")
}

// anomalyJSON is one anomaly as `meter-sync anomalies --format json` gives it.
type anomalyJSON struct {
	CustomerID     string                 `json:"customer_id"`
	ReaderID       string                 `json:"reader_id"`
	Cycle          string                 `json:"cycle"`
	Code           string                 `json:"code"`
	Name           string                 `json:"name"`
	Severity       string                 `json:"severity"` // blocking or info
	Status         string                 `json:"status"`
	Evidence       string                 `json:"evidence"` // "name=value; …"
	Facts          []store.Fact           `json:"facts"`
	Suggest        string                 `json:"suggest"`
	Order          *store.OrderSuggestion `json:"order,omitempty"`
	ConsumptionM3  float64                `json:"consumption_m3"`
	ReadingVersion int                    `json:"reading_version"`
	Decisions      []store.Decision       `json:"decisions,omitempty"`
	Version        int                    `json:"version"`
}

func writeAnomaliesJSON(e *env, as []store.Anomaly) error {
	out := make([]anomalyJSON, len(as))
	for i, a := range as {
		out[i] = anomalyJSON{CustomerID: a.CustomerID, ReaderID: a.ReaderID, Cycle: a.Cycle.String(), Code: a.Code,
			Name: vee.Code(a.Code).Chinese(), Severity: severity(a.Blocking), Status: a.Status,
			Evidence: evidenceText(a.Evidence), Facts: a.Evidence, Suggest: a.Suggest, Order: a.Order,
			ConsumptionM3: a.ConsumptionM3, ReadingVersion: a.ReadingVersion, Decisions: a.Decisions, Version: a.Version}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
