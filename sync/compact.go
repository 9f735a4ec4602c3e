package sync

import (
	"errors"
	"slices"

	"meter-sync/store"
)

// Compact prunes, from every technician's change log, the removals older
// than the horizon: entries for orders that have left the scope and
// households the technician no longer holds. A tablet whose cursor is
// behind a pruned entry is told to pull from scratch (ErrResync) rather
// than miss the removal. It returns how many entries it pruned.
func (s *Service) Compact() (int, error) {
	cutoff := s.now().Add(-s.opt.Horizon)
	n := 0
	err := s.opt.Store.Update(func(tx store.Tx) error {
		scopes, err := tx.Scopes()
		if err != nil {
			return err
		}
		for _, scope := range scopes {
			changes, err := tx.Changes(scope, 0, 0)
			if err != nil {
				return err
			}
			var old []uint64
			for _, ch := range changes {
				if !ch.At.Before(cutoff) {
					break // entries are in Seq order, which is the order they were written
				}
				if gone, err := removed(tx, scope, ch); err != nil {
					return err
				} else if gone {
					old = append(old, ch.Seq)
				}
			}
			if err := tx.PruneChanges(scope, old); err != nil {
				return err
			}
			n += len(old)
		}
		return nil
	})
	return n, err
}

// removed reports whether a change log entry delivers a removal now.
func removed(tx store.ReadTx, scope string, ch store.Change) (bool, error) {
	switch ch.Kind {
	case store.ChangeOrder:
		o, err := tx.Order(ch.Key)
		if errors.Is(err, store.ErrNotFound) {
			return true, nil
		}
		return err == nil && !InScope(&o, scope), err
	case store.ChangeCustomer:
		holders, err := tx.HoldersOf(ch.Key)
		return err == nil && !slices.Contains(holders, scope), err
	}
	return false, nil
}
