package server

import (
	"slices"

	"meter-sync/domain"
	"meter-sync/store"
)

// memoTx is a read transaction that decodes a reader's anomalies and
// readings of a cycle once, however often they are asked for: a queue page
// wants them for its counts (review.CountsOf) and for its page
// (review.Queue), and decoding 10,000 anomalies is nearly all of a page's
// time. Within one read transaction the store does not change, so handing
// out the same records again is exact. Callers get their own slice.
type memoTx struct {
	store.ReadTx
	anomalies map[memoKey][]store.Anomaly
	readings  map[memoKey][]domain.ReadingVersion
}

type memoKey struct {
	cycle  domain.Month
	reader string
}

func newMemoTx(rt store.ReadTx) *memoTx {
	return &memoTx{ReadTx: rt, anomalies: map[memoKey][]store.Anomaly{}, readings: map[memoKey][]domain.ReadingVersion{}}
}

// Anomalies reads a reader's anomalies of a cycle once.
func (m *memoTx) Anomalies(cycle domain.Month, reader string) ([]store.Anomaly, error) {
	k := memoKey{cycle, reader}
	as, ok := m.anomalies[k]
	if !ok {
		var err error
		if as, err = m.ReadTx.Anomalies(cycle, reader); err != nil {
			return nil, err
		}
		m.anomalies[k] = as
	}
	return slices.Clone(as), nil
}

// ReadingsOf reads a reader's readings of a cycle once.
func (m *memoTx) ReadingsOf(cycle domain.Month, reader string) ([]domain.ReadingVersion, error) {
	k := memoKey{cycle, reader}
	vs, ok := m.readings[k]
	if !ok {
		var err error
		if vs, err = m.ReadTx.ReadingsOf(cycle, reader); err != nil {
			return nil, err
		}
		m.readings[k] = vs
	}
	return slices.Clone(vs), nil
}
