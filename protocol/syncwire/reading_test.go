package syncwire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeReadingProblems(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		paths      []string // the problems' paths, in order
	}{
		{"good", `{"cycle":"2026-01","customer_id":"3300000001","value":1234.5,"read_at":"2026-01-12T09:30:00+08:00","flags":["估抄"],"ic_used":"3"}`, nil},
		{"value as text", `{"cycle":"2026-01","customer_id":"1","value":"12a4","read_at":"x"}`, nil}, // the import judges the text
		{"missing", `{"customer_id":"1"}`, []string{"r.cycle", "r.value", "r.read_at"}},
		{"blank value", `{"cycle":"2026-01","customer_id":"1","value":" ","read_at":"x"}`, []string{"r.value"}},
		{"wrong types", `{"cycle":1,"customer_id":"1","value":true,"read_at":"x","flags":"估抄"}`, []string{"r.cycle", "r.value", "r.flags"}},
		{"bad photo", `{"cycle":"2026-01","customer_id":"1","value":1,"read_at":"x","photos":["ab"]}`, []string{"r.photos[0]"}},
		{"NUL", `{"cycle":"2026-01","customer_id":"1","value":1,"read_at":"x","remark":"a\u0000b"}`, []string{"r.remark"}},
		{"unknown field", `{"cycle":"2026-01","customer_id":"1","value":1,"read_at":"x","extra":1}`, []string{"r.extra"}},
		{"not an object", `[1]`, []string{"r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := DecodeReading([]byte(tc.body), "r")
			var got []string
			for _, p := range probs {
				got = append(got, p.Path)
			}
			if strings.Join(got, " ") != strings.Join(tc.paths, " ") {
				t.Errorf("problems at %v; want %v (%+v)", got, tc.paths, probs)
			}
		})
	}
}

func TestRouteCursor(t *testing.T) {
	c := RouteCursor{Cycle: 2026*12 + 2}
	for i := range c.Buckets {
		c.Buckets[i] = uint32(i * 7919)
	}
	s := EncodeRouteCursor("reader\x00R001", c)
	got, ok, err := DecodeRouteCursor("reader\x00R001", s)
	if err != nil || !ok || got != c {
		t.Fatalf("round trip: %v %v %+v", ok, err, got)
	}
	if _, _, err := DecodeRouteCursor("reader\x00R002", s); err == nil || err.(*FieldError).Rule != "scope" {
		t.Errorf("another reader's cursor: %v", err)
	}
	if _, _, err := DecodeRouteCursor("reader\x00R001", EncodeCursor("reader\x00R001", Cursor{Seq: 3})); err == nil {
		t.Error("a technician's cursor was read as a route cursor")
	}
	if b := BucketOf("3300000001"); b < 0 || b >= RouteBuckets {
		t.Errorf("bucket %d", b)
	}
}

// FuzzDecodeReading: no panic; a reading decoded without problems encodes
// and decodes to itself.
func FuzzDecodeReading(f *testing.F) {
	f.Add([]byte(`{"cycle":"2026-01","customer_id":"3300000001","seq_no":"0101011101","value":1234.5,"read_at":"2026-01-12T09:30:00+08:00","flags":["估抄","门闭"],"ic_remaining":2,"ic_used":"3","remark":"x","photos":["` + strings.Repeat("ab", 32) + `"]}`))
	f.Add([]byte(`{"cycle":"2026-01","customer_id":"1","value":-1e400,"read_at":""}`))
	f.Add([]byte(`{"value":{}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, probs := DecodeReading(b, "reading")
		if len(probs) > 0 {
			return
		}
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, probs := DecodeReading(enc, "reading")
		if len(probs) > 0 || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip: %+v → %s → %+v %v", r, enc, again, probs)
		}
	})
}

func FuzzDecodeRouteCursor(f *testing.F) {
	f.Add(EncodeRouteCursor("s", RouteCursor{Cycle: 24314}))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok, err := DecodeRouteCursor("s", s)
		if err != nil || !ok {
			return
		}
		if EncodeRouteCursor("s", c) != strings.TrimSpace(s) {
			t.Fatalf("%q decodes to %+v which encodes otherwise", s, c)
		}
	})
}
