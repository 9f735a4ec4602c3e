// Package ptytest gives tests of the serial path real pseudo-terminal
// pairs, and real peer programs (lrzsz's sb and rb, the handheld emulator)
// running on the terminal side of one, as a handheld sits on the far end of
// a cable; and crash tests a way to SIGKILL a real process at a point it
// reports.
package ptytest

import (
	"bufio"
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

// NeedPrograms fails, not skips, when a peer program is missing: CI
// installs them (.ci/run) and the tests that use them must run there.
func NeedPrograms(t testing.TB, progs ...string) {
	t.Helper()
	for _, prog := range progs {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s not found: apt-get install lrzsz socat", prog)
		}
	}
}

// Open opens a pty pair with the terminal side raw. The master is made
// pollable, so that read deadlines work on it (creack/pty hands it over in
// blocking mode); the terminal side is left blocking, for a child program.
func Open(t testing.TB) (master, tty *os.File) {
	t.Helper()
	m, tty := OpenRaw(t)
	return Pollable(t, m), tty
}

// OpenRaw opens a pty pair with the terminal side raw, both blocking.
func OpenRaw(t testing.TB) (master, tty *os.File) {
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

// Pollable returns a non-blocking duplicate of f that takes deadlines. The
// two share their file status, so f must not go to a child: lrzsz expects
// blocking reads.
func Pollable(t testing.TB, f *os.File) *os.File {
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

// Buffer is a bytes.Buffer safe for a child's stderr and a test at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Peer is a program on the terminal side of a pty, the test on the master;
// or a program that opens its serial port itself (StartProcess).
type Peer struct {
	Cmd    *exec.Cmd
	TTY    *os.File // the master: the test's end; nil for StartProcess
	Stdout *Buffer  // for StartProcess
	Stderr *Buffer
	exited chan struct{} // closed when the program has exited, with err set
	err    error
}

// Start runs prog in dir on a new pty pair.
func Start(t testing.TB, dir string, prog string, args ...string) *Peer {
	t.Helper()
	master, tty := Open(t)
	return StartOn(t, master, tty, dir, prog, args...)
}

// StartOn runs prog with stdio on tty; the test's end is master.
func StartOn(t testing.TB, master, tty *os.File, dir, prog string, args ...string) *Peer {
	t.Helper()
	p := &Peer{TTY: master, Stderr: &Buffer{}, exited: make(chan struct{})}
	p.Cmd = exec.Command(prog, args...)
	p.Cmd.Dir = dir
	p.Cmd.Stdin, p.Cmd.Stdout, p.Cmd.Stderr = tty, tty, p.Stderr
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds it: when it exits, reads on the master fail
	p.watch(t)
	return p
}

// StartProcess runs prog with args, its output in Stdout and Stderr: a
// program that opens its serial port by path, as the handheld emulator
// does. It is killed at the end of the test if still running.
func StartProcess(t testing.TB, prog string, args ...string) *Peer {
	t.Helper()
	p := &Peer{Stdout: &Buffer{}, Stderr: &Buffer{}, exited: make(chan struct{})}
	p.Cmd = exec.Command(prog, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Stdout, p.Stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.watch(t)
	return p
}

// watch waits for the program in the background, and kills it at the end
// of the test.
func (p *Peer) watch(t testing.TB) {
	go func() {
		p.err = p.Cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
		}
	})
}

// Exited is closed when the program has exited.
func (p *Peer) Exited() <-chan struct{} { return p.exited }

// Err is how the program exited, once Exited is closed.
func (p *Peer) Err() error { return p.err }

// Wait waits for the peer to exit and fails the test unless it succeeded.
// It reads what the peer still writes: lrzsz drains its output before it
// exits, and would wait seconds for a reader.
func (p *Peer) Wait(t testing.TB) {
	t.Helper()
	go func() { _, _ = io.Copy(io.Discard, p.TTY) }()
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("%s: %v\n%s", p.Cmd.Path, p.err, p.Stderr)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("%s did not exit\n%s", p.Cmd.Path, p.Stderr)
	}
}

func (p *Peer) String() string {
	return fmt.Sprintf("%s %s", p.Cmd.Path, strings.Join(p.Cmd.Args[1:], " "))
}

// KillWhen starts cmd and SIGKILLs it at the first line of its standard
// error that match accepts, as a crash at that point would; it reports
// whether the kill landed (false when the program ended first).
func KillWhen(t testing.TB, cmd *exec.Cmd, match func(line string) bool) bool {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if match(sc.Text()) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	return ok && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}
