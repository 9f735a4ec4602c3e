// Package bolt is the embedded store: one bbolt file. Keys are laid out so
// that a reader's route for a month is one range scan (see keys.go).
package bolt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"meter-sync/store"
)

// Options tune Open; a nil *Options means the defaults.
type Options struct {
	// Timeout is how long Open waits for the file lock that a running server
	// holds before it returns store.ErrInUse. Zero means 500 ms: a command
	// must say at once that the store is busy, never hang.
	Timeout time.Duration
	// ReadOnly opens the file shared, for checks and backups of a stopped store.
	ReadOnly bool
}

// DB is a store in one bbolt file.
type DB struct {
	db   *bbolt.DB
	path string
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the store file at path.
func Open(path string, opt *Options) (*DB, error) {
	o := Options{}
	if opt != nil {
		o = *opt
	}
	if o.Timeout == 0 {
		o.Timeout = 500 * time.Millisecond
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:         o.Timeout,
		ReadOnly:        o.ReadOnly,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: 1 << 30, // bulk imports grow the file without remapping under readers
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", store.ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store/bolt: opening %s: %w", path, err)
	}
	s := &DB{db: db, path: path}
	if !o.ReadOnly {
		if err := s.db.Update(createBuckets); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

func createBuckets(tx *bbolt.Tx) error {
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("store/bolt: creating bucket %s: %w", b, err)
		}
	}
	return nil
}

// Path is the store file.
func (s *DB) Path() string { return s.path }

// View implements store.Store.
func (s *DB) View(fn func(store.ReadTx) error) error {
	return s.db.View(func(btx *bbolt.Tx) error { return fn(newTx(btx)) })
}

// Update implements store.Store.
func (s *DB) Update(fn func(store.Tx) error) error {
	return s.db.Update(func(btx *bbolt.Tx) error { return fn(newTx(btx)) })
}

// Backup implements store.Store: a consistent copy taken in a read
// transaction, so the server goes on working while it is written.
func (s *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Size implements store.Store.
func (s *DB) Size() int64 {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Close implements store.Store.
func (s *DB) Close() error { return s.db.Close() }
