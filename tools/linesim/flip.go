package linesim

import (
	"math"
	"math/rand/v2"
)

// flipper inverts each bit of a byte stream independently with probability
// p. Rather than draw once per bit it draws the run of good bits before the
// next error, which is geometric, so a clean line costs nothing per byte and
// the pattern depends only on the seed and the bit positions, not on how the
// stream is cut into chunks.
type flipper struct {
	rng  *rand.Rand
	logq float64 // log(1-p); 0 when p is 0
	gap  int64   // good bits before the next flip
}

// noFlip is a gap that no stream reaches.
const noFlip = math.MaxInt64

func newFlipper(p float64, seed, stream uint64) *flipper {
	f := &flipper{rng: rand.New(rand.NewPCG(seed, stream)), logq: math.Log1p(-p)}
	f.gap = f.draw()
	return f
}

// draw returns a geometric run length: the number of good bits before the
// next bad one.
func (f *flipper) draw() int64 {
	if f.logq == 0 {
		return noFlip
	}
	u := 1 - f.rng.Float64() // (0, 1]
	g := math.Floor(math.Log(u) / f.logq)
	if g >= noFlip/2 { // also catches +Inf for a tiny p
		return noFlip / 2
	}
	return int64(g)
}

// apply flips b's bad bits in place and returns how many it flipped.
func (f *flipper) apply(b []byte) int {
	if f.gap == noFlip {
		return 0
	}
	flips := 0
	left := int64(len(b)) * 8
	pos := int64(0)
	for f.gap < left {
		pos += f.gap
		b[pos/8] ^= 1 << (pos % 8)
		flips++
		pos++
		left -= f.gap + 1
		f.gap = f.draw()
	}
	f.gap -= left
	return flips
}
