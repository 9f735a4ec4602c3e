package store

import (
	"encoding/json"
	"time"
)

// The tablets' delta sync (package sync) keeps four things in the store:
//
//   - a change log per scope (a technician): every write of a work order or
//     household that the technician may see appends to it in the same
//     transaction, so nothing a tablet must learn is ever written without
//     its log entry. The backend writes the entries itself, in CreateOrder,
//     PutOrder and PutCustomer: no caller can forget them. A scope's log
//     keeps one entry per record, its latest, at the scope's next sequence
//     number (a sequence of its own, so that its numbers say nothing of
//     other technicians' work);
//   - the mutations tablets pushed, by (account, client-made id), written in
//     the transaction of their effect: the idempotency record;
//   - what each tablet last told of itself (its clock skew);
//   - which receipts wait for which attachments.

// Change kinds in a scope's log.
const (
	ChangeOrder    = "order"    // Key is a 派工单号
	ChangeCustomer = "customer" // Key is a 用户编号
)

// Change is one entry of a scope's change log: record Key of Kind changed.
// What changed is read from the record itself when the entry is delivered.
type Change struct {
	Seq  uint64    `json:"seq"`
	Kind string    `json:"kind"`
	Key  string    `json:"key"`
	At   time.Time `json:"at"` // when the entry was written (the server's clock)
}

// ChangeLog reads the scopes' change logs.
type ChangeLog interface {
	// Changes lists up to limit of scope's entries with Seq > after, in
	// Seq order.
	Changes(scope string, after uint64, limit int) ([]Change, error)
	// ChangeHead is scope's newest Seq (0 for an empty log) and its horizon:
	// the highest Seq pruned (PruneChanges). A reader that has seen less
	// than the horizon may have missed a pruned entry.
	ChangeHead(scope string) (head, horizon uint64, err error)
	// Held reports whether order id was ever the scope's (Order.Technician).
	Held(scope, orderID string) (bool, error)
	// HoldersOf lists the technicians of a household's orders, each once, by id.
	HoldersOf(customerID string) ([]string, error)
	// Scopes lists every scope that has a change log, by name.
	Scopes() ([]string, error)
}

// ChangeWriter changes the change logs. CreateOrder, PutOrder and
// PutCustomer log their own changes; these are for the rest.
type ChangeWriter interface {
	// LogChange appends an entry for (kind, key) to scope's log, dropping
	// the entry it had for the same record, and returns its Seq.
	LogChange(scope, kind, key string, at time.Time) (uint64, error)
	// PruneChanges removes scope's entries with the given Seqs (tombstones
	// past their horizon) and raises the scope's horizon to the highest.
	PruneChanges(scope string, seqs []uint64) error
}

// Mutation statuses, as sync reports them; append-only.
const (
	MutationApplied  = "applied"
	MutationRejected = "rejected"
	MutationConflict = "conflict"
)

// Mutation is what the server did with one mutation a tablet pushed: the
// idempotency record. A retry of the same (Account, ID) is answered with
// Result, never applied again.
type Mutation struct {
	Account string    `json:"account"`
	ID      string    `json:"id"`     // the client-made UUID, lower case
	Digest  string    `json:"digest"` // SHA-256 of the mutation as first received
	Device  string    `json:"device"`
	At      time.Time `json:"at"` // when the server decided (its clock)
	Kind    string    `json:"kind"`
	OrderID string    `json:"order_id,omitempty"`
	Status  string    `json:"status"` // MutationApplied, …
	// Missing lists the attachments (SHA-256, hex) the receipt waits for;
	// empty when it is complete.
	Missing []string `json:"missing,omitempty"`
	// Result is the answer given to the tablet, as sent.
	Result json.RawMessage `json:"result"`
	// Body is the mutation as received, kept for the back office when it
	// was refused.
	Body json.RawMessage `json:"body,omitempty"`
}

// MutationQuery selects stored mutations; empty fields match everything.
type MutationQuery struct {
	Status  string    // exactly
	Account string    // exactly
	Before  time.Time // At < Before: the cursor of the next page (newest first)
	Limit   int       // 0 means 100
}

// Mutations reads the idempotency records.
type Mutations interface {
	// Mutation returns account's mutation id, or ErrNotFound.
	Mutation(account, id string) (Mutation, error)
	// Mutations lists the mutations q selects, newest first.
	Mutations(q MutationQuery) ([]Mutation, error)
	// Waiting lists the mutations (account, id) that wait for attachment sha.
	Waiting(sha string) ([][2]string, error)
	// SyncDevice returns what a tablet last told of itself, or ErrNotFound.
	SyncDevice(id string) (SyncDevice, error)
}

// MutationWriter stores idempotency records and device state.
type MutationWriter interface {
	// PutMutation creates or replaces (account, id)'s record, keeping the
	// attachment index true (Missing).
	PutMutation(m Mutation) error
	PutSyncDevice(d SyncDevice) error
}

// SyncDevice is what the server knows of a syncing tablet.
type SyncDevice struct {
	ID       string        `json:"id"`
	Account  string        `json:"account"` // the account it last synced as
	LastSeen time.Time     `json:"last_seen"`
	Skew     time.Duration `json:"skew"` // device clock − server clock, measured at LastSeen
	Syncs    int           `json:"syncs"`
}
