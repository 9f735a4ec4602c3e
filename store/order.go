package store

import "time"

// Work-order statuses. Only the first is set now: confirming an anomaly that
// prescribes an order creates it waiting for dispatch. Dispatch, receipts
// and tablet sync (issue 7) add the statuses after it; the list is
// append-only.
const (
	OrderPending = "待派工" // accepted, waiting for a clerk with dispatch permission [003:1297, 1383]
)

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
	// Technician is the 施工人员 the order is dispatched to ("" before dispatch).
	Technician string `json:"technician,omitempty"`
	// Anomaly is the anomaly whose confirmation created the order, if any.
	Anomaly *AnomalyKey `json:"anomaly,omitempty"`
	// Source is where the sources prescribe the order, e.g. "[003:927]".
	Source    string    `json:"source,omitempty"`
	CreatedBy string    `json:"created_by"`
	Role      string    `json:"role,omitempty"` // the creator's role at the time
	CreatedAt time.Time `json:"created_at"`
	// Version counts the record's writes; PutOrder refuses with ErrConflict
	// when it is not the one the caller read.
	Version int `json:"version"`
}

// OrderQuery selects work orders; empty fields match everything.
type OrderQuery struct {
	CustomerID string // exactly
	Status     string // exactly
	Business   string // exactly
	After      string // ID > After: the cursor of the next page
	Limit      int    // at most this many; 0 means all
}

// Matches reports whether o is selected by q (ignoring After and Limit).
func (q OrderQuery) Matches(o *Order) bool {
	return (q.CustomerID == "" || o.CustomerID == q.CustomerID) && (q.Status == "" || o.Status == q.Status) &&
		(q.Business == "" || o.Business == q.Business)
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
