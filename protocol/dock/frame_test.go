package dock

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
)

func mustFrame(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeAllFrames feeds in to a fresh decoder chunk bytes at a time (all at
// once for 0) and describes the frames found.
func decodeAllFrames(in []byte, chunk, max int) ([]string, *Decoder) {
	d := NewDecoder(max)
	var got []string
	for len(in) > 0 {
		n := len(in)
		if chunk > 0 {
			n = min(chunk, n)
		}
		d.Write(in[:n])
		in = in[n:]
		for {
			f, ok := d.Next()
			if !ok {
				break
			}
			got = append(got, fmt.Sprintf("%v/%x/%d/%q", f.Type, f.Flags, f.Seq, f.Payload))
		}
	}
	return got, d
}

func TestDecoder(t *testing.T) {
	hello := mustFrame(t, Frame{Type: MsgHello, Seq: 7, Payload: []byte(`{"x":1}`)})
	ack := mustFrame(t, Frame{Type: TypeAck, Seq: 8})
	big := mustFrame(t, Frame{Type: MsgXferData, Flags: FlagZ, Seq: 9, Payload: bytes.Repeat([]byte{Magic0, Magic1}, 300)})
	badCRC := bytes.Clone(hello)
	badCRC[len(badCRC)-1] ^= 1
	badLen := bytes.Clone(hello) // a length of 0xFFFF with its header CRC wrong: no waiting for it
	badLen[8], badLen[9] = 0xFF, 0xFF
	badFlags := mustFrame(t, Frame{Type: MsgHello, Seq: 1})
	badFlags[3] = 0x02
	binary.LittleEndian.PutUint16(badFlags[10:], uint16(crc32.ChecksumIEEE(badFlags[:10])))
	const helloS, ackS = `HELLO/0/7/"{\"x\":1}"`, `ACK/0/8/""`
	tests := []struct {
		name      string
		in        []byte
		max       int
		want      []string
		bad       int64 // bad headers + bad CRCs
		buffered  int   // bytes left waiting
		discarded int64
	}{
		{"two frames", cat(hello, ack), 0, []string{helloS, ackS}, 0, 0, 0},
		{"garbage first", cat([]byte("\x00\xA5\xA5zz\x4D"), hello), 0, []string{helloS}, 0, 0, 6},
		{"magic in payload", cat(big, ack), 0, []string{fmt.Sprintf("XFER_DATA/1/9/%q", bytes.Repeat([]byte{Magic0, Magic1}, 300)), ackS}, 0, 0, 0},
		{"bad CRC then good", cat(badCRC, ack), 0, []string{ackS}, 1, 0, int64(len(badCRC))},
		{"corrupt length", cat(badLen, ack), 0, []string{ackS}, 1, 0, int64(len(badLen))},
		{"unknown flag", cat(badFlags, ack), 0, []string{ackS}, 1, 0, int64(len(badFlags))},
		// The magic pairs in its payload are each taken for a header, and fail.
		{"over the max", cat(big, ack), 512, []string{ackS}, 301, 0, int64(len(big))},
		{"truncated", hello[:len(hello)-3], 0, nil, 0, len(hello) - 3, 0},
		{"header only", hello[:HeaderSize], 0, nil, 0, HeaderSize, 0},
		{"lone magic byte", []byte{1, 2, Magic0}, 0, nil, 0, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 5, 64} {
				got, d := decodeAllFrames(tt.in, chunk, tt.max)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("chunk %d: got %q, want %q", chunk, got, tt.want)
				}
				s := d.Stats()
				if s.BadHeader+s.BadCRC != tt.bad || d.Buffered() != tt.buffered || s.Discarded != tt.discarded {
					t.Errorf("chunk %d: stats %+v, buffered %d; want bad %d, buffered %d, discarded %d",
						chunk, s, d.Buffered(), tt.bad, tt.buffered, tt.discarded)
				}
			}
		})
	}
}

func TestAppendFrameRejects(t *testing.T) {
	if _, err := AppendFrame(nil, Frame{Type: MsgHello, Payload: make([]byte, MaxPayloadCap+1)}); err == nil {
		t.Error("oversized payload encoded")
	}
	if _, err := AppendFrame(nil, Frame{Type: MsgHello, Flags: 0x80}); err == nil {
		t.Error("unknown flag encoded")
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
