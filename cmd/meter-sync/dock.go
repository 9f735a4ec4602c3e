package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"meter-sync/access"
	"meter-sync/config"
	"meter-sync/device"
	"meter-sync/device/serialport"
	"meter-sync/domain"
	"meter-sync/protocol/dock"
	"meter-sync/store/bolt"
	"meter-sync/vee"
)

// dockFlags are the flags every docking command shares.
type dockFlags struct {
	common   *commonFlags
	port     *string
	line     *string
	mode     *string
	reader   *string
	cycle    *string
	expect   *int
	progress *string
	jsonOut  *bool
}

func newDockFlags(e *env, name, usage string) (*flag.FlagSet, *dockFlags) {
	fs, common := newFlags(e, name, usage)
	return fs, &dockFlags{
		common:   common,
		port:     fs.String("port", "", "the serial `DEV` the handheld is on, e.g. /dev/ttyUSB0"),
		line:     fs.String("line", "115200,8N1", "the line's `MODE`: baud, data bits, parity (N, O, E), stop bits"),
		mode:     fs.String("mode", "device", "`PROTOCOL`: device (meter-sync handhelds) or ymodem (generic handhelds)"),
		reader:   fs.String("reader", "", "the reader (抄表员编号) `R` whose route to load or readings to take"),
		cycle:    fs.String("cycle", "", "the month `YYYY-MM` of the route to load (and of a generic handheld's readings)"),
		expect:   fs.Int("expect", -1, "the count of households `N` the reader expects (核对数量), to reconcile with"),
		progress: fs.String("progress", "auto", "progress display: auto, bar, lines or off"),
		jsonOut:  fs.Bool("json", false, "print the dock's report as JSON"),
	}
}

// job builds the docking job the flags describe.
func (f *dockFlags) job(importing, exporting bool) (device.Job, error) {
	job := device.Job{Import: importing, Export: exporting, Reader: *f.reader, Expect: *f.expect}
	if *f.cycle != "" {
		m, err := domain.ParseMonth(*f.cycle)
		if err != nil {
			return job, fmt.Errorf("--cycle: %w", err)
		}
		job.Cycle = m
	}
	if exporting && job.Cycle == 0 {
		return job, errors.New("loading a route needs --cycle YYYY-MM")
	}
	if *f.mode == "ymodem" && (job.Reader == "" || job.Cycle == 0) {
		return job, errors.New("--mode ymodem needs --reader and --cycle: a generic handheld cannot say whose it is")
	}
	if *f.mode != "device" && *f.mode != "ymodem" {
		return job, fmt.Errorf("--mode: want device or ymodem, got %q", *f.mode)
	}
	return job, nil
}

func runDock(ctx context.Context, e *env, args []string) error {
	fs, f := newDockFlags(e, "dock", "--port DEV | --auto [--mode device|ymodem] [--reader R] [--cycle YYYY-MM] [--expect N] [--data DIR]")
	auto := fs.Bool("auto", false, "watch for USB handhelds being docked and dock each one, several at once")
	usb := fs.String("usb", "", "with --auto: only these USB ids `VID:PID,…` (default any USB serial port)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*f.port == "") == !*auto {
		return errors.New("dock: give --port DEV or --auto")
	}
	// A dock takes the readings; with --cycle it also loads that month's route.
	job, err := f.job(true, *f.cycle != "")
	if err != nil {
		return fmt.Errorf("dock: %w", err)
	}
	if *auto {
		return dockAuto(ctx, e, f, job, *usb)
	}
	return dockOnce(ctx, e, f, job)
}

func runExportRouteToPort(ctx context.Context, e *env, f *dockFlags) error {
	job, err := f.job(false, true)
	if err != nil {
		return fmt.Errorf("export-route: %w", err)
	}
	if job.Reader == "" {
		return errors.New("export-route: --reader is required")
	}
	return dockOnce(ctx, e, f, job)
}

func runImportReadings(ctx context.Context, e *env, args []string) error {
	fs, f := newDockFlags(e, "import-readings", "--reader R --port DEV [--mode device|ymodem] [--cycle YYYY-MM] [--data DIR]")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *f.reader == "" || *f.port == "" {
		return errors.New("import-readings: --reader and --port are required")
	}
	job, err := f.job(true, false)
	if err != nil {
		return fmt.Errorf("import-readings: %w", err)
	}
	return dockOnce(ctx, e, f, job)
}

// docker holds what docking needs: the store, the host and the line mode.
type docker struct {
	db   *bolt.DB
	host *device.Host
	line serialport.Mode
}

func openDocker(f *dockFlags) (*docker, error) {
	line, err := serialport.ParseMode(*f.line)
	if err != nil {
		return nil, err
	}
	cfg, err := f.common.loadConfig()
	if err != nil {
		return nil, err
	}
	db, err := openStore(f.common, cfg)
	if err != nil {
		return nil, err
	}
	host, err := newHost(f.common, cfg, db, line.Baud, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &docker{db: db, host: host, line: line}, nil
}

// newHost makes the docking host of a store, with the configuration's
// thresholds; its spool is DATA/spool.
func newHost(c *commonFlags, cfg config.Config, db *bolt.DB, baud int, logger *slog.Logger) (*device.Host, error) {
	params := vee.ParamsFrom(cfg.Validation, cfg.Clock, cfg.Cycle)
	return device.NewHost(db, access.New(db, accessOptions(cfg.Auth), nil), device.Options{
		SpoolDir: filepath.Join(c.data, "spool"), MaxSkew: cfg.Clock.MaxSkew.Duration,
		Validation: &params, RouteEncoding: routeEncoding(cfg.Import.RouteEncoding), Logger: logger,
		Link: dock.LinkConfig{Baud: baud},
	})
}

// routeEncoding names the configuration's route encoding as the route
// writer does.
func routeEncoding(cfg string) string {
	switch cfg {
	case "utf-8":
		return "utf-8-nobom"
	case "gbk":
		return "gbk"
	}
	return ""
}

func dockOnce(ctx context.Context, e *env, f *dockFlags, job device.Job) error {
	d, err := openDocker(f)
	if err != nil {
		return err
	}
	defer d.db.Close()
	bar, err := newProgressBar(e, "对接 "+*f.port, *f.progress)
	if err != nil {
		return err
	}
	job.Progress = func(p device.Progress) { bar.update(p.Done, p.Total) }
	rep, err := d.dock(ctx, *f.port, *f.mode, job)
	bar.done()
	printReport(e, rep, *f.jsonOut)
	return err
}

// dock opens a port and docks the handheld on it.
func (d *docker) dock(ctx context.Context, path, mode string, job device.Job) (device.Report, error) {
	port, err := serialport.Open(path, d.line)
	if err != nil {
		return device.Report{}, err
	}
	defer port.Close()
	if mode == "ymodem" {
		return d.host.DockYMODEM(ctx, port, path, job)
	}
	return d.host.Dock(ctx, port, job)
}

// dockAuto docks every USB handheld that appears, each in its own session,
// until interrupted.
func dockAuto(ctx context.Context, e *env, f *dockFlags, job device.Job, usb string) error {
	var match []serialport.USBID
	for _, s := range strings.FieldsFunc(usb, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := serialport.ParseUSBID(s)
		if err != nil {
			return fmt.Errorf("dock: --usb: %w", err)
		}
		match = append(match, id)
	}
	d, err := openDocker(f)
	if err != nil {
		return err
	}
	defer d.db.Close()
	fmt.Fprintln(e.stdout, "waiting for handhelds (等待抄表机接入); Ctrl-C stops")
	var wg sync.WaitGroup
	var mu sync.Mutex
	for p := range serialport.Watch(ctx, time.Second, serialport.List, match...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := d.dock(ctx, p.Path, *f.mode, job)
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(e.stdout, "== %s\n", p)
			printReport(e, rep, *f.jsonOut)
			if err != nil {
				fmt.Fprintf(e.stderr, "meter-sync: dock %s: %v\n", p.Path, err)
			}
		}()
	}
	wg.Wait()
	return nil
}

// printReport prints what a dock did, in the clerk's words.
func printReport(e *env, rep device.Report, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return
	}
	if rep.DeviceID == "" {
		return
	}
	fmt.Fprintf(e.stdout, "抄表机 %s (%s): 时钟偏差 %dms", rep.DeviceID, rep.Mode, rep.SkewMs)
	if rep.Corrected {
		fmt.Fprint(e.stdout, ", 已校正")
	}
	fmt.Fprintln(e.stdout)
	if rep.Import != nil {
		fmt.Fprintln(e.stdout, rep.Import.Explain())
		fmt.Fprint(e.stdout, anomalySummary(rep.Import.Reader, rep.Import.Cycle, rep.Import.Result))
	}
	if rep.Cleared > 0 {
		fmt.Fprintf(e.stdout, "抄表机已删除已入库的抄表记录 %d 条\n", rep.Cleared)
	}
	if len(rep.Rereads) > 0 {
		fmt.Fprintf(e.stdout, "下发重抄任务 %d 户: %s\n", len(rep.Rereads), strings.Join(rep.Rereads, " "))
	}
	if rep.Export != nil {
		fmt.Fprintln(e.stdout, rep.Export.Explain())
	}
}
