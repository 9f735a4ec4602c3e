package dock

import (
	"encoding/binary"
	"fmt"
)

// Transfer kinds.
const (
	KindRoute    = "route"    // the reader's route, host → device
	KindRereads  = "rereads"  // re-read tasks, host → device
	KindReadings = "readings" // the readings taken, device → host
)

// Transfer encodings.
const (
	EncodingIdentity = "identity"
	EncodingZstd     = "zstd"
)

// XferBegin announces a file (MsgXferBegin, sender → receiver):
//
//	{"xfer":1,"id":"<sha256 hex of the raw content>","kind":"route",
//	 "name":"R007-2025-07.csv","raw_size":438112,"enc_size":61230,
//	 "encoding":"zstd","meta":{"cycle":"2025-07"}}
//
// Xfer numbers the transfer within the session; ID names the content, so a
// cut-off transfer of the same content resumes in a later session. EncSize
// is the length of the encoded stream, RawSize of the content; for
// identity they are equal.
type XferBegin struct {
	Xfer     uint32            `json:"xfer"`
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Name     string            `json:"name"`
	RawSize  int64             `json:"raw_size"`
	EncSize  int64             `json:"enc_size"`
	Encoding string            `json:"encoding"`
	Meta     map[string]string `json:"meta,omitempty"`
}

// MsgType returns MsgXferBegin.
func (XferBegin) MsgType() MsgType { return MsgXferBegin }

// Encode returns the body's JSON after checking it.
func (m XferBegin) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeXferBegin decodes and checks an XFER_BEGIN body.
func DecodeXferBegin(p []byte) (XferBegin, error) { return decodeJSON[XferBegin](p) }

func (m XferBegin) check() error {
	t := m.MsgType()
	if err := checkSHA256(t, "id", m.ID); err != nil {
		return err
	}
	if !tokenPattern.MatchString(m.Kind) {
		return fieldErr(t, "kind", "%q is not 1-64 of a-z, 0-9, '_'", truncate(m.Kind))
	}
	if err := checkText(t, "name", m.Name, maxName); err != nil {
		return err
	}
	if err := checkNonNeg(t, "raw_size", m.RawSize); err != nil {
		return err
	}
	if err := checkNonNeg(t, "enc_size", m.EncSize); err != nil {
		return err
	}
	switch m.Encoding {
	case EncodingZstd:
	case EncodingIdentity:
		if m.EncSize != m.RawSize {
			return fieldErr(t, "enc_size", "%d differs from raw_size %d with identity encoding", m.EncSize, m.RawSize)
		}
	default:
		return fieldErr(t, "encoding", "%q is not %q or %q", truncate(m.Encoding), EncodingZstd, EncodingIdentity)
	}
	return checkMeta(t, m.Meta)
}

func checkMeta(t MsgType, meta map[string]string) error {
	if len(meta) > maxMeta {
		return fieldErr(t, "meta", "%d entries over %d", len(meta), maxMeta)
	}
	for k, v := range meta {
		if len(k) == 0 || len(k) > maxShort {
			return fieldErr(t, "meta", "key of %d bytes, want 1-%d", len(k), maxShort)
		}
		if err := checkText(t, "meta."+k, v, maxName); err != nil {
			return err
		}
	}
	return nil
}

// XferResume tells the sender where to start (MsgXferResume, receiver →
// sender): {"xfer":1,"offset":16384}, the bytes of the encoded stream the
// receiver already holds from an earlier attempt at the same ID (0 if none).
type XferResume struct {
	Xfer   uint32 `json:"xfer"`
	Offset int64  `json:"offset"`
}

// MsgType returns MsgXferResume.
func (XferResume) MsgType() MsgType { return MsgXferResume }

// Encode returns the body's JSON after checking it.
func (m XferResume) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeXferResume decodes and checks an XFER_RESUME body.
func DecodeXferResume(p []byte) (XferResume, error) { return decodeJSON[XferResume](p) }

func (m XferResume) check() error { return checkNonNeg(m.MsgType(), "offset", m.Offset) }

// XferDataHeader is the size of XFER_DATA's binary header.
const XferDataHeader = 12

// XferData is one piece of the encoded stream (MsgXferData, binary; see
// MsgXferData for its layout).
type XferData struct {
	Xfer   uint32
	Offset int64
	Data   []byte
}

// MsgType returns MsgXferData.
func (XferData) MsgType() MsgType { return MsgXferData }

// Encode returns the binary body.
func (m XferData) Encode() ([]byte, error) {
	if m.Offset < 0 {
		return nil, fieldErr(MsgXferData, "offset", "negative: %d", m.Offset)
	}
	if len(m.Data) > MaxPayloadCap-XferDataHeader {
		return nil, fieldErr(MsgXferData, "bytes", "%d over %d", len(m.Data), MaxPayloadCap-XferDataHeader)
	}
	b := make([]byte, 0, XferDataHeader+len(m.Data))
	b = binary.LittleEndian.AppendUint32(b, m.Xfer)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Offset))
	return append(b, m.Data...), nil
}

// DecodeXferData decodes an XFER_DATA body. Data aliases p.
func DecodeXferData(p []byte) (XferData, error) {
	if len(p) < XferDataHeader {
		return XferData{}, fieldErr(MsgXferData, "", "%d bytes, shorter than its %d-byte header", len(p), XferDataHeader)
	}
	if len(p) > MaxPayloadCap {
		return XferData{}, fieldErr(MsgXferData, "", "body of %d bytes over %d", len(p), MaxPayloadCap)
	}
	off := binary.LittleEndian.Uint64(p[4:])
	if off > 1<<62 {
		return XferData{}, fieldErr(MsgXferData, "offset", "%d out of range", off)
	}
	return XferData{Xfer: binary.LittleEndian.Uint32(p), Offset: int64(off), Data: p[XferDataHeader:]}, nil
}

// XferEnd follows the last XFER_DATA (MsgXferEnd, sender → receiver):
// {"xfer":1}.
type XferEnd struct {
	Xfer uint32 `json:"xfer"`
}

// MsgType returns MsgXferEnd.
func (XferEnd) MsgType() MsgType { return MsgXferEnd }

// Encode returns the body's JSON.
func (m XferEnd) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeXferEnd decodes an XFER_END body.
func DecodeXferEnd(p []byte) (XferEnd, error) { return decodeJSON[XferEnd](p) }

func (XferEnd) check() error { return nil }

// XferDone is the receiver's verdict (MsgXferDone, receiver → sender):
// {"xfer":1,"ok":true,"count":812} once it has checked size and SHA-256
// and applied the file (Count: households loaded, readings in the file), or
// {"xfer":1,"ok":false,"error":"..."}. A receiver that rejects an
// XFER_BEGIN answers XFER_DONE with ok false in place of XFER_RESUME.
type XferDone struct {
	Xfer  uint32 `json:"xfer"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Count int64  `json:"count"`
}

// MsgType returns MsgXferDone.
func (XferDone) MsgType() MsgType { return MsgXferDone }

// Encode returns the body's JSON after checking it.
func (m XferDone) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeXferDone decodes and checks an XFER_DONE body.
func DecodeXferDone(p []byte) (XferDone, error) { return decodeJSON[XferDone](p) }

func (m XferDone) check() error {
	if err := checkText(m.MsgType(), "error", m.Error, maxText); err != nil {
		return err
	}
	return checkNonNeg(m.MsgType(), "count", m.Count)
}

// Err returns nil for a transfer that succeeded, else the receiver's reason.
func (m XferDone) Err() error {
	if m.OK {
		return nil
	}
	return fmt.Errorf("dock: transfer %d refused: %s", m.Xfer, m.Error)
}
