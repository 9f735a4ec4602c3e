package handheld

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Partial transfers are kept as chunks keyed by their offset, so that
// appending a block costs the block, not the whole prefix.

// PartialInfo names a transfer cut short and how much of it the handheld has.
type PartialInfo struct {
	ID   string
	Size int64
}

// PutPartial writes data at offset into the partial transfer id and returns
// the transfer's new length. Whatever the transfer held from offset on is
// replaced, so a block sent again after a resume overwrites its first copy.
// An offset past the end would leave a hole and is refused.
func (s *Store) PutPartial(id string, offset int64, data []byte) (int64, error) {
	if id == "" {
		return 0, errors.New("handheld: partial transfer without an id")
	}
	var size int64
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketPartials).CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		if end := chunksEnd(b); offset < 0 || offset > end {
			return fmt.Errorf("handheld: partial %s: offset %d outside 0..%d", id, offset, end)
		}
		if err := truncateChunks(b, offset); err != nil {
			return err
		}
		size = offset + int64(len(data))
		if len(data) == 0 {
			return nil
		}
		return b.Put(u64(uint64(offset)), data)
	})
	return size, err
}

// chunksEnd is the length of the transfer held in b.
func chunksEnd(b *bolt.Bucket) int64 {
	k, v := b.Cursor().Last()
	if k == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k)) + int64(len(v))
}

// truncateChunks cuts the transfer held in b to offset bytes: chunks from
// offset on are deleted and a chunk running past offset is shortened.
func truncateChunks(b *bolt.Bucket, offset int64) error {
	c := b.Cursor()
	var drop [][]byte
	for k, _ := c.Seek(u64(uint64(offset))); k != nil; k, _ = c.Next() {
		drop = append(drop, slices.Clone(k))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	k, v := b.Cursor().Last() // now the last chunk that starts before offset
	if k == nil {
		return nil
	}
	if at := int64(binary.BigEndian.Uint64(k)); at+int64(len(v)) > offset {
		return b.Put(slices.Clone(k), slices.Clone(v[:offset-at]))
	}
	return nil
}

// Partial returns what the handheld has of transfer id; nil when it has
// nothing.
func (s *Store) Partial(id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPartials).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, v...)
			return nil
		})
	})
	return out, err
}

// DropPartial forgets transfer id: it completed, or will not be resumed.
func (s *Store) DropPartial(id string) error {
	return s.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketPartials).DeleteBucket([]byte(id))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// Partials lists the transfers cut short, by id.
func (s *Store) Partials() ([]PartialInfo, error) {
	var ps []PartialInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bucketPartials)
		return pb.ForEachBucket(func(k []byte) error {
			ps = append(ps, PartialInfo{ID: string(k), Size: chunksEnd(pb.Bucket(k))})
			return nil
		})
	})
	return ps, err
}
