package linesim

import (
	"bytes"
	"testing"
	"time"
)

// put copies p into q, which must have room for it, and commits it as ready
// at ready.
func put(t *testing.T, q *queue, p string, ready time.Time) {
	t.Helper()
	for len(p) > 0 {
		room, _, ok := q.space()
		if !ok {
			t.Fatal("queue closed")
		}
		n := copy(room, p)
		q.commit(n, ready)
		p = p[n:]
	}
}

// take peeks at up to max bytes of q, consumes them, and returns them with
// the time peek gave.
func take(t *testing.T, q *queue, max int) (string, time.Time) {
	t.Helper()
	b, ready, ok := q.peek(max)
	if !ok {
		t.Fatal("queue closed")
	}
	s := string(b)
	q.consume(len(b))
	return s, ready
}

// TestQueueKeepsOrderAcrossTheWrap fills a 4-byte ring, frees part of it and
// refills it across the end of its buffer: the bytes come out in order, in
// contiguous pieces, and no more than fit are ever held.
func TestQueueKeepsOrderAcrossTheWrap(t *testing.T) {
	q := newQueue(4)
	put(t, q, "abcd", time.Time{})
	if got, _ := take(t, q, 3); got != "abc" {
		t.Fatalf("first take = %q, want %q", got, "abc")
	}
	room, full, _ := q.space()
	if len(room) != 3 || full {
		t.Fatalf("space after freeing 3 of 4 = %d bytes, full %v; want 3, false", len(room), full)
	}
	put(t, q, "efg", time.Time{})
	var out bytes.Buffer
	for _, want := range []string{"d", "efg"} { // the tail of the buffer, then its start
		got, _ := take(t, q, 4)
		if got != want {
			t.Errorf("take = %q, want %q", got, want)
		}
		out.WriteString(got)
	}
	if out.String() != "defg" {
		t.Errorf("bytes came out as %q", out.String())
	}
}

// TestQueueReadiness checks that the time peek reports is when the queue
// last became non-empty: bytes joining a non-empty queue do not move it.
func TestQueueReadiness(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := newQueue(8)
	put(t, q, "ab", t0)
	put(t, q, "cd", t0.Add(time.Second))
	if got, ready := take(t, q, 8); got != "abcd" || !ready.Equal(t0) {
		t.Errorf("take = %q ready at %v, want %q ready at 0s", got, ready.Sub(t0), "abcd")
	}
	put(t, q, "e", t0.Add(2*time.Second))
	if _, ready := take(t, q, 8); !ready.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("after emptying, ready at %v, want 2s", ready.Sub(t0))
	}
	put(t, q, "f", time.Time{}) // held back: ready whenever the line is
	if _, ready := take(t, q, 8); !ready.IsZero() {
		t.Errorf("held-back bytes ready at %v, want the zero time", ready)
	}
}

// TestQueueCloseWakesAFullProducer checks that a producer waiting on a full
// queue learns it was full, and is let go when the queue closes.
func TestQueueCloseWakesAFullProducer(t *testing.T) {
	q := newQueue(2)
	put(t, q, "ab", time.Time{})
	type result struct{ full, ok bool }
	got := make(chan result)
	go func() {
		_, full, ok := q.space()
		got <- result{full, ok}
	}()
	q.close()
	if r := <-got; !r.full || r.ok {
		t.Errorf("space on a full, closed queue: full %v, ok %v; want true, false", r.full, r.ok)
	}
	if _, _, ok := q.peek(2); ok {
		t.Error("peek on a closed queue succeeded")
	}
}
