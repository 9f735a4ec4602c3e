package dock

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var faultProfiles = []struct {
	name string
	f    faults
}{
	{"clean", faults{}},
	{"drop 10%", faults{drop: 0.1}},
	{"corrupt 10%", faults{corrupt: 0.1}},
	{"duplicate 10%", faults{dup: 0.1}},
	{"reorder 20%", faults{reorder: 0.2}},
	{"garbage 20%", faults{garbage: 0.2}},
	{"everything", faults{drop: 0.05, corrupt: 0.05, dup: 0.05, reorder: 0.1, garbage: 0.05}},
	{"drop 40%", faults{drop: 0.4}},
}

var testLinkConfig = LinkConfig{RTO: 200 * time.Millisecond, MaxRetries: 50}

// messages makes n messages of random sizes, each naming its index.
func messages(n int, seed uint64, maxLen int) []Message {
	r := rand.New(rand.NewPCG(seed, 2))
	ms := make([]Message, n)
	for i := range ms {
		p := fmt.Appendf(nil, "%d:", i)
		for len(p) < r.IntN(maxLen) {
			p = append(p, byte(r.Uint32()))
		}
		ms[i] = Message{Type: MsgType(1 + r.IntN(0x3F)), Flags: uint8(r.IntN(2)), Payload: p}
	}
	return ms
}

func sameMessages(t *testing.T, side string, got, want []Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d messages delivered, want %d", side, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Type != w.Type || g.Flags != w.Flags || string(g.Payload) != string(w.Payload) {
			t.Fatalf("%s: message %d is %v %x %q, want %v %x %q", side, i, g.Type, g.Flags, g.Payload, w.Type, w.Flags, w.Payload)
		}
	}
}

// TestLinkDeliversOnceInOrder sends messages both ways at once through
// each fault profile; each side must get the other's, once each, in order.
func TestLinkDeliversOnceInOrder(t *testing.T) {
	for i, tt := range faultProfiles {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(testLinkConfig, uint64(i), tt.f)
			toB, toA := messages(400, 1, 512), messages(250, 2, 100)
			queue := func(l *Link, ms []Message) {
				for _, m := range ms {
					if err := l.Send(m.Type, m.Flags, m.Payload); err != nil {
						t.Fatal(err)
					}
				}
			}
			queue(p.a, toB)
			queue(p.b, toA)
			p.run(t, 10*time.Minute, func() bool {
				return len(p.gotB) >= len(toB) && len(p.gotA) >= len(toA) && p.a.Idle() && p.b.Idle()
			})
			sameMessages(t, "b", p.gotB, toB)
			sameMessages(t, "a", p.gotA, toA)
			s := p.a.Stats()
			if tt.f == (faults{}) && (s.FramesResent > 0 || s.FramesBad > 0 || s.Duplicates > 0) {
				t.Errorf("clean channel: %+v", s)
			}
			if tt.f.drop > 0 && s.FastRetransmits == 0 {
				t.Errorf("no fast retransmission with drops: %+v", s)
			}
		})
	}
}

// TestLinkPeerGone: with nobody at the other end, a frame is sent
// MaxRetries more times and then every call reports ErrPeerGone.
func TestLinkPeerGone(t *testing.T) {
	l := NewLink(LinkConfig{RTO: time.Second, MaxRetries: 3})
	now := simStart
	l.Tick(now)
	if err := l.Send(MsgHello, 0, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	sends := 0
	for range 10 {
		if len(l.Output()) > 0 {
			sends++
		}
		if l.Err() != nil {
			break
		}
		now = l.Deadline()
		l.Tick(now)
	}
	if sends != 1+3+maxProbes {
		t.Errorf("frame sent %d times, want 1 + 3 retries + %d probes", sends, maxProbes)
	}
	if !errors.Is(l.Err(), ErrPeerGone) || !errors.Is(l.Send(MsgBye, 0, nil), ErrPeerGone) {
		t.Errorf("Err %v; want ErrPeerGone from Err and Send", l.Err())
	}
	if len(l.Output()) != 0 || !l.Deadline().IsZero() {
		t.Error("a failed link still has output or a deadline")
	}
}

func TestLinkSendLimits(t *testing.T) {
	l := NewLink(LinkConfig{MaxPayload: 100, QueueLimit: 40, Window: 8})
	tests := []struct {
		name    string
		typ     MsgType
		flags   uint8
		payload int
		ok      bool
	}{
		{"fits", MsgHello, 0, 100, true},
		{"too large", MsgHello, 0, 101, false},
		{"ack type", TypeAck, 0, 1, false},
		{"unknown flag", MsgHello, 2, 1, false},
		{"unknown type is fine", 0x7E, FlagZ, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Send(tt.typ, tt.flags, make([]byte, tt.payload))
			if (err == nil) != tt.ok {
				t.Errorf("Send: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	for l.Queued() < 40 {
		if err := l.Send(MsgHello, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Send(MsgHello, 0, nil); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Send on a full queue: %v", err)
	}
}

func TestLinkRTO(t *testing.T) {
	tests := []struct {
		name string
		cfg  LinkConfig
		want time.Duration
	}{
		{"set", LinkConfig{RTO: 3 * time.Second, Baud: 9600}, 3 * time.Second},
		{"unknown baud", LinkConfig{}, time.Second},
		// 32 × 528 bytes × 10 bits / 115200 = 1.4667 s, twice, + 200 ms
		{"115200 defaults", LinkConfig{Baud: 115200}, 3133333332 * time.Nanosecond},
		{"floor", LinkConfig{Baud: 115200, Window: 1, MaxPayload: 64}, MinRTO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewLink(tt.cfg).Stats().RTO; got != tt.want {
				t.Errorf("RTO %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLinkUnknownTypeDelivered: the link carries any type; the session
// skips what it does not know.
func TestLinkUnknownTypeDelivered(t *testing.T) {
	p := newPair(testLinkConfig, 7, faults{})
	if err := p.a.Send(0x7E, 0, []byte("later")); err != nil {
		t.Fatal(err)
	}
	p.run(t, time.Minute, func() bool { return len(p.gotB) == 1 && p.a.Idle() })
	if p.gotB[0].Type != 0x7E || p.gotB[0].Type.Known() {
		t.Errorf("delivered %v", p.gotB[0])
	}
}

// TestLinkStaleAck: an ACK for frames never sent (a stale one from an
// earlier session) is ignored, not taken for an acknowledgement.
func TestLinkStaleAck(t *testing.T) {
	l := NewLink(testLinkConfig)
	l.Tick(simStart)
	if err := l.Send(MsgHello, 0, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	l.Output()
	ack, _ := AppendFrame(nil, Frame{Type: TypeAck, Seq: 5000})
	l.Input(ack, simStart)
	if l.Idle() || l.Stats().FramesBad != 1 {
		t.Errorf("stale ACK taken: idle %v, stats %+v", l.Idle(), l.Stats())
	}
}

// TestLinkTailLoss: the last frame of a burst is lost, so no later frame
// shows it missing; the probe after a silence resends it well before the
// timeout.
func TestLinkTailLoss(t *testing.T) {
	p := newPair(LinkConfig{Baud: 115200, RTO: 5 * time.Second}, 1, faults{})
	lost := false
	p.ab.lose = func(fr []byte) bool {
		if fr[2] == byte(MsgXferEnd) && !lost {
			lost = true
			return true
		}
		return false
	}
	for _, typ := range []MsgType{MsgXferData, MsgXferData, MsgXferEnd} {
		if err := p.a.Send(typ, 0, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	start := p.now
	p.run(t, time.Minute, func() bool { return len(p.gotB) == 3 })
	s := p.a.Stats()
	if took := p.now.Sub(start); took > time.Second || s.Probes != 1 || s.Timeouts != 0 {
		t.Errorf("recovered after %v; stats %+v", took, s)
	}
}

// TestLinkNewConnectionIgnoresTheOld: a link that awaits the peer's hello
// drops what an earlier connection left in the line, even frames whose
// numbers fall in its window, takes the peer's first number from its HELLO,
// and numbers its own frames from its ISN.
func TestLinkNewConnectionIgnoresTheOld(t *testing.T) {
	cfg := testLinkConfig
	cfg.AwaitHello, cfg.ISN = true, 0xFFFFFFF0 // wraps within the session
	l := NewLink(cfg)
	l.Tick(simStart)
	var line []byte
	for seq := range uint32(3) { // the last frames of an earlier session: numbers 0-2
		line, _ = AppendFrame(line, Frame{Type: MsgBye, Seq: seq, Payload: []byte("{}")})
	}
	const peerISN = 123456
	for i := range uint32(3) {
		typ := MsgClockGet
		if i == 0 {
			typ = MsgHello
		}
		line, _ = AppendFrame(line, Frame{Type: typ, Seq: peerISN + i, Payload: []byte("{}")})
	}
	l.Input(line, simStart)
	got := l.Deliver()
	if len(got) != 3 || got[0].Type != MsgHello || got[2].Type != MsgClockGet || l.Stats().OutOfWindow != 3 {
		t.Fatalf("delivered %v, stats %+v; want HELLO and two CLOCK_GETs, the 3 stale BYEs dropped", got, l.Stats())
	}
	if err := l.Send(MsgHelloAck, 0, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(MaxPayloadCap)
	dec.Write(l.Output())
	var seqs []uint32
	for f, ok := dec.Next(); ok; f, ok = dec.Next() {
		seqs = append(seqs, f.Seq)
	}
	if len(seqs) != 2 || seqs[0] != peerISN+3 || seqs[1] != cfg.ISN {
		t.Errorf("wrote frames %v; want an ACK of %d and the first frame numbered %d", seqs, peerISN+3, cfg.ISN)
	}
}
