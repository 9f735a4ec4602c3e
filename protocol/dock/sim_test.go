package dock

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// faults says how a simulated channel mistreats frames, each a probability.
type faults struct {
	drop, corrupt, dup, reorder, garbage float64
}

// inflight is a piece of bytes on its way, arriving at at.
type inflight struct {
	at time.Time
	b  []byte
}

// channel carries one direction between two Links: whole frames, each
// dropped, corrupted, doubled or delayed past the next by a seeded RNG.
type channel struct {
	rng     *rand.Rand
	f       faults
	latency time.Duration
	q       []inflight
	lose    func(frame []byte) bool // when set, also drops the frames it picks
}

func newChannel(seed uint64, f faults) *channel {
	return &channel{rng: rand.New(rand.NewPCG(seed, 1)), f: f, latency: 20 * time.Millisecond}
}

// splitFrames cuts well-formed output into its frames.
func splitFrames(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= HeaderSize {
		n := HeaderSize + int(binary.LittleEndian.Uint16(b[8:])) + TrailerSize
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func (c *channel) hit(p float64) bool { return p > 0 && c.rng.Float64() < p }

// put sends what a Link output at now.
func (c *channel) put(now time.Time, b []byte) {
	for _, fr := range splitFrames(b) {
		fr = slices.Clone(fr)
		if c.hit(c.f.drop) || c.lose != nil && c.lose(fr) {
			continue
		}
		if c.hit(c.f.corrupt) {
			fr[c.rng.IntN(len(fr))] ^= byte(1 << c.rng.IntN(8))
		}
		at := now.Add(c.latency)
		if c.hit(c.f.reorder) {
			at = at.Add(time.Duration(c.rng.IntN(30)+1) * time.Millisecond)
		}
		if c.hit(c.f.garbage) {
			g := make([]byte, c.rng.IntN(40))
			for i := range g {
				g[i] = byte(c.rng.Uint32())
			}
			g = append(g, Magic0, Magic1) // a false start, too
			fr = append(g, fr...)
		}
		c.q = append(c.q, inflight{at, fr})
		if c.hit(c.f.dup) {
			c.q = append(c.q, inflight{at.Add(time.Millisecond), fr})
		}
	}
	slices.SortStableFunc(c.q, func(x, y inflight) int { return x.at.Compare(y.at) })
}

// take returns what has arrived by now.
func (c *channel) take(now time.Time) []byte {
	var b []byte
	i := 0
	for ; i < len(c.q) && !c.q[i].at.After(now); i++ {
		b = append(b, c.q[i].b...)
	}
	c.q = c.q[i:]
	return b
}

// pair is two Links joined by two channels, with a clock moved by hand.
type pair struct {
	a, b      *Link
	ab, ba    *channel
	now       time.Time
	gotA      []Message // delivered at a
	gotB      []Message // delivered at b
	onDeliver func(at *Link, m Message)
}

var simStart = time.Unix(1700000000, 0)

func newPair(cfg LinkConfig, seed uint64, f faults) *pair {
	return &pair{a: NewLink(cfg), b: NewLink(cfg), ab: newChannel(seed, f), ba: newChannel(seed+1000, f), now: simStart}
}

// step moves the clock by 5 ms and lets both links work.
func (p *pair) step() {
	p.now = p.now.Add(5 * time.Millisecond)
	p.side(p.a, p.ba, p.ab, &p.gotA)
	p.side(p.b, p.ab, p.ba, &p.gotB)
}

func (p *pair) side(l *Link, in, out *channel, got *[]Message) {
	if b := in.take(p.now); len(b) > 0 {
		l.Input(b, p.now)
	}
	l.Tick(p.now) // as the driver does before each Output
	for _, m := range l.Deliver() {
		*got = append(*got, m)
		if p.onDeliver != nil {
			p.onDeliver(l, m)
		}
	}
	out.put(p.now, l.Output())
}

// run steps until done or the simulated time limit.
func (p *pair) run(t *testing.T, limit time.Duration, done func() bool) {
	t.Helper()
	end := p.now.Add(limit)
	for !done() {
		if p.now.After(end) {
			t.Fatalf("not done after %v simulated; a: %+v; b: %+v", limit, p.a.Stats(), p.b.Stats())
		}
		p.step()
	}
}
