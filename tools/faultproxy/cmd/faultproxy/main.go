// Command faultproxy puts a bad network between tablets and meter-sync:
//
//	go run ./tools/faultproxy/cmd/faultproxy --target http://127.0.0.1:8080 --listen 127.0.0.1:8081 \
//	    --seed 7 --drop 0.05 --drop-response 0.05 --cut-request 0.05 --cut-response 0.05 --duplicate 0.05 \
//	    --delay-rate 0.2 --delay 300ms
//
// Point tablets at the --listen address. It prints the address, then one
// line of counts when it is stopped (Ctrl-C).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"meter-sync/tools/faultproxy"
)

func main() {
	if err := run(); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	target := flag.String("target", "", "the server's `URL`, e.g. http://127.0.0.1:8080 (required)")
	listen := flag.String("listen", "127.0.0.1:0", "`ADDR` to listen on")
	var o faultproxy.Options
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the random faults")
	flag.Float64Var(&o.Drop, "drop", 0, "rate of requests dropped before the server")
	flag.Float64Var(&o.CutRequest, "cut-request", 0, "rate of requests whose body is cut part-way")
	flag.Float64Var(&o.DropResponse, "drop-response", 0, "rate of answers lost after the server acted")
	flag.Float64Var(&o.CutResponse, "cut-response", 0, "rate of answers cut part-way")
	flag.Float64Var(&o.Duplicate, "duplicate", 0, "rate of requests sent to the server twice")
	flag.Float64Var(&o.DelayRate, "delay-rate", 0, "rate of requests delayed")
	flag.DurationVar(&o.Delay, "delay", 0, "longest delay")
	verbose := flag.Bool("v", false, "log every fault")
	flag.Parse()
	if *target == "" {
		return errors.New("--target is required")
	}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := faultproxy.New(*target, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("faultproxy http://%s/ → %s\n", ln.Addr(), *target)
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s := p.Stats()
	fmt.Printf("requests %d, forwarded %d, delayed %d, faults %v\n", s.Requests, s.Forwarded, s.Delayed, s.Faults)
	return nil
}
