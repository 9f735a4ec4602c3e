// Package link carries the handheld docking protocol of
// meter-sync/protocol/dock over a serial line, or anything else that reads
// and writes bytes: it runs the pure dock.Link with the clock and the line,
// and offers the session layer messages and whole files.
//
// A Conn reads the line in one goroutine and runs the link in another,
// which writes what the link outputs and keeps its timers. Every method
// takes a context and returns promptly, with ErrPeerGone once the line is
// dead, or with the context's error.
//
// Reading: rw may be an *os.File on a tty or pty (read deadlines interrupt
// a blocked Read), a net.Conn, or a serial port whose Read returns every
// ~100 ms with nothing; Close stops the reading goroutine at once in the
// first two cases and at the next return of Read in the last.
//
// Writing: a Write that blocks (a peer gone from a net.Pipe, a line held by
// flow control) is interrupted by Close if rw has SetWriteDeadline.
//
// Close leaves rw open with no deadlines set, so that a new Conn may take
// the same line.
package link

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"meter-sync/protocol/dock"
)

// ErrPeerGone is returned (possibly wrapped) once the line is dead: the
// link gave up resending, or reading or writing the line failed. It is
// dock.ErrPeerGone.
var ErrPeerGone = dock.ErrPeerGone

// ErrClosed is returned by calls on a Conn after Close.
var ErrClosed = errors.New("link: closed")

// Options are a Conn's collaborators; zero fields take the defaults.
type Options struct {
	// Logger gets a line per file transferred (INFO), per message skipped
	// (DEBUG) and when the line dies (WARN). Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// MaxFileSize bounds the files RecvFile takes, raw and encoded.
	// Default dock.DefaultMaxFileSize (64 MiB).
	MaxFileSize int64
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = dock.DefaultMaxFileSize
	}
	return o
}

// Stats counts what a Conn did, for the docking log.
type Stats struct {
	Link          dock.LinkStats
	XferSent      int64 // bytes of transfer streams sent (queued to the link)
	XferReceived  int64 // bytes of transfer streams received
	ResumedOffset int64 // the offset the last transfer resumed at, either way
}

// Conn is one docking connection over a line. Its methods are safe for
// concurrent use, but a session calls them one at a time: a message is
// received by one caller.
type Conn struct {
	rw  io.ReadWriter
	opt Options
	log *slog.Logger

	mu      sync.Mutex
	l       *dock.Link
	inbox   []dock.Message
	err     error         // set once: why the Conn stopped
	changed chan struct{} // closed and replaced when anything changes
	stats   Stats
	zstd    bool
	xfer    uint32

	kick      chan struct{} // wakes the runner
	quit      chan struct{}
	closeOnce sync.Once
	reader    chan struct{} // closed when the reading goroutine ends
	runner    chan struct{} // closed when the link goroutine ends
}

// Open starts a connection on rw with the link settings cfg.
func Open(rw io.ReadWriter, cfg dock.LinkConfig, opts Options) *Conn {
	opts = opts.withDefaults()
	c := &Conn{
		rw: rw, opt: opts, log: opts.Logger,
		l: dock.NewLink(cfg), changed: make(chan struct{}), zstd: true,
		kick: make(chan struct{}, 1), quit: make(chan struct{}),
		reader: make(chan struct{}), runner: make(chan struct{}),
	}
	go c.read()
	go c.run()
	return c
}

// Session returns cfg for a docking session, a connection of its own: its
// sequence numbers start at a random ISN and it learns the peer's from the
// peer's hello, so that frames an earlier connection left in the line are
// dropped rather than taken for this one's (docs/PROTOCOL.md §3.4).
func Session(cfg dock.LinkConfig) dock.LinkConfig {
	cfg.ISN, cfg.AwaitHello = rand.Uint32(), true
	return cfg
}

// changedLocked wakes everyone waiting for a change. c.mu is held.
func (c *Conn) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Conn) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// failLocked stops the Conn for err, unless it has stopped already.
func (c *Conn) failLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if !errors.Is(err, ErrClosed) {
		c.log.Warn("docking line lost", "err", err, "stats", c.l.Stats())
	}
	c.changedLocked()
}

// read feeds what the line brings to the link.
func (c *Conn) read() {
	defer close(c.reader)
	buf := make([]byte, 4096)
	for {
		n, err := c.rw.Read(buf)
		if n > 0 {
			c.input(buf[:n])
		}
		select {
		case <-c.quit:
			return
		default:
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			c.mu.Lock()
			c.failLocked(fmt.Errorf("link: reading the line: %w (%w)", err, ErrPeerGone))
			c.mu.Unlock()
			return
		}
	}
}

func (c *Conn) input(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.l.Input(b, c.opt.Now())
	c.inbox = append(c.inbox, c.l.Deliver()...)
	if err := c.l.Err(); err != nil {
		c.failLocked(fmt.Errorf("link: the peer stopped answering: %w", err))
		return
	}
	c.changedLocked()
	c.wake()
}

// run writes what the link outputs and ticks it at its deadline.
func (c *Conn) run() {
	defer close(c.runner)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		out, next, ok := c.step()
		if !ok {
			return
		}
		if len(out) > 0 {
			if _, err := c.rw.Write(out); err != nil {
				c.mu.Lock()
				c.failLocked(fmt.Errorf("link: writing the line: %w (%w)", err, ErrPeerGone))
				c.mu.Unlock()
				return
			}
			continue // more may be due by now
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(c.opt.Now()), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-c.kick:
		case <-timer.C:
		case <-c.quit:
			return
		}
	}
}

// step ticks the link and takes its output and next deadline.
func (c *Conn) step() (out []byte, next time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, time.Time{}, false
	}
	c.l.Tick(c.opt.Now())
	out = c.l.Output()
	if err := c.l.Err(); err != nil {
		c.failLocked(fmt.Errorf("link: the peer stopped answering: %w", err))
		return nil, time.Time{}, false
	}
	if len(out) > 0 {
		c.changedLocked() // frames left the queue: room for senders
	}
	return out, c.l.Deadline(), true
}

// Close stops the Conn's goroutines; rw stays open. Calls waiting on the
// Conn return ErrClosed.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		var last []byte // the last ACKs: the peer's final messages (BYE) acknowledged
		if c.err == nil {
			last = c.l.Output()
		}
		c.failLocked(ErrClosed)
		c.mu.Unlock()
		close(c.quit)
		if len(last) > 0 {
			select {
			case <-c.runner: // so that the two writes do not interleave
				_, _ = c.rw.Write(last)
			case <-time.After(time.Second):
			}
		}
		rd, canRead := c.rw.(interface{ SetReadDeadline(time.Time) error })
		wd, canWrite := c.rw.(interface{ SetWriteDeadline(time.Time) error })
		if canWrite && wd.SetWriteDeadline(time.Now()) == nil {
			<-c.runner
			_ = wd.SetWriteDeadline(time.Time{})
		}
		if canRead && rd.SetReadDeadline(time.Now()) == nil {
			<-c.reader
			_ = rd.SetReadDeadline(time.Time{})
		}
	})
	return nil
}

// Stats returns the counts so far.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Link = c.l.Stats()
	return s
}

// Err returns why the Conn stopped, or nil while it runs.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
