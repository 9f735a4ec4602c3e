package store

import (
	"errors"
	"slices"
	"time"

	"meter-sync/domain"
)

// ErrConflict is returned when a record was changed by someone else since
// the caller read it: the Version stored differs from the one the caller
// expected. The caller reads the record again and decides anew.
var ErrConflict = errors.New("store: changed by someone else since it was read")

// Anomaly statuses. An open anomaly is the import's to replace: validation
// computes it again whenever the reader's readings for the cycle change. A
// decided one (any other status) is the reviewers': imports leave it as it is.
const (
	AnomalyOpen      = "open"      // found, not yet reviewed
	AnomalyConfirmed = "confirmed" // 确认: the reading stands as read
	AnomalyReturned  = "returned"  // 退回重抄: back to the reader for a re-read
)

// AnomalyKey names one anomaly: one code raised on one household's reading
// by one reader in one cycle. Keys sort by cycle, reader, household, code,
// so that a reader's cycle is one range.
type AnomalyKey struct {
	Cycle      domain.Month `json:"cycle"`
	ReaderID   string       `json:"reader_id"`
	CustomerID string       `json:"customer_id"`
	Code       string       `json:"code"` // a vee code, e.g. "LARGE_VOLUME"
}

// Anomaly is what reading validation found on a household's reading, and
// what the reviewers did about it. The store does not interpret codes; the
// rules that raise them live in package vee.
type Anomaly struct {
	Cycle      domain.Month `json:"cycle"`
	ReaderID   string       `json:"reader_id"`
	CustomerID string       `json:"customer_id"`
	Code       string       `json:"code"`
	// Blocking holds the cycle's commit (入库) back until the anomaly is
	// reviewed; false is info only.
	Blocking bool   `json:"blocking"`
	Evidence []Fact `json:"evidence"` // the values the rule compared, in display order
	Suggest  string `json:"suggest"`  // the action, in Chinese
	// Order is the work order the sources prescribe, for a reviewer to submit.
	Order  *OrderSuggestion `json:"order,omitempty"`
	Source string           `json:"source,omitempty"` // the rule's sources, e.g. "DESIGN §5.2; [003:1219]"
	// ConsumptionM3 is the use since the previous reading that validation
	// measured, across a dial wrap or a meter exchange.
	ConsumptionM3 float64 `json:"consumption_m3"`
	// ReadingVersion is the version of the household's reading the anomaly
	// was raised on (0 for an anomaly on no reading).
	ReadingVersion int        `json:"reading_version"`
	Status         string     `json:"status"`              // AnomalyOpen, AnomalyConfirmed, AnomalyReturned, …
	Decisions      []Decision `json:"decisions,omitempty"` // every review action, oldest first
	// Version counts the record's writes; PutAnomaly and DeleteAnomaly refuse
	// with ErrConflict when it is not the one the caller read.
	Version    int       `json:"version"`
	DetectedAt time.Time `json:"detected_at"` // when validation last found it as it reads now
}

// Fact is one value a rule compared, named as the back office names it.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// OrderSuggestion is a work order (派工单) suggested for an anomaly.
type OrderSuggestion struct {
	Business    string `json:"business"`    // e.g. 换表
	Priority    string `json:"priority"`    // 业务级别, e.g. 加急安排; "" leaves it to the clerk
	Requirement string `json:"requirement"` // the 用户对…要求 note
	Source      string `json:"source"`      // where the sources prescribe it
}

// Decision is one review action on an anomaly: who did what, when and why.
type Decision struct {
	By     string    `json:"by"`   // the account
	Role   string    `json:"role"` // its role at the time
	At     time.Time `json:"at"`
	Action string    `json:"action"` // e.g. "confirm", "reread"
	Why    string    `json:"why"`
}

// Key is the anomaly's key.
func (a *Anomaly) Key() AnomalyKey {
	return AnomalyKey{Cycle: a.Cycle, ReaderID: a.ReaderID, CustomerID: a.CustomerID, Code: a.Code}
}

// Decided reports whether a reviewer has settled the anomaly, so that
// validation must leave it as it is.
func (a *Anomaly) Decided() bool { return a.Status != AnomalyOpen }

// SameFinding reports whether a and b say the same about a reading (key,
// severity, evidence, suggestion, order, consumption and reading version),
// whatever their review status, decisions, version and time of detection.
func (a *Anomaly) SameFinding(b *Anomaly) bool {
	return a.Key() == b.Key() && a.Blocking == b.Blocking && slices.Equal(a.Evidence, b.Evidence) &&
		a.Suggest == b.Suggest && a.Source == b.Source && sameOrder(a.Order, b.Order) &&
		a.ConsumptionM3 == b.ConsumptionM3 && a.ReadingVersion == b.ReadingVersion
}

func sameOrder(a, b *OrderSuggestion) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
