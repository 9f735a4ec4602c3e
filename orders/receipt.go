package orders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// Receipt is a receipt (回执) as a tablet pushes it or a clerk enters it;
// its JSON form is the wire format (decode it with DecodeReceipt).
type Receipt = store.Receipt

// The parts of a receipt, as store defines them.
type (
	MeterForm         = store.MeterForm
	ExchangeForm      = store.ExchangeForm
	TestForm          = store.TestForm
	Appliance         = store.Appliance
	HoseForm          = store.HoseForm
	RectificationForm = store.RectificationForm
	Consumable        = store.Consumable
	Fee               = store.Fee
	CustomerChange    = store.CustomerChange
	Attachment        = store.Attachment
)

// Problem is one rule a receipt broke: the field's JSON path, a stable rule
// code, a message in Chinese and the source it cites.
type Problem = store.ReceiptProblem

// Outcome kinds (Outcome.Kind): what ApplyReceipt decided.
const (
	Applied  = "applied"  // validated and applied to its order
	Rejected = "rejected" // broke a rule: Problems says which
	Conflict = "conflict" // the office changed the order since the base version: Order is the server's
)

// Conflict reasons (Outcome.Conflict, store.ReceiptRecord.Conflict).
const (
	ConflictVoided     = "voided"     // the order was voided (作废)
	ConflictCancelled  = "cancelled"  // the business was cancelled (业务有效 unchecked, or another receipt cancelled it)
	ConflictReassigned = "reassigned" // the order was moved to another technician
	ConflictCompleted  = "completed"  // another receipt completed the order
	ConflictAccepted   = "accepted"   // a new version of a receipt already accepted: only the office corrects it
)

// Outcome is what ApplyReceipt decided.
type Outcome struct {
	Kind string `json:"kind"` // Applied, Rejected or Conflict
	// Receipt is the version as stored; its ID is zero when nothing was
	// stored (a receipt naming an order the sender may not see).
	Receipt store.ReceiptRecord `json:"receipt"`
	// Order is the order after the receipt (Applied) or as the server has it
	// (Conflict, Rejected when one exists).
	Order    *store.Order `json:"order,omitempty"`
	Problems []Problem    `json:"problems,omitempty"`
	Conflict string       `json:"conflict,omitempty"`
	// Message says the decision in Chinese, for the technician.
	Message string `json:"message"`
	// Notes are things for the back office to check, e.g. a meter model that
	// differs from the system's [003:1489]; they do not refuse the receipt.
	Notes []string `json:"notes,omitempty"`
	// Duplicate: the same receipt was already stored; nothing new was.
	Duplicate bool `json:"duplicate,omitempty"`
}

// MaxReceiptBytes bounds a receipt's JSON.
const MaxReceiptBytes = 64 << 10

// DecodeReceipt reads one receipt's JSON strictly: unknown fields, trailing
// data, wrong types and bodies over MaxReceiptBytes are problems with the
// field's path, never a panic.
func DecodeReceipt(data []byte) (Receipt, []Problem) {
	var r Receipt
	if len(data) > MaxReceiptBytes {
		return r, []Problem{{Path: "", Rule: "size", Message: fmt.Sprintf("回执不能超过%d字节", MaxReceiptBytes)}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Receipt{}, []Problem{jsonProblem(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Receipt{}, []Problem{{Path: "", Rule: "json", Message: "回执JSON之后还有多余内容"}}
	}
	return r, nil
}

func jsonProblem(err error) Problem {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return Problem{Path: te.Field, Rule: "type", Message: fmt.Sprintf("字段%s的类型应为%s", te.Field, typeZh(te.Type))}
	case errors.As(err, &se):
		return Problem{Path: "", Rule: "json", Message: fmt.Sprintf("JSON格式错误(第%d字节)", se.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Problem{Path: f, Rule: "unknown_field", Message: fmt.Sprintf("未知字段%s", f)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Problem{Path: "", Rule: "json", Message: "回执JSON不完整"}
	}
	return Problem{Path: "", Rule: "json", Message: "回执JSON无效: " + err.Error()}
}

func typeZh(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "字符串"
	case reflect.Float64, reflect.Int:
		return "数字"
	case reflect.Bool:
		return "布尔值"
	case reflect.Slice:
		return "数组"
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "RFC 3339时间"
		}
		return "对象"
	}
	return t.String()
}

// Context is what a receipt is validated against.
type Context struct {
	// Customer is the household as stored; nil when it does not exist.
	Customer *domain.Customer
	// Order is the order the receipt answers; nil for work done with no
	// prior order.
	Order *store.Order
	// Now is the server's time; receipt times may not be later than Now +
	// FutureSkew.
	Now        time.Time
	FutureSkew time.Duration
}
