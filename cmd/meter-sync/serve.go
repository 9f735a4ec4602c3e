package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/config"
	"meter-sync/device"
	"meter-sync/device/serialport"
	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/masterdata"
	"meter-sync/orders"
	"meter-sync/server"
	"meter-sync/store"
	tabsync "meter-sync/sync"
	"meter-sync/vee"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "serve", "[--addr ADDR] [--demo] [--line MODE] [--data DIR]")
	addr := fs.String("addr", "", "listen `ADDR`ess, host:port (default from the configuration, :8080)")
	lineText := fs.String("line", "115200,8N1", "the serial `MODE` the docking page opens ports in: baud, data bits, parity (N, O, E), stop bits")
	demo := fs.Bool("demo", false, "fill an empty store with a generated city so that there is something to see")
	households := fs.Int("demo-households", 3000, "households in the --demo city")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	line, err := serialport.ParseMode(*lineText)
	if err != nil {
		return fmt.Errorf("--line: %w", err)
	}
	logger := newLogger(cfg.Log, e.stderr)
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	generated := false
	if *demo {
		if generated, err = loadDemo(db, common.data, *households, logger, e.stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	svc := access.New(db, accessOptions(cfg.Auth), nil)
	if err := firstAccounts(svc, db, generated, e.stdout); err != nil {
		return fmt.Errorf("first accounts: %w", err)
	}
	host, err := newHost(common, cfg, db, line.Baud, logger)
	if err != nil {
		return err
	}
	station := newStation(host, line)
	defer station.Close() // after the server: running docks are cancelled
	return listenAndServe(ctx, cfg, common.data, db, svc, station, logger, e.stdout)
}

// firstAccounts gives a store without any account its administrator, and
// a freshly generated demo city an account of every other role too. The
// passwords are printed once, to out and never to the log: under systemd
// out is the journal, where the operator reads them once.
func firstAccounts(svc *access.Service, st store.Store, demo bool, out io.Writer) error {
	pw, created, err := svc.EnsureFirstAdmin("admin")
	if err != nil || !created {
		return err
	}
	fmt.Fprintf(out, "first administrator: admin / %s — change it with meter-sync user passwd --id admin\n", pw)
	if !demo {
		return nil
	}
	return demoAccounts(svc, st, out)
}

// demoAccounts adds one account per role besides admin to the demo city,
// the reader's linked to the city's first reader, and prints them.
func demoAccounts(svc *access.Service, st store.Store, out io.Writer) error {
	var readers []domain.Reader
	if err := st.View(func(tx store.ReadTx) error {
		var err error
		readers, err = tx.Readers()
		return err
	}); err != nil {
		return err
	}
	accounts := []access.NewAccount{
		{ID: "clerk1", Name: "演示营业员", Role: account.RoleClerk, CanDispatch: true},
		{ID: "reviewer1", Name: "演示审核员", Role: account.RoleReviewer},
		{ID: "leader1", Name: "演示班组长", Role: account.RoleTeamLeader},
		{ID: "tech1", Name: "演示施工人员", Role: account.RoleTechnician},
	}
	if len(readers) > 0 {
		accounts = append(accounts, access.NewAccount{ID: "reader1", Name: readers[0].Name, Role: account.RoleReader, ReaderID: readers[0].ID})
	}
	rows := [][]string{{"  account", "password", "role"}}
	for _, n := range accounts {
		pw, err := svc.AddAccount(access.Actor{ID: "demo"}, n)
		if err != nil {
			return err
		}
		role := n.Role.Chinese()
		if n.CanDispatch {
			role += " (可派工)"
		}
		if n.ReaderID != "" {
			role += " " + n.ReaderID
		}
		rows = append(rows, []string{"  " + n.ID, pw, role})
	}
	fmt.Fprintln(out, "demo accounts (passwords shown only now):")
	table(out, rows)
	return nil
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Level)) // validated with the configuration
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func listenAndServe(ctx context.Context, cfg config.Config, data string, st store.Store, svc *access.Service,
	station *device.Station, logger *slog.Logger, out io.Writer) error {
	token, err := randomToken()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return err
	}
	tls := cfg.Server.TLSCert != ""
	info := serveInfo{Addr: ln.Addr().String(), PID: os.Getpid(), AdminToken: token, TLS: tls}
	if err := writeServeInfo(data, info); err != nil {
		ln.Close()
		return err
	}
	defer os.Remove(filepath.Join(data, serveInfoFile))
	validation := vee.ParamsFrom(cfg.Validation, cfg.Clock, cfg.Cycle)
	policy, err := orders.PolicyFrom(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	syncSvc, err := newSync(ctx, cfg, data, st, &policy, &validation, logger)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler: server.New(server.Options{Store: st, Logger: logger, AdminToken: token, Access: svc, SecureCookies: tls,
			Station: dockStation{station}, Ports: serialPorts, Validation: &validation,
			IgnitionStartDay: cfg.Cycle.IgnitionWindowStartDay, Sync: syncSvc, Orders: &policy}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout.Duration,
		WriteTimeout:      cfg.Server.WriteTimeout.Duration,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := map[bool]string{false: "http", true: "https"}[tls]
	fmt.Fprintf(out, "meter-sync serving %s://%s/ (store %s)\n", scheme, loopback(info.Addr), storeName(st))
	errc := make(chan error, 1)
	go func() {
		if tls {
			errc <- srv.ServeTLS(ln, cfg.Server.TLSCert, cfg.Server.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", cfg.Server.ShutdownGrace.Duration)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownGrace.Duration)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func storeName(st store.Store) string {
	if p, ok := st.(interface{ Path() string }); ok {
		return p.Path()
	}
	return "?"
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// loadDemo fills an empty store with a generated city, through the same
// import path as real files; the files stay in DATA/demo-city for a
// newcomer to look at and re-import. A store with data is left alone;
// generated says whether the city was made.
func loadDemo(st store.Store, data string, households int, logger *slog.Logger, out io.Writer) (generated bool, err error) {
	n, err := store.CountCustomers(st)
	if err != nil {
		return false, err
	}
	if n > 0 {
		fmt.Fprintf(out, "demo: the store already holds %d customers; left as it is\n", n)
		return false, nil
	}
	start := time.Now()
	city, err := fixtures.Generate(fixtures.Options{Households: households, Seed: 1, Cycle: domain.MonthOf(start)})
	if err != nil {
		return false, err
	}
	dir := filepath.Join(data, "demo-city")
	if _, err := city.Write(dir); err != nil {
		return false, err
	}
	for _, kind := range masterdata.Kinds() {
		res, err := masterdata.Import(st, masterdata.Options{Kind: kind, Path: filepath.Join(dir, string(kind)+".csv"),
			Actor: "demo", Logger: logger})
		if err != nil {
			return false, err
		}
		logger.Debug("demo import", "kind", kind, "rows", res.Rows)
	}
	fmt.Fprintf(out, "demo: generated and imported a city of %d households and %d readers in %s (files in %s)\n",
		len(city.Customers), len(city.Readers), time.Since(start).Round(time.Millisecond), dir)
	return true, nil
}

// newSync is the tablets' sync over st: receipts decided by the orders
// rules of the configuration, readers' routes and readings by the docking
// spool (DATA/spool) and the readings import with the configuration's
// thresholds, attachments in DATA/blobs, and the change logs' removals past
// the horizon pruned now and every hour until ctx ends.
func newSync(ctx context.Context, cfg config.Config, data string, st store.Store, policy *orders.Policy,
	validation *vee.Params, logger *slog.Logger) (*tabsync.Service, error) {
	spool := filepath.Join(data, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, err
	}
	readings := &device.Network{SpoolDir: spool, Validation: validation, Logger: logger}
	svc := tabsync.New(tabsync.Options{Store: st, Applier: policy, Readings: readings, BlobDir: filepath.Join(data, "blobs"),
		Logger: logger, MaxSkew: cfg.Clock.MaxSkew.Duration, Horizon: cfg.Sync.RemovalHorizon.Duration})
	go func() {
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			if n, err := svc.Compact(); err != nil {
				logger.Error("pruning the sync change logs", "err", err)
			} else if n > 0 {
				logger.Info("pruned sync change logs", "removals", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return svc, nil
}
