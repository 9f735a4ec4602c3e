package dock

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeBodyErrors(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		typ  MsgType
		body string
		want string // in the error; "" for none
	}{
		{MsgHello, `{"magic":"MSYNC","versions":[1],"role":"host","caps":["zstd"],"max_payload":512,"window":32}`, ""},
		{MsgHello, `{"magic":"MSYNX","versions":[1],"role":"host","max_payload":512,"window":32}`, "dock: HELLO: field magic:"},
		{MsgHello, `{"magic":"MSYNC","versions":[],"role":"host","max_payload":512,"window":32}`, "field versions:"},
		{MsgHello, `{"magic":"MSYNC","versions":[1],"role":"device","max_payload":512,"window":32}`, "field role:"},
		{MsgHello, `{"magic":"MSYNC","versions":[1],"role":"host","max_payload":9000,"window":32}`, "field max_payload:"},
		{MsgHello, `{"magic":"MSYNC","versions":[1],"role":"host","max_payload":512,"window":0}`, "field window:"},
		{MsgHelloAck, `{"magic":"MSYNC","version":"1","device_id":"HH-1"}`, "dock: HELLO_ACK: field version:"},
		{MsgHelloAck, `{"magic":"MSYNC","version":1,"device_id":"HH 1"}`, "field device_id:"},
		{MsgHelloAck, `{"magic":"MSYNC","version":1,"device_id":"HH-1","caps":["` + strings.Repeat("z", 65) + `"]}`, "field caps:"},
		{MsgHelloAck, `{"magic":"MSYNC","version":1,"device_id":"HH-1","clock_ms":-1}`, "field clock_ms:"},
		{MsgHelloAck, `{"magic":"MSYNC","version":1,"device_id":"HH-1","firmware":"2.0","clock_ms":0}`, ""},
		{MsgChallenge, `{"nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`, ""},
		{MsgChallenge, `{"nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}`, "dock: CHALLENGE: field nonce: bad base64"},
		{MsgChallenge, `{"nonce":"AAEC"}`, "field nonce: 3 bytes"},
		{MsgChallenge, `{"nonce":7}`, "field nonce:"},
		{MsgProof, `{"device_id":"HH-1","proof":"!!"}`, "dock: PROOF: field proof: bad base64"},
		{MsgAuthResult, `{"ok":true}`, ""},
		{MsgAuthResult, `{"ok":1}`, "field ok:"},
		{MsgClock, `{"clock_ms":1.5}`, "field clock_ms:"},
		{MsgStatus, `{"reader_id":"R1","read":-2}`, "field read:"},
		{MsgXferBegin, `{"xfer":1,"id":"` + sha + `","kind":"route","raw_size":5,"enc_size":5,"encoding":"identity"}`, ""},
		{MsgXferBegin, `{"xfer":1,"id":"` + sha + `","kind":"route","raw_size":5,"enc_size":4,"encoding":"identity"}`, "field enc_size:"},
		{MsgXferBegin, `{"xfer":1,"id":"` + sha + `","kind":"route","raw_size":5,"enc_size":4,"encoding":"gzip"}`, "field encoding:"},
		{MsgXferBegin, `{"xfer":1,"id":"ABC","kind":"route","encoding":"identity"}`, "field id:"},
		{MsgXferBegin, `{"xfer":-1,"id":"` + sha + `","kind":"route","encoding":"identity"}`, "field xfer:"},
		{MsgXferBegin, `{"xfer":1,"id":"` + sha + `","kind":"route","name":"` + strings.Repeat("n", 256) + `","encoding":"identity"}`, "field name:"},
		{MsgXferResume, `{"xfer":1,"offset":-5}`, "field offset:"},
		{MsgXferData, "\x01\x00\x00\x00\x00", "XFER_DATA: 5 bytes"},
		{MsgXferDone, `{"xfer":1,"ok":false,"error":"sha256 differs"}`, ""},
		{MsgReadingsStored, `{"id":"` + sha + `","count":3}`, ""},
		{MsgReadingsCleared, `{"id":"` + sha + `","deleted":-3}`, "field deleted:"},
		{MsgError, `{"code":"","message":"x"}`, "dock: ERROR: field code:"},
		{MsgBye, ``, ""},
		{MsgBye, `[`, "dock: BYE: bad JSON"},
		{MsgClockGet, `{"later":"field"}`, ""},
		{0x7E, `{}`, "unknown message type"},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.want, func(t *testing.T) {
			_, err := DecodeBody(Message{Type: tt.typ, Payload: []byte(tt.body)})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEncodeBody(t *testing.T) {
	if _, err := EncodeBody(MsgClock, ClockSet{}); err == nil {
		t.Error("CLOCK_SET body sent as CLOCK")
	}
	if p, err := EncodeBody(MsgBye, nil); err != nil || string(p) != "{}" {
		t.Errorf("nil body: %q %v", p, err)
	}
	if _, err := EncodeBody(MsgStatus, Status{Read: -1}); err == nil {
		t.Error("a bad body encoded")
	}
	var fe *FieldError
	if _, err := (Challenge{Nonce: []byte{1}}).Encode(); !errors.As(err, &fe) || fe.Field != "nonce" {
		t.Errorf("short nonce: %v", err)
	}
}

func TestNegotiate(t *testing.T) {
	h := Hello{Versions: []int{1, 2, 3}, Caps: []string{CapZstd, CapResume, "later"}}
	tests := []struct {
		name     string
		versions []int
		caps     []string
		version  int
		common   string
	}{
		{"same", []int{1, 2, 3}, []string{CapResume, CapZstd}, 3, "zstd,resume"},
		{"older device", []int{1}, []string{CapResume}, 1, "resume"},
		{"no caps", []int{2, 9}, nil, 2, ""},
		{"nothing common", []int{4}, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, common, ok := Negotiate(h, tt.versions, tt.caps)
			if v != tt.version || strings.Join(common, ",") != tt.common || ok != (tt.version > 0) {
				t.Errorf("got %d %v %v", v, common, ok)
			}
		})
	}
}
