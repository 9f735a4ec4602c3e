package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// runScript runs a file of tablet commands, one a line, as a technician's
// day: "#" starts a comment; "wait DURATION" pauses. A failed sync is
// printed and the script goes on, as a technician would with no network;
// any other failure stops it.
//
//	sync
//	fill --all --photos 2
//	network off
//	wait 30s
//	sync            # fails: the receipts stay on the tablet
//	network on
//	sync --until-ok 5
//	status
func runScript(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return errors.New("script: give one FILE (- for standard input)")
	}
	var r io.Reader = os.Stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("script: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "> %s\n", strings.Join(words, " "))
		if err := scriptLine(ctx, e, words); err != nil {
			return fmt.Errorf("script line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func scriptLine(ctx context.Context, e *env, words []string) error {
	switch words[0] {
	case "wait":
		if len(words) != 2 {
			return errors.New("wait DURATION")
		}
		d, err := time.ParseDuration(words[1])
		if err != nil {
			return err
		}
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	case "script":
		return errors.New("a script cannot run a script")
	case "sync":
		if err := run(ctx, e, words); err != nil {
			fmt.Fprintln(e.stdout, "  同步失败:", err)
		}
		return nil
	}
	return run(ctx, e, words)
}
