package linesim

import (
	"sync"
	"time"
)

// queue is a direction's bounded buffer: a byte ring with one producer (the
// goroutine reading the sending pty) and one consumer (the transmitter).
// Bytes stay in the ring until they have crossed the line, so the ring's
// size bounds what the simulator holds.
type queue struct {
	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte
	head, n int       // the held bytes are buf[head:head+n], wrapping
	since   time.Time // when the queue's bytes became ready to send
	closed  bool
}

func newQueue(size int) *queue {
	q := &queue{buf: make([]byte, size)}
	q.cond.L = &q.mu
	return q
}

// space waits for free room and returns its first contiguous stretch, for
// the producer to fill and then commit, and whether the queue was full when
// asked: the producer was held back. It returns ok false once closed.
func (q *queue) space() (room []byte, full, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	full = q.n == len(q.buf)
	for q.n == len(q.buf) && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, full, false
	}
	tail := (q.head + q.n) % len(q.buf)
	end := len(q.buf)
	if tail < q.head {
		end = q.head
	}
	return q.buf[tail:end], full, true
}

// commit adds the n bytes the producer put at the start of space's stretch,
// which were ready to send at ready; the zero time means as soon as the line
// is free.
func (q *queue) commit(n int, ready time.Time) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		q.since = ready
	}
	q.n += n
	q.cond.Broadcast()
}

// peek waits for bytes and returns up to max of the oldest, contiguous, and
// when the queue last became non-empty: none of them was ready earlier. It
// returns false once closed.
func (q *queue) peek(max int) ([]byte, time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, time.Time{}, false
	}
	n := min(q.n, max, len(q.buf)-q.head)
	return q.buf[q.head : q.head+n], q.since, true
}

// consume frees the oldest n bytes, which peek returned.
func (q *queue) consume(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.head = (q.head + n) % len(q.buf)
	q.n -= n
	q.cond.Broadcast()
}

// close wakes both sides for good.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}
