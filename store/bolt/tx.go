package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
	"meter-sync/store"
)

// tx is one bbolt transaction seen through the store's interfaces.
type tx struct {
	btx *bbolt.Tx
	// latest caches, per book, the reader of its latest assignment: the reader
	// under whom the book's households are indexed. Loaded on first use.
	latest map[string]string
	// above holds, per bucket, a key at or above every key in it: a key past
	// it cannot be there, so a bulk import in key order skips the lookups.
	above map[string][]byte
}

// mayHold reports whether key may be in bucket b (named name); false is sure.
func (t *tx) mayHold(name []byte, b *bbolt.Bucket, key []byte) bool {
	if t.above == nil {
		t.above = map[string][]byte{}
	}
	top, ok := t.above[string(name)]
	if !ok {
		top, _ = b.Cursor().Last()
		top = slices.Clone(top)
		t.above[string(name)] = top
	}
	return bytes.Compare(key, top) <= 0
}

// wrote notes that key was put in bucket name.
func (t *tx) wrote(name []byte, key []byte) {
	if top, loaded := t.above[string(name)]; loaded && bytes.Compare(key, top) > 0 {
		t.above[string(name)] = key
	}
}

func newTx(btx *bbolt.Tx) *tx { return &tx{btx: btx} }

func (t *tx) b(name []byte) *bbolt.Bucket {
	b := t.btx.Bucket(name)
	b.FillPercent = fillPercent
	return b
}

// fillPercent is how full bbolt packs a page it splits. Records mostly arrive
// in key order (imports sorted by 用户编号, history by date, the audit by
// sequence), where bbolt's default of half-full pages doubles the file and
// the bytes each commit writes.
const fillPercent = 0.9

// Customer implements store.Customers.
func (t *tx) Customer(id string) (domain.Customer, error) {
	var c domain.Customer
	v := t.b(bucketCustomers).Get([]byte(id))
	if v == nil {
		return c, fmt.Errorf("用户%s: %w", id, store.ErrNotFound)
	}
	err := decodeCustomer(v, &c)
	return c, err
}

// ForEachCustomer implements store.Customers.
func (t *tx) ForEachCustomer(fn func(*domain.Customer) error) error {
	var c domain.Customer
	return t.b(bucketCustomers).ForEach(func(k, v []byte) error {
		if err := decodeCustomer(v, &c); err != nil {
			return fmt.Errorf("customer %s: %w", k, err)
		}
		return fn(&c)
	})
}

// CountCustomers implements store.Customers.
func (t *tx) CountCustomers() (int, error) {
	return t.b(bucketCustomers).Stats().KeyN, nil
}

// PutCustomer implements store.Tx.
func (t *tx) PutCustomer(c *domain.Customer) (*domain.Customer, bool, error) {
	customers := t.b(bucketCustomers)
	val := encodeCustomer(c)
	id := []byte(c.ID)
	var before *domain.Customer
	if old := t.get(bucketCustomers, customers, id); old != nil {
		if bytes.Equal(old, val) {
			return nil, false, nil
		}
		before = new(domain.Customer)
		if err := decodeCustomer(old, before); err != nil {
			return nil, false, fmt.Errorf("customer %s: %w", c.ID, err)
		}
	}
	if err := t.indexCustomer(before, c); err != nil {
		return nil, false, err
	}
	if err := t.put(bucketCustomers, customers, id, val); err != nil {
		return nil, false, err
	}
	if err := t.customerChanged(c.ID); err != nil {
		return nil, false, err
	}
	return before, true, nil
}

// indexCustomer moves a household's route-index entry from where before put
// it to where c belongs, refusing a 抄表序号 that another household holds.
func (t *tx) indexCustomer(before, c *domain.Customer) error {
	route := t.b(bucketRoute)
	key := routeKey(t.readerOfBook(c.Book()), c.Seq.SortKey())
	if owner, _ := splitRouteValue(t.get(bucketRoute, route, key)); owner != "" && owner != c.ID {
		return &store.SeqConflictError{Seq: c.Seq.String(), Owner: owner}
	}
	if before != nil {
		oldKey := routeKey(t.readerOfBook(before.Book()), before.Seq.SortKey())
		if !bytes.Equal(oldKey, key) {
			if err := route.Delete(oldKey); err != nil {
				return err
			}
		}
	}
	return t.put(bucketRoute, route, key, routeValue(c.ID, c.Group))
}

// get is b.Get, skipped for a key past everything the bucket holds.
func (t *tx) get(name []byte, b *bbolt.Bucket, key []byte) []byte {
	if !t.mayHold(name, b, key) {
		return nil
	}
	return b.Get(key)
}

// put is b.Put, keeping get's bound true.
func (t *tx) put(name []byte, b *bbolt.Bucket, key, val []byte) error {
	if err := b.Put(key, val); err != nil {
		return err
	}
	t.wrote(name, key)
	return nil
}

// readerOfBook is the reader of the book's latest assignment.
func (t *tx) readerOfBook(book string) string {
	t.loadLatest()
	return t.latest[book]
}

// loadLatest fills t.latest on first use.
func (t *tx) loadLatest() {
	if t.latest == nil {
		t.latest = map[string]string{}
		t.b(bucketAssign).ForEach(func(k, v []byte) error {
			t.latest[string(k[:4])] = string(v) // keys are in month order: the last one wins
			return nil
		})
	}
}

// reloadBook refreshes the cached latest reader of one book.
func (t *tx) reloadBook(book string) {
	if t.latest == nil {
		return // loaded in full on first use
	}
	delete(t.latest, book)
	c := t.b(bucketAssign).Cursor()
	prefix := []byte(book)
	for k, v := c.Seek(prefix); hasPrefix(k, prefix); k, v = c.Next() {
		t.latest[book] = string(v) // in month order: the last one wins
	}
}

// Reader implements store.Routes.
func (t *tx) Reader(id string) (domain.Reader, error) {
	v := t.b(bucketReaders).Get([]byte(id))
	if v == nil {
		return domain.Reader{}, fmt.Errorf("抄表员%s: %w", id, store.ErrNotFound)
	}
	return decodeReader(v)
}

// Readers implements store.Routes.
func (t *tx) Readers() ([]domain.Reader, error) {
	var rs []domain.Reader
	err := t.b(bucketReaders).ForEach(func(k, v []byte) error {
		r, err := decodeReader(v)
		rs = append(rs, r)
		return err
	})
	return rs, err
}

// PutReader implements store.Tx.
func (t *tx) PutReader(r domain.Reader) (*domain.Reader, bool, error) {
	readers := t.b(bucketReaders)
	val := encodeReader(r)
	old := readers.Get([]byte(r.ID))
	if bytes.Equal(old, val) {
		return nil, false, nil
	}
	var before *domain.Reader
	if old != nil {
		b, err := decodeReader(old)
		if err != nil {
			return nil, false, err
		}
		before = &b
	}
	return before, true, readers.Put([]byte(r.ID), val)
}

// Assignments implements store.Routes.
func (t *tx) Assignments() ([]domain.Assignment, error) {
	var as []domain.Assignment
	err := t.b(bucketAssign).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("assignment key %x: %w", k, errCorrupt)
		}
		as = append(as, domain.Assignment{Book: string(k[:4]), From: bytesMonth(k[4:]), Reader: string(v)})
		return nil
	})
	return as, err
}

// Assign implements store.Tx.
func (t *tx) Assign(a domain.Assignment) (bool, error) {
	if err := domain.CheckAssignment(a); err != nil {
		return false, err
	}
	assign := t.b(bucketAssign)
	key := assignKey(a.Book, a.From)
	if old := assign.Get(key); old != nil && string(old) == a.Reader {
		return false, nil
	}
	was := t.readerOfBook(a.Book)
	if err := assign.Put(key, []byte(a.Reader)); err != nil {
		return false, err
	}
	t.reloadBook(a.Book)
	if now := t.readerOfBook(a.Book); now != was {
		return true, t.moveBook(a.Book, was, now)
	}
	return true, nil
}

// moveBook re-files a book's households from one reader's route to another's.
func (t *tx) moveBook(book, from, to string) error {
	route := t.b(bucketRoute)
	prefix := routeBookPrefix(from, book)
	type entry struct{ k, v []byte }
	var moved []entry
	c := route.Cursor()
	for k, v := c.Seek(prefix); hasPrefix(k, prefix); k, v = c.Next() {
		moved = append(moved, entry{slices.Clone(k), slices.Clone(v)})
	}
	for _, e := range moved {
		if err := route.Delete(e.k); err != nil {
			return err
		}
		nk := append(idPrefix(to, domain.SortKeyLen), e.k[len(idPrefix(from, 0)):]...)
		if err := t.put(bucketRoute, route, nk, e.v); err != nil {
			return err
		}
	}
	return nil
}

// Route implements store.Routes.
func (t *tx) Route(reader string, m domain.Month) ([]domain.Customer, error) {
	as, err := t.Assignments()
	if err != nil {
		return nil, err
	}
	books := domain.BooksOf(as, reader, m)
	if slices.Equal(books, t.currentBooks(reader)) {
		return t.scanRoute(idPrefix(reader, 0), m)
	}
	// The reader's books in m differ from today's (a rotation since): scan
	// each book where it is indexed now.
	var out []domain.Customer
	for _, book := range books {
		cs, err := t.scanRoute(routeBookPrefix(t.readerOfBook(book), book), m)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// currentBooks lists, sorted, the books indexed under reader.
func (t *tx) currentBooks(reader string) []string {
	t.loadLatest()
	var books []string
	for book, r := range t.latest {
		if r == reader {
			books = append(books, book)
		}
	}
	slices.Sort(books)
	return books
}

func (t *tx) scanRoute(prefix []byte, m domain.Month) ([]domain.Customer, error) {
	var out []domain.Customer
	customers := t.b(bucketCustomers)
	c := t.b(bucketRoute).Cursor()
	for k, v := c.Seek(prefix); hasPrefix(k, prefix); k, v = c.Next() {
		id, g := splitRouteValue(v)
		if g != m.Group() {
			continue
		}
		var cu domain.Customer
		raw := customers.Get([]byte(id))
		if raw == nil {
			return nil, fmt.Errorf("route entry %x names missing customer %s: %w", k, id, errCorrupt)
		}
		if err := decodeCustomer(raw, &cu); err != nil {
			return nil, err
		}
		if domain.InRoute(&cu, m) {
			out = append(out, cu)
		}
	}
	return out, nil
}

// AppendAudit implements store.Tx.
func (t *tx) AppendAudit(e store.AuditEntry) (uint64, error) {
	audit := t.b(bucketAudit)
	seq, err := audit.NextSequence()
	if err != nil {
		return 0, err
	}
	e.Seq = seq
	v, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	return seq, audit.Put(seqKey(seq), v)
}

// Audit implements store.AuditLog.
func (t *tx) Audit(after uint64, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	c := t.b(bucketAudit).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		var e store.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("audit %x: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}
