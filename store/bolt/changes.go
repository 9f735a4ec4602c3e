package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/store"
)

// The tablet sync's records (store/sync.go).
var (
	// scope → a bucket of its own: 's' ‖ seq → kind ‖ 0 ‖ key ‖ 0 ‖ instant,
	// 'k' ‖ kind ‖ 0 ‖ key → seq, and "h" → the horizon; the bucket's own
	// sequence numbers the scope's entries.
	bucketSyncChanges = []byte("sync_changes")
	// scope ‖ 派工单号 → nothing: every order a technician ever held.
	bucketHeld = []byte("sync_held")
	// 用户编号 ‖ 派工单号 → technician: who holds each household's orders.
	bucketHolders = []byte("sync_holders")
	// account ‖ mutation id → mutation (JSON).
	bucketMutations = []byte("sync_mutations")
	// instant ‖ account ‖ mutation id → nothing: the mutations newest last.
	bucketMutationTimes = []byte("sync_mutation_times")
	// sha ‖ account ‖ mutation id → nothing: receipts waiting for an attachment.
	bucketBlobWaits = []byte("sync_blob_waits")
	// tablet id → device (JSON).
	bucketSyncDevices = []byte("sync_devices")
)

var keyHorizon = []byte("h")

// scopeLog is a scope's log bucket; nil when it has none (read-only
// transactions never create one).
func (t *tx) scopeLog(scope string, create bool) (*bbolt.Bucket, error) {
	parent := t.b(bucketSyncChanges)
	if b := parent.Bucket([]byte(scope)); b != nil || !create {
		if b != nil {
			b.FillPercent = fillPercent
		}
		return b, nil
	}
	if scope == "" {
		return nil, errors.New("store/bolt: a change log needs a scope")
	}
	return parent.CreateBucket([]byte(scope))
}

func recordKey(kind, key string) []byte {
	k := make([]byte, 0, 2+len(kind)+len(key))
	k = append(append(append(k, 'k'), kind...), 0)
	return append(k, key...)
}

func entryKey(seq uint64) []byte { return append([]byte{'s'}, seqKey(seq)...) }

// LogChange implements store.ChangeWriter.
func (t *tx) LogChange(scope, kind, key string, at time.Time) (uint64, error) {
	b, err := t.scopeLog(scope, true)
	if err != nil {
		return 0, err
	}
	rk := recordKey(kind, key)
	if old := b.Get(rk); old != nil {
		if err := b.Delete(entryKey(binary.BigEndian.Uint64(old))); err != nil {
			return 0, err
		}
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	v := make([]byte, 0, len(kind)+len(key)+10)
	v = append(append(append(append(v, kind...), 0), key...), 0)
	v = append(v, instantBytes(at)...)
	if err := b.Put(entryKey(seq), v); err != nil {
		return 0, err
	}
	return seq, b.Put(rk, seqKey(seq))
}

func decodeChange(k, v []byte) (store.Change, error) {
	parts := bytes.SplitN(v, []byte{0}, 3)
	if len(k) != 9 || len(parts) != 3 || len(parts[2]) != 8 {
		return store.Change{}, fmt.Errorf("store/bolt: change entry %x is damaged", k)
	}
	return store.Change{Seq: binary.BigEndian.Uint64(k[1:]), Kind: string(parts[0]), Key: string(parts[1]),
		At: bytesInstant(parts[2])}, nil
}

// Changes implements store.ChangeLog.
func (t *tx) Changes(scope string, after uint64, limit int) ([]store.Change, error) {
	b, err := t.scopeLog(scope, false)
	if b == nil || err != nil {
		return nil, err
	}
	var out []store.Change
	c := b.Cursor()
	for k, v := c.Seek(entryKey(after + 1)); k != nil && k[0] == 's' && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		ch, err := decodeChange(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// ChangeHead implements store.ChangeLog.
func (t *tx) ChangeHead(scope string) (head, horizon uint64, err error) {
	b, err := t.scopeLog(scope, false)
	if b == nil || err != nil {
		return 0, 0, err
	}
	if h := b.Get(keyHorizon); len(h) == 8 {
		horizon = binary.BigEndian.Uint64(h)
	}
	return b.Sequence(), horizon, nil
}

// Scopes implements store.ChangeLog.
func (t *tx) Scopes() ([]string, error) {
	var out []string
	err := t.b(bucketSyncChanges).ForEachBucket(func(k []byte) error {
		out = append(out, string(k))
		return nil
	})
	return out, err
}

// PruneChanges implements store.ChangeWriter.
func (t *tx) PruneChanges(scope string, seqs []uint64) error {
	b, err := t.scopeLog(scope, false)
	if b == nil || err != nil || len(seqs) == 0 {
		return err
	}
	_, horizon, err := t.ChangeHead(scope)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		v := b.Get(entryKey(seq))
		if v == nil {
			continue
		}
		ch, err := decodeChange(entryKey(seq), v)
		if err != nil {
			return err
		}
		if err := b.Delete(entryKey(seq)); err != nil {
			return err
		}
		if err := b.Delete(recordKey(ch.Kind, ch.Key)); err != nil {
			return err
		}
		horizon = max(horizon, seq)
	}
	return b.Put(keyHorizon, seqKey(horizon))
}

func heldKey(scope, orderID string) []byte { return append(idPrefix(scope, len(orderID)), orderID...) }

// Held implements store.ChangeLog.
func (t *tx) Held(scope, orderID string) (bool, error) {
	return t.b(bucketHeld).Get(heldKey(scope, orderID)) != nil, nil
}

func holderKey(customerID, orderID string) []byte {
	return append(idPrefix(customerID, len(orderID)), orderID...)
}

// HoldersOf implements store.ChangeLog.
func (t *tx) HoldersOf(customerID string) ([]string, error) {
	var out []string
	err := scanPrefix(t.b(bucketHolders), idPrefix(customerID, 0), func(_, v []byte) error {
		if !slices.Contains(out, string(v)) {
			out = append(out, string(v))
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// orderChanged writes the change log of an order's write: an entry for the
// technician who held it and for the one who holds it now, and the indexes
// of who holds what.
func (t *tx) orderChanged(before *store.Order, o *store.Order) error {
	now := time.Now()
	holders := t.b(bucketHolders)
	if before != nil && before.Technician != "" {
		if _, err := t.LogChange(before.Technician, store.ChangeOrder, o.ID, now); err != nil {
			return err
		}
		if err := holders.Delete(holderKey(before.CustomerID, before.ID)); err != nil {
			return err
		}
	}
	if o.Technician == "" {
		return nil
	}
	if before == nil || before.Technician != o.Technician {
		if _, err := t.LogChange(o.Technician, store.ChangeOrder, o.ID, now); err != nil {
			return err
		}
	}
	// (a value, not nil: bbolt's Get cannot tell an empty value from none)
	if err := t.b(bucketHeld).Put(heldKey(o.Technician, o.ID), []byte{1}); err != nil {
		return err
	}
	return holders.Put(holderKey(o.CustomerID, o.ID), []byte(o.Technician))
}

// customerChanged logs a household's change for every technician who holds
// one of its orders.
func (t *tx) customerChanged(id string) error {
	holders, err := t.HoldersOf(id)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, h := range holders {
		if _, err := t.LogChange(h, store.ChangeCustomer, id, now); err != nil {
			return err
		}
	}
	return nil
}

func mutationKey(account, id string) []byte { return append(idPrefix(account, len(id)), id...) }

// Mutation implements store.Mutations.
func (t *tx) Mutation(account, id string) (store.Mutation, error) {
	var m store.Mutation
	v := t.b(bucketMutations).Get(mutationKey(account, id))
	if v == nil {
		return m, fmt.Errorf("mutation %s: %w", id, store.ErrNotFound)
	}
	return m, json.Unmarshal(v, &m)
}

// Mutations implements store.Mutations.
func (t *tx) Mutations(q store.MutationQuery) ([]store.Mutation, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var out []store.Mutation
	c := t.b(bucketMutationTimes).Cursor()
	var k []byte
	if q.Before.IsZero() {
		k, _ = c.Last()
	} else if k, _ = c.Seek(instantBytes(q.Before)); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && len(out) < q.Limit; k, _ = c.Prev() {
		account, rest, ok := splitID(k[8:])
		if !ok {
			return nil, fmt.Errorf("store/bolt: mutation index entry %x is damaged", k)
		}
		if q.Account != "" && account != q.Account {
			continue
		}
		m, err := t.Mutation(account, string(rest))
		if err != nil {
			return nil, err
		}
		if q.Status == "" || m.Status == q.Status {
			out = append(out, m)
		}
	}
	return out, nil
}

func waitKey(sha, account, id string) []byte {
	return append(append(idPrefix(sha, 0), idPrefix(account, len(id))...), id...)
}

// Waiting implements store.Mutations.
func (t *tx) Waiting(sha string) ([][2]string, error) {
	var out [][2]string
	err := scanPrefix(t.b(bucketBlobWaits), idPrefix(sha, 0), func(k, _ []byte) error {
		account, rest, ok := splitID(k[1+len(sha):])
		if !ok {
			return fmt.Errorf("store/bolt: attachment wait %x is damaged", k)
		}
		out = append(out, [2]string{account, string(rest)})
		return nil
	})
	return out, err
}

// PutMutation implements store.MutationWriter.
func (t *tx) PutMutation(m store.Mutation) error {
	if m.Account == "" || m.ID == "" {
		return errors.New("store/bolt: a mutation needs an account and an id")
	}
	key := mutationKey(m.Account, m.ID)
	waits := t.b(bucketBlobWaits)
	times := t.b(bucketMutationTimes)
	if old, err := t.Mutation(m.Account, m.ID); err == nil {
		for _, sha := range old.Missing {
			if err := waits.Delete(waitKey(sha, m.Account, m.ID)); err != nil {
				return err
			}
		}
		if err := times.Delete(append(instantBytes(old.At), key...)); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, sha := range m.Missing {
		if err := waits.Put(waitKey(sha, m.Account, m.ID), nil); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := times.Put(append(instantBytes(m.At), key...), nil); err != nil {
		return err
	}
	return t.b(bucketMutations).Put(key, raw)
}

// SyncDevice implements store.Mutations.
func (t *tx) SyncDevice(id string) (store.SyncDevice, error) {
	var d store.SyncDevice
	v := t.b(bucketSyncDevices).Get([]byte(id))
	if v == nil {
		return d, fmt.Errorf("tablet %s: %w", id, store.ErrNotFound)
	}
	return d, json.Unmarshal(v, &d)
}

// PutSyncDevice implements store.MutationWriter.
func (t *tx) PutSyncDevice(d store.SyncDevice) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return t.b(bucketSyncDevices).Put([]byte(d.ID), raw)
}

// checkChangeLogs: every scope's entries and record keys name each other.
func checkChangeLogs(t *tx) []error {
	var errs []error
	t.b(bucketSyncChanges).ForEachBucket(func(scope []byte) error {
		b := t.b(bucketSyncChanges).Bucket(scope)
		b.ForEach(func(k, v []byte) error {
			switch {
			case k[0] == 's':
				ch, err := decodeChange(k, v)
				if err != nil {
					errs = append(errs, err)
				} else if got := b.Get(recordKey(ch.Kind, ch.Key)); got == nil || binary.BigEndian.Uint64(got) != ch.Seq {
					errs = append(errs, fmt.Errorf("change log %s: entry %d (%s %s) is not its record's", scope, ch.Seq, ch.Kind, ch.Key))
				}
			case k[0] == 'k':
				if len(v) != 8 || b.Get(entryKey(binary.BigEndian.Uint64(v))) == nil {
					errs = append(errs, fmt.Errorf("change log %s: record %q has no entry", scope, k[1:]))
				}
			}
			return nil
		})
		return nil
	})
	return errs
}
