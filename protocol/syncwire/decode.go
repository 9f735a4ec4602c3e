package syncwire

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FieldError is a request that cannot be read, naming the field at fault.
type FieldError struct {
	Path string // "mutations", "cursor", "X-Device-Time", …
	Rule string // a stable code: "syntax", "type", "required", "too_many", "format", …
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return "syncwire: " + e.Msg
	}
	return "syncwire: " + e.Path + ": " + e.Msg
}

// Item is one decoded mutation of a push and what is wrong with it. A
// mutation with problems is answered rejected; the ones beside it are
// decided as usual.
type Item struct {
	Mutation Mutation
	Problems []Problem
}

// DecodePush reads a push body. Only a body that is not a JSON object with
// a "mutations" array of at most MaxMutations is an error; each
// mutation's own faults are in its Item's Problems, so that one bad
// mutation never stops the ones behind it.
func DecodePush(b []byte) ([]Item, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(b, &top); err != nil {
		return nil, jsonError("", err)
	}
	if top == nil {
		return nil, &FieldError{Rule: "type", Msg: "the body must be a JSON object"}
	}
	for k := range top {
		if k != "mutations" {
			return nil, &FieldError{Path: k, Rule: "unknown_field", Msg: "unknown field"}
		}
	}
	raw, ok := top["mutations"]
	if !ok {
		return nil, &FieldError{Path: "mutations", Rule: "required", Msg: "required"}
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		return nil, &FieldError{Path: "mutations", Rule: "type", Msg: "must be an array"}
	}
	if len(elems) > MaxMutations {
		return nil, &FieldError{Path: "mutations", Rule: "too_many",
			Msg: fmt.Sprintf("%d mutations, at most %d in one push", len(elems), MaxMutations)}
	}
	items := make([]Item, len(elems))
	for i, e := range elems {
		items[i] = decodeMutation(e, fmt.Sprintf("mutations[%d]", i))
	}
	return items, nil
}

// decodeMutation reads one mutation field by field, so that every fault is
// reported with its path.
func decodeMutation(b []byte, at string) Item {
	var it Item
	bad := func(field, rule, msg string) {
		it.Problems = append(it.Problems, Problem{Path: at + field, Rule: rule, Message: msg})
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		bad("", "type", "must be an object")
		return it
	}
	m := &it.Mutation
	str := func(name string, dst *string, required bool) {
		v, ok := fields[name]
		switch {
		case !ok && required:
			bad("."+name, "required", "required")
		case ok && json.Unmarshal(v, dst) != nil:
			bad("."+name, "type", "must be a string")
		}
	}
	str("id", &m.ID, true)
	if _, present := fields["id"]; present {
		if id, ok := CanonicalUUID(m.ID); ok {
			m.ID = id
		} else {
			bad(".id", "format", "must be a UUID (8-4-4-4-12 hex digits)")
		}
	}
	str("kind", &m.Kind, true)
	if m.Kind != "" && m.Kind != KindReceipt && m.Kind != KindReading {
		bad(".kind", "enum", "unknown kind (receipt, reading)")
	}
	str("order_id", &m.OrderID, false)
	if len(m.OrderID) > 64 {
		bad(".order_id", "format", "too long")
	}
	if v, ok := fields["base_version"]; ok {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 32)
		if err != nil || n < 0 {
			bad(".base_version", "type", "must be an integer ≥ 0")
		}
		m.BaseVersion = int(n)
	} else if m.OrderID != "" {
		bad(".base_version", "required", "required with order_id")
	}
	var made string
	str("made_at", &made, true)
	if made != "" {
		t, err := time.Parse(time.RFC3339Nano, made)
		if err != nil {
			bad(".made_at", "format", "must be an RFC 3339 time")
		}
		m.MadeAt = t
	}
	if v, ok := fields["receipt"]; ok {
		if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
			bad(".receipt", "type", "must be an object")
		} else {
			m.Receipt = append(json.RawMessage(nil), t...)
		}
	} else if m.Kind == KindReceipt {
		bad(".receipt", "required", "required for a receipt")
	}
	if v, ok := fields["reading"]; ok {
		if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
			bad(".reading", "type", "must be an object")
		} else {
			m.Reading = append(json.RawMessage(nil), t...)
		}
	} else if m.Kind == KindReading {
		bad(".reading", "required", "required for a reading")
	}
	if m.Kind == KindReading && (m.Receipt != nil || m.OrderID != "") {
		bad("", "kind", "a reading carries no receipt or order_id")
	}
	for k := range fields {
		switch k {
		case "id", "kind", "order_id", "base_version", "made_at", "receipt", "reading":
		default:
			bad("."+k, "unknown_field", "unknown field")
		}
	}
	return it
}

// CanonicalUUID reads a UUID in its 8-4-4-4-12 form and returns it in lower
// case.
func CanonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// EncodePush writes a push body.
func EncodePush(ms []Mutation) ([]byte, error) {
	if ms == nil {
		ms = []Mutation{}
	}
	return json.Marshal(PushRequest{Mutations: ms})
}

// strictUnmarshal is json.Unmarshal that refuses trailing data.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a FieldError with its path.
func jsonError(at string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &FieldError{Path: at, Rule: "syntax", Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &te):
		p := te.Field
		if at != "" && p != "" {
			p = at + "." + p
		} else if p == "" {
			p = at
		}
		return &FieldError{Path: p, Rule: "type", Msg: "must be " + te.Type.String()}
	}
	return &FieldError{Path: at, Rule: "syntax", Msg: err.Error()}
}

// DecodeChangesPage reads a pull's answer (for clients).
func DecodeChangesPage(b []byte) (ChangesPage, error) {
	var p ChangesPage
	if err := strictUnmarshal(b, &p); err != nil {
		return p, jsonError("", err)
	}
	return p, nil
}

// DecodePushResponse reads a push's answer (for clients).
func DecodePushResponse(b []byte) (PushResponse, error) {
	var p PushResponse
	if err := strictUnmarshal(b, &p); err != nil {
		return p, jsonError("", err)
	}
	return p, nil
}

// Cursor is a position in a technician's change log. On the wire it is
// opaque: base64url of a version byte, a tag of the scope it belongs to and
// the position. Clients store and send it back; they never read it.
type Cursor struct {
	Seq uint64
}

const cursorVersion = 1

func scopeTag(scope string) []byte {
	h := sha256.Sum256([]byte("meter-sync cursor\x00" + scope))
	return h[:6]
}

// EncodeCursor writes c as scope's cursor.
func EncodeCursor(scope string, c Cursor) string {
	b := append([]byte{cursorVersion}, scopeTag(scope)...)
	b = binary.BigEndian.AppendUint64(b, c.Seq)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor of scope; "" is the start of the log.
func DecodeCursor(scope, s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(s) != 20 || len(b) != 15 || b[0] != cursorVersion {
		return Cursor{}, &FieldError{Path: "cursor", Rule: "format", Msg: "not a cursor this server gave"}
	}
	if !bytes.Equal(b[1:7], scopeTag(scope)) {
		return Cursor{}, &FieldError{Path: "cursor", Rule: "scope", Msg: "not a cursor given to this account"}
	}
	return Cursor{Seq: binary.BigEndian.Uint64(b[7:])}, nil
}

// ParseDeviceID checks an X-Device-Id.
func ParseDeviceID(s string) (string, error) {
	if s == "" {
		return "", &FieldError{Path: HeaderDevice, Rule: "required", Msg: "required"}
	}
	if len(s) > 64 {
		return "", &FieldError{Path: HeaderDevice, Rule: "format", Msg: "at most 64 characters"}
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return "", &FieldError{Path: HeaderDevice, Rule: "format", Msg: "only letters, digits, '.', '-' and '_'"}
		}
	}
	return s, nil
}

// ParseDeviceTime reads an X-Device-Time.
func ParseDeviceTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, &FieldError{Path: HeaderTime, Rule: "required", Msg: "required (RFC 3339)"}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Path: HeaderTime, Rule: "format", Msg: "must be an RFC 3339 time"}
	}
	return t, nil
}

// ParseLimit reads a pull's limit parameter; "" is DefaultLimit.
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageLimit {
		return 0, &FieldError{Path: "limit", Rule: "range", Msg: fmt.Sprintf("must be an integer from 1 to %d", MaxPageLimit)}
	}
	return n, nil
}

// ParseSHA256 checks an attachment's name: 64 hex digits, returned in
// lower case.
func ParseSHA256(s string) (string, error) {
	if len(s) != 64 {
		return "", &FieldError{Path: "sha256", Rule: "format", Msg: "must be 64 hex digits"}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", &FieldError{Path: "sha256", Rule: "format", Msg: "must be 64 hex digits"}
		}
	}
	return strings.ToLower(s), nil
}

// ParseOffset reads an Upload-Offset or Upload-Length header.
func ParseOffset(name, s string) (int64, error) {
	if s == "" {
		return 0, &FieldError{Path: name, Rule: "required", Msg: "required"}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, &FieldError{Path: name, Rule: "format", Msg: "must be an integer ≥ 0"}
	}
	return n, nil
}
