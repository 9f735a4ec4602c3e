package bolt

import (
	"encoding/json"
	"fmt"

	"meter-sync/domain"
	"meter-sync/store"
)

// CycleCommit implements store.Commits.
func (t *tx) CycleCommit(cycle domain.Month, reader string) (store.CycleCommit, error) {
	key := cycleReaderPrefix(cycle, reader)
	v := t.b(bucketCommits).Get(key)
	if v == nil {
		return store.CycleCommit{}, fmt.Errorf("%s %s 未入库: %w", reader, cycle, store.ErrNotFound)
	}
	return decodeCommit(key, v)
}

// CommitsOf implements store.Commits.
func (t *tx) CommitsOf(cycle domain.Month) ([]store.CycleCommit, error) {
	var out []store.CycleCommit
	err := scanPrefix(t.b(bucketCommits), monthBytes(cycle), func(k, v []byte) error {
		c, err := decodeCommit(k, v)
		out = append(out, c)
		return err
	})
	return out, err
}

// PutCycleCommit implements store.CommitWriter.
func (t *tx) PutCycleCommit(c store.CycleCommit) error {
	key := cycleReaderPrefix(c.Cycle, c.ReaderID)
	b := t.b(bucketCommits)
	if b.Get(key) != nil {
		return fmt.Errorf("%s %s 已入库: %w", c.ReaderID, c.Cycle, store.ErrConflict)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// decodeCommit reads a stored commit and checks it is filed under its key.
func decodeCommit(key, v []byte) (store.CycleCommit, error) {
	var c store.CycleCommit
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("commit %x: %w", key, err)
	}
	if string(cycleReaderPrefix(c.Cycle, c.ReaderID)) != string(key) {
		return c, fmt.Errorf("commit %x filed under another key: %w", key, errCorrupt)
	}
	return c, nil
}
