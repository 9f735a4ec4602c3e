package syncwire

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const goodMutation = `{"id":"0F8E2B6A-1C2D-4E5F-8A9B-0C1D2E3F4A5B","kind":"receipt","order_id":"PG0000000001","base_version":2,"made_at":"2026-12-04T09:30:00+08:00","receipt":{"outcome":"合格"}}`

func TestDecodePushBody(t *testing.T) {
	tests := []struct {
		name, body string
		path, rule string // of the error; "" for none
	}{
		{"good", `{"mutations":[` + goodMutation + `]}`, "", ""},
		{"empty list", `{"mutations":[]}`, "", ""},
		{"not JSON", `{"mutations":[`, "", "syntax"},
		{"trailing data", `{"mutations":[]} {}`, "", "syntax"},
		{"array", `[]`, "", "type"},
		{"null", `null`, "", "type"},
		{"missing", `{}`, "mutations", "required"},
		{"not an array", `{"mutations":{}}`, "mutations", "type"},
		{"unknown field", `{"mutations":[],"x":1}`, "x", "unknown_field"},
		{"too many", `{"mutations":[` + strings.Repeat(`{},`, MaxMutations) + `{}]}`, "mutations", "too_many"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePush([]byte(tc.body))
			var fe *FieldError
			switch {
			case tc.rule == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.rule != "" && !errors.As(err, &fe):
				t.Fatalf("error %v, want a FieldError", err)
			case tc.rule != "" && (fe.Path != tc.path || fe.Rule != tc.rule):
				t.Fatalf("error at %q rule %q, want %q %q", fe.Path, fe.Rule, tc.path, tc.rule)
			}
		})
	}
}

func TestDecodeMutationProblems(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		paths []string
	}{
		{"good", func(map[string]any) {}, nil},
		{"no id", func(m map[string]any) { delete(m, "id") }, []string{"mutations[1].id:required"}},
		{"id not a UUID", func(m map[string]any) { m["id"] = "42" }, []string{"mutations[1].id:format"}},
		{"id a number", func(m map[string]any) { m["id"] = 42 }, []string{"mutations[1].id:type", "mutations[1].id:format"}},
		{"unknown kind", func(m map[string]any) { m["kind"] = "photo" }, []string{"mutations[1].kind:enum"}},
		{"base version negative", func(m map[string]any) { m["base_version"] = -1 }, []string{"mutations[1].base_version:type"}},
		{"base version a string", func(m map[string]any) { m["base_version"] = "2" }, []string{"mutations[1].base_version:type"}},
		{"base version missing", func(m map[string]any) { delete(m, "base_version") }, []string{"mutations[1].base_version:required"}},
		{"made_at not a time", func(m map[string]any) { m["made_at"] = "yesterday" }, []string{"mutations[1].made_at:format"}},
		{"receipt not an object", func(m map[string]any) { m["receipt"] = "合格" }, []string{"mutations[1].receipt:type"}},
		{"receipt missing", func(m map[string]any) { delete(m, "receipt") }, []string{"mutations[1].receipt:required"}},
		{"unknown field", func(m map[string]any) { m["when"] = 1 }, []string{"mutations[1].when:unknown_field"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(goodMutation), &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			bad, _ := json.Marshal(m)
			items, err := DecodePush([]byte(`{"mutations":[` + goodMutation + `,` + string(bad) + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(items[0].Problems) != 0 {
				t.Fatalf("the good mutation beside it has problems: %v", items[0].Problems)
			}
			var got []string
			for _, p := range items[1].Problems {
				got = append(got, p.Path+":"+p.Rule)
			}
			if !slices.Equal(got, tc.paths) {
				t.Fatalf("problems %v, want %v", got, tc.paths)
			}
		})
	}
	items, _ := DecodePush([]byte(`{"mutations":[` + goodMutation + `]}`))
	m := items[0].Mutation
	if m.ID != "0f8e2b6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b" || m.BaseVersion != 2 || m.MadeAt.Hour() != 9 || string(m.Receipt) != `{"outcome":"合格"}` {
		t.Fatalf("decoded %+v", m)
	}
}

func TestCursor(t *testing.T) {
	c := EncodeCursor("tech1", Cursor{Seq: 42})
	if got, err := DecodeCursor("tech1", c); err != nil || got.Seq != 42 {
		t.Fatalf("DecodeCursor = %v, %v", got, err)
	}
	if got, err := DecodeCursor("tech1", ""); err != nil || got.Seq != 0 {
		t.Fatalf("empty cursor = %v, %v", got, err)
	}
	for _, bad := range []string{"x", "!!!", EncodeCursor("tech2", Cursor{Seq: 42}), c[:len(c)-2]} {
		var fe *FieldError
		if _, err := DecodeCursor("tech1", bad); !errors.As(err, &fe) || fe.Path != "cursor" {
			t.Errorf("DecodeCursor(%q) = %v, want an error at cursor", bad, err)
		}
	}
}

func TestHeaders(t *testing.T) {
	if _, err := ParseDeviceID("TAB-0001"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "a b", strings.Repeat("x", 65), "平板"} {
		if _, err := ParseDeviceID(bad); err == nil {
			t.Errorf("ParseDeviceID(%q) accepted", bad)
		}
	}
	if tm, err := ParseDeviceTime("2026-12-04T09:30:00.5+08:00"); err != nil || !tm.Equal(time.Date(2026, 12, 4, 1, 30, 0, 5e8, time.UTC)) {
		t.Errorf("ParseDeviceTime = %v, %v", tm, err)
	}
	if _, err := ParseDeviceTime("09:30"); err == nil {
		t.Error("ParseDeviceTime accepted 09:30")
	}
	if n, err := ParseLimit(""); err != nil || n != DefaultLimit {
		t.Error(n, err)
	}
	for _, bad := range []string{"0", "-1", "x", "501"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
	if _, err := ParseSHA256(strings.Repeat("A", 64)); err != nil {
		t.Error(err)
	}
	if _, err := ParseSHA256(strings.Repeat("g", 64)); err == nil {
		t.Error("ParseSHA256 accepted g")
	}
}

// FuzzDecodePush: no panic, and a mutation that decodes without problems
// encodes and decodes to itself.
func FuzzDecodePush(f *testing.F) {
	f.Add([]byte(`{"mutations":[` + goodMutation + `]}`))
	f.Add([]byte(`{"mutations":[` + goodMutation[:60] + `]}`))
	f.Add([]byte(`{"mutations":[{},null,1,"x",[]]}`))
	f.Add([]byte(`{"mutations":[{"id":"00000000-0000-0000-0000-000000000000","kind":"receipt","made_at":"2026-01-01T00:00:00Z","receipt":{}}]}`))
	f.Add([]byte(`{"mutations":[` + strings.Repeat(goodMutation+",", 120) + goodMutation + `]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := DecodePush(b)
		if err != nil {
			return
		}
		var ok []Mutation
		for _, it := range items {
			if len(it.Problems) == 0 {
				ok = append(ok, it.Mutation)
			}
		}
		enc, err := EncodePush(ok)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodePush(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		for i, it := range again {
			if len(it.Problems) != 0 || !sameMutation(it.Mutation, ok[i]) {
				t.Fatalf("round trip: %+v (%v), want %+v", it.Mutation, it.Problems, ok[i])
			}
		}
	})
}

func sameMutation(a, b Mutation) bool {
	ra, rb := a.Receipt, b.Receipt
	a.Receipt, b.Receipt = nil, nil
	if !a.MadeAt.Equal(b.MadeAt) {
		return false
	}
	a.MadeAt, b.MadeAt = time.Time{}, time.Time{}
	var va, vb any
	json.Unmarshal(ra, &va)
	json.Unmarshal(rb, &vb)
	return reflect.DeepEqual(a, b) && reflect.DeepEqual(va, vb)
}

// FuzzDecodeCursor: no panic; a cursor that decodes encodes to itself.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("tech1", EncodeCursor("tech1", Cursor{Seq: 7}))
	f.Add("tech1", "")
	f.Add("tech2", "AQ")
	f.Fuzz(func(t *testing.T, scope, s string) {
		c, err := DecodeCursor(scope, s)
		if err != nil || s == "" {
			return
		}
		if again := EncodeCursor(scope, c); again != s {
			t.Fatalf("cursor %q re-encodes as %q", s, again)
		}
	})
}
