package dock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// DefaultMaxFileSize is the largest file, raw or encoded, a receiver takes
// unless told otherwise.
const DefaultMaxFileSize = 64 << 20

// zstdWindow is the largest zstd window a receiver accepts for a file
// smaller than it; larger files may use a window up to their size.
const zstdWindow = 8 << 20

// OutFile is a file to send.
type OutFile struct {
	Xfer uint32 // numbers the transfer within the session
	Kind string // KindRoute, KindRereads, KindReadings
	Name string
	Meta map[string]string
	Data []byte
}

// SendConfig tunes a TransferSender.
type SendConfig struct {
	// MaxPayload is the link's payload limit; XFER_DATA carries at most
	// MaxPayload-12 bytes of the stream. Default DefaultMaxPayload.
	MaxPayload int
	// Zstd allows zstd encoding: set it when both sides offered CapZstd.
	// The file is sent encoded only when that makes it smaller.
	Zstd bool
}

// sentChunk remembers which frame carried the stream up to end.
type sentChunk struct {
	seq uint32
	end int64
}

// TransferSender is the sending side of one file transfer: XFER_BEGIN,
// then XFER_DATA from the offset XFER_RESUME names, then XFER_END, then the
// receiver's XFER_DONE. It tracks progress by the link's acks.
type TransferSender struct {
	begin   XferBegin
	enc     []byte
	chunk   int
	resumed bool
	off     int64 // next byte of enc to send
	start   int64 // where sending started
	sent    []sentChunk
	acked   int64
}

// NewTransferSender encodes f (zstd when allowed and smaller, with fixed
// settings, so that a later attempt at the same content makes the same
// stream) and prepares its XFER_BEGIN.
func NewTransferSender(f OutFile, cfg SendConfig) (*TransferSender, error) {
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.MaxPayload < MinPayload || cfg.MaxPayload > MaxPayloadCap {
		return nil, fmt.Errorf("dock: max payload %d out of %d-%d", cfg.MaxPayload, MinPayload, MaxPayloadCap)
	}
	sum := sha256.Sum256(f.Data)
	b := XferBegin{Xfer: f.Xfer, ID: hex.EncodeToString(sum[:]), Kind: f.Kind, Name: f.Name,
		RawSize: int64(len(f.Data)), Encoding: EncodingIdentity, Meta: f.Meta}
	enc := f.Data
	if cfg.Zstd {
		z, err := compress(f.Data)
		if err != nil {
			return nil, err
		}
		if len(z) < len(enc) {
			enc, b.Encoding = z, EncodingZstd
		}
	}
	b.EncSize = int64(len(enc))
	if err := b.check(); err != nil {
		return nil, err
	}
	return &TransferSender{begin: b, enc: enc, chunk: cfg.MaxPayload - XferDataHeader}, nil
}

// compress is zstd at the default level, one goroutine, whole input at
// once: deterministic for a given library version.
func compress(p []byte) ([]byte, error) {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, fmt.Errorf("dock: zstd: %w", err)
	}
	defer w.Close()
	return w.EncodeAll(p, nil), nil
}

// Begin returns the XFER_BEGIN to send.
func (s *TransferSender) Begin() XferBegin { return s.begin }

// Flags returns the frame flags of this transfer's XFER_DATA.
func (s *TransferSender) Flags() uint8 {
	if s.begin.Encoding == EncodingZstd {
		return FlagZ
	}
	return 0
}

// Resume takes the receiver's XFER_RESUME: sending starts at its offset.
func (s *TransferSender) Resume(r XferResume) error {
	switch {
	case s.resumed:
		return fmt.Errorf("dock: transfer %d: second XFER_RESUME", s.begin.Xfer)
	case r.Xfer != s.begin.Xfer:
		return fmt.Errorf("dock: XFER_RESUME for transfer %d during %d", r.Xfer, s.begin.Xfer)
	case r.Offset < 0 || r.Offset > s.begin.EncSize:
		return fmt.Errorf("dock: transfer %d: resume offset %d out of 0-%d", r.Xfer, r.Offset, s.begin.EncSize)
	}
	s.resumed = true
	s.off, s.start, s.acked = r.Offset, r.Offset, r.Offset
	return nil
}

// Next returns the next XFER_DATA to send, or false when all is sent (or
// XFER_RESUME has not arrived). Call Sent once the link has taken it.
func (s *TransferSender) Next() (XferData, bool) {
	if !s.resumed || s.off >= s.begin.EncSize {
		return XferData{}, false
	}
	end := min(s.off+int64(s.chunk), s.begin.EncSize)
	return XferData{Xfer: s.begin.Xfer, Offset: s.off, Data: s.enc[s.off:end]}, true
}

// Sent records that the link took what Next returned as frame seq.
func (s *TransferSender) Sent(seq uint32) {
	d, ok := s.Next()
	if !ok {
		return
	}
	s.off = d.Offset + int64(len(d.Data))
	s.sent = append(s.sent, sentChunk{seq: seq, end: s.off})
}

// Acked takes the link's cumulative ack and returns the bytes of the
// stream the receiver holds and the stream's size.
func (s *TransferSender) Acked(cum uint32) (done, total int64) {
	i := 0
	for ; i < len(s.sent) && cum-s.sent[i].seq-1 < 1<<31; i++ {
		s.acked = s.sent[i].end
	}
	s.sent = s.sent[i:]
	return s.acked, s.begin.EncSize
}

// Finished reports whether every byte has been sent: XFER_END is next.
func (s *TransferSender) Finished() bool { return s.resumed && s.off >= s.begin.EncSize }

// End returns the XFER_END to send after the last data.
func (s *TransferSender) End() XferEnd { return XferEnd{Xfer: s.begin.Xfer} }

// SentBytes returns the bytes of the stream sent in this attempt.
func (s *TransferSender) SentBytes() int64 { return s.off - s.start }

// Done checks the receiver's XFER_DONE: an error for another transfer's or
// for a refusal.
func (s *TransferSender) Done(d XferDone) error {
	if d.Xfer != s.begin.Xfer {
		return fmt.Errorf("dock: XFER_DONE for transfer %d during %d", d.Xfer, s.begin.Xfer)
	}
	return d.Err()
}

// ReceiveConfig tunes a TransferReceiver.
type ReceiveConfig struct {
	// MaxFileSize bounds raw_size and enc_size. Default DefaultMaxFileSize.
	MaxFileSize int64
}

// TransferReceiver is the receiving side of one file transfer.
type TransferReceiver struct {
	begin XferBegin
	max   int64
	buf   []byte
}

// NewTransferReceiver checks an XFER_BEGIN against cfg's limits and takes
// partial, the prefix of the same stream kept from an earlier attempt (nil
// for none; ignored if longer than the stream).
func NewTransferReceiver(b XferBegin, partial []byte, cfg ReceiveConfig) (*TransferReceiver, error) {
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	if b.RawSize > cfg.MaxFileSize || b.EncSize > cfg.MaxFileSize {
		return nil, fmt.Errorf("dock: transfer %d: %d bytes (%d encoded) over the limit of %d", b.Xfer, b.RawSize, b.EncSize, cfg.MaxFileSize)
	}
	if int64(len(partial)) > b.EncSize {
		partial = nil
	}
	buf := make([]byte, len(partial), min(b.EncSize, max(int64(len(partial)), 1<<20)))
	copy(buf, partial)
	return &TransferReceiver{begin: b, max: cfg.MaxFileSize, buf: buf}, nil
}

// PartialKey names the partial of b's stream: its content, encoding and
// encoded size, so that a prefix is only ever continued by the same stream.
func PartialKey(b XferBegin) string {
	return fmt.Sprintf("%s.%s.%d", b.ID, b.Encoding, b.EncSize)
}

// Begin returns the transfer's XFER_BEGIN.
func (r *TransferReceiver) Begin() XferBegin { return r.begin }

// Resume returns the XFER_RESUME to answer with.
func (r *TransferReceiver) Resume() XferResume {
	return XferResume{Xfer: r.begin.Xfer, Offset: int64(len(r.buf))}
}

// Data takes one XFER_DATA with its frame flags. It must continue the
// stream exactly where the bytes held end.
func (r *TransferReceiver) Data(d XferData, flags uint8) error {
	held := int64(len(r.buf))
	switch {
	case d.Xfer != r.begin.Xfer:
		return fmt.Errorf("dock: XFER_DATA for transfer %d during %d", d.Xfer, r.begin.Xfer)
	case (flags&FlagZ != 0) != (r.begin.Encoding == EncodingZstd):
		return fmt.Errorf("dock: transfer %d: XFER_DATA flags %#02x with encoding %s", d.Xfer, flags, r.begin.Encoding)
	case d.Offset != held:
		return fmt.Errorf("dock: transfer %d: data at offset %d, want %d", d.Xfer, d.Offset, held)
	case held+int64(len(d.Data)) > r.begin.EncSize:
		return fmt.Errorf("dock: transfer %d: data beyond enc_size %d", d.Xfer, r.begin.EncSize)
	}
	r.buf = append(r.buf, d.Data...)
	return nil
}

// Partial returns the prefix of the stream held, for the caller to keep
// for a later attempt. It aliases the receiver's buffer: copy it or write
// it out before the next Data.
func (r *TransferReceiver) Partial() []byte { return r.buf }

// Progress returns the bytes of the stream held and its size.
func (r *TransferReceiver) Progress() (done, total int64) {
	return int64(len(r.buf)), r.begin.EncSize
}

// End takes the XFER_END and returns the file's content once its size and
// SHA-256 check out.
func (r *TransferReceiver) End(e XferEnd) ([]byte, error) {
	if e.Xfer != r.begin.Xfer {
		return nil, fmt.Errorf("dock: XFER_END for transfer %d during %d", e.Xfer, r.begin.Xfer)
	}
	if int64(len(r.buf)) != r.begin.EncSize {
		return nil, fmt.Errorf("dock: transfer %d: ended at %d of %d bytes", e.Xfer, len(r.buf), r.begin.EncSize)
	}
	raw := r.buf
	if r.begin.Encoding == EncodingZstd {
		var err error
		if raw, err = decompress(r.buf, r.begin.RawSize, r.max); err != nil {
			return nil, fmt.Errorf("dock: transfer %d: %w", e.Xfer, err)
		}
	}
	if int64(len(raw)) != r.begin.RawSize {
		return nil, fmt.Errorf("dock: transfer %d: %d bytes, want raw_size %d", e.Xfer, len(raw), r.begin.RawSize)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != r.begin.ID {
		return nil, fmt.Errorf("dock: transfer %d: sha256 differs from id", e.Xfer)
	}
	return raw, nil
}

// decompress decodes a zstd stream that must come to rawSize bytes. It
// stops reading at rawSize+1 and bounds the decoder's memory, so a small
// stream claiming a huge content costs nothing.
func decompress(enc []byte, rawSize, maxFile int64) ([]byte, error) {
	limit := max(rawSize+1, min(zstdWindow, maxFile))
	d, err := zstd.NewReader(bytes.NewReader(enc), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	defer d.Close()
	raw, err := io.ReadAll(io.LimitReader(d, rawSize+1))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if int64(len(raw)) > rawSize {
		return nil, fmt.Errorf("zstd: more than raw_size %d bytes", rawSize)
	}
	return raw, nil
}
