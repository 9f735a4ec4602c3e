// Package syncwire holds the tablets' delta-sync wire format (docs/SYNC.md):
// the JSON bodies of pull, push and their answers, the opaque pull cursor,
// the device headers, and decoders whose errors name the field that is
// wrong by its path ("mutations[3].base_version"). It is pure: no storage,
// no HTTP, no clock.
//
// Protocol flow (one tablet):
//
//	GET  /api/v1/sync/changes?cursor=C   → ChangesPage{cursor: C', more}   repeat while more
//	POST /api/v1/sync/push  PushRequest  → PushResponse, one Result per mutation
//	HEAD /api/v1/sync/blobs/{sha256}     → Upload-Offset: bytes received
//	PATCH /api/v1/sync/blobs/{sha256}    → a chunk at Upload-Offset
//
// Version history: 1 (this one).
package syncwire

import (
	"encoding/json"
	"time"
)

// Version is the protocol version a server speaks; a client sends it in
// HeaderVersion and a server refuses one it does not know.
const Version = 1

// Request and response headers.
const (
	HeaderDevice  = "X-Device-Id"     // the tablet's own id, 1-64 of [A-Za-z0-9._-]
	HeaderTime    = "X-Device-Time"   // the tablet's clock when it sent the request, RFC 3339
	HeaderVersion = "X-Sync-Version"  // the protocol version the client speaks; absent means 1
	HeaderOffset  = "Upload-Offset"   // attachment bytes received, or the offset of a chunk
	HeaderLength  = "Upload-Length"   // an attachment's whole size in bytes
	HeaderDone    = "Upload-Complete" // "true" once an attachment is whole and verified
	HeaderSkew    = "X-Clock-Skew-Ms" // the device clock less the server's, measured on this request
	HeaderServer  = "X-Server-Time"   // the server's clock when it answered
	ContentChunk  = "application/offset+octet-stream"
	MaxMutations  = 100       // mutations in one push
	MaxPageLimit  = 500       // records in one pull page
	DefaultLimit  = 200       // records in a pull page when the client names no limit
	MaxChunk      = 512 << 10 // bytes in one attachment chunk
	MaxAttachment = 32 << 20  // bytes of one attachment
)

// ChangesPage is one page of a pull: everything of the technician's scope
// that changed after the cursor the request carried, as it is now, read in
// one transaction.
type ChangesPage struct {
	// Cursor is where the next pull starts. Store it with the page's
	// records, in the same local transaction, and only then.
	Cursor string `json:"cursor"`
	// More says that the scope holds more changes now: pull again at once.
	More bool `json:"more"`
	// ServerTime is the server's clock when it read the page.
	ServerTime time.Time `json:"server_time"`
	// SkewMs is the device clock less the server's, from X-Device-Time.
	SkewMs int64 `json:"skew_ms"`
	// Orders are work orders that are the technician's, new or changed:
	// replace the local copy whole.
	Orders []Order `json:"orders"`
	// Customers are the households those orders are at, new or changed.
	Customers []Customer `json:"customers"`
	// Removed are orders that left the technician's scope. A device removes
	// one only after its own pending mutations for it have been pushed and
	// their results shown.
	Removed []Removal `json:"removed"`

	// A reader's page (docs/SYNC.md §10) has no orders: Cycle is the month
	// of the route; Buckets lists the route's buckets the page replaces:
	// delete every local household of those buckets, then store
	// Households (in walking order).
	Cycle      string      `json:"cycle,omitempty"`
	Buckets    []int       `json:"buckets,omitempty"`
	Households []Household `json:"households,omitempty"`
}

// Order is a work order (派工单) as a tablet sees it.
type Order struct {
	ID           string    `json:"id"`
	Version      int       `json:"version"` // send it back as base_version
	CustomerID   string    `json:"customer_id"`
	Business     string    `json:"business"`
	Priority     string    `json:"priority,omitempty"`
	Requirement  string    `json:"requirement"`
	Status       string    `json:"status"`
	DispatchNote string    `json:"dispatch_note,omitempty"`
	PostponeNote string    `json:"postpone_note,omitempty"`
	Appointment  time.Time `json:"appointment,omitzero"`
	Due          time.Time `json:"due,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	Outcome      string    `json:"outcome,omitempty"`
}

// Customer is a household as a technician needs it on site: no bank or
// billing fields.
type Customer struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Address   string `json:"address"`
	Estate    string `json:"estate"`
	Phone     string `json:"phone,omitempty"`
	PayMethod string `json:"pay_method,omitempty"`
	SeqNo     string `json:"seq_no"`
	Contract  bool   `json:"contract"`
	FeePaid   bool   `json:"fee_paid"`
	Meter     Meter  `json:"meter"`
}

// Meter is a household's meter.
type Meter struct {
	Kind       string  `json:"kind"`  // IC卡 or 抄表
	State      string  `json:"state"` // 报装, 未用, 装表, 通气, 封表, 拆表
	Model      string  `json:"model,omitempty"`
	BaseM3     float64 `json:"base_m3"`
	DialDigits int     `json:"dial_digits"`
}

// Removal reasons (Removal.Reason); append-only.
const (
	RemovedReassigned = "reassigned" // dispatched to another technician
	RemovedVoided     = "voided"     // 作废
	RemovedCancelled  = "cancelled"  // 取消
	RemovedCompleted  = "completed"  // a receipt completed it
	RemovedReturned   = "returned"   // a receipt returned it for re-dispatch
	RemovedWithdrawn  = "withdrawn"  // taken back for any other reason
)

// Removal says an order left the technician's scope.
type Removal struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
}

// Mutation kinds; append-only.
const (
	KindReceipt = "receipt" // a receipt (回执) for an order, or creating one
	KindReading = "reading" // a reader's reading of a household of their route
)

// PushRequest is a push: mutations in the order the device made them. Each
// is decided on its own.
type PushRequest struct {
	Mutations []Mutation `json:"mutations"`
}

// Mutation is one change made on a device.
type Mutation struct {
	// ID is made by the device (a UUID) when it makes the mutation and sent
	// unchanged with every retry: the server applies it once.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// OrderID is the order the receipt is for; "" for a receipt that
	// creates its order (统一换表, 更换调压器, 进户管改装).
	OrderID string `json:"order_id,omitempty"`
	// BaseVersion is the order's version the device had when the
	// technician made the change; 0 with no OrderID.
	BaseVersion int `json:"base_version"`
	// MadeAt is the device clock when the technician saved the change.
	MadeAt time.Time `json:"made_at"`
	// Receipt is the receipt (docs/SYNC.md §Receipts), decided by the
	// server's receipt rules.
	Receipt json.RawMessage `json:"receipt,omitempty"`
	// Reading is a reader's reading (Reading), imported by the server's
	// readings import.
	Reading json.RawMessage `json:"reading,omitempty"`
}

// Result statuses; append-only.
const (
	StatusApplied  = "applied"
	StatusRejected = "rejected"
	StatusConflict = "conflict"
)

// PushResponse answers a push: Results[i] is the answer to Mutations[i].
type PushResponse struct {
	ServerTime time.Time `json:"server_time"`
	SkewMs     int64     `json:"skew_ms"`
	Results    []Result  `json:"results"`
}

// Result is the server's decision on one mutation.
type Result struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Replayed is true when the mutation had been decided before: this is
	// that decision, not a new one.
	Replayed bool   `json:"replayed,omitempty"`
	OrderID  string `json:"order_id,omitempty"`
	// ReceiptID and ReceiptVersion name the stored receipt version.
	ReceiptID      string `json:"receipt_id,omitempty"`
	ReceiptVersion int    `json:"receipt_version,omitempty"`
	// Problems say why a mutation was rejected: the field and the rule.
	Problems []Problem `json:"problems,omitempty"`
	// Conflict says what the office changed meanwhile (voided, cancelled,
	// reassigned, completed, …) for a StatusConflict.
	Conflict string `json:"conflict,omitempty"`
	// Order is the server's order after the decision, when the technician
	// may still see it: the new version after an applied receipt, the
	// office's version on a conflict.
	Order *Order `json:"order,omitempty"`
	// Missing lists the attachments (SHA-256) the server does not have
	// whole yet: the receipt is complete once they have all arrived.
	Missing []string `json:"missing_attachments,omitempty"`
	// TimesCorrected says the receipt's times were moved by the device's
	// clock skew (SkewMs of the push that first carried it).
	TimesCorrected bool  `json:"times_corrected,omitempty"`
	SkewMs         int64 `json:"skew_ms,omitempty"`

	// A reading's result: the household, the cycle, the stored version that
	// holds the reading (a new one, or the one that already said the same:
	// Unchanged), and what validation found on it.
	CustomerID     string    `json:"customer_id,omitempty"`
	Cycle          string    `json:"cycle,omitempty"`
	ReadingVersion int       `json:"reading_version,omitempty"`
	Unchanged      bool      `json:"unchanged,omitempty"`
	Anomalies      []Anomaly `json:"anomalies,omitempty"`
	// ClockOff says the handheld's clock was more than the server's
	// tolerance off (SkewMs): the reading keeps the time the handheld
	// showed, with the skew stored beside it.
	ClockOff bool `json:"clock_off,omitempty"`
}

// Problem is one rule a mutation broke.
type Problem struct {
	Path    string `json:"path"` // e.g. "mutations[2].receipt.remark"
	Rule    string `json:"rule"` // a stable code, e.g. "required"
	Message string `json:"message"`
}

// Rejected is one refused mutation, for the back office.
type Rejected struct {
	Account string          `json:"account"`
	Device  string          `json:"device"`
	ID      string          `json:"id"`
	At      time.Time       `json:"at"`
	Status  string          `json:"status"`
	OrderID string          `json:"order_id,omitempty"`
	Result  Result          `json:"result"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// RejectedPage is a page of refused mutations, newest first.
type RejectedPage struct {
	Mutations  []Rejected `json:"mutations"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// ErrorBody is every error answer's body.
type ErrorBody struct {
	Error string `json:"error"`
	// Path names the field, header or parameter at fault, when one is.
	Path string `json:"path,omitempty"`
	// Code is a stable code: "resync_required" tells a device to pull from
	// the empty cursor and rebuild its copy (keeping its pending mutations).
	Code string `json:"code,omitempty"`
}
