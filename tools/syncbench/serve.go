package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"meter-sync/access"
	"meter-sync/orders"
	"meter-sync/server"
	"meter-sync/store/bolt"
	tabsync "meter-sync/sync"
)

// serveMain is the server process: the handler `meter-sync serve` runs
// (server, sync and the orders rules over a bbolt store, one log line per
// request), with a CPU profile written when it is stopped (SIGTERM).
func serveMain(data, profile string) error {
	st, err := bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	logf, err := os.Create(filepath.Join(data, "serve.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	logger := slog.New(slog.NewTextHandler(logf, nil))
	pol := orders.DefaultPolicy()
	svc := tabsync.New(tabsync.Options{Store: st, Applier: &pol, BlobDir: filepath.Join(data, "blobs"), Logger: logger})
	srv := &http.Server{Handler: server.New(server.Options{Store: st, Logger: logger, Access: access.New(st, access.DefaultOptions(), nil),
		Sync: svc, Orders: &pol}).Handler(), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go profileOnSignal(profile)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	fmt.Printf("serving http://%s\n", ln.Addr())
	go func() {
		<-sig
		srv.Close()
	}()
	if err = srv.Serve(ln); errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// profileOnSignal profiles the CPU into file from SIGUSR1 to SIGUSR2, so
// that the profile covers one measure only.
func profileOnSignal(file string) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	var f *os.File
	for s := range sig {
		switch {
		case s == syscall.SIGUSR1 && f == nil && file != "":
			var err error
			if f, err = os.Create(file); err == nil {
				pprof.StartCPUProfile(f)
			}
		case s == syscall.SIGUSR2 && f != nil:
			pprof.StopCPUProfile()
			f.Close()
			f = nil
			fmt.Println("profile written")
		}
	}
}
