package dock

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden vectors in testdata")

const goldenCommand = "go test ./protocol/dock -run TestGolden -update"

// goldenNonce and goldenKey are the challenge and device key of the
// vectors: bytes 0x00-0x1F and 0x80-0x9F.
func goldenBytes(from byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

// goldenRoute is the tiny route file of the transfer vectors.
const goldenRoute = "抄表序号,用户编号,上次读数\n0712010101001,10023401,1234\n0712010101002,10023402,1234\n0712010101003,10023403,1234\n"

type goldenVector struct {
	name, what string
	frame      Frame
	body       Body // encoded into frame's payload when set
}

func goldenVectors(t testing.TB) []goldenVector {
	tiny, err := NewTransferSender(OutFile{Xfer: 1, Kind: KindRoute, Name: "route.csv", Data: []byte(goldenRoute)}, SendConfig{Zstd: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tiny.Resume(XferResume{Xfer: 1}); err != nil {
		t.Fatal(err)
	}
	data, _ := tiny.Next()
	return []goldenVector{
		{"hello", "HELLO, host's first frame (seq 0)", Frame{Type: MsgHello},
			Hello{Magic: Magic, Versions: []int{1}, Role: RoleHost, Caps: []string{CapZstd, CapResume}, MaxPayload: 512, Window: 32}},
		{"hello-ack", "HELLO_ACK, device's first frame (seq 0)", Frame{Type: MsgHelloAck},
			HelloAck{Magic: Magic, Version: 1, DeviceID: "HH-0001", Caps: []string{CapZstd, CapResume}, Firmware: "2.3.1", ClockMS: 1700000000000}},
		{"ack", "ACK of the HELLO: next expected seq 1, no selective acks", Frame{Type: TypeAck, Seq: 1}, nil},
		{"ack-sack", "ACK: next expected 3, frames 5, 6 and 9 held", Frame{Type: TypeAck, Seq: 3, Payload: AckPayload([]uint32{5, 6, 9})}, nil},
		{"challenge", "CHALLENGE (seq 1) with nonce 00 01 .. 1F", Frame{Type: MsgChallenge, Seq: 1}, Challenge{Nonce: goldenBytes(0)}},
		{"proof", "PROOF (seq 1): HMAC-SHA256 of that nonce with key 80 81 .. 9F", Frame{Type: MsgProof, Seq: 1},
			Proof{DeviceID: "HH-0001", Proof: hmacSHA256(goldenBytes(0x80), goldenBytes(0))}},
		{"clock-set", "CLOCK_SET (seq 3) to 2023-11-14 22:13:20 UTC", Frame{Type: MsgClockSet, Seq: 3}, ClockSet{ClockMS: 1700000000000}},
		{"xfer-begin", "XFER_BEGIN (seq 7) of the route in testdata/route-tiny.csv, zstd", Frame{Type: MsgXferBegin, Seq: 7}, tiny.Begin()},
		{"xfer-data-z", "XFER_DATA (seq 8, flag Z): the whole zstd stream at offset 0", Frame{Type: MsgXferData, Flags: FlagZ, Seq: 8}, data},
		{"xfer-end", "XFER_END (seq 9)", Frame{Type: MsgXferEnd, Seq: 9}, XferEnd{Xfer: 1}},
		{"xfer-done", "XFER_DONE from the device: 3 households loaded", Frame{Type: MsgXferDone, Seq: 4}, XferDone{Xfer: 1, OK: true, Count: 3}},
		{"bye", "BYE (seq 12)", Frame{Type: MsgBye, Seq: 12}, Bye{}},
	}
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// hexLines is b in lines of 16 bytes, as in testdata and docs/PROTOCOL.md.
func hexLines(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		n := min(16, len(b))
		for i, c := range b[:n] {
			if i > 0 {
				s.WriteByte(' ')
			}
			fmt.Fprintf(&s, "%02x", c)
		}
		s.WriteByte('\n')
		b = b[n:]
	}
	return s.String()
}

// readHex reads a vector file: '#' comment lines, then hex.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(text)) {
		if !strings.HasPrefix(line, "#") {
			digits.WriteString(strings.Join(strings.Fields(line), ""))
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func writeHex(t *testing.T, v goldenVector, b []byte) {
	text := fmt.Sprintf("# %s\n# made by: %s\n%s", v.what, goldenCommand, hexLines(b))
	if err := os.WriteFile(filepath.Join("testdata", v.name+".hex"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func encodeVector(t *testing.T, v goldenVector) []byte {
	f := v.frame
	if v.body != nil {
		p, err := v.body.Encode()
		if err != nil {
			t.Fatal(err)
		}
		f.Payload = p
	}
	b, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden encodes each vector and compares it with testdata; decodes
// the file and compares it with the frame and body.
func TestGolden(t *testing.T) {
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "route-tiny.csv"), []byte(goldenRoute), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range goldenVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			got := encodeVector(t, v)
			if *update {
				writeHex(t, v, got)
			}
			want := readHex(t, v.name+".hex")
			hexDiff(t, got, want)
			d := NewDecoder(0)
			d.Write(want)
			f, ok := d.Next()
			if !ok || f.Type != v.frame.Type || f.Seq != v.frame.Seq || f.Flags != v.frame.Flags {
				t.Fatalf("decoded %v %+v", ok, f)
			}
			if v.body != nil {
				body, err := DecodeBody(Message{Type: f.Type, Flags: f.Flags, Payload: f.Payload})
				if err != nil {
					t.Fatal(err)
				}
				again, _ := body.Encode()
				if !bytes.Equal(again, f.Payload) {
					t.Errorf("body re-encodes as %s, want %s", again, f.Payload)
				}
			}
		})
	}
}

// hexDiff reports got against want as hex, from the first difference.
func hexDiff(t *testing.T, got, want []byte) {
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

// TestGoldenInDocs: the protocol document shows every vector as it is.
func TestGoldenInDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "PROTOCOL.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range goldenVectors(t) {
		if !strings.Contains(string(doc), hexLines(readHex(t, v.name+".hex"))) {
			t.Errorf("docs/PROTOCOL.md lacks vector %s:\n%s", v.name, hexLines(readHex(t, v.name+".hex")))
		}
	}
}

func TestCRC32CheckValue(t *testing.T) {
	if got := crc32.ChecksumIEEE([]byte("123456789")); got != 0xCBF43926 {
		t.Errorf("CRC-32 of 123456789 = %#08x, want 0xcbf43926", got)
	}
}
