// Package serialport opens the serial lines handhelds dock on, lists the
// serial ports of the machine with their USB identities, and watches for a
// handheld being docked (a new /dev/ttyUSBn or /dev/ttyACMn appearing).
//
// It knows nothing of what is said on the line; the docking session and the
// handheld emulator read and write the Port it opens.
package serialport

import (
	"fmt"
	"strconv"
	"strings"
)

// Parity names accepted in Mode.Parity.
const (
	ParityNone = "none"
	ParityOdd  = "odd"
	ParityEven = "even"
)

// Mode is a serial line's framing: baud rate, data bits, parity and stop
// bits.
type Mode struct {
	Baud     int    // bits per second, e.g. 115200
	DataBits int    // 5, 6, 7 or 8
	Parity   string // ParityNone, ParityOdd or ParityEven
	StopBits int    // 1 or 2
}

// DefaultMode is 115200 8N1, what the handhelds use out of the box.
func DefaultMode() Mode {
	return Mode{Baud: 115200, DataBits: 8, Parity: ParityNone, StopBits: 1}
}

// String writes m as ParseMode reads it: "115200,8N1".
func (m Mode) String() string {
	p := "?"
	if m.Parity != "" {
		p = strings.ToUpper(m.Parity[:1])
	}
	return fmt.Sprintf("%d,%d%s%d", m.Baud, m.DataBits, p, m.StopBits)
}

// Validate reports the first field of m that a serial line cannot take.
func (m Mode) Validate() error {
	switch {
	case m.Baud <= 0:
		return fmt.Errorf("serialport: baud rate %d: must be positive", m.Baud)
	case m.DataBits < 5 || m.DataBits > 8:
		return fmt.Errorf("serialport: %d data bits: want 5, 6, 7 or 8", m.DataBits)
	case m.Parity != ParityNone && m.Parity != ParityOdd && m.Parity != ParityEven:
		return fmt.Errorf("serialport: parity %q: want none, odd or even", m.Parity)
	case m.StopBits != 1 && m.StopBits != 2:
		return fmt.Errorf("serialport: %d stop bits: want 1 or 2", m.StopBits)
	}
	return nil
}

// ParseMode reads a mode written as "BAUD,FRAME", e.g. "115200,8N1" or
// "9600,7E2" (N, O or E for the parity, in either case). A bare "BAUD"
// means that baud rate with 8N1.
func ParseMode(s string) (Mode, error) {
	m := DefaultMode()
	baud, frame, hasFrame := strings.Cut(strings.TrimSpace(s), ",")
	n, err := strconv.Atoi(strings.TrimSpace(baud))
	if err != nil || n <= 0 {
		return Mode{}, fmt.Errorf("serialport: mode %q: baud rate %q is not a positive number (want e.g. 115200,8N1)", s, baud)
	}
	m.Baud = n
	if hasFrame {
		if m, err = parseFrame(m, strings.TrimSpace(frame)); err != nil {
			return Mode{}, fmt.Errorf("serialport: mode %q: %w", s, err)
		}
	}
	if err := m.Validate(); err != nil {
		return Mode{}, fmt.Errorf("%w (mode %q)", err, s)
	}
	return m, nil
}

// parseFrame reads "8N1" into m's data bits, parity and stop bits.
func parseFrame(m Mode, f string) (Mode, error) {
	if len(f) != 3 {
		return m, fmt.Errorf("frame %q: want data bits, parity and stop bits, e.g. 8N1", f)
	}
	if f[0] < '5' || f[0] > '8' {
		return m, fmt.Errorf("frame %q: data bits %q: want 5, 6, 7 or 8", f, f[0])
	}
	m.DataBits = int(f[0] - '0')
	switch f[1] {
	case 'N', 'n':
		m.Parity = ParityNone
	case 'O', 'o':
		m.Parity = ParityOdd
	case 'E', 'e':
		m.Parity = ParityEven
	default:
		return m, fmt.Errorf("frame %q: parity %q: want N, O or E", f, f[1])
	}
	if f[2] != '1' && f[2] != '2' {
		return m, fmt.Errorf("frame %q: stop bits %q: want 1 or 2", f, f[2])
	}
	m.StopBits = int(f[2] - '0')
	return m, nil
}
