// Package bolt keeps a tablet's sync state (client.Store) in one bbolt
// file: orders, households, the mutations made on the tablet with their
// results, and the attachments waiting for upload. Every Apply is one
// transaction, so a tablet that dies keeps everything a call returned from.
package bolt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"meter-sync/protocol/syncwire"
	"meter-sync/sync/client"
)

// ErrInUse is returned by Open when another process has the file open.
var ErrInUse = errors.New("bolt: the tablet's file is in use by another process")

// Buckets.
var (
	bMeta      = []byte("meta")      // "sync" → client.Meta
	bOrders    = []byte("orders")    // order id → client.Order
	bCustomers = []byte("customers") // customer id → syncwire.Customer
	bMutations = []byte("mutations") // sequence (u64) → client.Mutation, in the order made
	bMutIndex  = []byte("mut_index") // mutation id → sequence
	bBlobs     = []byte("blobs")     // sha256 → client.Blob
	bBlobData  = []byte("blob_data") // sha256 → bytes, until the server has them whole
	keySync    = []byte("sync")
)

// Options configure Open; nil takes the defaults.
type Options struct {
	// LockTimeout is how long Open waits for another process to let go of
	// the file; 0 means one second.
	LockTimeout time.Duration
	// NoSync skips fsync on commit, for benchmarks only.
	NoSync bool
}

// Store is a client.Store in a bbolt file. It is safe for concurrent use.
type Store struct {
	db *bbolt.DB
}

var _ client.Store = (*Store)(nil)

// Open opens or creates the file at path.
func Open(path string, opt *Options) (*Store, error) {
	o := Options{}
	if opt != nil {
		o = *opt
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.LockTimeout, NoSync: o.NoSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrInUse
	} else if err != nil {
		return nil, fmt.Errorf("bolt: opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bMeta, bOrders, bCustomers, bMutations, bMutIndex, bBlobs, bBlobData} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Check verifies the file's pages.
func (s *Store) Check() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
}

func get[T any](tx *bbolt.Tx, bucket, key []byte) (T, error) {
	var v T
	raw := tx.Bucket(bucket).Get(key)
	if raw == nil {
		return v, client.ErrNotFound
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("bolt: %s %q: %w", bucket, key, err)
	}
	return v, nil
}

func put(tx *bbolt.Tx, bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put(key, raw)
}

func all[T any](tx *bbolt.Tx, bucket []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := tx.Bucket(bucket).ForEach(func(k, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("bolt: %s %q: %w", bucket, k, err)
		}
		if keep == nil || keep(&v) {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// Meta implements client.Replica.
func (s *Store) Meta() (client.Meta, error) {
	var m client.Meta
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		m, err = get[client.Meta](tx, bMeta, keySync)
		if errors.Is(err, client.ErrNotFound) {
			err = nil
		}
		return err
	})
	return m, err
}

// Orders implements client.Replica.
func (s *Store) Orders() ([]client.Order, error) {
	var out []client.Order
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = all[client.Order](tx, bOrders, nil)
		return err
	})
	return out, err
}

// Order implements client.Replica.
func (s *Store) Order(id string) (client.Order, error) {
	var o client.Order
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		o, err = get[client.Order](tx, bOrders, []byte(id))
		return err
	})
	return o, err
}

// Customer implements client.Replica.
func (s *Store) Customer(id string) (syncwire.Customer, error) {
	var c syncwire.Customer
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		c, err = get[syncwire.Customer](tx, bCustomers, []byte(id))
		return err
	})
	return c, err
}

// Mutations implements client.Queue.
func (s *Store) Mutations() ([]client.Mutation, error) {
	var out []client.Mutation
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = all[client.Mutation](tx, bMutations, nil)
		return err
	})
	return out, err
}

// Blobs implements client.Attachments.
func (s *Store) Blobs() ([]client.Blob, error) {
	var out []client.Blob
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = all(tx, bBlobs, func(b *client.Blob) bool { return !b.Done })
		return err
	})
	return out, err
}

// BlobData implements client.Attachments.
func (s *Store) BlobData(sha string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bBlobData).Get([]byte(sha))
		if v == nil {
			return client.ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Apply implements client.Store: the whole batch in one transaction.
func (s *Store) Apply(b client.Batch) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if b.Meta != nil {
			if err := put(tx, bMeta, keySync, b.Meta); err != nil {
				return err
			}
		}
		if b.ClearOrders {
			for _, name := range [][]byte{bOrders, bCustomers} {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
				if _, err := tx.CreateBucket(name); err != nil {
					return err
				}
			}
		}
		if err := s.applyRecords(tx, b); err != nil {
			return err
		}
		if err := applyMutations(tx, b.Mutations); err != nil {
			return err
		}
		return applyBlobs(tx, b)
	})
}

func (s *Store) applyRecords(tx *bbolt.Tx, b client.Batch) error {
	for _, o := range b.PutOrders {
		if err := put(tx, bOrders, []byte(o.ID), o); err != nil {
			return err
		}
	}
	for _, id := range b.DeleteOrders {
		if err := tx.Bucket(bOrders).Delete([]byte(id)); err != nil {
			return err
		}
	}
	for _, c := range b.PutCustomers {
		if err := put(tx, bCustomers, []byte(c.ID), c); err != nil {
			return err
		}
	}
	for _, id := range b.DeleteCustomers {
		if err := tx.Bucket(bCustomers).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

func applyMutations(tx *bbolt.Tx, ms []client.Mutation) error {
	idx, muts := tx.Bucket(bMutIndex), tx.Bucket(bMutations)
	for _, m := range ms {
		key := idx.Get([]byte(m.ID))
		if key == nil {
			seq, err := muts.NextSequence()
			if err != nil {
				return err
			}
			key = binary.BigEndian.AppendUint64(nil, seq)
			if err := idx.Put([]byte(m.ID), key); err != nil {
				return err
			}
		}
		if err := put(tx, bMutations, key, m); err != nil {
			return err
		}
	}
	return nil
}

func applyBlobs(tx *bbolt.Tx, b client.Batch) error {
	data := tx.Bucket(bBlobData)
	for sha, d := range b.BlobData {
		if err := data.Put([]byte(sha), d); err != nil {
			return err
		}
	}
	for _, bl := range b.PutBlobs {
		if err := put(tx, bBlobs, []byte(bl.SHA256), bl); err != nil {
			return err
		}
		if bl.Done {
			if err := data.Delete([]byte(bl.SHA256)); err != nil {
				return err
			}
		}
	}
	return nil
}
