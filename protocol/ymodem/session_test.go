package ymodem

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// link runs a Sender and a Receiver against each other on a simulated line
// and clock. Faults are injected by rewriting the n-th write of either side.
type link struct {
	t     *testing.T
	now   time.Time
	s     *Sender
	r     *Receiver
	toR   []byte
	toS   []byte
	sDead time.Time
	rDead time.Time
	sDone bool
	rDone bool
	sErr  error
	rErr  error

	files    []testFile
	next     int
	data     []byte // the sender's current file
	got      []testFile
	problems []string

	toRecv func(n int, w []byte) []byte // the sender's n-th write (from 0), as the receiver gets it
	toSend func(n int, w []byte) []byte
	nToR   int
	nToS   int
}

type testFile struct {
	name string
	data []byte
	info FileInfo
}

func newLink(t *testing.T, files ...testFile) *link {
	return &link{t: t, now: time.Unix(1700000000, 0), files: files,
		s: NewSender(SenderConfig{}), r: NewReceiver(ReceiverConfig{})}
}

func (l *link) run() {
	l.recv(l.r.Start(l.now))
	l.send(l.s.Start(l.now))
	for steps := 0; !(l.sDone && l.rDone); steps++ {
		if steps > 1_000_000 {
			l.t.Fatal("session does not end")
		}
		switch {
		case len(l.toS) > 0:
			p := l.toS
			l.toS = nil
			for len(p) > 0 && !l.sDone {
				out := l.s.Read(p, l.now)
				p = p[out.Consumed:]
				l.send(out)
			}
		case len(l.toR) > 0:
			p := l.toR
			l.toR = nil
			for !l.rDone {
				out := l.r.Read(p, l.now)
				p = p[out.Consumed:]
				l.recv(out)
				if !out.More {
					break
				}
			}
		default:
			l.tick()
		}
	}
}

// tick moves the clock to the next deadline and fires it.
func (l *link) tick() {
	var next time.Time
	for _, d := range []struct {
		at   time.Time
		done bool
	}{{l.sDead, l.sDone}, {l.rDead, l.rDone}} {
		if !d.done && !d.at.IsZero() && (next.IsZero() || d.at.Before(next)) {
			next = d.at
		}
	}
	if next.IsZero() {
		l.t.Fatal("deadlock: nothing in flight and no deadline")
	}
	l.now = next
	if !l.sDone && !l.sDead.After(l.now) {
		l.send(l.s.Timeout(l.now))
	}
	if !l.rDone && !l.rDead.After(l.now) {
		l.recv(l.r.Timeout(l.now))
	}
}

func (l *link) send(out SendOutput) {
	for {
		if len(out.Write) > 0 {
			w := bytes.Clone(out.Write)
			if l.toRecv != nil {
				w = l.toRecv(l.nToR, w)
			}
			l.nToR++
			l.toR = append(l.toR, w...)
		}
		if out.Problem != nil {
			l.problems = append(l.problems, "send: "+out.Problem.Error())
		}
		l.sDead = out.Deadline
		if out.Done {
			l.sDone, l.sErr = true, out.Err
			return
		}
		switch out.Need {
		case NeedFile:
			if l.next == len(l.files) {
				out = l.s.File(nil, l.now)
				continue
			}
			f := l.files[l.next]
			l.next++
			l.data = f.data
			fi := f.info
			if fi.Name == "" {
				fi = FileInfo{Name: f.name, Size: int64(len(f.data)), ModTime: time.Unix(1700000000, 0), Mode: 0o100644}
			}
			out = l.s.File(&fi, l.now)
		case NeedData:
			chunk := l.data[:out.NeedLen]
			l.data = l.data[out.NeedLen:]
			out = l.s.Data(chunk, l.now)
		default:
			return
		}
	}
}

func (l *link) recv(out RecvOutput) {
	if len(out.Write) > 0 {
		w := bytes.Clone(out.Write)
		if l.toSend != nil {
			w = l.toSend(l.nToS, w)
		}
		l.nToS++
		l.toS = append(l.toS, w...)
	}
	if out.Problem != nil {
		l.problems = append(l.problems, "recv: "+out.Problem.Error())
	}
	l.rDead = out.Deadline
	if out.File != nil {
		l.got = append(l.got, testFile{name: out.File.Name, info: *out.File, data: []byte{}})
	}
	if len(out.Data) > 0 {
		f := &l.got[len(l.got)-1]
		f.data = append(f.data, out.Data...)
	}
	if out.Done {
		l.rDone, l.rErr = true, out.Err
	}
}

func (l *link) wantDelivered() {
	l.t.Helper()
	if l.sErr != nil || l.rErr != nil {
		l.t.Fatalf("sender: %v; receiver: %v; problems: %q", l.sErr, l.rErr, l.problems)
	}
	if len(l.got) != len(l.files) {
		l.t.Fatalf("received %d files, want %d", len(l.got), len(l.files))
	}
	for i, f := range l.files {
		g := l.got[i]
		if g.name != f.name || !bytes.Equal(g.data, f.data) {
			l.t.Errorf("file %d: got %q with %d bytes, want %q with %d bytes", i, g.name, len(g.data), f.name, len(f.data))
		}
		if g.info.Size != int64(len(f.data)) || !g.info.ModTime.Equal(time.Unix(1700000000, 0)) || g.info.Mode != 0o100644 {
			l.t.Errorf("file %d: header says %+v", i, g.info)
		}
	}
}

func randomFile(name string, n int, seed uint64) testFile {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return testFile{name: name, data: b}
}

func TestSessionSizes(t *testing.T) {
	// Around the block sizes, the 896-byte switch to short blocks, and past
	// 256 blocks, where block numbers wrap.
	var files []testFile
	for i, n := range []int{0, 1, 127, 128, 129, 895, 896, 897, 1023, 1024, 1025, 2048, 300_000} {
		files = append(files, randomFile(fmt.Sprintf("f%d.bin", n), n, uint64(i)))
	}
	l := newLink(t, files...)
	l.run()
	l.wantDelivered()
	if len(l.problems) > 0 {
		t.Errorf("problems on a clean line: %q", l.problems)
	}
}

func TestSessionEmptyBatch(t *testing.T) {
	l := newLink(t)
	l.run()
	l.wantDelivered()
}

// frameAt reports whether w is a data frame numbered num.
func frameAt(w []byte, num byte) bool {
	return len(w) > 3 && (w[0] == SOH || w[0] == STX) && w[1] == num
}

func TestSessionFaults(t *testing.T) {
	big := randomFile("route.csv", 200_000, 7)
	// nth changes the k-th write (from 1) that match accepts.
	nth := func(k int, match func(w []byte) bool, change func(w []byte) []byte) func(int, []byte) []byte {
		seen := 0
		return func(_ int, w []byte) []byte {
			if match(w) {
				if seen++; seen == k {
					return change(w)
				}
			}
			return w
		}
	}
	once := func(match func(w []byte) bool, change func(w []byte) []byte) func(int, []byte) []byte {
		return nth(1, match, change)
	}
	isBlock := func(num byte) func([]byte) bool { return func(w []byte) bool { return frameAt(w, num) } }
	is := func(b ...byte) func([]byte) bool { return func(w []byte) bool { return bytes.Equal(w, b) } }
	drop := func([]byte) []byte { return nil }
	tests := []struct {
		name    string
		toRecv  func(int, []byte) []byte
		toSend  func(int, []byte) []byte
		problem string // a regexp matching a problem that must have been reported
	}{
		{"corrupted byte in a data block", once(isBlock(9), func(w []byte) []byte { return corrupt(w, 500) }), nil, "recv: ymodem: \"route.csv\": block 9: bad CRC"},
		{"corrupted header", once(isBlock(0), func(w []byte) []byte { return corrupt(w, 20) }), nil, "recv: ymodem: header: bad CRC"},
		{"damaged block number", once(isBlock(5), func(w []byte) []byte { return corrupt(w, 2) }), nil, "block 5: [0-9]+ bytes of garbage"},
		{"truncated block", once(isBlock(3), func(w []byte) []byte { return w[:600] }), nil, "block 3: timeout in the middle of a block"},
		{"lost block", once(isBlock(4), drop), nil, "block 4: timeout waiting for a block"},
		{"garbage between blocks", once(isBlock(6), func(w []byte) []byte { return append([]byte("\x01\x07\xf8noise\x18"), w...) }), nil, ""},
		{"lost ACK: block sent twice, kept once", nil, once(is(ACK), drop), "send: ymodem: \"route.csv\": block 1: NAK, sending again"},
		{"lost ACK of a data block", nil, nth(10, is(ACK), drop), "block 10: NAK, sending again"},
		{"lost 'C' at the start", nil, once(is(WantCRC), drop), ""},
		{"lost ACK+C after the header", nil, once(is(ACK, WantCRC), drop), "header: 'C', sending again"},
		{"lost NAK of the first EOT", nil, once(is(NAK), drop), "end of file: timeout"},
		{"lost ACK of the second EOT: the next 'C' says it", nil, nth(2, is(ACK, WantCRC), drop), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLink(t, big, randomFile("readings.csv", 3000, 8))
			l.toRecv, l.toSend = tt.toRecv, tt.toSend
			l.run()
			l.wantDelivered()
			if !regexp.MustCompile(tt.problem).MatchString(strings.Join(l.problems, "\n")) {
				t.Errorf("no problem reported containing %q; got %q", tt.problem, l.problems)
			}
		})
	}
}

// TestSessionRandomFaults damages one write in five of each side at random
// (a byte changed, the write lost, cut short, doubled, or behind a noise
// byte): a transfer either delivers every file intact or fails with an
// error; it never delivers wrong data or hangs. The few failures are
// XMODEM's own weakness: a noise byte that happens to be an ACK.
func TestSessionRandomFaults(t *testing.T) {
	ok, failed := 0, 0
	for seed := range uint64(1000) {
		r := rand.New(rand.NewPCG(seed, 99))
		damage := func(_ int, w []byte) []byte {
			switch x := r.IntN(50); {
			case x < 3 && len(w) > 0:
				return corrupt(w, r.IntN(len(w)))
			case x < 5:
				return nil
			case x < 7 && len(w) > 1:
				return w[:r.IntN(len(w))]
			case x < 9:
				return append(bytes.Clone(w), w...)
			case x < 11:
				return append([]byte{byte(r.IntN(256))}, w...)
			}
			return w
		}
		l := newLink(t, randomFile("a.csv", r.IntN(40_000), seed), randomFile("b.csv", r.IntN(3_000), seed+1000))
		l.toRecv, l.toSend = damage, damage
		l.run()
		if l.sErr != nil || l.rErr != nil {
			if l.rErr == nil && l.sErr != nil && !strings.Contains(l.sErr.Error(), "end of batch") {
				t.Errorf("seed %d: sender failed (%v) but the receiver finished", seed, l.sErr)
			}
			failed++
			if testing.Verbose() {
				t.Logf("seed %d: sender: %v; receiver: %v", seed, l.sErr, l.rErr)
			}
			continue
		}
		ok++
		l.wantDelivered()
	}
	t.Logf("%d delivered, %d failed cleanly", ok, failed)
	if ok < 980 {
		t.Errorf("only %d of 1000 delivered: retries do not cope", ok)
	}
}
