package store

import "time"

// Work-order statuses (package orders holds the transitions between them);
// the list is append-only.
const (
	OrderPending    = "待派工"   // accepted, waiting for a clerk with dispatch permission [003:1297, 1383]
	OrderDispatched = "已派工"   // dispatched to a technician (施工人员), perhaps reassigned since
	OrderReturned   = "待重新派工" // a receipt said 未完成, 不合格 or 无法实施: to dispatch again [003:1553-1557]
	OrderCompleted  = "已完成"   // an accepted receipt said 合格 or 完成
	OrderCancelled  = "已取消"   // 取消该业务, or 业务有效 unchecked [003:1525-1537]
	OrderVoided     = "已作废"   // 作废 by a team leader [003:1551]
)

// OrderOpen reports whether an order in status s still waits for work.
func OrderOpen(s string) bool {
	return s == OrderPending || s == OrderDispatched || s == OrderReturned
}

// Order is a work order (派工单, DOMAIN §4): a business to carry out at one
// household, with the customer's requirement and its urgency. The record is
// meant to grow: dispatch, the technician and the receipt (回执) are added by
// the tablet-sync work as new fields, leaving these as they are.
type Order struct {
	ID         string `json:"id"`          // 派工单号, given by the store (CreateOrder)
	CustomerID string `json:"customer_id"` // 用户编号
	// Business is the business type (业务类型, DOMAIN §4.3), a domain.Business
	// such as 换表, 点火, 封表.
	Business string `json:"business"`
	// Priority is 业务级别 (DOMAIN §4.2), e.g. 加急安排; "" leaves it to the clerk.
	Priority string `json:"priority,omitempty"`
	// Requirement is the 用户对…要求 note of the acceptance screen [003:713, 947, 1591].
	Requirement string `json:"requirement"`
	Status      string `json:"status"` // OrderPending, …
	// Anomaly is the anomaly whose confirmation created the order, if any.
	Anomaly *AnomalyKey `json:"anomaly,omitempty"`
	// Source is where the sources prescribe the order, e.g. "[003:927]".
	Source    string    `json:"source,omitempty"`
	CreatedBy string    `json:"created_by"`
	Role      string    `json:"role,omitempty"` // the creator's role at the time
	CreatedAt time.Time `json:"created_at"`
	// Origin says where the order came from: OriginReview (a confirmed
	// anomaly), OriginOffice, OriginCIS or OriginField (a receipt for work
	// done before any order, [003:1291, 1319, 1381]); "" is OriginReview
	// for orders stored before the field existed.
	Origin string `json:"origin,omitempty"`
	// ExternalRef is the CIS's own reference for the acceptance, if it gave
	// one: a second create with the same reference returns the first order.
	ExternalRef string `json:"external_ref,omitempty"`
	// Appointment is the day agreed with the customer (按照约定 [003:659]), if any.
	Appointment time.Time `json:"appointment,omitzero"`
	// Due is the last day of the commitment window (承诺时限, DOMAIN §4.3), or
	// the day a postponement (业务顺延) agreed; zero when none applies.
	Due time.Time `json:"due,omitzero"`
	// Technician is the 施工人员 the order is dispatched to ("" before dispatch).
	Technician   string    `json:"technician,omitempty"`
	DispatchNote string    `json:"dispatch_note,omitempty"` // 派工备注 [003:1299]
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	// PostponeNote is the latest 业务顺延备注 [003:1547].
	PostponeNote string `json:"postpone_note,omitempty"`
	// Closed says who ended the order, when and why (completion, 取消, 作废).
	ClosedBy    string    `json:"closed_by,omitempty"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	CloseReason string    `json:"close_reason,omitempty"`
	// Outcome is the outcome of the latest accepted receipt (合格, 未完成, …).
	Outcome string `json:"outcome,omitempty"`
	// History lists every change after creation, oldest first.
	History []OrderEvent `json:"history,omitempty"`
	// Receipts lists every receipt version stored for the order, accepted or
	// not, oldest first.
	Receipts []ReceiptRef `json:"receipts,omitempty"`
	// Version counts the record's writes; PutOrder refuses with ErrConflict
	// when it is not the one the caller read.
	Version int `json:"version"`
}

// Where an order came from (Order.Origin).
const (
	OriginReview = "review" // a confirmed reading anomaly (DESIGN §5.3)
	OriginOffice = "office" // the back office's acceptance screen
	OriginCIS    = "cis"    // the CIS, through the API
	OriginField  = "field"  // a receipt for work done with no prior order
)

// OrderEvent is one change of an order: dispatch, reassignment,
// postponement, a receipt, cancellation, void.
type OrderEvent struct {
	Kind   string    `json:"kind"` // e.g. "dispatch", "reassign", "postpone", "receipt", "cancel", "void"
	At     time.Time `json:"at"`
	By     string    `json:"by"`               // account
	Role   string    `json:"role,omitempty"`   // its role then
	Device string    `json:"device,omitempty"` // tablet, if any
	// BaseVersion is the order version the change was made against.
	BaseVersion int    `json:"base_version"`
	From        string `json:"from,omitempty"` // e.g. the technician before a reassignment, the due day before a postponement
	To          string `json:"to,omitempty"`   // e.g. the technician after, the new due day, the new status
	Note        string `json:"note,omitempty"` // 派工备注, 业务顺延备注, reason, receipt id
}

// ReceiptRef names one stored receipt version of an order.
type ReceiptRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Status  string `json:"status"` // ReceiptAccepted, ReceiptRejected, ReceiptConflict
	Outcome string `json:"outcome"`
}

// OrderQuery selects work orders; empty fields match everything.
type OrderQuery struct {
	CustomerID string // exactly
	Status     string // exactly
	Business   string // exactly
	Technician string // exactly
	Open       bool   // only orders still waiting for work (OrderOpen)
	After      string // ID > After: the cursor of the next page
	Limit      int    // at most this many; 0 means all
}

// Matches reports whether o is selected by q (ignoring After and Limit).
func (q OrderQuery) Matches(o *Order) bool {
	return (q.CustomerID == "" || o.CustomerID == q.CustomerID) && (q.Status == "" || o.Status == q.Status) &&
		(q.Business == "" || o.Business == q.Business) && (q.Technician == "" || o.Technician == q.Technician) &&
		(!q.Open || OrderOpen(o.Status))
}

// Orders reads work orders.
type Orders interface {
	// Order returns one order, or ErrNotFound.
	Order(id string) (Order, error)
	// Orders lists the orders q selects in ID order (the order of creation).
	Orders(q OrderQuery) ([]Order, error)
}

// OrderWriter creates and changes work orders inside a Tx.
type OrderWriter interface {
	// CreateOrder stores a new order, giving it the next 派工单号 and Version 1;
	// o.ID and o.Version must be empty.
	CreateOrder(o Order) (Order, error)
	// PutOrder replaces an existing order if o.Version is the version stored,
	// else it refuses with ErrConflict; ErrNotFound if there is none. It
	// returns the record as stored, its Version one more.
	PutOrder(o Order) (Order, error)
}
