//go:build unix

package linesim

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// chunkTime is about how long one delivery to the far pty spans on a paced
// line. Bytes move in chunks this long rather than one at a time, so a
// transfer costs hundreds of wake-ups a second, not thousands; the schedule
// stays exact because chunks are timed from the line's own clock.
const chunkTime = 2 * time.Millisecond

// direction carries bytes one way: receive fills the queue from the sending
// pty's master, transmit empties it across the line into the receiving pty's
// master.
type direction struct {
	src   syscall.RawConn // the sending pty's master
	dst   syscall.RawConn // the receiving pty's master
	queue *queue
	line  schedule
	chunk int // most bytes per delivery
	flips *flipper
	cable *cable
	done  <-chan struct{}
	stats counters
}

// newDirection makes the direction from src to dst, both non-blocking pty
// masters; stream picks its error pattern's random stream.
func newDirection(opt Options, stream uint64, src, dst *os.File, c *cable, done <-chan struct{}) (*direction, error) {
	d := &direction{
		queue: newQueue(opt.Buffer),
		line:  schedule{baud: opt.Baud},
		chunk: opt.Buffer,
		flips: newFlipper(opt.BitErrorRate, opt.Seed, stream),
		cable: c,
		done:  done,
	}
	var err error
	if d.src, err = src.SyscallConn(); err != nil {
		return nil, fmt.Errorf("linesim: %w", err)
	}
	if d.dst, err = dst.SyscallConn(); err != nil {
		return nil, fmt.Errorf("linesim: %w", err)
	}
	if opt.Baud > 0 {
		d.chunk = max(1, int(chunkTime*time.Duration(opt.Baud)/(bitsPerByte*time.Second)))
	}
	return d, nil
}

// receive reads what the sending program wrote into the queue, only as
// far as the queue has room: when it is full the pty fills and the writer
// blocks, as it would on a UART's transmit ring.
//
// The line must not stand idle while bytes wait in the sending pty, nor send
// bytes before the program wrote them, but the pty does not say when each
// byte came. What the kernel does say is whether any were there when this
// goroutine looked: if it had to wait for them, they are ready when the read
// returns; if they were there already and the queue was full until now, they
// waited for the line, and go as soon as it is free; otherwise they are
// ready when it looked. Going by the kernel rather than by how long this
// goroutine took keeps the line at its rate on a loaded machine. The cost:
// bytes a program writes just after a full queue has drained, while this
// goroutine is yet to run, may cross early by at most the time it was away.
func (d *direction) receive() {
	for {
		room, full, ok := d.queue.space()
		if !ok {
			return
		}
		looked := time.Now()
		n, waited, err := read(d.src, room)
		ready := looked
		switch {
		case waited:
			ready = time.Now()
		case full:
			ready = time.Time{}
		}
		d.queue.commit(n, ready)
		if err != nil {
			return // the Line is closing
		}
	}
}

// transmit sends queued bytes across the line, chunk by chunk, each at the
// time its last byte would have arrived.
func (d *direction) transmit() {
	for {
		b, ready, ok := d.queue.peek(d.chunk)
		if !ok {
			return
		}
		start, end := d.line.slot(ready, time.Now(), len(b))
		if !d.waitUntil(end) {
			return
		}
		if err := d.deliver(b, start); err != nil {
			return
		}
		d.queue.consume(len(b))
	}
}

// waitUntil paces the line: it waits until t, or returns false if the Line
// closes first.
func (d *direction) waitUntil(t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-d.done:
		return false
	}
}

// deliver writes chunk b, which started across the line at start, to the far
// end, but for the bytes that finished crossing while the cable was out.
// It flips bits in the delivered bytes.
func (d *direction) deliver(b []byte, start time.Time) error {
	from, to := d.cable.outage()
	i, j := d.line.lost(len(b), start, from, to)
	d.stats.dropped.Add(int64(j - i))
	for _, part := range [][]byte{b[:i], b[j:]} {
		if len(part) == 0 {
			continue
		}
		d.stats.flipped.Add(int64(d.flips.apply(part)))
		// Counted first: the far end may read the bytes before the write returns.
		d.stats.carried.Add(int64(len(part)))
		waited, err := write(d.dst, part)
		if waited {
			// The far program is not reading and its pty is full: the line
			// stood still meanwhile, like a UART held by flow control, rather
			// than catching up with a burst afterwards.
			d.line.hold(time.Now())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// read reads what is in a non-blocking file, at most len(b) bytes, waiting
// for some if there are none, and reports whether it had to wait.
func read(c syscall.RawConn, b []byte) (n int, waited bool, err error) {
	var rerr error
	err = c.Read(func(fd uintptr) bool {
		for {
			m, e := syscall.Read(int(fd), b)
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				waited = true
				return false
			case e != nil:
				rerr = e
			case m == 0:
				rerr = io.EOF
			default:
				n = m
			}
			return true
		}
	})
	return n, waited, cmp.Or(err, rerr)
}

// write writes all of b to a non-blocking file, waiting for room as often as
// it must, and reports whether it had to wait.
func write(c syscall.RawConn, b []byte) (waited bool, err error) {
	var werr error
	err = c.Write(func(fd uintptr) bool {
		for len(b) > 0 {
			n, e := syscall.Write(int(fd), b)
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN, e == nil && n == 0:
				waited = true
				return false
			case e != nil:
				werr = e
				return true
			}
			b = b[n:]
		}
		return true
	})
	return waited, cmp.Or(err, werr)
}
