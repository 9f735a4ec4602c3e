package vee

import "meter-sync/domain"

// Household is what validation needs to know of a household in the route:
// its record (with the meter fitted now), its reading history, its IC
// top-ups since its meter was fitted and the meter exchanges the CIS
// recorded. History, Purchases and Changes are in time order.
type Household struct {
	Customer  domain.Customer
	History   []domain.HistoryReading
	Purchases []domain.ICPurchase
	Changes   []domain.MeterChange
	// PeerBaselineM3 is the median monthly baseline of the household's
	// estate and building type, which a household with little history of
	// its own is compared with (DESIGN §5.1). Batch fills it from the route
	// when it is zero; zero means none known.
	PeerBaselineM3 float64
}

// Fact is one value a rule compared, named as the back office names it.
type Fact struct {
	Name  string // 上次读数, 本次读数, 用气量, 基准(月), 购气量, …
	Value string
}

// Priority is 业务级别, the urgency of a work order (DOMAIN §4.2).
type Priority string

// Priorities [003:659, 895, 951-959]. The zero Priority leaves the choice to
// the clerk, where the sources prescribe none.
const (
	PriorityWait   Priority = "等待安排"
	PriorityAgreed Priority = "按照约定"
	PrioritySoon   Priority = "尽快安排"
	PriorityUrgent Priority = "加急安排"
)

// OrderSuggestion is a work order (派工单) the sources prescribe for an
// anomaly, for the clerk to submit.
type OrderSuggestion struct {
	Business    domain.Business
	Priority    Priority
	Requirement string // the 用户对…要求 note
	Source      string // where the sources prescribe it, e.g. "[003:927]"
}

// Anomaly is one code raised on a reading (or on a household with none),
// with the evidence and the suggested action.
type Anomaly struct {
	CustomerID string
	Code       Code
	Evidence   []Fact           // the values compared, in display order
	Suggest    string           // the action, in Chinese
	Order      *OrderSuggestion // a work order to submit, if any
	Source     string           // the rule's sources
}

// Result is a reading with what validation found.
type Result struct {
	Reading domain.Reading
	// ConsumptionM3 is the use since the previous reading, across a dial
	// wrap or a meter exchange; negative for a reading that went back, 0
	// when the reading is invalid.
	ConsumptionM3 float64
	Anomalies     []Anomaly
}

// Has reports whether the result carries an anomaly of code c.
func (r *Result) Has(c Code) bool {
	for _, a := range r.Anomalies {
		if a.Code == c {
			return true
		}
	}
	return false
}

// Blocking reports whether any anomaly holds the reading back from commit.
func (r *Result) Blocking() bool {
	for _, a := range r.Anomalies {
		if a.Code.Blocking() {
			return true
		}
	}
	return false
}
