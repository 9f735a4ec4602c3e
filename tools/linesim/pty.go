//go:build unix

package linesim

import (
	"fmt"
	"os"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// end is one pseudo-terminal: the master the simulator reads and writes, and
// the slave end programs open by name. The simulator keeps its own slave file
// open so that the end keeps its raw mode between programs and the master
// never reads EIO while no program has the end open.
type end struct {
	name   string
	master *os.File
	slave  *os.File
}

// openPty opens a pty pair with its slave end in raw mode and its master in
// non-blocking mode, so that closing the master wakes a blocked Read or Write.
func openPty() (*end, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("linesim: opening pty: %w", err)
	}
	if _, err := term.MakeRaw(int(s.Fd())); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("linesim: raw mode on %s: %w", s.Name(), err)
	}
	// pty.Open called m.Fd(), which puts the file in blocking mode for good:
	// a Read blocked on it would outlive Close. A non-blocking duplicate goes
	// through the runtime poller instead.
	pm, err := pollable(m)
	m.Close()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("linesim: pty master: %w", err)
	}
	return &end{name: s.Name(), master: pm, slave: s}, nil
}

// pollable returns a non-blocking duplicate of f, closed on exec.
func pollable(f *os.File) (*os.File, error) {
	syscall.ForkLock.RLock() // no exec between the dup and close-on-exec
	fd, err := syscall.Dup(int(f.Fd()))
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

func (p *end) closeMaster() error { return p.master.Close() }
func (p *end) closeSlave() error  { return p.slave.Close() }

// close closes both ends, for New's error path.
func (p *end) close() {
	p.master.Close()
	p.slave.Close()
}
