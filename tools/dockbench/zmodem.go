//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"meter-sync/tools/linesim"
)

// needLrzsz fails with what to install when sz or rz is missing.
func needLrzsz() error {
	for _, prog := range []string{"sz", "rz"} {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("%s not found: the ZMODEM baseline needs lrzsz (apt-get install lrzsz), or leave zmodem out with --only", prog)
		}
	}
	return nil
}

// lrzszVersion is what `sz --version` says, e.g. "sz (lrzsz) 0.12.21rc".
func lrzszVersion() string {
	out, err := exec.Command("sz", "--version").CombinedOutput()
	if err != nil {
		return "lrzsz not found"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// rzGrace is how long rz may take to exit after sz has. rz waits 10 s,
// three times, for the "OO" that sz writes just before it exits, and a pty
// often loses those two bytes (tools/linesim's package comment says why);
// the file is complete by then.
const rzGrace = 2 * time.Second

// sendZMODEM sends data as a file with `sz --zmodem` on end A of a fresh
// line with opt to `rz` on end B, checks that rz received it equal, and
// returns the time from starting sz until it exited: sz exits after rz has
// closed the file and acknowledged the end of the session.
func sendZMODEM(dir string, opt linesim.Options, data []byte, timeout time.Duration) (time.Duration, error) {
	l, err := linesim.New(opt)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	src, dst := filepath.Join(dir, "zsend"), filepath.Join(dir, "zrecv")
	for _, d := range []string{src, dst} {
		if err := os.RemoveAll(d); err != nil {
			return 0, err
		}
		if err := os.MkdirAll(d, 0o750); err != nil {
			return 0, err
		}
	}
	const name = "route.csv"
	if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rz, err := onEnd(ctx, l.OpenB, dst, "rz", "--binary", "--overwrite")
	if err != nil {
		return 0, err
	}
	defer rz.kill()
	start := time.Now()
	sz, err := onEnd(ctx, l.OpenA, src, "sz", "--zmodem", "--binary", "--overwrite", name)
	if err != nil {
		return 0, err
	}
	szErr := <-sz.done
	took := time.Since(start)
	if szErr != nil {
		return took, fmt.Errorf("sz after %v: %v\n%s\nrz: %s", took.Round(time.Millisecond), szErr, sz.stderr, rz.stderr)
	}
	select {
	case <-rz.done:
	case <-time.After(rzGrace):
	}
	got, err := os.ReadFile(filepath.Join(dst, name))
	if err != nil {
		return took, fmt.Errorf("rz: %w", err)
	}
	if !bytes.Equal(got, data) {
		return took, fmt.Errorf("rz received %d bytes that differ from the %d sent", len(got), len(data))
	}
	return took, nil
}

// program is an lrzsz process with its stdin and stdout on one end.
type program struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error // receives Wait's result
}

// onEnd starts name in dir with its stdin and stdout the tty that open
// opens, as when lrzsz runs on a serial port.
func onEnd(ctx context.Context, open func() (*os.File, error), dir, name string, args ...string) (*program, error) {
	tty, err := open()
	if err != nil {
		return nil, err
	}
	defer tty.Close() // the child has its own copy
	p := &program{cmd: exec.CommandContext(ctx, name, args...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

// kill stops the program if it still runs and waits for it.
func (p *program) kill() {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}
