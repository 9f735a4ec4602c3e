package ymodem

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// needLrzsz fails, not skips, without lrzsz: CI installs it and these tests
// must run there.
func needLrzsz(t testing.TB) {
	t.Helper()
	for _, prog := range []string{"sb", "rb"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s not found: apt-get install lrzsz", prog)
		}
	}
}

// openPTY opens a pty pair with the terminal side raw. The master is made
// pollable, so that read deadlines work on it (creack/pty hands it over in
// blocking mode); the terminal side is left blocking, for a child program.
func openPTY(t testing.TB) (master, tty *os.File) {
	t.Helper()
	m, tty := openRawPTY(t)
	return pollable(t, m), tty
}

func openRawPTY(t testing.TB) (master, tty *os.File) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); tty.Close() })
	return master, tty
}

// pollable returns a non-blocking duplicate of f that takes deadlines. The
// two share their file status, so f must not go to a child: lrzsz expects
// blocking reads.
func pollable(t testing.TB, f *os.File) *os.File {
	t.Helper()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	p := os.NewFile(uintptr(fd), f.Name())
	if err := p.SetReadDeadline(time.Time{}); err != nil {
		t.Fatalf("%s takes no deadlines: %v", f.Name(), err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// lockedBuffer collects a peer's messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// peer is an lrzsz program on the terminal side of a pty; we are on the
// master.
type peer struct {
	cmd    *exec.Cmd
	tty    *os.File // the master: our end
	stderr *lockedBuffer
	exited chan struct{} // closed when the program has exited, with err set
	err    error
}

func startPeer(t testing.TB, dir string, prog string, args ...string) *peer {
	t.Helper()
	needLrzsz(t)
	master, tty := openPTY(t)
	return startOn(t, master, tty, dir, prog, args...)
}

// startOn runs prog with stdio on tty; our end is master.
func startOn(t testing.TB, master, tty *os.File, dir, prog string, args ...string) *peer {
	t.Helper()
	p := &peer{tty: master, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(prog, args...)
	p.cmd.Dir = dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds it: when it exits, reads on the master fail
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
		}
	})
	return p
}

// wait waits for the peer to exit and fails the test unless it succeeded.
// It reads what the peer still writes: lrzsz drains its output before it
// exits, and would wait seconds for a reader.
func (p *peer) wait(t testing.TB) {
	t.Helper()
	go func() { _, _ = io.Copy(io.Discard, p.tty) }()
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("%s: %v\n%s", p.cmd.Path, p.err, p.stderr)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("%s did not exit\n%s", p.cmd.Path, p.stderr)
	}
}

// corrupter flips one byte of what passes through a line, at an offset of
// each direction (-1: none), and keeps its read deadlines working.
type corrupter struct {
	*os.File
	mu              sync.Mutex
	readAt, writeAt int64
	nr, nw          int64
	flippedR        bool
	flippedW        bool
}

func (c *corrupter) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.readAt - c.nr; i >= 0 && i < int64(n) {
		p[i] ^= 0x10
		c.flippedR = true
	}
	c.nr += int64(n)
	return n, err
}

func (c *corrupter) Write(p []byte) (int, error) {
	c.mu.Lock()
	if i := c.writeAt - c.nw; i >= 0 && i < int64(len(p)) {
		p = bytes.Clone(p)
		p[i] ^= 0x10
		c.flippedW = true
	}
	c.nw += int64(len(p))
	c.mu.Unlock()
	return c.File.Write(p)
}

func (c *corrupter) flipped() (read, write bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flippedR, c.flippedW
}

func (p *peer) String() string {
	return fmt.Sprintf("%s %s", p.cmd.Path, strings.Join(p.cmd.Args[1:], " "))
}
