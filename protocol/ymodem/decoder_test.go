package ymodem

import (
	"bytes"
	"slices"
	"testing"
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func corrupt(b []byte, at int) []byte {
	c := slices.Clone(b)
	c[at] ^= 0x40
	return c
}

func TestDecoder(t *testing.T) {
	hdr := readGolden(t, "header-route.bin")
	data := readGolden(t, "data-1k.bin")
	tail := readGolden(t, "data-tail.bin")
	withCAN, _ := DataBlock(3, []byte("a\x18\x18b\x04\x01\x02"), BlockSize) // control bytes inside data are data
	canFrame, _ := AppendFrame(nil, withCAN, CheckCRC16)
	const hdrEv = "block 0 [route.csv size=1234 mtime=1700000000 mode=100644]"
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"header", hdr, []string{hdrEv}},
		{"blocks back to back", cat(hdr, data, tail), []string{hdrEv, "block 1 1024 bytes", "block 2 128 bytes"}},
		{"garbage before a block", cat([]byte("xyz\r\n"), data), []string{"garbage 5", "block 1 1024 bytes"}},
		{"SOH with a bad complement is noise", cat([]byte{SOH, 5, 7}, data), []string{"garbage 3", "block 1 1024 bytes"}},
		{"stray SOH right before a frame", cat([]byte{SOH}, tail), []string{"garbage 1", "block 2 128 bytes"}},
		{"stray STX and number before a frame", cat([]byte{STX, 9}, hdr), []string{"garbage 2", hdrEv}},
		{"truncated block", data[:100], []string{"partial 100"}},
		{"bad CRC: data byte", corrupt(data, 500), []string{"bad block 1"}},
		{"bad CRC: CRC byte", corrupt(data, len(data)-1), []string{"bad block 1"}},
		{"bad CRC then the block again", cat(corrupt(tail, 40), tail), []string{"bad block 2", "block 2 128 bytes"}},
		{"damaged block number: the frame is garbage", corrupt(tail, 1), []string{"garbage 133"}},
		{"damaged start byte, then the block again", cat(corrupt(tail, 0), tail), []string{"garbage 133", "block 2 128 bytes"}},
		{"EOT", []byte{EOT}, []string{"EOT"}},
		{"EOT twice", []byte{EOT, EOT}, []string{"EOT", "EOT"}},
		{"garbage then EOT", []byte{'x', EOT}, []string{"garbage 1", "EOT"}},
		{"CAN CAN", []byte{CAN, CAN}, []string{"cancel"}},
		{"lrzsz's cancel: 10 CAN, 10 BS", cat(bytes.Repeat([]byte{CAN}, 10), bytes.Repeat([]byte{8}, 10)), []string{"cancel", "cancel", "cancel", "cancel", "cancel", "garbage 10"}},
		{"garbage then CAN CAN", []byte{'x', CAN, CAN}, []string{"garbage 1", "cancel"}},
		{"a lone CAN is noise", cat([]byte{CAN}, tail), []string{"garbage 1", "block 2 128 bytes"}},
		{"CAN, EOT and SOH inside data", canFrame, []string{"block 3 128 bytes"}},
	}
	for _, tt := range tests {
		for _, chunk := range []int{0, 1, 2, 7, 130} {
			got := decodeAll(tt.in, chunk)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s, fed %d at a time: got %q, want %q", tt.name, chunk, got, tt.want)
			}
		}
	}
}

func TestDecoderReset(t *testing.T) {
	data := readGolden(t, "data-1k.bin")
	var d Decoder
	if ev, n := d.Decode(data[:300]); ev.Kind != EventNone || n != 300 {
		t.Fatalf("partial frame: got %v after %d bytes", ev.Kind, n)
	}
	if n := d.Reset(); n != 300 {
		t.Errorf("Reset dropped %d bytes, want 300", n)
	}
	ev, n := d.Decode(data)
	if ev.Kind != EventBlock || n != len(data) || !bytes.Equal(ev.Block.Data, readGolden(t, "route-1k.csv")) {
		t.Errorf("after Reset: %v after %d bytes", ev.Kind, n)
	}
}

func TestDecoderBound(t *testing.T) {
	// Start bytes with good complements and no end: the decoder never holds
	// more than one frame.
	var in []byte
	for i := range 5000 {
		in = append(in, STX, byte(i), ^byte(i), SOH, CAN, 'x')
	}
	var d Decoder
	for p := in; ; {
		ev, n := d.Decode(p)
		p = p[n:]
		if ev.Kind == EventNone {
			break
		}
		if d.Buffered() > MaxFrameSize {
			t.Fatalf("holds %d bytes", d.Buffered())
		}
	}
}
