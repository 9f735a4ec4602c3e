package serialport

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// ReadTimeout is how long a Port's Read waits for a byte before it returns
// 0, nil, so that a reader goroutine looks at its context or stop signal at
// least this often.
const ReadTimeout = 100 * time.Millisecond

// ErrClosed is returned by Read and Write on a Port that has been closed,
// including a Read that was waiting when Close was called.
var ErrClosed = errors.New("serialport: port closed")

// ErrDisconnected is returned by Read and Write when the device went away
// under an open Port: the cable was pulled or the handheld undocked. A
// transfer in progress can be resumed after the next dock.
var ErrDisconnected = errors.New("serialport: device disconnected")

// Port is an open serial line. Read returns 0, nil when nothing arrived
// within ReadTimeout; Close unblocks a pending Read, which then returns
// ErrClosed. Write blocks until the bytes are in the driver's buffer, and a
// Write must not run concurrently with Close.
type Port interface {
	io.ReadWriteCloser
	// Path returns the device path the port was opened at.
	Path() string
}

// port is a Port over go.bug.st/serial.
type port struct {
	p      serial.Port
	path   string
	closed atomic.Bool
}

// Open opens the serial device at path with mode m. The line is raw (no echo,
// no line editing, no flow control) and the modem lines are left as the
// driver sets them, so that pseudo-terminals, which have none, open too.
func Open(path string, m Mode) (Port, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	p, err := serial.Open(path, toSerial(m))
	if err != nil {
		return nil, openError(path, err)
	}
	if err := p.SetReadTimeout(ReadTimeout); err != nil {
		p.Close()
		return nil, fmt.Errorf("serialport: %s: setting the read timeout: %w", path, err)
	}
	return &port{p: p, path: path}, nil
}

// toSerial converts a validated Mode to go.bug.st/serial's. InitialStatusBits
// stays nil: setting DTR/RTS is an ioctl a pty refuses.
func toSerial(m Mode) *serial.Mode {
	parity := map[string]serial.Parity{ParityNone: serial.NoParity, ParityOdd: serial.OddParity, ParityEven: serial.EvenParity}[m.Parity]
	stop := serial.OneStopBit
	if m.StopBits == 2 {
		stop = serial.TwoStopBits
	}
	return &serial.Mode{BaudRate: m.Baud, DataBits: m.DataBits, Parity: parity, StopBits: stop}
}

// openError names the path and, where the cause is common, what to do.
func openError(path string, err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PermissionDenied:
			return fmt.Errorf("serialport: open %s: permission denied (%s)", path, permissionHint(path))
		case serial.PortBusy:
			return fmt.Errorf("serialport: open %s: busy: another program has it open", path)
		case serial.InvalidSerialPort:
			return fmt.Errorf("serialport: open %s: not a serial port: %v", path, err)
		}
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("serialport: open %s: no such device (is the handheld docked and its cable plugged in?)", path)
	}
	return fmt.Errorf("serialport: open %s: %w", path, err)
}

// permissionHint names the group that owns the device file, which the user
// must join (usually dialout).
func permissionHint(path string) string {
	group := "dialout"
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			if g, err := user.LookupGroupId(strconv.Itoa(int(st.Gid))); err == nil {
				group = g.Name
			}
		}
	}
	return "add the user to group " + group + ", then log in again"
}

func (p *port) Path() string { return p.path }

// Read reads what has arrived, waiting at most ReadTimeout.
func (p *port) Read(b []byte) (int, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	n, err := p.p.Read(b)
	if err != nil {
		return n, p.ioError("read", err)
	}
	return n, nil
}

// Write writes b to the line.
func (p *port) Write(b []byte) (int, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	n, err := p.p.Write(b)
	if err != nil {
		return n, p.ioError("write", err)
	}
	return n, nil
}

// ioError tells our Close from the device going away from other failures.
func (p *port) ioError(op string, err error) error {
	var pe *serial.PortError
	switch {
	case p.closed.Load():
		return ErrClosed
	case errors.As(err, &pe) && pe.Code() == serial.PortClosed,
		errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		// The driver reports a vanished USB device as end of file or EIO; a
		// pty reports its other end closing as EIO.
		return fmt.Errorf("%w: %s %s: %v", ErrDisconnected, op, p.path, err)
	}
	return fmt.Errorf("serialport: %s %s: %w", op, p.path, err)
}

// Close closes the port and makes a pending Read return ErrClosed. Closing
// twice is not an error.
func (p *port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	if err := p.p.Close(); err != nil {
		return fmt.Errorf("serialport: close %s: %w", p.path, err)
	}
	return nil
}
