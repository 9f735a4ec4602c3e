package orders

import (
	"encoding/json"
	"reflect"
	"testing"

	"meter-sync/domain"
)

// FuzzDecodeReceipt: the receipt decoder never panics, reports problems
// with a message, and what it accepts encodes and decodes to the same.
func FuzzDecodeReceipt(f *testing.F) {
	for _, biz := range Types() {
		b, _ := json.Marshal(valid(biz, "c1", "PG0000000001"))
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"outcome":1}`))
	f.Add([]byte(`{"meter":{"base_m3":"x"}}`))
	f.Add([]byte(`{"nope":true}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"arrived_at":"yesterday"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, probs := DecodeReceipt(data)
		if len(probs) > 0 {
			for _, p := range probs {
				if p.Message == "" || p.Rule == "" {
					t.Fatalf("problem without message or rule: %+v", p)
				}
			}
			return
		}
		ValidateReceipt(r, ctxFor(domain.Business(r.Business)))
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, probs := DecodeReceipt(again)
		if len(probs) > 0 {
			t.Fatalf("re-decoding %s: %+v", again, probs)
		}
		b2, _ := json.Marshal(r2)
		if !reflect.DeepEqual(again, b2) {
			t.Fatalf("round trip:\n%s\n%s", again, b2)
		}
	})
}

func TestDecodeReceiptPaths(t *testing.T) {
	for _, tc := range []struct {
		in, path, rule string
	}{
		{`{"meter":{"base_m3":"x"}}`, "meter.base_m3", "type"},
		{`{"unknown":1}`, "unknown", "unknown_field"},
		{`{"outcome":"合格"} x`, "", "json"},
		{`{"outcome":`, "", "json"},
		{`{"arrived_at":"yesterday"}`, "", "json"},
	} {
		_, probs := DecodeReceipt([]byte(tc.in))
		if len(probs) != 1 || probs[0].Path != tc.path || probs[0].Rule != tc.rule {
			t.Errorf("%s: %+v, want %s/%s", tc.in, probs, tc.path, tc.rule)
		}
	}
	big := make([]byte, MaxReceiptBytes+1)
	if _, probs := DecodeReceipt(big); len(probs) != 1 || probs[0].Rule != "size" {
		t.Errorf("oversized: %+v", probs)
	}
}
