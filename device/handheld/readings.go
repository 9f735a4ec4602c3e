package handheld

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/tabular"
)

// RemarkAdded is written in the 备注 of a reading for a household that is
// neither on the route nor a re-read: the reader added it on site, and the
// server must report it, never drop it.
const RemarkAdded = "新增户"

// Reading is a reading taken on the handheld and not yet acknowledged by the
// server.
type Reading struct {
	ID uint64 // increasing in the order readings were taken
	interchange.ReadingRow
	// OffRoute is set when the household is neither on the loaded route nor
	// a re-read.
	OffRoute bool
}

// Batch is the readings pending upload, as one readings file.
type Batch struct {
	Readings []Reading
	CSV      []byte // the readings file: UTF-8, header row, one row per reading
}

// IDs returns the batch's reading ids, to give ClearReadings once the server
// has stored the batch.
func (b Batch) IDs() []uint64 {
	ids := make([]uint64, len(b.Readings))
	for i, r := range b.Readings {
		ids[i] = r.ID
	}
	return ids
}

// Record stores a reading taken for a household and returns it as stored.
// Its cycle is the loaded route's, its 抄表员编号 the route's reader when
// blank and its 抄表序号 the household's when blank. A household's earlier
// pending reading is replaced: the handheld uploads the last one taken.
func (s *Store) Record(row interchange.ReadingRow) (Reading, error) {
	var out Reading
	err := s.update(func(tx *bolt.Tx) error {
		h, err := routeHeaderIn(tx)
		if err != nil {
			return err
		}
		if h == nil {
			return ErrNoRoute
		}
		out, err = recordIn(tx, *h, row)
		return err
	})
	return out, err
}

// recordIn does Record's work in tx.
func recordIn(tx *bolt.Tx, h RouteHeader, row interchange.ReadingRow) (Reading, error) {
	row.Cycle, _ = domain.ParseMonth(h.Cycle)
	if row.ReaderID == "" {
		row.ReaderID = h.Reader
	}
	if err := row.Validate(); err != nil {
		return Reading{}, fmt.Errorf("handheld: reading for %s: %w", row.CustomerID, err)
	}
	if row.CustomerID == "" {
		return Reading{}, fmt.Errorf("handheld: reading without 用户编号")
	}
	onRoute, err := markRead(tx, bucketRoute, routeKey(tx, row.CustomerID), row)
	if err != nil {
		return Reading{}, err
	}
	reread, err := markRead(tx, bucketRereads, []byte(row.CustomerID), row)
	if err != nil {
		return Reading{}, err
	}
	r := Reading{ReadingRow: row, OffRoute: !onRoute && !reread}
	if r.OffRoute && !strings.Contains(r.Remark, RemarkAdded) {
		r.Remark = strings.TrimSuffix(RemarkAdded+"; "+r.Remark, "; ")
	}
	return r, putReading(tx, &r)
}

func routeKey(tx *bolt.Tx, customerID string) []byte {
	return tx.Bucket(bucketRouteIdx).Get([]byte(customerID))
}

// markRead marks the household at key in bucket as read with row's flags.
// It reports whether the household is there.
func markRead(tx *bolt.Tx, bucket, key []byte, row interchange.ReadingRow) (bool, error) {
	b := tx.Bucket(bucket)
	v := b.Get(key)
	if key == nil || v == nil {
		return false, nil
	}
	var h Household
	if err := getJSON(v, &h); err != nil {
		return false, err
	}
	h.Read, h.Flags = true, row.Flags
	return true, putJSON(b, key, h)
}

// putReading replaces the household's pending reading with r, under a new id.
func putReading(tx *bolt.Tx, r *Reading) error {
	rb, ib := tx.Bucket(bucketReadings), tx.Bucket(bucketReadingIdx)
	if old := ib.Get([]byte(r.CustomerID)); old != nil {
		if err := rb.Delete(old); err != nil {
			return err
		}
	}
	if r.SeqNo == "" {
		r.SeqNo = seqNoOf(tx, r.CustomerID)
	}
	id, err := rb.NextSequence()
	if err != nil {
		return err
	}
	r.ID = id
	if err := putJSON(rb, u64(id), r); err != nil {
		return err
	}
	return ib.Put([]byte(r.CustomerID), u64(id))
}

// seqNoOf finds a household's 抄表序号 on the route or the re-reads.
func seqNoOf(tx *bolt.Tx, customerID string) string {
	for _, kv := range []struct{ bucket, key []byte }{
		{bucketRoute, routeKey(tx, customerID)}, {bucketRereads, []byte(customerID)},
	} {
		if kv.key == nil {
			continue
		}
		if v := tx.Bucket(kv.bucket).Get(kv.key); v != nil {
			var h Household
			if getJSON(v, &h) == nil {
				return h.SeqNo
			}
		}
	}
	return ""
}

// PendingReadings returns the readings not yet acknowledged, in the order
// they were taken, and the readings file that carries them.
func (s *Store) PendingReadings() (Batch, error) {
	rs, err := s.pending()
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Readings: rs}
	b.CSV, err = ReadingsCSV(rs)
	return b, err
}

// pending reads the readings waiting for upload, without encoding them.
func (s *Store) pending() ([]Reading, error) {
	var rs []Reading
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReadings).ForEach(func(_, v []byte) error {
			var r Reading
			if err := getJSON(v, &r); err != nil {
				return err
			}
			rs = append(rs, r)
			return nil
		})
	})
	return rs, err
}

// ReadingsCSV writes readings as a readings interchange file: UTF-8 without
// a byte order mark, the Chinese header row, CRLF line ends.
func ReadingsCSV(rs []Reading) ([]byte, error) {
	var buf bytes.Buffer
	w, err := tabular.NewCSVWriter(&buf, interchange.Headers(interchange.ReadingSchema),
		tabular.WriteOptions{Encoding: tabular.EncodingUTF8NoBOM})
	if err != nil {
		return nil, fmt.Errorf("handheld: %w", err)
	}
	for _, r := range rs {
		if err := w.Write(interchange.EncodeReading(r.ReadingRow)); err != nil {
			return nil, fmt.Errorf("handheld: reading %d: %w", r.ID, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("handheld: %w", err)
	}
	return buf.Bytes(), nil
}

// ClearReadings deletes the readings with the given ids, the readings of a
// batch the server acknowledged as stored, and returns how many it deleted.
// Readings taken after the batch was made have other ids and stay, also
// when they replaced a reading of the batch.
func (s *Store) ClearReadings(ids []uint64) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		rb, ib := tx.Bucket(bucketReadings), tx.Bucket(bucketReadingIdx)
		for _, id := range ids {
			v := rb.Get(u64(id))
			if v == nil {
				continue
			}
			var r Reading
			if err := getJSON(v, &r); err != nil {
				return err
			}
			if cur := ib.Get([]byte(r.CustomerID)); cur != nil && binary.BigEndian.Uint64(cur) == id {
				if err := ib.Delete([]byte(r.CustomerID)); err != nil {
					return err
				}
			}
			if err := rb.Delete(u64(id)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
