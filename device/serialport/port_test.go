package serialport

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// openPair makes a pty pair: the test talks on the master, the code under
// test opens the terminal side by its path as it would a /dev/ttyUSBn.
func openPair(t *testing.T) (master *os.File, tty *os.File) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); tty.Close() })
	return master, tty
}

func openPort(t *testing.T, path string, m Mode) Port {
	t.Helper()
	p, err := Open(path, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readN reads from r until n bytes came or the test's patience ends; a Port
// returns 0, nil between bytes.
func readN(t *testing.T, r interface{ Read([]byte) (int, error) }, n int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 512)
	for end := time.Now().Add(10 * time.Second); len(got) < n; {
		if time.Now().After(end) {
			t.Fatalf("read %d of %d bytes: % x", len(got), n, got)
		}
		k, err := r.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
	}
	return got
}

// allBytes is every byte value: a raw line passes CR, LF, ^C, XON/XOFF and
// NUL through untouched in both directions.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestOpenPTYIsRawBothWays(t *testing.T) {
	master, tty := openPair(t)
	p := openPort(t, tty.Name(), DefaultMode())
	if p.Path() != tty.Name() {
		t.Errorf("Path() = %q, want %q", p.Path(), tty.Name())
	}
	want := allBytes()
	if _, err := master.Write(want); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, p, len(want)); !bytes.Equal(got, want) {
		t.Errorf("master → port changed the bytes:\n got % x\nwant % x", got, want)
	}
	if _, err := p.Write(want); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, master, len(want)); !bytes.Equal(got, want) {
		t.Errorf("port → master changed the bytes:\n got % x\nwant % x", got, want)
	}
}

// TestOpenSetsTheMode reads back the terminal settings Open made. Linux's
// pty driver forces CS8 and clears PARENB whatever is asked (a pty has no
// framing), so what it keeps is checked: the speed, the stop bits and
// PARODD, which says odd parity was asked for.
func TestOpenSetsTheMode(t *testing.T) {
	tests := []struct {
		name   string
		mode   string
		speed  uint32
		parodd bool
		cstopb bool
	}{
		{"115200 8N1", "115200,8N1", unix.B115200, false, false},
		{"9600 7E2", "9600,7E2", unix.B9600, false, true},
		{"19200 8O1", "19200,8O1", unix.B19200, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, tty := openPair(t)
			m, err := ParseMode(tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			openPort(t, tty.Name(), m)
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if got := tio.Cflag & unix.CBAUD; got != tt.speed {
				t.Errorf("speed bits = %#o, want %#o", got, tt.speed)
			}
			if got := tio.Cflag&unix.PARODD != 0; got != tt.parodd {
				t.Errorf("PARODD = %v, want %v", got, tt.parodd)
			}
			if got := tio.Cflag&unix.CSTOPB != 0; got != tt.cstopb {
				t.Errorf("CSTOPB = %v, want %v", got, tt.cstopb)
			}
			if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
				t.Errorf("line not raw: lflag %#o", tio.Lflag)
			}
		})
	}
}

func TestReadReturnsWhenIdle(t *testing.T) {
	_, tty := openPair(t)
	p := openPort(t, tty.Name(), DefaultMode())
	start := time.Now()
	n, err := p.Read(make([]byte, 16))
	if n != 0 || err != nil {
		t.Fatalf("idle Read = %d, %v; want 0, nil", n, err)
	}
	if d := time.Since(start); d < ReadTimeout/2 || d > 20*ReadTimeout {
		t.Errorf("idle Read returned after %v, want about %v", d, ReadTimeout)
	}
}

func TestCloseStopsAReader(t *testing.T) {
	_, tty := openPair(t)
	p := openPort(t, tty.Name(), DefaultMode())
	started, done := make(chan struct{}), make(chan error, 1)
	go func() {
		buf := make([]byte, 16)
		close(started)
		for {
			if _, err := p.Read(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	<-started
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Read after Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the reader")
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestOtherEndGoneIsDisconnected(t *testing.T) {
	master, tty := openPair(t)
	p := openPort(t, tty.Name(), DefaultMode())
	master.Close()
	buf := make([]byte, 16)
	for end := time.Now().Add(10 * time.Second); ; {
		_, err := p.Read(buf)
		if err != nil {
			if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), tty.Name()) {
				t.Fatalf("Read with the other end gone = %v, want ErrDisconnected naming %s", err, tty.Name())
			}
			return
		}
		if time.Now().After(end) {
			t.Fatal("Read never noticed the other end had gone")
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, path, mode string
		want             []string
	}{
		{"missing device", "/dev/ttyUSB-none", "115200,8N1", []string{"serialport: open /dev/ttyUSB-none: no such device"}},
		{"not a terminal", "/dev/null", "115200,8N1", []string{"serialport: open /dev/null: not a serial port"}},
		{"bad mode", "/dev/null", "115200,9N1", []string{"serialport: ", "data bits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMode(tt.mode)
			if err != nil {
				m = Mode{Baud: 115200, DataBits: 9, Parity: ParityNone, StopBits: 1}
			}
			p, err := Open(tt.path, m)
			if err == nil {
				p.Close()
				t.Fatalf("Open(%s) succeeded", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
