// Package store keeps the server's records behind small interfaces, so that
// the domain and the server never see the database underneath. The embedded
// backend is store/bolt (one bbolt file); a PostgreSQL backend for
// multi-instance deployments must pass the same conformance suite,
// store/storetest.
//
// Every change that touches more than one record runs in one transaction
// (Store.Update): it is applied whole or not at all.
package store

import (
	"encoding/json"
	"errors"
	"io"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrInUse is returned by a backend's Open when another process (usually a
// running `meter-sync serve`) holds the store.
var ErrInUse = errors.New("store: in use by another process")

// SeqConflictError is returned when a customer's 抄表序号 is already another
// household's.
type SeqConflictError struct {
	Seq   string
	Owner string // the customer who holds it
}

func (e *SeqConflictError) Error() string {
	return "抄表序号" + e.Seq + "已属于用户" + e.Owner
}

// Customers reads households.
type Customers interface {
	// Customer returns one household, or ErrNotFound.
	Customer(id string) (domain.Customer, error)
	// ForEachCustomer calls fn for every household in 用户编号 order; fn must not
	// keep c. An error from fn stops the walk and is returned.
	ForEachCustomer(fn func(c *domain.Customer) error) error
	// CountCustomers is the number of households.
	CountCustomers() (int, error)
}

// Routes reads readers, their route books and their routes.
type Routes interface {
	Reader(id string) (domain.Reader, error)
	// Readers lists every reader by id.
	Readers() ([]domain.Reader, error)
	// Assignments lists every route-book assignment, by book then month.
	Assignments() ([]domain.Assignment, error)
	// Route is the route of reader for month m: the households of the books
	// the reader holds in m that are read in m (domain.InRoute), in walking
	// order. For the reader's current books it is one range scan.
	Route(reader string, m domain.Month) ([]domain.Customer, error)
}

// Readings reads what was read and bought.
type Readings interface {
	// History lists a household's past readings by date.
	History(customerID string) ([]domain.HistoryReading, error)
	// Purchases lists a household's IC-card purchases by time.
	Purchases(customerID string) ([]domain.ICPurchase, error)
	// MeterChanges lists a household's meter exchanges by time.
	MeterChanges(customerID string) ([]domain.MeterChange, error)
	// ReadingVersions lists every version of a household's reading for a
	// cycle, oldest first.
	ReadingVersions(customerID string, cycle domain.Month) ([]domain.ReadingVersion, error)
	// ReadingsOf lists every version of every reading that reader brought
	// back for cycle (Reading.ReaderID), by household in key order, each
	// household's oldest first: households off the reader's route included.
	ReadingsOf(cycle domain.Month, reader string) ([]domain.ReadingVersion, error)
}

// ReviewQueue reads the anomalies that reading validation found.
type ReviewQueue interface {
	// Anomaly returns one anomaly, or ErrNotFound.
	Anomaly(k AnomalyKey) (Anomaly, error)
	// Anomalies lists a reader's anomalies of a cycle in key order
	// (household, then code): one range scan.
	Anomalies(cycle domain.Month, reader string) ([]Anomaly, error)
	// AnomaliesOfCycle lists every reader's anomalies of a cycle in key
	// order (reader, household, code).
	AnomaliesOfCycle(cycle domain.Month) ([]Anomaly, error)
}

// AuditLog reads the audit trail.
type AuditLog interface {
	// Audit lists up to limit entries with Seq > after, oldest first.
	Audit(after uint64, limit int) ([]AuditEntry, error)
	// SearchAudit lists the entries matching q, newest first.
	SearchAudit(q AuditQuery) ([]AuditEntry, error)
}

// AuditQuery selects audit entries; empty fields match everything.
type AuditQuery struct {
	Actor  string    // exactly
	Action string    // prefix, e.g. "customer." or "signin"
	Key    string    // exactly, e.g. a 用户编号
	Text   string    // anywhere in the note, before or after
	From   time.Time // At ≥ From
	To     time.Time // At < To
	Before uint64    // Seq < Before; 0 starts at the newest
	Limit  int       // at most this many; 0 means 100
}

// Accounts reads who may use the server: accounts, browser sessions, API
// tokens and paired handhelds.
type Accounts interface {
	Account(id string) (account.Account, error)
	// Accounts lists every account by id.
	Accounts() ([]account.Account, error)
	// Session finds a session by the digest of its cookie.
	Session(d account.Digest) (account.Session, error)
	// Token finds a token by its public id.
	Token(id string) (account.Token, error)
	// Tokens lists an account's tokens ("" lists all), by id.
	Tokens(accountID string) ([]account.Token, error)
	Device(id string) (account.Device, error)
	// Devices lists every paired handheld by id, revoked ones too.
	Devices() ([]account.Device, error)
}

// ReadTx is a consistent read-only view.
type ReadTx interface {
	Customers
	Routes
	Readings
	ReviewQueue
	AuditLog
	Accounts
	Orders
	Receipts
	Commits
	ChangeLog
	Mutations
}

// Tx is a read-write transaction. Every Put reports whether it changed
// anything and, for an update, what was there before, so that callers can
// audit the change; putting a record equal to the stored one changes nothing.
type Tx interface {
	ReadTx
	OrderWriter
	ReceiptWriter
	CommitWriter
	ChangeWriter
	MutationWriter
	// PutCustomer creates or replaces a household, keeping the route index
	// true. A 抄表序号 held by another household is a *SeqConflictError.
	PutCustomer(c *domain.Customer) (before *domain.Customer, changed bool, err error)
	PutReader(r domain.Reader) (before *domain.Reader, changed bool, err error)
	// Assign records an assignment (a rotation when the book had one); the
	// book's households move to the new reader's route.
	Assign(a domain.Assignment) (changed bool, err error)
	PutHistory(h domain.HistoryReading) (before *domain.HistoryReading, changed bool, err error)
	PutPurchase(p domain.ICPurchase) (before *domain.ICPurchase, changed bool, err error)
	PutMeterChange(c domain.MeterChange) (before *domain.MeterChange, changed bool, err error)
	// AppendReading appends a version of a reading unless the latest version
	// already says the same (domain.NextVersion); it returns the version as
	// stored, with its number.
	AppendReading(v domain.ReadingVersion) (stored domain.ReadingVersion, changed bool, err error)
	// PutAnomaly creates or replaces an anomaly if a.Version is the version
	// stored (0 for none), else it refuses with ErrConflict; it returns the
	// record as stored, its Version one more.
	PutAnomaly(a Anomaly) (stored Anomaly, err error)
	// DeleteAnomaly removes an anomaly if version is the version stored,
	// else it refuses with ErrConflict; ErrNotFound if there is none.
	DeleteAnomaly(k AnomalyKey, version int) error
	// AppendAudit appends an entry, giving it the next Seq.
	AppendAudit(e AuditEntry) (uint64, error)
	PutAccount(a account.Account) (before *account.Account, changed bool, err error)
	PutSession(s account.Session) error
	DeleteSession(d account.Digest) error
	PutToken(t account.Token) error
	PutDevice(d account.Device) (before *account.Device, changed bool, err error)
}

// Store is a whole backend.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(ReadTx) error) error
	// Update runs fn in a read-write transaction, committed if fn returns nil
	// and rolled back otherwise.
	Update(fn func(Tx) error) error
	// Backup writes a consistent copy of the whole store to w while others go
	// on reading and writing; the copy opens as a store of the same backend.
	Backup(w io.Writer) (int64, error)
	// Check verifies the backend's own structure and the store's invariants
	// (indexes agree with records) and returns every problem found.
	Check() error
	// Size is the store's size on disk in bytes.
	Size() int64
	Close() error
}

// AuditEntry is one line of the audit trail: who changed what, when, and the
// record before and after.
type AuditEntry struct {
	Seq    uint64          `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`            // account, device or "cli"
	Role   string          `json:"role,omitempty"`   // the actor's role
	Device string          `json:"device,omitempty"` // handheld or tablet, if any
	Action string          `json:"action"`           // e.g. "customer.update"
	Key    string          `json:"key"`              // the record, e.g. a 用户编号
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	Note   string          `json:"note,omitempty"` // e.g. the file and line it came from
}

// Audit appends e to the audit trail with the records before and after a
// change as JSON; a nil before (a creation) is left out.
func Audit(tx Tx, e AuditEntry, before, after any) error {
	var err error
	if before != nil {
		if e.Before, err = json.Marshal(before); err != nil {
			return err
		}
	}
	if e.After, err = json.Marshal(after); err != nil {
		return err
	}
	_, err = tx.AppendAudit(e)
	return err
}

// CountCustomers is the number of households in st, in a read transaction of
// its own.
func CountCustomers(st Store) (int, error) {
	var n int
	err := st.View(func(tx ReadTx) error {
		var err error
		n, err = tx.CountCustomers()
		return err
	})
	return n, err
}
