package linesim

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestFlipperIgnoresChunking checks that the error pattern depends on the
// bit positions only, not on how the stream is cut up on its way.
func TestFlipperIgnoresChunking(t *testing.T) {
	data := randomBytes(1<<20, 7)
	whole := bytes.Clone(data)
	newFlipper(1e-3, 9, 1).apply(whole)

	pieces := bytes.Clone(data)
	f := newFlipper(1e-3, 9, 1)
	cuts := rand.New(rand.NewPCG(1, 1))
	for p := pieces; len(p) > 0; {
		n := min(len(p), 1+cuts.IntN(100))
		f.apply(p[:n])
		p = p[n:]
	}
	if !bytes.Equal(whole, pieces) {
		t.Error("flipping in pieces gave a different pattern from flipping at once")
	}

	other := bytes.Clone(data)
	newFlipper(1e-3, 9, 2).apply(other)
	if bytes.Equal(whole, other) {
		t.Error("the two directions' streams gave the same pattern")
	}
}

// TestFlipperRate checks the number of flips against the binomial
// distribution, and the edge cases of a perfect and a hopeless line.
func TestFlipperRate(t *testing.T) {
	const size = 1 << 20
	n := float64(size * 8)
	for _, p := range []float64{0, 1e-5, 1e-3, 0.1, 0.5, 1} {
		t.Run(fmt.Sprint("p=", p), func(t *testing.T) {
			data := randomBytes(size, 3)
			got := bytes.Clone(data)
			flips := newFlipper(p, 4, 1).apply(got)
			diff := 0
			for i := range data {
				diff += bits.OnesCount8(data[i] ^ got[i])
			}
			if diff != flips {
				t.Errorf("apply reported %d flips, %d bits differ", flips, diff)
			}
			mean, sd := n*p, math.Sqrt(n*p*(1-p))
			if math.Abs(float64(flips)-mean) > 5*sd+0.5 {
				t.Errorf("%d flips in %.0f bits, want %.1f ± %.1f (5 σ)", flips, n, mean, 5*sd)
			}
		})
	}
}
