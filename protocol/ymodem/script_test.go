package ymodem

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// frameOf returns the CRC frame of block num holding chunk, SUB padded.
func frameOf(t *testing.T, num byte, chunk []byte, size int) []byte {
	t.Helper()
	b, err := DataBlock(num, chunk, size)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := AppendFrame(nil, b, CheckCRC16)
	return f
}

func headerOf(t *testing.T, fi FileInfo) []byte {
	t.Helper()
	b, err := HeaderBlock(fi)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := AppendFrame(nil, b, CheckCRC16)
	return f
}

// rxScript drives a Receiver by hand and keeps what it wrote and handed out.
type rxScript struct {
	t     *testing.T
	r     *Receiver
	now   time.Time
	wrote []byte
	data  []byte
	files int
	ends  int
	out   RecvOutput
}

func newRxScript(t *testing.T) *rxScript {
	s := &rxScript{t: t, r: NewReceiver(ReceiverConfig{}), now: time.Unix(1000, 0)}
	s.take(s.r.Start(s.now))
	return s
}

func (s *rxScript) take(out RecvOutput) {
	s.out = out
	s.wrote = append(s.wrote, out.Write...)
	s.data = append(s.data, out.Data...)
	if out.File != nil {
		s.files++
	}
	if out.FileEnd {
		s.ends++
	}
}

func (s *rxScript) feed(p []byte) {
	for {
		out := s.r.Read(p, s.now)
		p = p[out.Consumed:]
		s.take(out)
		if !out.More {
			return
		}
	}
}

// wait lets the deadline pass.
func (s *rxScript) wait() {
	s.now = s.out.Deadline
	s.take(s.r.Timeout(s.now))
}

// expect checks what was written since the last expect.
func (s *rxScript) expect(want ...byte) {
	s.t.Helper()
	if !bytes.Equal(s.wrote, want) {
		s.t.Fatalf("wrote % x, want % x", s.wrote, want)
	}
	s.wrote = nil
}

func TestReceiverEOT(t *testing.T) {
	s := newRxScript(t)
	s.expect(WantCRC)
	s.feed(headerOf(t, FileInfo{Name: "a.csv", Size: 5}))
	s.expect(ACK, WantCRC)
	s.feed(frameOf(t, 1, []byte("hello"), BlockSize))
	s.expect(ACK)
	s.feed([]byte{EOT})
	s.expect() // not before the line has been quiet
	s.wait()
	s.expect(NAK)
	s.feed([]byte{EOT})
	s.expect(ACK, WantCRC)
	if s.ends != 1 || string(s.data) != "hello" {
		t.Fatalf("ends %d, data %q", s.ends, s.data)
	}
	end, _ := AppendFrame(nil, EndOfBatch(), CheckCRC16)
	s.feed(end)
	s.expect(ACK)
	if !s.out.Done || s.out.Err != nil {
		t.Fatalf("done %v err %v", s.out.Done, s.out.Err)
	}
}

func TestReceiverNoisyEOT(t *testing.T) {
	s := newRxScript(t)
	s.feed(headerOf(t, FileInfo{Name: "a.csv", Size: 300}))
	s.feed(frameOf(t, 1, bytes.Repeat([]byte("x"), 128), BlockSize))
	s.expect(WantCRC, ACK, WantCRC, ACK)
	s.feed([]byte{EOT, 'x', 'y'}) // an EOT with more behind it is noise
	s.expect()
	s.wait()
	s.expect(NAK)
	s.feed(frameOf(t, 2, bytes.Repeat([]byte("y"), 128), BlockSize))
	s.expect(ACK)
	if s.ends != 0 || len(s.data) != 256 {
		t.Fatalf("ends %d, %d bytes", s.ends, len(s.data))
	}
}

func TestReceiverNoiseBeforeHeader(t *testing.T) {
	s := newRxScript(t)
	s.expect(WantCRC)
	s.feed([]byte("\r\nHH-200 v2.1 ready\r\n")) // a handheld's banner
	s.expect()
	if s.out.Problem == nil || s.out.Done {
		t.Fatalf("noise: problem %v, done %v", s.out.Problem, s.out.Done)
	}
	s.wait() // the line is quiet again: ask again
	s.expect(WantCRC)
	s.feed(headerOf(t, FileInfo{Name: "a.csv", Size: 1}))
	s.expect(ACK, WantCRC)

	// Noise that never stops ends the wait for a header, not sooner.
	s = newRxScript(t)
	for i := 0; i < 10000 && !s.out.Done; i++ {
		next := s.now.Add(50 * time.Millisecond) // quicker than the purge's quiet
		if !s.out.Deadline.After(next) {
			s.wait()
			continue
		}
		s.now = next
		s.feed([]byte("noise"))
	}
	if s.out.Err == nil || !strings.HasPrefix(s.out.Err.Error(), "ymodem: header: no ") || s.now.Sub(time.Unix(1000, 0)) < time.Minute {
		t.Errorf("after %v: %v", s.now.Sub(time.Unix(1000, 0)), s.out.Err)
	}
}

func TestReceiverDuplicate(t *testing.T) {
	s := newRxScript(t)
	s.feed(headerOf(t, FileInfo{Name: "a.csv", Size: 200}))
	s.feed(headerOf(t, FileInfo{Name: "a.csv", Size: 200})) // our ACK was lost
	s.expect(WantCRC, ACK, WantCRC, ACK, WantCRC)
	b1 := frameOf(t, 1, bytes.Repeat([]byte("1"), 128), BlockSize)
	s.feed(b1)
	s.feed(b1)
	s.expect(ACK, ACK)
	s.feed(frameOf(t, 2, bytes.Repeat([]byte("2"), 72), BlockSize))
	s.expect(ACK)
	if s.files != 1 || string(s.data) != strings.Repeat("1", 128)+strings.Repeat("2", 72) {
		t.Fatalf("files %d, data %q", s.files, s.data)
	}
}

func TestReceiverSizeUnknown(t *testing.T) {
	s := newRxScript(t)
	s.feed(frameOf(t, 0, []byte("OLD.TXT"), BlockSize)) // name only, SUB padded (CP/M)
	s.feed(frameOf(t, 1, bytes.Repeat([]byte("a"), 128), BlockSize))
	s.feed(frameOf(t, 2, []byte("end\x1a"), BlockSize))
	s.feed([]byte{EOT})
	s.wait()
	s.feed([]byte{EOT})
	if want := strings.Repeat("a", 128) + "end"; string(s.data) != want || s.ends != 1 {
		t.Fatalf("data %q ends %d, want %q: the padding stripped", s.data, s.ends, want)
	}
}

func TestReceiverFailures(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *rxScript)
		want string // the error's text
		is   error
	}{
		{"short file", func(t *testing.T, s *rxScript) {
			s.feed(headerOf(t, FileInfo{Name: "route.csv", Size: 1234}))
			s.feed(frameOf(t, 1, []byte("x"), BlockSize))
			s.feed([]byte{EOT})
			s.wait()
			s.feed([]byte{EOT})
		}, `ymodem: "route.csv": end of file: file ended after 128 of its 1234 bytes`, nil},
		{"out of sequence", func(t *testing.T, s *rxScript) {
			s.feed(headerOf(t, FileInfo{Name: "route.csv", Size: 1234}))
			s.feed(frameOf(t, 1, []byte("x"), BlockSize))
			s.feed(frameOf(t, 3, []byte("x"), BlockSize))
		}, `ymodem: "route.csv": block 2: out of sequence: got block numbered 3, want 2`, nil},
		{"XMODEM sender", func(t *testing.T, s *rxScript) {
			s.feed(frameOf(t, 1, []byte("x"), BlockSize))
		}, "ymodem: header: got block numbered 1 where a header (block 0) belongs: not a YMODEM sender?", nil},
		{"peer cancels", func(t *testing.T, s *rxScript) {
			s.feed(headerOf(t, FileInfo{Name: "route.csv", Size: 1234}))
			s.feed([]byte{CAN, CAN, CAN})
		}, `ymodem: "route.csv": block 1: cancelled by peer`, ErrCanceled},
		{"no sender", func(t *testing.T, s *rxScript) {
			for !s.out.Done {
				s.wait()
			}
			if n := bytes.Count(s.wrote, []byte{WantCRC}); n != 20 {
				t.Errorf("%d 'C's in 60 s, want one every 3 s", n)
			}
		}, "ymodem: header: no sender after 1m0s", nil},
		{"every block damaged", func(t *testing.T, s *rxScript) {
			s.feed(headerOf(t, FileInfo{Name: "route.csv", Size: 1234}))
			bad := corrupt(frameOf(t, 1, []byte("x"), BlockSize), 10)
			for i := 0; i < 20 && !s.out.Done; i++ {
				s.feed(bad)
				s.wait()
			}
			if n := bytes.Count(s.wrote, []byte{WantCRC}); n != 12 { // start, after the header, 10 asks
				t.Errorf("asked again %d times, want 10", n-2)
			}
		}, `ymodem: "route.csv": block 1: 11 failures in a row, the last: bad CRC in block numbered 1`, nil},
		{"caller aborts", func(t *testing.T, s *rxScript) {
			s.feed(headerOf(t, FileInfo{Name: "route.csv", Size: 1234}))
			s.take(s.r.Abort(errors.New("file too large")))
		}, `ymodem: "route.csv": block 1: file too large`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRxScript(t)
			tt.run(t, s)
			if !s.out.Done || s.out.Err == nil {
				t.Fatalf("not failed: %+v", s.out)
			}
			if s.out.Err.Error() != tt.want {
				t.Errorf("error %q, want %q", s.out.Err, tt.want)
			}
			var e *Error
			if !errors.As(s.out.Err, &e) || (tt.is != nil && !errors.Is(s.out.Err, tt.is)) {
				t.Errorf("error %#v is not an *Error wrapping %v", s.out.Err, tt.is)
			}
			if tt.is == nil && !bytes.HasSuffix(s.wrote, CancelBytes()) {
				t.Errorf("the peer was not told: wrote % x", s.wrote)
			}
		})
	}
}

// txScript drives a Sender by hand.
type txScript struct {
	t     *testing.T
	s     *Sender
	now   time.Time
	wrote []byte
	out   SendOutput
}

func (x *txScript) take(out SendOutput) {
	x.out = out
	x.wrote = append(x.wrote, out.Write...)
}

// feed passes p to the Sender, as far as it goes without a Need.
func (x *txScript) feed(p ...byte) {
	for len(p) > 0 {
		out := x.s.Read(p, x.now)
		x.take(out)
		p = p[out.Consumed:]
		if out.Need != NeedNothing || out.Done {
			break
		}
	}
}

func (x *txScript) expect(want []byte) {
	x.t.Helper()
	if !bytes.Equal(x.wrote, want) {
		x.t.Fatalf("wrote\n% x\nwant\n% x", x.wrote, want)
	}
	x.wrote = nil
}

func TestSenderChecksumMode(t *testing.T) {
	x := &txScript{t: t, s: NewSender(SenderConfig{}), now: time.Unix(1000, 0)}
	x.take(x.s.Start(x.now))
	x.feed(NAK) // an XMODEM-style receiver: checksums
	if x.out.Need != NeedFile {
		t.Fatalf("need %v", x.out.Need)
	}
	hb, _ := HeaderBlock(FileInfo{Name: "a", Size: 3})
	x.take(x.s.File(&FileInfo{Name: "a", Size: 3}, x.now))
	want, _ := AppendFrame(nil, hb, CheckChecksum)
	x.expect(want)
	x.feed(ACK, NAK)
	if x.out.Need != NeedData || x.out.NeedLen != 3 {
		t.Fatalf("need %v %d", x.out.Need, x.out.NeedLen)
	}
	x.take(x.s.Data([]byte("abc"), x.now))
	db, _ := DataBlock(1, []byte("abc"), BlockSize)
	want, _ = AppendFrame(nil, db, CheckChecksum)
	x.expect(want)
	x.feed(ACK)
	x.expect([]byte{EOT})
	x.feed(NAK)
	x.expect([]byte{EOT})
	x.feed(ACK, NAK)
	x.take(x.s.File(nil, x.now))
	want, _ = AppendFrame(nil, EndOfBatch(), CheckChecksum)
	x.expect(want)
	x.feed(ACK)
	if !x.out.Done || x.out.Err != nil {
		t.Fatalf("done %v err %v", x.out.Done, x.out.Err)
	}
}

func TestSenderFailures(t *testing.T) {
	tests := []struct {
		name string
		run  func(x *txScript)
		want string
	}{
		{"no receiver", func(x *txScript) {
			x.now = x.out.Deadline
			x.take(x.s.Timeout(x.now))
		}, "ymodem: waiting for the receiver: no receiver: no 'C' or NAK in 1m0s"},
		{"receiver cancels", func(x *txScript) {
			x.feed('C')
			x.take(x.s.File(&FileInfo{Name: "route.csv", Size: 5000}, x.now))
			x.feed(ACK, 'C')
			x.take(x.s.Data(make([]byte, 1024), x.now))
			x.feed(CAN, CAN)
		}, `ymodem: "route.csv": block 1: cancelled by peer`},
		{"Data out of turn", func(x *txScript) {
			x.feed('C')
			x.take(x.s.File(&FileInfo{Name: "route.csv", Size: 5000}, x.now))
			x.feed(ACK, 'C')
			x.take(x.s.Data(make([]byte, 1024), x.now))
			x.take(x.s.Data(make([]byte, 1024), x.now)) // out of turn: refused
		}, `ymodem: "route.csv": block 1: Data called when no data was asked for`},
		{"no answer", func(x *txScript) {
			x.feed('C')
			x.take(x.s.File(&FileInfo{Name: "route.csv", Size: 5000}, x.now))
			x.feed(ACK, 'C')
			x.take(x.s.Data(make([]byte, 1024), x.now))
			for range 11 {
				x.feed(NAK)
			}
		}, `ymodem: "route.csv": block 1: no ACK after 11 tries (last: NAK)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &txScript{t: t, s: NewSender(SenderConfig{}), now: time.Unix(1000, 0)}
			x.take(x.s.Start(x.now))
			tt.run(x)
			if !x.out.Done || x.out.Err == nil || x.out.Err.Error() != tt.want {
				t.Fatalf("done %v, error %q, want %q", x.out.Done, x.out.Err, tt.want)
			}
		})
	}
}

func TestSenderClosed(t *testing.T) {
	start := func() *txScript {
		x := &txScript{t: t, s: NewSender(SenderConfig{}), now: time.Unix(1000, 0)}
		x.take(x.s.Start(x.now))
		x.feed('C')
		x.take(x.s.File(&FileInfo{Name: "a", Size: 0}, x.now))
		x.feed(ACK, 'C')
		return x
	}
	hangup := errors.New("reading: input/output error")

	x := start()
	x.take(x.s.Closed(hangup)) // at the EOT: the file is not known to be delivered
	if !x.out.Done || !errors.Is(x.out.Err, hangup) || x.out.Err.Error() != "ymodem: \"a\": end of file: reading: input/output error" {
		t.Errorf("closed at EOT: done %v, err %v", x.out.Done, x.out.Err)
	}

	x = start()
	x.feed(ACK, 'C') // EOT acknowledged, the next header asked for
	x.take(x.s.File(nil, x.now))
	x.take(x.s.Closed(hangup))
	if !x.out.Done || x.out.Err != nil || x.out.Problem == nil {
		t.Errorf("closed awaiting the end-of-batch ACK: done %v, err %v, problem %v", x.out.Done, x.out.Err, x.out.Problem)
	}
}

func TestSenderEndOfFile(t *testing.T) {
	start := func(size int64) *txScript {
		x := &txScript{t: t, s: NewSender(SenderConfig{}), now: time.Unix(1000, 0)}
		x.take(x.s.Start(x.now))
		x.feed('C')
		x.take(x.s.File(&FileInfo{Name: "a", Size: size}, x.now))
		x.feed(ACK, 'C')
		if size > 0 {
			x.take(x.s.Data(make([]byte, size), x.now))
			x.feed(ACK)
		}
		x.wrote = nil
		return x
	}

	// A 'C' after data: the receiver took the EOT, its ACK was lost.
	x := start(10)
	x.feed('C')
	if x.out.Need != NeedFile || !x.out.FileDone || len(x.wrote) > 0 {
		t.Errorf("'C' after the EOT of a file with data: need %v, file done %v, wrote % x", x.out.Need, x.out.FileDone, x.wrote)
	}
	// Of an empty file, a 'C' still asks for its data: send the EOT again.
	x = start(0)
	x.feed('C')
	if x.out.FileDone || !bytes.Equal(x.wrote, []byte{EOT}) {
		t.Errorf("'C' after the EOT of an empty file: file done %v, wrote % x", x.out.FileDone, x.wrote)
	}

	// No ACK for the end of the batch: every file was acknowledged.
	x = start(10)
	x.feed(ACK, 'C')
	x.take(x.s.File(nil, x.now))
	x.now = x.out.Deadline
	x.take(x.s.Timeout(x.now))
	if !x.out.Done || x.out.Err != nil || x.out.Problem == nil {
		t.Errorf("no ACK for the end of the batch: done %v, err %v, problem %v", x.out.Done, x.out.Err, x.out.Problem)
	}
}
