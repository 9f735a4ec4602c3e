package ymodem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// errDeadline is the protocol's own deadline passing, not an error.
var errDeadline = errors.New("deadline")

type chunk struct {
	b   []byte
	err error
}

// line reads r in a goroutine and hands over what it reads.
type line struct {
	r     io.Reader
	ch    chan chunk
	quit  chan struct{}
	ended chan struct{}
}

func startLine(r io.Reader) *line {
	l := &line{r: r, ch: make(chan chunk), quit: make(chan struct{}), ended: make(chan struct{})}
	go l.run()
	return l
}

func (l *line) run() {
	defer close(l.ended)
	for {
		buf := make([]byte, 4096)
		n, err := l.r.Read(buf)
		if n > 0 && !l.hand(chunk{b: buf[:n]}) {
			return
		}
		if err != nil {
			l.hand(chunk{err: err})
			return
		}
		select {
		case <-l.quit:
			return
		default:
		}
	}
}

// hand passes c on, unless the line is being stopped.
func (l *line) hand(c chunk) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.quit:
		return false
	}
}

// next waits for bytes, the deadline (errDeadline) or the end of ctx.
func (l *line) next(ctx context.Context, deadline time.Time) ([]byte, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case c := <-l.ch:
		if c.err != nil {
			return nil, fmt.Errorf("reading: %w", c.err)
		}
		return c.b, nil
	case <-timeout:
		return nil, errDeadline
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// stop ends the reading goroutine, waiting for it if rw lets a blocked Read
// be interrupted.
func (l *line) stop() {
	close(l.quit)
	d, ok := l.r.(interface{ SetReadDeadline(time.Time) error })
	if !ok {
		return
	}
	if err := d.SetReadDeadline(time.Now()); err != nil {
		return // not supported after all (a non-pollable *os.File)
	}
	<-l.ended
	_ = d.SetReadDeadline(time.Time{})
}

// guardWrites arms rw's write deadline for when ctx ends; the returned func
// disarms it and clears the deadline.
func guardWrites(ctx context.Context, w io.Writer) (disarm func()) {
	d, ok := w.(interface{ SetWriteDeadline(time.Time) error })
	if !ok {
		return func() {}
	}
	var mu sync.Mutex
	disarmed := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !disarmed {
			_ = d.SetWriteDeadline(time.Now().Add(time.Second))
		}
	})
	return func() {
		stop()
		mu.Lock()
		disarmed = true
		mu.Unlock()
		_ = d.SetWriteDeadline(time.Time{})
	}
}
