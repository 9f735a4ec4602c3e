package bolt

import (
	"encoding/json"
	"fmt"

	"meter-sync/store"
)

// orderIDPrefix starts every 派工单号; the sequence after it has a fixed
// width, so that IDs sort in the order orders were created.
const orderIDPrefix = "PG"

// Order implements store.Orders.
func (t *tx) Order(id string) (store.Order, error) {
	var o store.Order
	v := t.b(bucketOrders).Get([]byte(id))
	if v == nil {
		return o, fmt.Errorf("派工单%s: %w", id, store.ErrNotFound)
	}
	if err := json.Unmarshal(v, &o); err != nil {
		return o, fmt.Errorf("order %s: %w", id, err)
	}
	return o, nil
}

// Orders implements store.Orders.
func (t *tx) Orders(q store.OrderQuery) ([]store.Order, error) {
	var out []store.Order
	c := t.b(bucketOrders).Cursor()
	k, v := c.First()
	if q.After != "" {
		k, v = c.Seek([]byte(q.After))
		if k != nil && string(k) == q.After {
			k, v = c.Next()
		}
	}
	for ; k != nil && (q.Limit <= 0 || len(out) < q.Limit); k, v = c.Next() {
		var o store.Order
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, fmt.Errorf("order %s: %w", k, err)
		}
		if q.Matches(&o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// CreateOrder implements store.OrderWriter.
func (t *tx) CreateOrder(o store.Order) (store.Order, error) {
	if o.ID != "" || o.Version != 0 {
		return o, fmt.Errorf("store/bolt: a new order has no id or version (got %q, %d)", o.ID, o.Version)
	}
	b := t.b(bucketOrders)
	seq, err := b.NextSequence()
	if err != nil {
		return o, err
	}
	o.ID = fmt.Sprintf("%s%010d", orderIDPrefix, seq)
	o.Version = 1
	raw, err := json.Marshal(o)
	if err != nil {
		return o, err
	}
	if err := t.orderChanged(nil, &o); err != nil {
		return o, err
	}
	return o, b.Put([]byte(o.ID), raw)
}

// PutOrder implements store.OrderWriter.
func (t *tx) PutOrder(o store.Order) (store.Order, error) {
	was, err := t.Order(o.ID)
	if err != nil {
		return o, err
	}
	if was.Version != o.Version {
		return o, fmt.Errorf("派工单%s: version %d, stored %d: %w", o.ID, o.Version, was.Version, store.ErrConflict)
	}
	o.Version++
	raw, err := json.Marshal(o)
	if err != nil {
		return o, err
	}
	if err := t.orderChanged(&was, &o); err != nil {
		return o, err
	}
	return o, t.b(bucketOrders).Put([]byte(o.ID), raw)
}
