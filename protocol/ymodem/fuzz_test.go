package ymodem

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// addSeeds adds every vector in testdata, whole, truncated, behind garbage
// and twice over.
func addSeeds(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.bin"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(cat([]byte{SOH, 0x42, CAN}, b))
		f.Add(cat(b, b, []byte{EOT, CAN, CAN}))
	}
}

func FuzzDecoder(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := decodeAll(in, 0)
		for _, chunk := range []int{1, 3, 131} {
			if got := decodeAll(in, chunk); !slices.Equal(got, whole) {
				t.Fatalf("fed %d at a time: %q; all at once: %q", chunk, got, whole)
			}
		}
		var d Decoder
		for p := in; ; {
			ev, n := d.Decode(p)
			if n < 0 || n > len(p) || d.Buffered() > MaxFrameSize {
				t.Fatalf("used %d of %d, holds %d", n, len(p), d.Buffered())
			}
			p = p[n:]
			if ev.Kind == EventNone {
				break
			}
			if ev.Kind == EventBlock {
				roundTrip(t, ev.Block)
			}
		}
	})
}

// roundTrip encodes b and decodes it again; a header must also survive
// being parsed and rebuilt.
func roundTrip(t *testing.T, b Block) {
	frame, err := AppendFrame(nil, b, CheckCRC16)
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	ev, n := d.Decode(frame)
	if ev.Kind != EventBlock || n != len(frame) || ev.Block.Num != b.Num || !bytes.Equal(ev.Block.Data, b.Data) {
		t.Fatalf("block %d does not survive encoding: %v", b.Num, ev.Kind)
	}
	if b.Num == 0 {
		headerRoundTrip(t, b.Data)
	}
}

func headerRoundTrip(t *testing.T, data []byte) {
	fi, end, err := ParseHeader(data)
	if err != nil || end || fi.Size < 0 {
		return // nothing to rebuild: HeaderBlock sends only files of known size
	}
	hb, err := HeaderBlock(fi)
	if errors.Is(err, ErrNameTooLong) {
		return
	}
	if err != nil {
		t.Fatalf("HeaderBlock(%+v): %v", fi, err)
	}
	again, end, err := ParseHeader(hb.Data)
	if err != nil || end || !sameInfo(again, fi) {
		t.Fatalf("header %+v came back as %+v (end %v, err %v)", fi, again, end, err)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(readGolden(f, "header-lrzsz.bin")[3:131])
	f.Add(readGolden(f, "header-long.bin")[3:1027])
	f.Add([]byte("a\x000x10 777 7777777777777777777777 1"))
	f.Add([]byte("OLD.TXT\x1a\x1a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		headerRoundTrip(t, data)
	})
}

// FuzzReceiver feeds a Receiver arbitrary bytes, with a timeout wherever the
// input holds 0xFF, and checks it neither panics nor hands out more than
// the headers announce.
func FuzzReceiver(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReceiver(ReceiverConfig{})
		now := time.Unix(0, 0)
		out := r.Start(now)
		var size, got int64 = -1, 0
		for _, p := range bytes.Split(in, []byte{0xFF}) {
			for !out.Done {
				out = r.Read(p, now)
				if out.Consumed < 0 || out.Consumed > len(p) {
					t.Fatalf("consumed %d of %d", out.Consumed, len(p))
				}
				p = p[out.Consumed:]
				if out.File != nil {
					size, got = out.File.Size, 0
				}
				if got += int64(len(out.Data)); size >= 0 && got > size {
					t.Fatalf("handed out %d bytes of a %d-byte file", got, size)
				}
				if !out.More {
					break
				}
			}
			if out.Done {
				return
			}
			now = out.Deadline
			out = r.Timeout(now)
		}
	})
}
