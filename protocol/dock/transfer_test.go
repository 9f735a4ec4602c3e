package dock

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// routeFile makes n bytes of a route CSV: compressible, as real ones are.
func routeFile(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	var b bytes.Buffer
	b.WriteString("抄表序号,用户编号,用户姓名,用户地址,上次读数\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%04d%02d%02d%03d,%08d,用户%d,金桥小区%d幢%d单元%d室,%d\n",
			1000+i/500, i%40, i%6, i%300, r.IntN(1e8), i, i%40, i%6, i%300, r.IntN(99999))
	}
	return b.Bytes()[:n]
}

// randomFile makes n incompressible bytes.
func randomFile(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// xferRun drives a transfer from p.a to p.b through their links the way a
// driver would: BEGIN, RESUME from partial, DATA keeping the window full
// until cut bytes are held (0: no cut), END, DONE.
type xferRun struct {
	t       *testing.T
	p       *pair
	s       *TransferSender
	r       *TransferReceiver
	partial []byte
	cut     int64
	raw     []byte
	done    *XferDone
	resumed int64
	ended   bool
}

func (x *xferRun) onDeliver(at *Link, m Message) {
	t := x.t
	var err error
	switch m.Type {
	case MsgXferBegin:
		var b XferBegin
		if b, err = DecodeXferBegin(m.Payload); err == nil {
			if x.r, err = NewTransferReceiver(b, x.partial, ReceiveConfig{}); err == nil {
				err = sendBody(at, x.r.Resume())
			}
		}
	case MsgXferResume:
		var r XferResume
		if r, err = DecodeXferResume(m.Payload); err == nil {
			x.resumed = r.Offset
			err = x.s.Resume(r)
		}
	case MsgXferData:
		var d XferData
		if d, err = DecodeXferData(m.Payload); err == nil {
			err = x.r.Data(d, m.Flags)
		}
	case MsgXferEnd:
		var e XferEnd
		if e, err = DecodeXferEnd(m.Payload); err == nil {
			x.raw, err = x.r.End(e)
			err = sendBody(at, XferDone{Xfer: e.Xfer, OK: err == nil, Count: 1})
		}
	case MsgXferDone:
		var d XferDone
		if d, err = DecodeXferDone(m.Payload); err == nil {
			x.done = &d
		}
	}
	if err != nil {
		t.Fatalf("%v: %v", m.Type, err)
	}
}

func sendBody(l *Link, b Body) error {
	p, err := b.Encode()
	if err != nil {
		return err
	}
	return l.Send(b.MsgType(), 0, p)
}

// pump queues data while the window has room, then END once.
func (x *xferRun) pump() {
	l := x.p.a
	for !x.ended && l.Queued() < l.Config().Window {
		if x.cut > 0 && x.r != nil && int64(len(x.r.Partial())) >= x.cut {
			return
		}
		d, ok := x.s.Next()
		if !ok {
			if x.s.Finished() {
				x.ended = true
				if err := sendBody(l, x.s.End()); err != nil {
					x.t.Fatal(err)
				}
			}
			return
		}
		p, err := d.Encode()
		if err == nil {
			err = l.Send(MsgXferData, x.s.Flags(), p)
		}
		if err != nil {
			x.t.Fatal(err)
		}
		x.s.Sent(l.NextSeq() - 1)
	}
}

// transfer sends data from a to b through faults f, b starting from
// partial, cut off (returning nil) once b holds cut bytes if cut > 0.
func transfer(t *testing.T, data, partial []byte, cut int64, f faults, seed uint64) *xferRun {
	t.Helper()
	p := newPair(testLinkConfig, seed, f)
	s, err := NewTransferSender(OutFile{Xfer: 1, Kind: KindRoute, Name: "r.csv", Data: data}, SendConfig{Zstd: true})
	if err != nil {
		t.Fatal(err)
	}
	x := &xferRun{t: t, p: p, s: s, partial: partial, cut: cut}
	p.onDeliver = func(at *Link, m Message) { x.onDeliver(at, m) }
	if err := sendBody(p.a, s.Begin()); err != nil {
		t.Fatal(err)
	}
	p.run(t, 30*time.Minute, func() bool {
		x.pump()
		if cut > 0 && x.r != nil && int64(len(x.r.Partial())) >= cut {
			return true
		}
		return x.done != nil && p.a.Idle()
	})
	return x
}

func TestTransferThroughLoss(t *testing.T) {
	files := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"route 200 KB", routeFile(200<<10, 1), EncodingZstd},
		{"random 200 KB", randomFile(200<<10, 2), EncodingIdentity},
		{"empty", nil, EncodingIdentity},
		{"one byte", []byte("x"), EncodingIdentity},
	}
	for _, fl := range files {
		for i, prof := range faultProfiles {
			t.Run(fl.name+"/"+prof.name, func(t *testing.T) {
				x := transfer(t, fl.data, nil, 0, prof.f, uint64(i))
				if !x.done.OK || !bytes.Equal(x.raw, fl.data) {
					t.Fatalf("done %+v, %d bytes received of %d", x.done, len(x.raw), len(fl.data))
				}
				if b := x.s.Begin(); b.Encoding != fl.encoding {
					t.Errorf("encoding %s, want %s", b.Encoding, fl.encoding)
				}
				if done, total := x.s.Acked(x.p.a.AckedSeq()); done != total {
					t.Errorf("progress %d of %d at the end", done, total)
				}
			})
		}
	}
}

// TestTransferResume cuts a transfer off halfway, then starts again from the
// receiver's prefix: the second attempt sends only the rest.
func TestTransferResume(t *testing.T) {
	for _, fl := range []struct {
		name string
		data []byte
	}{{"zstd", routeFile(300<<10, 5)}, {"identity", randomFile(200<<10, 6)}} {
		t.Run(fl.name, func(t *testing.T) {
			first := transfer(t, fl.data, nil, 40<<10, faultProfiles[6].f, 1)
			partial := bytes.Clone(first.r.Partial())
			second := transfer(t, fl.data, partial, 0, faultProfiles[6].f, 2)
			if second.resumed != int64(len(partial)) || len(partial) < 40<<10 {
				t.Errorf("resumed at %d, partial %d", second.resumed, len(partial))
			}
			if !bytes.Equal(second.raw, fl.data) {
				t.Fatal("resumed transfer differs")
			}
			if got, want := second.s.SentBytes(), second.s.Begin().EncSize-int64(len(partial)); got != want {
				t.Errorf("second attempt sent %d bytes, want %d", got, want)
			}
		})
	}
}
