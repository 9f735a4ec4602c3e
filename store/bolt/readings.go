package bolt

import (
	"bytes"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
)

// putIfChanged puts key → val unless it is already there; old is what was
// there before (nil if nothing).
func putIfChanged(b *bbolt.Bucket, key, val []byte) (old []byte, changed bool, err error) {
	old = b.Get(key)
	if old != nil && bytes.Equal(old, val) {
		return nil, false, nil
	}
	return old, true, b.Put(key, val)
}

// scanPrefix calls fn for every key with prefix, in key order.
func scanPrefix(b *bbolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); hasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// PutHistory implements store.Tx.
func (t *tx) PutHistory(h domain.HistoryReading) (*domain.HistoryReading, bool, error) {
	old, changed, err := putIfChanged(t.b(bucketHistory), historyKey(h.CustomerID, h.Date), f64bytes(h.ValueM3))
	if old == nil || err != nil {
		return nil, changed, err
	}
	before := h
	before.ValueM3, err = bytesF64(old)
	return &before, changed, err
}

// History implements store.Readings.
func (t *tx) History(id string) ([]domain.HistoryReading, error) {
	var out []domain.HistoryReading
	prefix := idPrefix(id, 0)
	err := scanPrefix(t.b(bucketHistory), prefix, func(k, v []byte) error {
		val, err := bytesF64(v)
		out = append(out, domain.HistoryReading{CustomerID: id, Date: bytesInstant(k[len(prefix):]), ValueM3: val})
		return err
	})
	return out, err
}

// PutPurchase implements store.Tx.
func (t *tx) PutPurchase(p domain.ICPurchase) (*domain.ICPurchase, bool, error) {
	old, changed, err := putIfChanged(t.b(bucketPurchases), purchaseKey(p), f64bytes(p.VolumeM3))
	if old == nil || err != nil {
		return nil, changed, err
	}
	before := p
	before.VolumeM3, err = bytesF64(old)
	return &before, changed, err
}

// Purchases implements store.Readings.
func (t *tx) Purchases(id string) ([]domain.ICPurchase, error) {
	var out []domain.ICPurchase
	prefix := idPrefix(id, 0)
	err := scanPrefix(t.b(bucketPurchases), prefix, func(k, v []byte) error {
		rest := k[len(prefix):]
		if len(rest) != 10 {
			return fmt.Errorf("purchase key %x: %w", k, errCorrupt)
		}
		val, err := bytesF64(v)
		out = append(out, domain.ICPurchase{CustomerID: id, At: bytesInstant(rest[:8]),
			N: int(rest[8])<<8 | int(rest[9]), VolumeM3: val})
		return err
	})
	return out, err
}

// PutMeterChange implements store.Tx.
func (t *tx) PutMeterChange(c domain.MeterChange) (*domain.MeterChange, bool, error) {
	old, changed, err := putIfChanged(t.b(bucketChanges), changeKey(c), encodeMeterChange(c))
	if old == nil || err != nil {
		return nil, changed, err
	}
	before := c
	return &before, changed, decodeMeterChange(old, &before)
}

// MeterChanges implements store.Readings.
func (t *tx) MeterChanges(id string) ([]domain.MeterChange, error) {
	var out []domain.MeterChange
	prefix := idPrefix(id, 0)
	err := scanPrefix(t.b(bucketChanges), prefix, func(k, v []byte) error {
		c := domain.MeterChange{CustomerID: id, At: bytesInstant(k[len(prefix):])}
		err := decodeMeterChange(v, &c)
		out = append(out, c)
		return err
	})
	return out, err
}

// ReadingVersions implements store.Readings.
func (t *tx) ReadingVersions(id string, cycle domain.Month) ([]domain.ReadingVersion, error) {
	var out []domain.ReadingVersion
	err := scanPrefix(t.b(bucketReadings), readingPrefix(id, cycle), func(k, v []byte) error {
		var rv domain.ReadingVersion
		if err := decodeReadingVersion(v, &rv); err != nil {
			return fmt.Errorf("reading %x: %w", k, err)
		}
		out = append(out, rv)
		return nil
	})
	return out, err
}

// AppendReading implements store.Tx.
func (t *tx) AppendReading(v domain.ReadingVersion) (domain.ReadingVersion, bool, error) {
	versions, err := t.ReadingVersions(v.CustomerID, v.Cycle)
	if err != nil {
		return v, false, err
	}
	next, changed := domain.NextVersion(versions, v.Reading)
	if !changed {
		return versions[len(versions)-1], false, nil
	}
	v.Version = next
	if err := t.b(bucketReadings).Put(readingKey(v.CustomerID, v.Cycle, v.Version), encodeReadingVersion(&v)); err != nil {
		return v, false, err
	}
	return v, true, t.b(bucketReadingIndex).Put(readingIndexKey(v.Cycle, v.ReaderID, v.CustomerID), nil)
}

// ReadingsOf implements store.Readings: one range scan of the reading
// index, then each household's versions.
func (t *tx) ReadingsOf(cycle domain.Month, reader string) ([]domain.ReadingVersion, error) {
	var out []domain.ReadingVersion
	prefix := cycleReaderPrefix(cycle, reader)
	err := scanPrefix(t.b(bucketReadingIndex), prefix, func(k, _ []byte) error {
		id, rest, ok := splitID(k[len(prefix):])
		if !ok || len(rest) != 0 {
			return fmt.Errorf("reading index key %x: %w", k, errCorrupt)
		}
		vs, err := t.ReadingVersions(id, cycle)
		for _, v := range vs {
			if v.ReaderID == reader {
				out = append(out, v)
			}
		}
		return err
	})
	return out, err
}
