package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"meter-sync/device/handheld"
	"meter-sync/device/link"
	"meter-sync/device/serialport"
	"meter-sync/internal/cli"
	"meter-sync/protocol/dock"
)

// runDock sits on a serial port, as a handheld in its cradle does, and
// answers each docking session the server starts: its clock is set, its
// readings go up and are deleted once stored, its route and re-reads come
// down. With --once it exits after one session; else it waits for the next.
func runDock(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dock", "--port DEV [--line 115200,8N1] [--once] [--verbose]")
	port := fs.String("port", "", "the serial `DEV` the handheld's cable is on")
	line := fs.String("line", "115200,8N1", "the line's `MODE`")
	once := fs.Bool("once", false, "exit after one docking session")
	baud := fs.Int("link-baud", 0, "the line's real speed in `BAUD` when the port does not pace (a pty behind a line simulator), for the link's timers")
	verbose := fs.Bool("verbose", false, "log each message to stderr")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *port == "" {
		return errors.New("dock: --port is required")
	}
	mode, err := serialport.ParseMode(*line)
	if err != nil {
		return fmt.Errorf("dock: %w", err)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := dock.LinkConfig{Baud: mode.Baud}
	if *baud > 0 {
		cfg.Baud = *baud
	}
	p, err := serialport.Open(*port, mode)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(e.stdout, "docked on %s, waiting for the server\n", *port)
	for {
		err := e.serveNext(ctx, p, cfg, logger)
		if *once || ctx.Err() != nil || errors.Is(err, serialport.ErrDisconnected) || errors.Is(err, handheld.ErrRefused) {
			return err
		}
	}
}

// serveNext waits for the server to speak, then opens the handheld's store
// for the session only: between sessions the reader may walk and look at
// the screens while the handheld sits in its cradle.
func (e *env) serveNext(ctx context.Context, p serialport.Port, cfg dock.LinkConfig, logger *slog.Logger) error {
	first, err := awaitServer(ctx, p)
	if err != nil {
		return err
	}
	line := struct {
		io.Reader
		io.Writer
	}{io.MultiReader(bytes.NewReader(first), p), p}
	return e.withStore(func(st *handheld.Store) error {
		return serveOnce(ctx, e, line, cfg, st, logger)
	})
}

// awaitServer reads until the first bytes arrive.
func awaitServer(ctx context.Context, p serialport.Port) ([]byte, error) {
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		n, err := p.Read(buf) // returns every 100 ms with nothing
		if n > 0 {
			return buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, ctx.Err()
}

// serveOnce answers one docking session and prints what it did.
func serveOnce(ctx context.Context, e *env, p io.ReadWriter, cfg dock.LinkConfig, st *handheld.Store, logger *slog.Logger) error {
	conn := link.Open(p, link.Session(cfg), link.Options{Logger: logger})
	defer conn.Close()
	start := time.Now()
	ses, err := handheld.Serve(ctx, conn, st, handheld.ServeOptions{Firmware: "emulator-1", Logger: logger})
	fmt.Fprintf(e.stdout, "session: authenticated %v, clock set %v, route %d, re-reads %d, readings sent %d, cleared %d (%v)\n",
		ses.Authenticated, ses.ClockSet, ses.RouteLoaded, ses.RereadsAdded, ses.ReadingsSent, ses.Cleared, time.Since(start).Round(time.Millisecond))
	if err != nil {
		fmt.Fprintf(e.stderr, "handheld: session ended: %v\n", err)
	}
	return err
}
