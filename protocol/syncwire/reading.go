package syncwire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
)

// The readers' side of the protocol (docs/SYNC.md §10): a reader's
// networked handheld pulls the households of its route for a cycle and
// pushes readings.
//
// A reader's pull carries the whole route's difference in one page. The
// route is cut into RouteBuckets buckets by household; the cursor holds a
// hash of each bucket as last sent, and a page sends again every household
// of each bucket whose hash moved (Buckets), so a client replaces those
// buckets whole and never needs a removal of its own.

// RouteBuckets is the number of buckets a reader's route is cut into.
const RouteBuckets = 32

// Household is one household of a reader's route as the route file shows
// it (interchange.RouteRow), and whether a reviewer returned it for a
// re-read.
type Household struct {
	ID         string `json:"id"`     // 用户编号
	SeqNo      string `json:"seq_no"` // 抄表序号
	Name       string `json:"name"`
	Address    string `json:"address"`
	MeterKind  string `json:"meter_kind"`  // IC卡 or 抄表
	MeterState string `json:"meter_state"` // 装表, 通气, 封表
	DialDigits int    `json:"dial_digits,omitempty"`
	// PrevM3 and PrevDate are the reading the reader compares with: the
	// last one before the cycle, or the start of a meter fitted since.
	PrevM3   float64 `json:"prev_m3"`
	PrevDate string  `json:"prev_date,omitempty"` // YYYY-MM-DD
	// ICPurchasedM3 is, for an IC meter, what was bought for it since it was
	// fitted: remaining + used should add up to it.
	ICPurchasedM3 *float64 `json:"ic_purchased_m3,omitempty"`
	// Reread says a reviewer returned the household's reading (退回重抄) and
	// it has not been read since; RereadNote is the reviewer's reason.
	Reread     bool   `json:"reread,omitempty"`
	RereadNote string `json:"reread_note,omitempty"`
	// Bucket is the household's bucket, 0 to RouteBuckets-1.
	Bucket int `json:"bucket"`
}

// Reading is a reading a networked handheld pushes (mutation kind
// "reading"). Numbers and the time are kept as the text sent: the server's
// one readings import reads them as it reads a readings file's cells, and a
// row error comes back under the field's path.
type Reading struct {
	Cycle       string   `json:"cycle"`            // YYYY-MM, the route's month
	CustomerID  string   `json:"customer_id"`      // 用户编号
	SeqNo       string   `json:"seq_no,omitempty"` // 抄表序号 as the handheld shows it
	Value       string   `json:"value"`            // 本次读数, m³
	ReadAt      string   `json:"read_at"`          // 抄表时间, RFC 3339, the handheld's clock
	Flags       []string `json:"flags,omitempty"`  // 估抄, 私自点火, 表坏, 无人, 门闭
	ICRemaining string   `json:"ic_remaining,omitempty"`
	ICUsed      string   `json:"ic_used,omitempty"`
	Remark      string   `json:"remark,omitempty"`
	// Photos are the SHA-256 of the reading's photos, uploaded as
	// attachments.
	Photos []string `json:"photos,omitempty"`
}

// DecodeReading reads a reading mutation's "reading" object; every fault is
// a Problem with its path under at (e.g. "mutations[2].reading").
func DecodeReading(b []byte, at string) (Reading, []Problem) {
	var r Reading
	var probs []Problem
	bad := func(field, rule, msg string) {
		probs = append(probs, Problem{Path: at + "." + field, Rule: rule, Message: msg})
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return r, []Problem{{Path: at, Rule: "type", Message: "must be an object"}}
	}
	text := func(name string, dst *string, required, number bool) {
		v, ok := fields[name]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			if required {
				bad(name, "required", "required")
			}
			return
		}
		if json.Unmarshal(v, dst) == nil {
			switch {
			case strings.IndexByte(*dst, 0) >= 0:
				bad(name, "format", "contains a NUL character")
			case required && strings.TrimSpace(*dst) == "":
				bad(name, "required", "required")
			}
			return
		}
		if t := bytes.TrimSpace(v); number && len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9') {
			*dst = string(t) // a JSON number, kept as written
			return
		}
		if number {
			bad(name, "type", "must be a number")
		} else {
			bad(name, "type", "must be a string")
		}
	}
	text("cycle", &r.Cycle, true, false)
	text("customer_id", &r.CustomerID, true, false)
	text("seq_no", &r.SeqNo, false, false)
	text("value", &r.Value, true, true)
	text("read_at", &r.ReadAt, true, false)
	text("ic_remaining", &r.ICRemaining, false, true)
	text("ic_used", &r.ICUsed, false, true)
	text("remark", &r.Remark, false, false)
	if v, ok := fields["flags"]; ok && json.Unmarshal(v, &r.Flags) != nil {
		bad("flags", "type", "must be an array of strings")
	}
	if v, ok := fields["photos"]; ok {
		if json.Unmarshal(v, &r.Photos) != nil {
			bad("photos", "type", "must be an array of SHA-256 strings")
		}
		for i, p := range r.Photos {
			sha, err := ParseSHA256(p)
			if err != nil {
				bad(fmt.Sprintf("photos[%d]", i), "format", "must be 64 hex digits")
			}
			r.Photos[i] = sha
		}
	}
	if len(r.Flags) == 0 {
		r.Flags = nil // [] and absent say the same
	}
	if len(r.Photos) == 0 {
		r.Photos = nil
	}
	for k := range fields {
		switch k {
		case "cycle", "customer_id", "seq_no", "value", "read_at", "flags", "ic_remaining", "ic_used", "remark", "photos":
		default:
			bad(k, "unknown_field", "unknown field")
		}
	}
	return r, probs
}

// Anomaly is what validation found on a reading that was applied: it is
// reported, never a reason to refuse the reading.
type Anomaly struct {
	Code     string `json:"code"` // DESIGN §5.2, e.g. NEGATIVE
	Blocking bool   `json:"blocking"`
	Suggest  string `json:"suggest,omitempty"` // what the office will do, in Chinese
}

// BucketOf is the bucket of household id: FNV-1a (32 bits) of its 用户编号,
// modulo RouteBuckets.
func BucketOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % RouteBuckets)
}

// RouteCursor is a position in a reader's route: the cycle and the hash of
// each bucket as last sent. On the wire it is opaque like Cursor.
type RouteCursor struct {
	Cycle   int32 // months since year 0 (domain.Month)
	Buckets [RouteBuckets]uint32
}

const routeCursorVersion = 2

// EncodeRouteCursor writes c as scope's route cursor.
func EncodeRouteCursor(scope string, c RouteCursor) string {
	b := append([]byte{routeCursorVersion}, scopeTag(scope)...)
	b = binary.BigEndian.AppendUint32(b, uint32(c.Cycle))
	for _, h := range c.Buckets {
		b = binary.BigEndian.AppendUint32(b, h)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// routeCursorLen is an encoded route cursor's length in bytes.
const routeCursorLen = 1 + 6 + 4 + 4*RouteBuckets

// DecodeRouteCursor reads a route cursor of scope; "" is a first pull
// (every bucket sent).
func DecodeRouteCursor(scope, s string) (RouteCursor, bool, error) {
	var c RouteCursor
	if s == "" {
		return c, false, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != routeCursorLen || b[0] != routeCursorVersion {
		return c, false, &FieldError{Path: "cursor", Rule: "format", Msg: "not a cursor this server gave"}
	}
	if !bytes.Equal(b[1:7], scopeTag(scope)) {
		return c, false, &FieldError{Path: "cursor", Rule: "scope", Msg: "not a cursor given to this account"}
	}
	c.Cycle = int32(binary.BigEndian.Uint32(b[7:]))
	for i := range c.Buckets {
		c.Buckets[i] = binary.BigEndian.Uint32(b[11+4*i:])
	}
	return c, true, nil
}
