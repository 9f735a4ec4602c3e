//go:build unix

// Package linesim is a virtual serial cable for tests, benchmarks and trials
// by hand: two pseudo-terminals joined through a simulated 8N1 line with a
// baud rate, a small buffer each way, bit errors, and a cable that can be
// pulled out for a while.
//
// Each end is a real tty (a pty slave, put in raw mode) that a program opens
// by path exactly as it would open /dev/ttyUSB0; lrzsz, socat or the server's
// own serial code can sit on either end. The simulator reads what one end's
// program writes from that pty's master, holds at most Options.Buffer bytes
// of it, and delivers it to the other pty's master at the line rate, each
// direction on its own:
//
//	program ⇄ A (pty slave) ⇄ master ⇄ [Buffer → 8N1 line] ⇄ master ⇄ B (pty slave) ⇄ program
//
// Command linesim (tools/linesim/cmd/linesim) runs a Line until killed.
//
// A pty is not a UART, and the differences show in tests:
//
//   - The kernel holds 11.5-22 KiB in each pty before a writer blocks (the
//     more, the smaller its writes), on top of Options.Buffer, where a UART
//     driver holds 4 KiB. A streaming sender at 115,200 baud thus has some
//     16-26 KiB, 1.4-2.3 s, in flight, which it pays for each error it resends
//     from. The simulator cannot take that away.
//   - tcdrain returns at once on a pty (there is no transmitter to wait for),
//     so a tcflush or TCIOFLUSH straight after it discards what the kernel has
//     not yet passed to the master. lrzsz's sz does this as it exits: its last
//     "OO" is often lost and rz then waits 3 × 10 s for it, the file already
//     complete. Code that writes, drains and flushes loses its last bytes so.
//   - An end opened with os.OpenFile (or OpenA, OpenB) is non-blocking under
//     Go's poller, so read and write deadlines work. Passing it to exec.Cmd as
//     Stdin or Stdout makes it blocking (File.Fd does that), for the child's
//     sake, and its deadlines stop working.
//   - A pty accepts any speed in tcsetattr and reports 38400 baud until told
//     otherwise; only Options.Baud paces the line.
//   - The ends honour their termios: an end with IXON set (sz sets it) stops
//     its output when an XOFF byte arrives, an error-made one included, until
//     an XON arrives.
package linesim

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultBuffer is the bytes a line holds per direction when Options.Buffer
// is 0: a UART's transmit ring and a tty's read buffer are each 4 KiB.
const DefaultBuffer = 4096

// bitsPerByte is an 8N1 frame: a start bit, eight data bits, a stop bit.
const bitsPerByte = 10

// Options configures a Line. The zero value is an unpaced, error-free line
// with the default buffer.
type Options struct {
	// Baud is the line's speed in bits per second, each byte taking 10 bits
	// (8N1), so 115200 carries 11,520 bytes/s each way. 0 means unpaced: bytes
	// move as fast as the ptys take them.
	Baud int
	// BitErrorRate is the probability that any one data bit is inverted on
	// its way across, independently per bit and per direction (start and stop
	// bits are not modelled). 0 is a perfect line.
	BitErrorRate float64
	// Buffer is the bytes the simulator holds per direction before it stops
	// reading from the sending pty, so that a writer that outruns the line
	// blocks. 0 means DefaultBuffer. Each pty adds its own kernel buffering
	// on top of this, which no setting removes: measured on Linux 6.18, 11.5
	// KiB for writes of 2 KiB and up, 16.5-22 KiB for smaller ones.
	Buffer int
	// Seed makes the error pattern: the same seed, options and bytes give
	// the same flipped bits. The two directions draw from different streams.
	Seed uint64
}

// withDefaults checks o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Baud < 0:
		return o, fmt.Errorf("linesim: negative baud rate %d", o.Baud)
	case math.IsNaN(o.BitErrorRate) || o.BitErrorRate < 0 || o.BitErrorRate > 1:
		return o, fmt.Errorf("linesim: bit error rate %g is not a probability", o.BitErrorRate)
	case o.Buffer < 0:
		return o, fmt.Errorf("linesim: negative buffer %d", o.Buffer)
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	return o, nil
}

// Line is a simulated serial cable between two ttys, A and B. Its methods are
// safe for concurrent use.
type Line struct {
	a, b   *end
	ab, ba *direction
	cable  *cable
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

// New opens two pty pairs, puts both slave ends in raw mode, and joins the
// master ends through a simulated line with options opt. A and B name the
// slave ends; open them as serial ports. Close releases everything.
func New(opt Options) (*Line, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	a, err := openPty()
	if err != nil {
		return nil, err
	}
	b, err := openPty()
	if err != nil {
		a.close()
		return nil, err
	}
	l := &Line{a: a, b: b, cable: &cable{}, done: make(chan struct{})}
	if l.ab, err = newDirection(opt, 1, a.master, b.master, l.cable, l.done); err == nil {
		l.ba, err = newDirection(opt, 2, b.master, a.master, l.cable, l.done)
	}
	if err != nil {
		a.close()
		b.close()
		return nil, err
	}
	for _, d := range []*direction{l.ab, l.ba} {
		l.wg.Add(2)
		go func() { defer l.wg.Done(); d.receive() }()
		go func() { defer l.wg.Done(); d.transmit() }()
	}
	return l, nil
}

// A returns end A's device path, such as /dev/pts/3.
func (l *Line) A() string { return l.a.name }

// B returns end B's device path.
func (l *Line) B() string { return l.b.name }

// OpenA opens end A for reading and writing, as a program would open a serial
// port (without making it the controlling terminal). The file supports
// deadlines.
func (l *Line) OpenA() (*os.File, error) { return openPort(l.a.name) }

// OpenB opens end B; see OpenA.
func (l *Line) OpenB() (*os.File, error) { return openPort(l.b.name) }

// openPort opens a tty by path for a program's use.
func openPort(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("linesim: %w", err)
	}
	return f, nil
}

// Pull takes the cable out for d, in both directions at once: every byte
// that finishes crossing the line meanwhile is lost, including bytes already
// buffered when the cable came out (a UART keeps transmitting into nothing),
// and writers go on being paced as before. Pulling again while pulled extends
// the outage to whichever ends later.
func (l *Line) Pull(d time.Duration) { l.cable.pull(time.Now(), d) }

// Stats reports what the line has done so far.
func (l *Line) Stats() Stats {
	return Stats{AB: l.ab.stats.snapshot(), BA: l.ba.stats.snapshot()}
}

// Close stops the line and closes both ptys; programs still holding an end
// see it hang up. Close is idempotent.
func (l *Line) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.ab.queue.close()
		l.ba.queue.close()
		// Closing the masters wakes the goroutines blocked on them.
		l.err = errors.Join(l.a.closeMaster(), l.b.closeMaster())
		l.wg.Wait()
		l.err = errors.Join(l.err, l.a.closeSlave(), l.b.closeSlave())
	})
	return l.err
}

// Stats counts what a Line did in each direction.
type Stats struct {
	AB Counts // from end A to end B
	BA Counts // from end B to end A
}

// Counts is one direction's share of Stats.
type Counts struct {
	Carried int64 // bytes delivered to the far end
	Flipped int64 // bits inverted in the delivered bytes
	Dropped int64 // bytes lost because the cable was pulled
}

// counters are a direction's Counts as it updates them.
type counters struct {
	carried, flipped, dropped atomic.Int64
}

func (c *counters) snapshot() Counts {
	return Counts{Carried: c.carried.Load(), Flipped: c.flipped.Load(), Dropped: c.dropped.Load()}
}

// cable records when the cable is out.
type cable struct {
	mu       sync.Mutex
	from, to time.Time // out during [from, to)
}

// pull takes the cable out from now for d.
func (c *cable) pull(now time.Time, d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	end := now.Add(d)
	if now.Before(c.to) { // still out: extend
		if end.After(c.to) {
			c.to = end
		}
		return
	}
	c.from, c.to = now, end
}

// outage returns the latest outage.
func (c *cable) outage() (from, to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.from, c.to
}
