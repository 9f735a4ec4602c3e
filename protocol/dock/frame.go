package dock

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Frame layout. Every frame, an ACK or a message, is:
//
//	off size field
//	0   2    magic 0xA5 0x4D
//	2   1    type   0x00 ACK, else a MsgType
//	3   1    flags  bit 0 FlagZ; bits 1-7 zero
//	4   4    seq    u32 LE (ACK: the next seq expected)
//	8   2    len    u16 LE payload length
//	10  2    hcrc   u16 LE, low 16 bits of CRC-32 of bytes 0..9
//	12  len  payload
//	12+len 4 crc    u32 LE, CRC-32 of bytes 0..12+len-1
//
// CRC-32 is the IEEE one of zlib and Ethernet: polynomial 0x04C11DB7
// (reflected 0xEDB88320), initial value 0xFFFFFFFF, input and output
// reflected, final XOR 0xFFFFFFFF; "123456789" gives 0xCBF43926.
const (
	Magic0      byte = 0xA5 // first byte of every frame
	Magic1      byte = 0x4D // second byte of every frame ('M')
	HeaderSize       = 12   // magic, type, flags, seq, len, hcrc
	TrailerSize      = 4    // the CRC-32 after the payload
	Overhead         = HeaderSize + TrailerSize
	// MaxPayloadCap is the largest payload any frame may carry, whatever
	// was negotiated.
	MaxPayloadCap = 4096
	// MinPayload is the smallest MaxPayload a link accepts: an XFER_DATA
	// header and some data.
	MinPayload = 64
)

// FlagZ marks a frame whose payload is part of a zstd-encoded transfer
// stream. It is the only flag; a frame with any other flag bit set is
// invalid.
const FlagZ uint8 = 0x01

// TypeAck is the frame type of acknowledgements. Its payload is a list of
// at most MaxSACK u32 LE sequence numbers received beyond the cumulative
// ack carried in seq (selective acks); an empty payload is a plain
// cumulative ack.
const TypeAck MsgType = 0x00

// MaxSACK is the most selective acks one ACK frame carries.
const MaxSACK = 64

// Frame is one decoded frame.
type Frame struct {
	Type    MsgType
	Flags   uint8
	Seq     uint32
	Payload []byte
}

// AppendFrame appends f's wire form to dst.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayloadCap {
		return dst, fmt.Errorf("dock: frame payload of %d bytes over %d", len(f.Payload), MaxPayloadCap)
	}
	if f.Flags&^FlagZ != 0 {
		return dst, fmt.Errorf("dock: frame flags %#02x: unknown bits", f.Flags)
	}
	start := len(dst)
	dst = append(dst, Magic0, Magic1, byte(f.Type), f.Flags)
	dst = binary.LittleEndian.AppendUint32(dst, f.Seq)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(f.Payload)))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(crc32.ChecksumIEEE(dst[start:start+10])))
	dst = append(dst, f.Payload...)
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}

// AckPayload returns the payload of an ACK frame listing sacks, of which
// at most MaxSACK are kept.
func AckPayload(sacks []uint32) []byte {
	sacks = sacks[:min(len(sacks), MaxSACK)]
	b := make([]byte, 0, 4*len(sacks))
	for _, s := range sacks {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	return b
}

// ParseAck returns the selective acks of an ACK frame's payload.
func ParseAck(p []byte) ([]uint32, error) {
	if len(p)%4 != 0 || len(p) > 4*MaxSACK {
		return nil, fmt.Errorf("dock: ACK payload of %d bytes", len(p))
	}
	s := make([]uint32, len(p)/4)
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	return s, nil
}

// DecoderStats counts what a Decoder found and threw away, for the
// docking log.
type DecoderStats struct {
	Frames    int64 // good frames
	BadHeader int64 // headers with a wrong hcrc, flags or length
	BadCRC    int64 // frames with a good header and a wrong CRC
	Discarded int64 // bytes skipped while looking for a frame
}

// Decoder finds frames in a byte stream fed in pieces of any size. After
// garbage, a bad header or a bad CRC it resumes the search one byte past
// the magic it had taken for a frame's start, so a good frame hidden behind
// noise is still found. It holds at most one frame's bytes beyond what it
// was last fed, and never allocates for a length it has not checked.
type Decoder struct {
	max   int
	buf   []byte
	stats DecoderStats
}

// NewDecoder returns a Decoder accepting payloads of up to maxPayload
// bytes (MaxPayloadCap when out of range).
func NewDecoder(maxPayload int) *Decoder {
	d := &Decoder{}
	d.SetMaxPayload(maxPayload)
	return d
}

// SetMaxPayload changes the largest payload accepted from now on.
func (d *Decoder) SetMaxPayload(n int) {
	if n <= 0 || n > MaxPayloadCap {
		n = MaxPayloadCap
	}
	d.max = n
}

// Stats returns the counts so far.
func (d *Decoder) Stats() DecoderStats { return d.stats }

// Buffered returns how many bytes are held for a frame not yet complete.
func (d *Decoder) Buffered() int { return len(d.buf) }

// Write feeds bytes to the decoder; call Next until it reports no frame.
func (d *Decoder) Write(p []byte) {
	d.buf = append(d.buf, p...)
}

// Next returns the next good frame in what was fed, or false when more
// bytes are needed. The frame's payload is its own copy.
func (d *Decoder) Next() (Frame, bool) {
	for {
		d.seekMagic()
		if len(d.buf) < HeaderSize {
			return Frame{}, false
		}
		n, ok := d.header()
		if !ok {
			d.stats.BadHeader++
			d.skip(1)
			continue
		}
		end := HeaderSize + n
		if len(d.buf) < end+TrailerSize {
			return Frame{}, false
		}
		if binary.LittleEndian.Uint32(d.buf[end:]) != crc32.ChecksumIEEE(d.buf[:end]) {
			d.stats.BadCRC++
			d.skip(1)
			continue
		}
		f := Frame{
			Type:    MsgType(d.buf[2]),
			Flags:   d.buf[3],
			Seq:     binary.LittleEndian.Uint32(d.buf[4:]),
			Payload: append([]byte(nil), d.buf[HeaderSize:end]...),
		}
		d.stats.Frames++
		d.consume(end + TrailerSize)
		return f, true
	}
}

// header checks the header at the start of buf and returns the payload
// length it announces.
func (d *Decoder) header() (int, bool) {
	h := d.buf[:HeaderSize]
	if binary.LittleEndian.Uint16(h[10:]) != uint16(crc32.ChecksumIEEE(h[:10])) {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint16(h[8:]))
	return n, h[3]&^FlagZ == 0 && n <= d.max
}

// seekMagic drops bytes up to the next magic, keeping a last byte that
// may start one.
func (d *Decoder) seekMagic() {
	i := 0
	for ; i < len(d.buf); i++ {
		if d.buf[i] == Magic0 && (i+1 == len(d.buf) || d.buf[i+1] == Magic1) {
			break
		}
	}
	d.stats.Discarded += int64(i)
	d.consume(i)
}

// skip drops n bytes of a rejected frame's start as garbage.
func (d *Decoder) skip(n int) {
	d.stats.Discarded += int64(n)
	d.consume(n)
}

// consume drops n bytes from the front; append reallocates, and so lets
// the dropped bytes go, once the buffer's end is reached.
func (d *Decoder) consume(n int) {
	d.buf = d.buf[n:]
	if len(d.buf) == 0 {
		d.buf = nil
	}
}
