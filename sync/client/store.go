package client

import (
	"errors"
	"time"

	"meter-sync/protocol/syncwire"
)

// ErrNotFound is returned by a Store for an order, customer or attachment
// it does not hold.
var ErrNotFound = errors.New("client: not found")

// Order is a work order on the tablet.
type Order struct {
	syncwire.Order
	// Removed is why the order left the technician's scope while the tablet
	// still holds a pending mutation for it (a syncwire.Removed* reason);
	// "" for an order in scope.
	Removed string `json:"removed,omitempty"`
}

// Mutation states (Mutation.State).
const (
	StatePending  = "pending"               // made on the tablet, no result yet
	StateApplied  = syncwire.StatusApplied  // done
	StateRejected = syncwire.StatusRejected // refused: Result.Problems say why
	StateConflict = syncwire.StatusConflict // the office changed the order: Result.Order is the server's version
)

// Mutation is a change made on the tablet and what became of it.
type Mutation struct {
	syncwire.Mutation
	// Attachments are the SHA-256 of the photos and signatures the change
	// references.
	Attachments []string `json:"attachments,omitempty"`
	State       string   `json:"state"`
	// Result is the server's decision, once one arrived.
	Result *syncwire.Result `json:"result,omitempty"`
	// Tries counts the pushes that carried it; LastError is the last
	// failure of one.
	Tries     int       `json:"tries,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Missing are the attachments the server did not have whole when it
	// decided (syncwire.Result.Missing), until they are uploaded.
	Missing []string `json:"missing,omitempty"`
}

// Blob is an attachment the tablet holds bytes for until the server has it
// whole.
type Blob struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Tried says an upload was started, so the server's received length
	// must be asked before sending more.
	Tried bool `json:"tried,omitempty"`
	// Done says the server has it whole and verified; its bytes are dropped.
	Done bool `json:"done,omitempty"`
}

// Meta is the tablet's sync state.
type Meta struct {
	// Cursor is the cursor of the last page stored; "" before the first.
	Cursor string `json:"cursor"`
	// SkewMs is the device clock less the server's at the last answer.
	SkewMs int64 `json:"skew_ms"`
	// LastSync is when a Sync last finished caught up (device clock).
	LastSync time.Time `json:"last_sync,omitzero"`
}

// Batch is what one Store.Apply writes, all or nothing.
type Batch struct {
	// Meta, when not nil, replaces the sync state.
	Meta *Meta
	// ClearOrders forgets every order and customer before the rest of the
	// batch is written (a pull rebuilt from the empty cursor).
	ClearOrders     bool
	PutOrders       []Order
	DeleteOrders    []string
	PutCustomers    []syncwire.Customer
	DeleteCustomers []string
	// Mutations are stored whole, replacing the one of the same ID; a new
	// ID is appended after every mutation held.
	Mutations []Mutation
	// PutBlobs stores attachments' state; BlobData their bytes (new ones
	// only). A Blob stored Done has its bytes dropped.
	PutBlobs []Blob
	BlobData map[string][]byte
}

// Replica is the tablet's copy of the technician's orders.
type Replica interface {
	Meta() (Meta, error)
	// Orders lists the orders held, by ID.
	Orders() ([]Order, error)
	Order(id string) (Order, error)
	Customer(id string) (syncwire.Customer, error)
}

// Queue is the mutations made on the tablet.
type Queue interface {
	// Mutations lists every mutation held, in the order they were made.
	Mutations() ([]Mutation, error)
}

// Attachments is the attachments waiting for upload.
type Attachments interface {
	// Blobs lists the attachments not yet Done.
	Blobs() ([]Blob, error)
	// BlobData reads an attachment's bytes.
	BlobData(sha string) ([]byte, error)
}

// Store is what a tablet keeps. Apply writes a Batch in one transaction,
// so that a page and its cursor, or a push's results, are kept together or
// not at all. Implementations are safe for concurrent use.
type Store interface {
	Replica
	Queue
	Attachments
	Apply(b Batch) error
}
