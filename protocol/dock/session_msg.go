package dock

import (
	"encoding/base64"
	"encoding/json"
	"slices"
)

// Protocol constants of HELLO.
const (
	// Magic names the protocol in HELLO and HELLO_ACK.
	Magic = "MSYNC"
	// Version is the protocol version this package speaks.
	Version = 1
	// RoleHost is the host's role in HELLO.
	RoleHost = "host"
)

// Capabilities a side may offer in HELLO and HELLO_ACK; a capability is in
// force when both offer it.
const (
	CapZstd   = "zstd"   // transfers may be zstd-encoded
	CapResume = "resume" // XFER_RESUME may name an offset other than 0
)

// Versions lists the protocol versions this package speaks.
var Versions = []int{Version}

// Hello opens a session (MsgHello, host → device):
//
//	{"magic":"MSYNC","versions":[1],"role":"host","caps":["zstd","resume"],
//	 "max_payload":512,"window":32}
//
// MaxPayload and Window are the host's link limits; the device uses at most
// these and reports its own in HelloAck.
type Hello struct {
	Magic      string   `json:"magic"`
	Versions   []int    `json:"versions"`
	Role       string   `json:"role"`
	Caps       []string `json:"caps"`
	MaxPayload int      `json:"max_payload"`
	Window     int      `json:"window"`
}

// MsgType returns MsgHello.
func (Hello) MsgType() MsgType { return MsgHello }

// Encode returns the body's JSON after checking it.
func (m Hello) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeHello decodes and checks a HELLO body.
func DecodeHello(p []byte) (Hello, error) { return decodeJSON[Hello](p) }

func (m Hello) check() error {
	t := m.MsgType()
	if m.Magic != Magic {
		return fieldErr(t, "magic", "%q is not %q", truncate(m.Magic), Magic)
	}
	if len(m.Versions) == 0 || len(m.Versions) > maxList {
		return fieldErr(t, "versions", "%d entries, want 1-%d", len(m.Versions), maxList)
	}
	for _, v := range m.Versions {
		if v < 1 || v > 0xFFFF {
			return fieldErr(t, "versions", "%d out of 1-65535", v)
		}
	}
	if m.Role != RoleHost {
		return fieldErr(t, "role", "%q is not %q", truncate(m.Role), RoleHost)
	}
	if err := checkTokens(t, "caps", m.Caps); err != nil {
		return err
	}
	return checkLimits(t, m.MaxPayload, m.Window)
}

func checkLimits(t MsgType, maxPayload, window int) error {
	if maxPayload < MinPayload || maxPayload > MaxPayloadCap {
		return fieldErr(t, "max_payload", "%d out of %d-%d", maxPayload, MinPayload, MaxPayloadCap)
	}
	if window < 1 || window > maxWindow {
		return fieldErr(t, "window", "%d out of 1-%d", window, maxWindow)
	}
	return nil
}

// HelloAck answers Hello (MsgHelloAck, device → host):
//
//	{"magic":"MSYNC","version":1,"device_id":"HH-0001","caps":["zstd"],
//	 "firmware":"2.3.1","clock_ms":1700000000000,"max_payload":512,"window":32}
//
// Version is the highest version both speak; Caps the device's. MaxPayload
// and Window, when not 0, are the limits the device will use, at most the
// host's; 0 means the host's.
type HelloAck struct {
	Magic      string   `json:"magic"`
	Version    int      `json:"version"`
	DeviceID   string   `json:"device_id"`
	Caps       []string `json:"caps"`
	Firmware   string   `json:"firmware"`
	ClockMS    int64    `json:"clock_ms"`
	MaxPayload int      `json:"max_payload,omitempty"`
	Window     int      `json:"window,omitempty"`
}

// MsgType returns MsgHelloAck.
func (HelloAck) MsgType() MsgType { return MsgHelloAck }

// Encode returns the body's JSON after checking it.
func (m HelloAck) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeHelloAck decodes and checks a HELLO_ACK body.
func DecodeHelloAck(p []byte) (HelloAck, error) { return decodeJSON[HelloAck](p) }

func (m HelloAck) check() error {
	t := m.MsgType()
	if m.Magic != Magic {
		return fieldErr(t, "magic", "%q is not %q", truncate(m.Magic), Magic)
	}
	if m.Version < 1 || m.Version > 0xFFFF {
		return fieldErr(t, "version", "%d out of 1-65535", m.Version)
	}
	if err := checkID(t, "device_id", m.DeviceID); err != nil {
		return err
	}
	if err := checkTokens(t, "caps", m.Caps); err != nil {
		return err
	}
	if err := checkText(t, "firmware", m.Firmware, maxName); err != nil {
		return err
	}
	if err := checkNonNeg(t, "clock_ms", m.ClockMS); err != nil {
		return err
	}
	if m.MaxPayload == 0 && m.Window == 0 {
		return nil
	}
	return checkLimits(t, m.MaxPayload, m.Window)
}

// Negotiate returns the version and capabilities in force between a host
// that sent h and a device that speaks versions and offers caps: the
// highest common version and the common capabilities, in h's order. ok is
// false when no version is common; the host then sends ERROR
// (CodeVersion) and closes.
func Negotiate(h Hello, versions []int, caps []string) (version int, common []string, ok bool) {
	for _, v := range h.Versions {
		if slices.Contains(versions, v) && v > version {
			version = v
		}
	}
	for _, c := range h.Caps {
		if slices.Contains(caps, c) && !slices.Contains(common, c) {
			common = append(common, c)
		}
	}
	return version, common, version > 0
}

// Challenge asks the device to prove it holds its key (MsgChallenge, host →
// device): {"nonce":"<base64 of 32 random bytes>"}. The host makes the
// nonce; base64 is the standard alphabet with padding (RFC 4648 §4).
type Challenge struct {
	Nonce []byte `json:"-"`
}

type challengeWire struct {
	Nonce string `json:"nonce"`
}

// MsgType returns MsgChallenge.
func (Challenge) MsgType() MsgType { return MsgChallenge }

// Encode returns the body's JSON after checking it.
func (m Challenge) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeChallenge decodes and checks a CHALLENGE body.
func DecodeChallenge(p []byte) (Challenge, error) { return decodeJSON[Challenge](p) }

func (m Challenge) check() error { return checkKeyBytes(m.MsgType(), "nonce", m.Nonce) }

// MarshalJSON writes the nonce in base64.
func (m Challenge) MarshalJSON() ([]byte, error) {
	return json.Marshal(challengeWire{Nonce: base64.StdEncoding.EncodeToString(m.Nonce)})
}

// UnmarshalJSON reads the nonce from base64.
func (m *Challenge) UnmarshalJSON(p []byte) error {
	var w challengeWire
	if err := json.Unmarshal(p, &w); err != nil {
		return err
	}
	b, err := decodeB64(m.MsgType(), "nonce", w.Nonce)
	m.Nonce = b
	return err
}

func decodeB64(t MsgType, field, s string) ([]byte, error) {
	if len(s) > 4*maxText {
		return nil, fieldErr(t, field, "%d bytes over %d", len(s), 4*maxText)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fieldErr(t, field, "bad base64: %v", err)
	}
	return b, nil
}

func checkKeyBytes(t MsgType, field string, b []byte) error {
	if len(b) != nonceBytes {
		return fieldErr(t, field, "%d bytes, want %d", len(b), nonceBytes)
	}
	return nil
}

// Proof answers a challenge (MsgProof, device → host):
// {"device_id":"HH-0001","proof":"<base64 of HMAC-SHA256(key, nonce)>"},
// the HMAC taken over the nonce's 32 raw bytes with the device's 32-byte key.
type Proof struct {
	DeviceID string `json:"-"`
	Proof    []byte `json:"-"`
}

type proofWire struct {
	DeviceID string `json:"device_id"`
	Proof    string `json:"proof"`
}

// MsgType returns MsgProof.
func (Proof) MsgType() MsgType { return MsgProof }

// Encode returns the body's JSON after checking it.
func (m Proof) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeProof decodes and checks a PROOF body.
func DecodeProof(p []byte) (Proof, error) { return decodeJSON[Proof](p) }

func (m Proof) check() error {
	if err := checkID(m.MsgType(), "device_id", m.DeviceID); err != nil {
		return err
	}
	return checkKeyBytes(m.MsgType(), "proof", m.Proof)
}

// MarshalJSON writes the proof in base64.
func (m Proof) MarshalJSON() ([]byte, error) {
	return json.Marshal(proofWire{DeviceID: m.DeviceID, Proof: base64.StdEncoding.EncodeToString(m.Proof)})
}

// UnmarshalJSON reads the proof from base64.
func (m *Proof) UnmarshalJSON(p []byte) error {
	var w proofWire
	if err := json.Unmarshal(p, &w); err != nil {
		return err
	}
	b, err := decodeB64(m.MsgType(), "proof", w.Proof)
	m.DeviceID, m.Proof = w.DeviceID, b
	return err
}

// AuthResult tells the device whether its proof passed (MsgAuthResult,
// host → device): {"ok":true,"reason":""}. After ok false the host sends
// nothing more and closes.
type AuthResult struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// MsgType returns MsgAuthResult.
func (AuthResult) MsgType() MsgType { return MsgAuthResult }

// Encode returns the body's JSON after checking it.
func (m AuthResult) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeAuthResult decodes and checks an AUTH_RESULT body.
func DecodeAuthResult(p []byte) (AuthResult, error) { return decodeJSON[AuthResult](p) }

func (m AuthResult) check() error { return checkText(m.MsgType(), "reason", m.Reason, maxText) }
