package ymodem

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffBytes reports got against want as hex dumps, with the first offset
// where they differ.
func diffBytes(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	at := 0
	for at < len(got) && at < len(want) && got[at] == want[at] {
		at++
	}
	t.Errorf("bytes differ at offset %d (%d bytes, want %d)\ngot:\n%swant:\n%s", at, len(got), len(want), hex.Dump(got), hex.Dump(want))
}

var routeTime = time.Unix(1700000000, 0)

func TestGoldenEncode(t *testing.T) {
	route1k := readGolden(t, "route-1k.csv")
	frame := func(b Block, err error) func() ([]byte, error) {
		return func() ([]byte, error) {
			if err != nil {
				return nil, err
			}
			return AppendFrame(nil, b, CheckCRC16)
		}
	}
	tests := []struct {
		name   string
		golden string
		encode func() ([]byte, error)
	}{
		{"route.csv header", "header-route.bin", frame(HeaderBlock(FileInfo{Name: "route.csv", Size: 1234, ModTime: routeTime, Mode: 0o100644}))},
		{"spec figure 5", "header-spec-figure5.bin", frame(HeaderBlock(FileInfo{Name: "bbcsched.txt", Size: 6347, ModTime: time.Unix(0o3314742513, 0), Mode: 0o100644}))},
		{"long name", "header-long.bin", frame(HeaderBlock(FileInfo{Name: string(bytes.Repeat([]byte("r"), 120)) + ".csv", Size: 5, Mode: 0o100644}))},
		{"1K data block", "data-1k.bin", frame(DataBlock(1, route1k, BlockSize1K))},
		{"padded tail", "data-tail.bin", frame(DataBlock(2, route1k[:82], BlockSize))},
		{"checksum", "data-checksum.bin", func() ([]byte, error) {
			b, err := DataBlock(1, route1k[:128], BlockSize)
			if err != nil {
				return nil, err
			}
			return AppendFrame(nil, b, CheckChecksum)
		}},
		{"end of batch", "end-of-batch.bin", frame(EndOfBatch(), nil)},
		{"EOT", "eot.bin", func() ([]byte, error) { return []byte{EOT}, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			diffBytes(t, got, readGolden(t, tt.golden))
		})
	}
}

func TestGoldenDecode(t *testing.T) {
	route1k := readGolden(t, "route-1k.csv")
	tests := []struct {
		golden string
		want   string // the events, as eventString prints them
	}{
		{"header-route.bin", "block 0 [route.csv size=1234 mtime=1700000000 mode=100644]"},
		{"header-lrzsz.bin", "block 0 [route.csv size=1234 mtime=1700000000 mode=100644]"},
		{"header-spec-figure5.bin", fmt.Sprintf("block 0 [bbcsched.txt size=6347 mtime=%d mode=100644]", 0o3314742513)},
		{"header-long.bin", "block 0 [" + string(bytes.Repeat([]byte("r"), 120)) + ".csv size=5 mtime=0 mode=100644]"},
		{"data-1k.bin", fmt.Sprintf("block 1 %d bytes", len(route1k))},
		{"end-of-batch.bin", "block 0 [end of batch]"},
		{"eot.bin", "EOT"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got := decodeAll(readGolden(t, tt.golden), 0)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("events %q, want [%q]", got, tt.want)
			}
		})
	}
}

func TestCRC16(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x31C3 {
		t.Errorf("CRC16(123456789) = %#04x, want 0x31c3", got)
	}
	if got := CRC16(nil); got != 0 {
		t.Errorf("CRC16(nil) = %#04x, want 0", got)
	}
}

// decodeAll feeds in to a fresh Decoder in pieces of chunk bytes (all at
// once when chunk is 0) and describes the events, merging adjacent garbage.
func decodeAll(in []byte, chunk int) []string {
	var d Decoder
	var evs []string
	garbage := 0
	flush := func() {
		if garbage > 0 {
			evs = append(evs, fmt.Sprintf("garbage %d", garbage))
			garbage = 0
		}
	}
	for len(in) > 0 {
		p := in
		if chunk > 0 && len(p) > chunk {
			p = p[:chunk]
		}
		in = in[len(p):]
		for {
			ev, n := d.Decode(p)
			p = p[n:]
			if ev.Kind == EventNone {
				break
			}
			switch ev.Kind {
			case EventGarbage:
				garbage += ev.Skipped
			default:
				flush()
				evs = append(evs, eventString(ev))
			}
		}
	}
	flush()
	if n := d.Buffered(); n > 0 {
		evs = append(evs, fmt.Sprintf("partial %d", n))
	}
	return evs
}

func eventString(ev Event) string {
	switch ev.Kind {
	case EventBlock:
		if ev.Block.Num == 0 {
			fi, end, err := ParseHeader(ev.Block.Data)
			switch {
			case err != nil:
				return "block 0 [" + err.Error() + "]"
			case end:
				return "block 0 [end of batch]"
			}
			return fmt.Sprintf("block 0 [%s size=%d mtime=%d mode=%o]", fi.Name, fi.Size, unixOrZero(fi.ModTime), fi.Mode)
		}
		return fmt.Sprintf("block %d %d bytes", ev.Block.Num, len(ev.Block.Data))
	case EventBadBlock:
		return fmt.Sprintf("bad block %d", ev.Block.Num)
	}
	return ev.Kind.String()
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
