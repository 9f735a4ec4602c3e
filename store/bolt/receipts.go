package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/store"
)

// receiptIDPrefix starts the receipt IDs the store gives.
const receiptIDPrefix = "HZ"

// maxKeyID bounds the ids used in length-prefixed keys.
const maxKeyID = 128

func receiptKey(id string, version int) []byte {
	return binary.BigEndian.AppendUint32(idPrefix(id, 4), uint32(version))
}

func seqIndexKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(idPrefix(id, 8), seq)
}

// ReceiptVersions implements store.Receipts.
func (t *tx) ReceiptVersions(id string) ([]store.ReceiptRecord, error) {
	out := []store.ReceiptRecord{}
	if id == "" || len(id) > maxKeyID {
		return out, nil
	}
	prefix := idPrefix(id, 0)
	c := t.b(bucketReceipts).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		r, err := decodeReceipt(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Receipts implements store.Receipts.
func (t *tx) Receipts(q store.ReceiptQuery) ([]store.ReceiptRecord, error) {
	out := []store.ReceiptRecord{}
	var c *bbolt.Cursor
	var prefix []byte
	switch {
	case q.OrderID != "":
		c, prefix = t.b(bucketReceiptsByOrder).Cursor(), idPrefix(q.OrderID, 0)
	case q.CustomerID != "":
		c, prefix = t.b(bucketReceiptsByCustomer).Cursor(), idPrefix(q.CustomerID, 0)
	default:
		c = t.b(bucketReceiptSeq).Cursor()
	}
	if q.After == ^uint64(0) {
		return out, nil
	}
	k, v := c.Seek(binary.BigEndian.AppendUint64(bytes.Clone(prefix), q.After+1))
	primary := t.b(bucketReceipts)
	for ; k != nil && bytes.HasPrefix(k, prefix) && (q.Limit <= 0 || len(out) < q.Limit); k, v = c.Next() {
		raw := primary.Get(v)
		if raw == nil {
			return nil, fmt.Errorf("receipt index %x: no record %x", k, v)
		}
		r, err := decodeReceipt(v, raw)
		if err != nil {
			return nil, err
		}
		if q.Matches(&r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func decodeReceipt(k, v []byte) (store.ReceiptRecord, error) {
	var r store.ReceiptRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("receipt %x: %w", k, err)
	}
	return r, nil
}

// AppendReceipt implements store.ReceiptWriter.
func (t *tx) AppendReceipt(r store.ReceiptRecord) (store.ReceiptRecord, error) {
	if r.Version != 0 || r.Seq != 0 {
		return r, fmt.Errorf("store/bolt: a receipt to append has no version or seq (got %d, %d)", r.Version, r.Seq)
	}
	if len(r.ID) > maxKeyID || len(r.OrderID) > maxKeyID || len(r.CustomerID) > maxKeyID || r.CustomerID == "" {
		return r, fmt.Errorf("store/bolt: receipt %q: id, order or customer empty or too long", r.ID)
	}
	seqs := t.b(bucketReceiptSeq)
	seq, err := seqs.NextSequence()
	if err != nil {
		return r, err
	}
	if r.ID == "" {
		r.ID = fmt.Sprintf("%s%010d", receiptIDPrefix, seq)
	}
	was, err := t.ReceiptVersions(r.ID)
	if err != nil {
		return r, err
	}
	r.Version = len(was) + 1
	r.Seq = seq
	raw, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	key := receiptKey(r.ID, r.Version)
	if err := t.b(bucketReceipts).Put(key, raw); err != nil {
		return r, err
	}
	if err := seqs.Put(binary.BigEndian.AppendUint64(nil, seq), key); err != nil {
		return r, err
	}
	if r.OrderID != "" {
		if err := t.b(bucketReceiptsByOrder).Put(seqIndexKey(r.OrderID, seq), key); err != nil {
			return r, err
		}
	}
	return r, t.b(bucketReceiptsByCustomer).Put(seqIndexKey(r.CustomerID, seq), key)
}

// checkReceipts verifies that every receipt version is listed once in
// storage order, under its household and under its order.
func checkReceipts(t *tx) []error {
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	n := 0
	t.b(bucketReceipts).ForEach(func(k, v []byte) error {
		n++
		r, err := decodeReceipt(k, v)
		if err != nil {
			fail("%v", err)
			return nil
		}
		if !bytes.Equal(k, receiptKey(r.ID, r.Version)) {
			fail("receipt %s v%d filed under %x", r.ID, r.Version, k)
		}
		if got := t.b(bucketReceiptSeq).Get(binary.BigEndian.AppendUint64(nil, r.Seq)); !bytes.Equal(got, k) {
			fail("receipt %s v%d: seq %d names %x", r.ID, r.Version, r.Seq, got)
		}
		if got := t.b(bucketReceiptsByCustomer).Get(seqIndexKey(r.CustomerID, r.Seq)); !bytes.Equal(got, k) {
			fail("receipt %s v%d: not indexed under household %s", r.ID, r.Version, r.CustomerID)
		}
		if r.OrderID != "" && !bytes.Equal(t.b(bucketReceiptsByOrder).Get(seqIndexKey(r.OrderID, r.Seq)), k) {
			fail("receipt %s v%d: not indexed under order %s", r.ID, r.Version, r.OrderID)
		}
		return nil
	})
	if m := keyCount(t.b(bucketReceiptSeq)); m != n {
		fail("receipts: %d records, %d in storage order", n, m)
	}
	if m := keyCount(t.b(bucketReceiptsByCustomer)); m != n {
		fail("receipts: %d records, %d indexed by household", n, m)
	}
	return errs
}

func keyCount(b *bbolt.Bucket) int {
	n := 0
	b.ForEach(func(_, _ []byte) error { n++; return nil })
	return n
}
