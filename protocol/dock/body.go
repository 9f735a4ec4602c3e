package dock

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// Body is a message body: it knows its type and its wire form.
type Body interface {
	MsgType() MsgType
	Encode() ([]byte, error)
}

// FieldError is a message body that failed a check, naming the field.
type FieldError struct {
	Type  MsgType
	Field string // JSON name; "" for the body as a whole
	Err   error
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("dock: %s: %v", e.Type, e.Err)
	}
	return fmt.Sprintf("dock: %s: field %s: %v", e.Type, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(t MsgType, field, format string, args ...any) error {
	return &FieldError{Type: t, Field: field, Err: fmt.Errorf(format, args...)}
}

// checked is what every JSON body implements: its type and its checks.
type checked interface {
	MsgType() MsgType
	check() error
}

// Limits on fields, so that a body's size is bounded field by field and
// not only by the frame's.
const (
	maxShort   = 64   // ids, codes, caps, kinds
	maxName    = 255  // file names, firmware
	maxText    = 1024 // reasons and messages
	maxList    = 16   // versions, caps
	maxMeta    = 32   // meta entries
	maxWindow  = 256  // frames in flight
	nonceBytes = 32   // challenge nonce and HMAC-SHA256 proof
)

func encodeJSON(m checked) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, &FieldError{Type: m.MsgType(), Err: err}
	}
	if len(b) > MaxPayloadCap {
		return nil, fieldErr(m.MsgType(), "", "body of %d bytes over %d", len(b), MaxPayloadCap)
	}
	return b, nil
}

// decodeJSON decodes and checks a body; an empty payload reads as {}.
// Unknown fields are ignored, for later versions' sake.
func decodeJSON[T checked](p []byte) (T, error) {
	var m T
	t := m.MsgType()
	if len(p) > MaxPayloadCap {
		return m, fieldErr(t, "", "body of %d bytes over %d", len(p), MaxPayloadCap)
	}
	if len(p) == 0 {
		p = []byte("{}")
	}
	if err := json.Unmarshal(p, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return m, fieldErr(t, te.Field, "%s where %s belongs", te.Value, te.Type)
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			return m, fe
		}
		return m, &FieldError{Type: t, Err: fmt.Errorf("bad JSON: %w", err)}
	}
	return m, m.check()
}

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	tokenPattern  = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
)

func checkText(t MsgType, field, s string, max int) error {
	if len(s) > max {
		return fieldErr(t, field, "%d bytes over %d", len(s), max)
	}
	return nil
}

func checkNonNeg(t MsgType, field string, n int64) error {
	if n < 0 {
		return fieldErr(t, field, "negative: %d", n)
	}
	return nil
}

func checkID(t MsgType, field, s string) error {
	if !idPattern.MatchString(s) {
		return fieldErr(t, field, "%q is not 1-32 letters, digits, '.', '-' or '_'", truncate(s))
	}
	return nil
}

func checkSHA256(t MsgType, field, s string) error {
	if !sha256Pattern.MatchString(s) {
		return fieldErr(t, field, "%q is not 64 lowercase hex digits", truncate(s))
	}
	return nil
}

func checkTokens(t MsgType, field string, list []string) error {
	if len(list) > maxList {
		return fieldErr(t, field, "%d entries over %d", len(list), maxList)
	}
	for _, s := range list {
		if !tokenPattern.MatchString(s) {
			return fieldErr(t, field, "%q is not 1-64 of a-z, 0-9, '_'", truncate(s))
		}
	}
	return nil
}

// truncate shortens what an error quotes.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// EncodeBody returns the payload of a message of type typ: body.Encode()
// for a Body of that type, body itself for a []byte, and {} for nil.
func EncodeBody(typ MsgType, body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return []byte("{}"), nil
	case []byte:
		if len(b) > MaxPayloadCap {
			return nil, fieldErr(typ, "", "body of %d bytes over %d", len(b), MaxPayloadCap)
		}
		return b, nil
	case Body:
		if b.MsgType() != typ {
			return nil, fmt.Errorf("dock: %s body sent as %s", b.MsgType(), typ)
		}
		return b.Encode()
	}
	return nil, fmt.Errorf("dock: %s: body of type %T", typ, body)
}

// DecodeBody decodes m's payload into the Body its type calls for (XferData
// included), or fails for an unknown type.
func DecodeBody(m Message) (Body, error) {
	dec, ok := decoders[m.Type]
	if !ok {
		return nil, fmt.Errorf("dock: unknown message type %s", m.Type)
	}
	return dec(m.Payload)
}

func decoderOf[T Body](f func([]byte) (T, error)) func([]byte) (Body, error) {
	return func(p []byte) (Body, error) { return f(p) }
}

var decoders = map[MsgType]func([]byte) (Body, error){
	MsgHello:           decoderOf(DecodeHello),
	MsgHelloAck:        decoderOf(DecodeHelloAck),
	MsgChallenge:       decoderOf(DecodeChallenge),
	MsgProof:           decoderOf(DecodeProof),
	MsgAuthResult:      decoderOf(DecodeAuthResult),
	MsgClockGet:        decoderOf(decodeJSON[ClockGet]),
	MsgClock:           decoderOf(DecodeClock),
	MsgClockSet:        decoderOf(DecodeClockSet),
	MsgStatusGet:       decoderOf(decodeJSON[StatusGet]),
	MsgStatus:          decoderOf(DecodeStatus),
	MsgXferBegin:       decoderOf(DecodeXferBegin),
	MsgXferResume:      decoderOf(DecodeXferResume),
	MsgXferData:        decoderOf(DecodeXferData),
	MsgXferEnd:         decoderOf(DecodeXferEnd),
	MsgXferDone:        decoderOf(DecodeXferDone),
	MsgReadingsGet:     decoderOf(decodeJSON[ReadingsGet]),
	MsgReadingsStored:  decoderOf(DecodeReadingsStored),
	MsgReadingsCleared: decoderOf(DecodeReadingsCleared),
	MsgBye:             decoderOf(decodeJSON[Bye]),
	MsgError:           decoderOf(DecodeError),
}
