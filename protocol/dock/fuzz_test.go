package dock

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"
)

// addFrameSeeds adds every golden vector whole, truncated, behind garbage,
// twice over and with its length raised past the cap.
func addFrameSeeds(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range names {
		b := readHex(f, filepath.Base(name))
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(cat([]byte{Magic0, Magic1, 0x01, Magic0}, b))
		f.Add(cat(b, b))
		over := bytes.Clone(b)
		over[8], over[9] = 0x01, 0x10 // 4097
		f.Add(over)
	}
}

func FuzzDecoder(f *testing.F) {
	addFrameSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, d := decodeAllFrames(in, 0, 0)
		if d.Buffered() > len(in) {
			t.Fatalf("holds %d of %d bytes", d.Buffered(), len(in))
		}
		for _, chunk := range []int{1, 7} {
			if got, _ := decodeAllFrames(in, chunk, 0); len(got) != len(whole) {
				t.Fatalf("fed %d at a time: %d frames; at once: %d", chunk, len(got), len(whole))
			}
		}
		dec := NewDecoder(0)
		dec.Write(in)
		for {
			fr, ok := dec.Next()
			if !ok {
				break
			}
			b, err := AppendFrame(nil, fr)
			if err != nil {
				t.Fatalf("a decoded frame does not encode: %v", err)
			}
			again := NewDecoder(0)
			again.Write(b)
			g, ok := again.Next()
			if !ok || g.Type != fr.Type || g.Flags != fr.Flags || g.Seq != fr.Seq || !bytes.Equal(g.Payload, fr.Payload) {
				t.Fatalf("round trip: %+v became %+v", fr, g)
			}
		}
	})
}

// FuzzBody decodes a body of every type; what decodes must encode and
// decode to the same.
func FuzzBody(f *testing.F) {
	for _, v := range goldenVectors(f) {
		if v.body != nil {
			p, _ := v.body.Encode()
			f.Add(uint8(v.frame.Type), p)
		}
	}
	f.Add(uint8(MsgStatus), []byte(`{"reader_id":"R1","cycle":"2025-07","route_households":3,"read":2,"unread":1}`))
	f.Add(uint8(MsgError), []byte(`{"code":"auth","message":"密钥不符"}`))
	f.Fuzz(func(t *testing.T, typ uint8, p []byte) {
		m := Message{Type: MsgType(typ), Payload: p}
		b, err := DecodeBody(m)
		if err != nil {
			return
		}
		again, err := b.Encode()
		if err != nil {
			t.Fatalf("%v decoded from %q does not encode: %v", m.Type, p, err)
		}
		b2, err := DecodeBody(Message{Type: m.Type, Payload: again})
		if err != nil {
			t.Fatalf("%v: re-encoded %q does not decode: %v", m.Type, again, err)
		}
		if third, _ := b2.Encode(); !bytes.Equal(third, again) {
			t.Fatalf("%v: %q then %q", m.Type, again, third)
		}
	})
}

// FuzzLink feeds a link random bytes at random times, with messages of its
// own to send: it must neither panic nor deliver what no good frame carried.
func FuzzLink(f *testing.F) {
	addFrameSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		l := NewLink(LinkConfig{RTO: time.Second, MaxRetries: 3, Window: 4})
		now := simStart
		for range 6 {
			_ = l.Send(MsgStatusGet, 0, []byte("{}"))
		}
		good, _ := decodeAllFrames(in, 0, 0)
		delivered := 0
		for len(in) > 0 {
			n := min(len(in), 1+int(in[0])%17)
			l.Input(in[:n], now)
			in = in[n:]
			now = now.Add(time.Duration(n) * 100 * time.Millisecond)
			l.Tick(now)
			l.Output()
			delivered += len(l.Deliver())
		}
		_ = l.Deadline()
		if delivered > len(good) {
			t.Fatalf("%d messages delivered from %d good frames", delivered, len(good))
		}
	})
}
