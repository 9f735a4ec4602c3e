//go:build unix

package linesim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// newLine opens a Line for one test and closes it after.
func newLine(t *testing.T, opt Options) *Line {
	t.Helper()
	l, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// openEnds opens both ends of l as a program would, closed after the test.
func openEnds(t *testing.T, l *Line) (a, b *os.File) {
	t.Helper()
	a, err := l.OpenA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = l.OpenB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// randomBytes returns n deterministic bytes covering every byte value,
// including the ones a tty not in raw mode would act on (^C, ^S, ^Q, CR).
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for i := 0; i < 256 && i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// readN reads n bytes from f, giving up at deadline.
func readN(f *os.File, n int, deadline time.Time) ([]byte, error) {
	if err := f.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	got, err := io.ReadFull(f, buf)
	return buf[:got], err
}

// transfer is what one direction of a two-way exchange saw.
type transfer struct {
	got       []byte
	err       error
	wrote     time.Duration // until the writer's last write returned
	delivered time.Duration // until the reader had every byte
}

// exchange writes data one way (from → to) while the other goroutine reads
// it, and reports when each finished, measured from start.
func exchange(from, to *os.File, data []byte, start, deadline time.Time) <-chan transfer {
	ch := make(chan transfer, 1)
	wrote := make(chan time.Duration, 1)
	go func() {
		for p := data; len(p) > 0; {
			n, err := from.Write(p[:min(len(p), 4096)])
			if err != nil {
				break
			}
			p = p[n:]
		}
		wrote <- time.Since(start)
	}()
	go func() {
		got, err := readN(to, len(data), deadline)
		tr := transfer{got: got, err: err, delivered: time.Since(start)}
		tr.wrote = <-wrote
		ch <- tr
	}()
	return ch
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{"negative baud", Options{Baud: -1}},
		{"error rate above one", Options{BitErrorRate: 1.5}},
		{"negative error rate", Options{BitErrorRate: -0.1}},
		{"NaN error rate", Options{BitErrorRate: math.NaN()}},
		{"negative buffer", Options{Buffer: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := New(tc.opt); err == nil {
				l.Close()
				t.Fatalf("New(%+v) succeeded", tc.opt)
			}
		})
	}
}

// TestCleanLineCarriesEveryByte sends different data both ways at once over
// an error-free line and checks every byte arrives unchanged.
func TestCleanLineCarriesEveryByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		baud int
		size int
	}{
		{"unpaced", 0, 256 << 10},
		{"115200 baud", 115200, 8 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLine(t, Options{Baud: tc.baud, Seed: 1})
			a, b := openEnds(t, l)
			ab, ba := randomBytes(tc.size, 1), randomBytes(tc.size, 2)
			start, deadline := time.Now(), time.Now().Add(30*time.Second)
			chAB, chBA := exchange(a, b, ab, start, deadline), exchange(b, a, ba, start, deadline)
			for _, c := range []struct {
				dir  string
				want []byte
				tr   transfer
			}{{"A→B", ab, <-chAB}, {"B→A", ba, <-chBA}} {
				if c.tr.err != nil {
					t.Errorf("%s: %v after %d bytes", c.dir, c.tr.err, len(c.tr.got))
				} else if !bytes.Equal(c.tr.got, c.want) {
					t.Errorf("%s: bytes changed on a clean line", c.dir)
				}
			}
			want := Counts{Carried: int64(tc.size)}
			if s := l.Stats(); s.AB != want || s.BA != want {
				t.Errorf("Stats = %+v, want %+v each way", s, want)
			}
		})
	}
}

// ptyMax bounds the bytes one pty holds one way before its writer blocks,
// whatever the sizes of the writes: the 8 KiB of flip buffers that the
// kernel's pty driver allows, which it may overrun up to twofold, and the
// 4 KiB of the line discipline's read buffer. Linux 6.18 holds 11.5-22 KiB.
const ptyMax = 32 << 10

// TestThroughputMatchesBaudRate moves data each way at once at 115,200 baud
// and checks each direction delivers at 11,520 bytes/s, never faster and at
// most 5 % slower, and that the writers were held back to the line's pace
// rather than let run ahead. The 16-byte buffer is a UART's FIFO: the
// queue then runs empty after every chunk, and the line must not idle while
// the sending pty still holds bytes.
func TestThroughputMatchesBaudRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		buffer, size int
	}{
		{"default buffer, 100 KB", 0, 100_000},
		{"16-byte buffer, 50 KB", 16, 50_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkThroughput(t, Options{Baud: 115200, Buffer: tc.buffer, Seed: 1}, tc.size)
		})
	}
}

// checkThroughput sends size bytes each way at once over a line with options
// opt and checks the rate and the writers' pace.
func checkThroughput(t *testing.T, opt Options, size int) {
	t.Helper()
	l := newLine(t, opt)
	a, b := openEnds(t, l)
	ab, ba := randomBytes(size, 3), randomBytes(size, 4)
	start := time.Now()
	deadline := start.Add(time.Minute)
	chAB, chBA := exchange(a, b, ab, start, deadline), exchange(b, a, ba, start, deadline)
	rate := float64(opt.Baud) / bitsPerByte
	// When the writer's last write returns, what has yet to cross is in the
	// sending pty and the line's buffer: the reader keeps the far pty empty.
	full, _ := opt.withDefaults()
	ahead := ptyMax + full.Buffer
	minWrite := time.Duration(float64(size-ahead) / rate * float64(time.Second))
	for _, c := range []struct {
		dir  string
		want []byte
		tr   transfer
	}{{"A→B", ab, <-chAB}, {"B→A", ba, <-chBA}} {
		if c.tr.err != nil || !bytes.Equal(c.tr.got, c.want) {
			t.Fatalf("%s: %d bytes, err %v", c.dir, len(c.tr.got), c.tr.err)
		}
		got := float64(size) / c.tr.delivered.Seconds()
		t.Logf("%s: %d bytes in %v: %.0f bytes/s (%.2f %% of %.0f); writer done after %v",
			c.dir, size, c.tr.delivered.Round(time.Millisecond), got, 100*got/rate, rate, c.tr.wrote.Round(time.Millisecond))
		if got > rate*1.001 || got < rate*0.95 {
			t.Errorf("%s: %.0f bytes/s, want %.0f, at most 5 %% less", c.dir, got, rate)
		}
		if c.tr.wrote < minWrite {
			t.Errorf("%s: writer finished after %v, before %v: it ran more than %d bytes ahead of the line",
				c.dir, c.tr.wrote, minWrite, ahead)
		}
	}
}

// TestBitErrorsMatchTheRate sends 256 KiB through a line with a bit error
// rate of 1e-3 and checks that the flips counted are the bits that differ,
// each flip a single bit, and their number within the binomial spread.
func TestBitErrorsMatchTheRate(t *testing.T) {
	t.Parallel()
	const size, p = 256 << 10, 1e-3
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			l := newLine(t, Options{BitErrorRate: p, Seed: seed})
			a, b := openEnds(t, l)
			data := randomBytes(size, seed)
			tr := <-exchange(a, b, data, time.Now(), time.Now().Add(30*time.Second))
			if tr.err != nil {
				t.Fatalf("%v after %d bytes", tr.err, len(tr.got))
			}
			diff := 0
			for i := range data {
				diff += bits.OnesCount8(data[i] ^ tr.got[i])
			}
			s := l.Stats().AB
			if int64(diff) != s.Flipped {
				t.Errorf("%d bits differ, Stats counts %d flips", diff, s.Flipped)
			}
			n := float64(size * 8)
			mean, sd := n*p, math.Sqrt(n*p*(1-p))
			t.Logf("%d flips in %.0f bits; expected %.0f ± %.0f", diff, n, mean, sd)
			if math.Abs(float64(diff)-mean) > 5*sd {
				t.Errorf("%d flips, want %.0f ± %.0f (5 σ)", diff, mean, 5*sd)
			}
		})
	}
}

// TestPullLosesBytesThenRecovers pulls the cable for a second: bytes written
// meanwhile either way are lost and counted, nothing arrives, and the line
// carries bytes again afterwards.
func TestPullLosesBytesThenRecovers(t *testing.T) {
	t.Parallel()
	l := newLine(t, Options{Baud: 115200, Seed: 1})
	a, b := openEnds(t, l)
	expect := func(f *os.File, want string) {
		t.Helper()
		got, err := readN(f, len(want), time.Now().Add(5*time.Second))
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	write := func(f *os.File, s []byte) {
		t.Helper()
		if _, err := f.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	write(a, []byte("before"))
	expect(b, "before")

	const outage, lost = time.Second, 1000 // 1000 bytes cross in 87 ms
	end := time.Now().Add(outage)
	l.Pull(outage)
	write(a, randomBytes(lost, 1))
	write(b, randomBytes(lost, 2))
	// Waiting out the outage on a read proves nothing arrived meanwhile.
	if got, err := readN(b, 1, end); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("B read %q, %v while the cable was out", got, err)
	}
	s := l.Stats()
	if s.AB.Dropped != lost || s.BA.Dropped != lost || s.AB.Carried != 6 || s.BA.Carried != 0 {
		t.Errorf("after the outage Stats = %+v, want %d dropped each way and only %q carried", s, lost, "before")
	}

	write(a, []byte("after A"))
	write(b, []byte("after B"))
	expect(b, "after A")
	expect(a, "after B")
}

// TestWriterBlocksWhenFarEndDoesNotRead writes into A while nobody reads B:
// the writer must stall with the line's buffer full and no more than the two
// ptys' worth on top, every byte it got in must then arrive in order, and it
// must be able to write again once B is read.
func TestWriterBlocksWhenFarEndDoesNotRead(t *testing.T) {
	t.Parallel()
	for _, buffer := range []int{1024, 64 << 10} {
		t.Run(fmt.Sprint("buffer ", buffer), func(t *testing.T) {
			t.Parallel()
			l := newLine(t, Options{Buffer: buffer, Seed: 1})
			a, b := openEnds(t, l)
			data := randomBytes(1<<20, 5)
			in := fillUntilBlocked(t, a, data, l.ab.queue)
			t.Logf("writer blocked after %d bytes", in)
			if in > buffer+2*ptyMax {
				t.Errorf("writer got %d bytes in, more than the buffer plus two ptys (%d)", in, buffer+2*ptyMax)
			}
			got, err := readN(b, in, time.Now().Add(10*time.Second))
			if err != nil || !bytes.Equal(got, data[:in]) {
				t.Fatalf("read back %d of %d bytes (err %v), equal %v", len(got), in, err, bytes.Equal(got, data[:len(got)]))
			}
			if s := l.Stats().AB; s.Carried != int64(in) {
				t.Errorf("Stats carried %d bytes A→B, want %d", s.Carried, in)
			}
			if err := a.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Write(data[in : in+1024]); err != nil {
				t.Errorf("writing after B was read: %v", err)
			}
		})
	}
}

// fillUntilBlocked writes data to f in 1 KiB pieces until one piece cannot
// be written for a fifth of a second while q, the line's buffer, is full,
// and returns how many bytes went in. A full q means the simulator has
// stopped reading from f's pty; the wait only covers the kernel passing on
// the bytes already written, so a slow machine cannot stop it early.
func fillUntilBlocked(t *testing.T, f *os.File, data []byte, q *queue) int {
	t.Helper()
	in := 0
	for in < len(data) {
		if err := f.SetWriteDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, err := f.Write(data[in:min(in+1024, len(data))])
		in += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			q.mu.Lock()
			full := q.n == len(q.buf)
			q.mu.Unlock()
			if full {
				return in
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("wrote all %d bytes without blocking", len(data))
	return in
}

// TestIdleLineStartsWhenBytesArrive keeps A→B idle while B→A carries a
// batch, then sends a batch A→B: it must take its full time on the line
// from when it was written, not borrow the idle spell before.
func TestIdleLineStartsWhenBytesArrive(t *testing.T) {
	t.Parallel()
	const baud, size = 115200, 1152 // 100 ms a batch
	l := newLine(t, Options{Baud: baud, Seed: 1})
	a, b := openEnds(t, l)
	batch := randomBytes(size, 6)
	deadline := time.Now().Add(10 * time.Second)
	for _, leg := range []struct{ from, to *os.File }{{a, b}, {b, a}} { // A→B then idles
		if tr := <-exchange(leg.from, leg.to, batch, time.Now(), deadline); tr.err != nil {
			t.Fatal(tr.err)
		}
	}
	start := time.Now()
	tr := <-exchange(a, b, batch, start, deadline)
	if tr.err != nil || !bytes.Equal(tr.got, batch) {
		t.Fatalf("%d bytes, err %v", len(tr.got), tr.err)
	}
	if want := time.Duration(size * bitsPerByte * int64(time.Second) / baud); tr.delivered < want {
		t.Errorf("%d bytes crossed an idle line in %v, want at least %v", size, tr.delivered, want)
	}
}

// TestCloseWhileBlocked closes a line whose far end is not reading, so that
// the line is waiting on a full pty: Close must return, and the program on A
// must see the end hang up.
func TestCloseWhileBlocked(t *testing.T) {
	t.Parallel()
	l, err := New(Options{Buffer: 1024, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := openEnds(t, l)
	data := randomBytes(1<<20, 7)
	in := fillUntilBlocked(t, a, data, l.ab.queue)
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := a.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(data[in : in+1024]); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("writing to A after Close: %v, want a hang-up", err)
	}
}
