package bolt

import (
	"encoding/json"
	"fmt"

	"meter-sync/domain"
	"meter-sync/store"
)

// Anomaly implements store.ReviewQueue.
func (t *tx) Anomaly(k store.AnomalyKey) (store.Anomaly, error) {
	v := t.b(bucketAnomalies).Get(anomalyKey(k))
	if v == nil {
		return store.Anomaly{}, fmt.Errorf("anomaly %s %s/%s %s: %w", k.Cycle, k.ReaderID, k.CustomerID, k.Code, store.ErrNotFound)
	}
	return decodeAnomaly(anomalyKey(k), v)
}

// Anomalies implements store.ReviewQueue.
func (t *tx) Anomalies(cycle domain.Month, reader string) ([]store.Anomaly, error) {
	return t.scanAnomalies(cycleReaderPrefix(cycle, reader))
}

// AnomaliesOfCycle implements store.ReviewQueue.
func (t *tx) AnomaliesOfCycle(cycle domain.Month) ([]store.Anomaly, error) {
	return t.scanAnomalies(monthBytes(cycle))
}

func (t *tx) scanAnomalies(prefix []byte) ([]store.Anomaly, error) {
	var out []store.Anomaly
	err := scanPrefix(t.b(bucketAnomalies), prefix, func(k, v []byte) error {
		a, err := decodeAnomaly(k, v)
		out = append(out, a)
		return err
	})
	return out, err
}

// PutAnomaly implements store.Tx.
func (t *tx) PutAnomaly(a store.Anomaly) (store.Anomaly, error) {
	key := anomalyKey(a.Key())
	b := t.b(bucketAnomalies)
	stored := 0
	if old := b.Get(key); old != nil {
		was, err := decodeAnomaly(key, old)
		if err != nil {
			return a, err
		}
		stored = was.Version
	}
	if a.Version != stored {
		return a, fmt.Errorf("anomaly %s/%s %s: version %d, stored %d: %w", a.ReaderID, a.CustomerID, a.Code, a.Version, stored, store.ErrConflict)
	}
	a.Version++
	raw, err := json.Marshal(a)
	if err != nil {
		return a, err
	}
	return a, b.Put(key, raw)
}

// DeleteAnomaly implements store.Tx.
func (t *tx) DeleteAnomaly(k store.AnomalyKey, version int) error {
	was, err := t.Anomaly(k)
	if err != nil {
		return err
	}
	if was.Version != version {
		return fmt.Errorf("anomaly %s/%s %s: version %d, stored %d: %w", k.ReaderID, k.CustomerID, k.Code, version, was.Version, store.ErrConflict)
	}
	return t.b(bucketAnomalies).Delete(anomalyKey(k))
}

// decodeAnomaly reads a stored anomaly and checks it is filed under its key.
func decodeAnomaly(key, v []byte) (store.Anomaly, error) {
	var a store.Anomaly
	if err := json.Unmarshal(v, &a); err != nil {
		return a, fmt.Errorf("anomaly %x: %w", key, err)
	}
	if string(anomalyKey(a.Key())) != string(key) {
		return a, fmt.Errorf("anomaly %x filed under another key: %w", key, errCorrupt)
	}
	return a, nil
}
