// Package clienttest is the conformance suite every client.Store runs:
//
//	func TestConformance(t *testing.T) {
//		clienttest.Run(t, func(t *testing.T) client.Store { return open(t) })
//	}
package clienttest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"meter-sync/protocol/syncwire"
	"meter-sync/sync/client"
)

// Run runs the suite on stores made by open, a new empty one per test.
func Run(t *testing.T, open func(t *testing.T) client.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s client.Store)
	}{
		{"MetaRoundTrips", metaRoundTrips},
		{"OrdersPutDeleteClear", ordersPutDeleteClear},
		{"MutationsKeepTheirOrder", mutationsKeepTheirOrder},
		{"BlobsDropTheirBytesWhenDone", blobsDropTheirBytesWhenDone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func apply(t *testing.T, s client.Store, b client.Batch) {
	t.Helper()
	if err := s.Apply(b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func metaRoundTrips(t *testing.T, s client.Store) {
	if m, err := s.Meta(); err != nil || m != (client.Meta{}) {
		t.Fatalf("empty store's meta: %+v, %v", m, err)
	}
	want := client.Meta{Cursor: "AQIDBAUGBwgJCgsMDQ4P", SkewMs: -1500, LastSync: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	apply(t, s, client.Batch{Meta: &want})
	if m, err := s.Meta(); err != nil || m != want {
		t.Fatalf("meta: %+v, %v; want %+v", m, err, want)
	}
}

func order(id, customer string, v int) client.Order {
	return client.Order{Order: syncwire.Order{ID: id, Version: v, CustomerID: customer, Business: "封表", Status: "已派工"}}
}

func ordersPutDeleteClear(t *testing.T, s client.Store) {
	apply(t, s, client.Batch{PutOrders: []client.Order{order("P2", "C2", 1), order("P1", "C1", 1), order("P3", "C1", 1)},
		PutCustomers: []syncwire.Customer{{ID: "C1", Name: "张三"}, {ID: "C2", Name: "李四"}}})
	held := order("P1", "C1", 2)
	held.Removed = syncwire.RemovedVoided
	apply(t, s, client.Batch{PutOrders: []client.Order{held}, DeleteOrders: []string{"P2"}, DeleteCustomers: []string{"C2"}})
	got, err := s.Orders()
	if err != nil || len(got) != 2 || got[0].ID != "P1" || got[1].ID != "P3" {
		t.Fatalf("orders: %+v, %v; want P1 and P3 by id", got, err)
	}
	if o, err := s.Order("P1"); err != nil || o.Version != 2 || o.Removed != syncwire.RemovedVoided {
		t.Errorf("P1: %+v, %v", o, err)
	}
	if _, err := s.Order("P2"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("deleted order: %v, want ErrNotFound", err)
	}
	if _, err := s.Customer("C2"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("deleted customer: %v, want ErrNotFound", err)
	}
	if c, err := s.Customer("C1"); err != nil || c.Name != "张三" {
		t.Errorf("C1: %+v, %v", c, err)
	}
	apply(t, s, client.Batch{ClearOrders: true, PutOrders: []client.Order{order("P9", "C9", 1)}})
	if got, _ := s.Orders(); len(got) != 1 || got[0].ID != "P9" {
		t.Errorf("after ClearOrders: %+v, want P9 only", got)
	}
	if _, err := s.Customer("C1"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("customer after ClearOrders: %v, want ErrNotFound", err)
	}
}

func mutation(i int) client.Mutation {
	return client.Mutation{Mutation: syncwire.Mutation{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", 100-i),
		Kind: syncwire.KindReceipt, OrderID: fmt.Sprintf("P%d", i), BaseVersion: 1, Receipt: []byte(`{"outcome":"合格"}`)},
		State: client.StatePending}
}

func mutationsKeepTheirOrder(t *testing.T, s client.Store) {
	for i := range 12 {
		apply(t, s, client.Batch{Mutations: []client.Mutation{mutation(i)}})
	}
	m := mutation(3)
	m.State, m.Result = client.StateRejected, &syncwire.Result{ID: m.ID, Status: syncwire.StatusRejected,
		Problems: []syncwire.Problem{{Path: "mutations[0].receipt.remark", Rule: "required", Message: "须填写现场备注"}}}
	apply(t, s, client.Batch{Mutations: []client.Mutation{m}})
	got, err := s.Mutations()
	if err != nil || len(got) != 12 {
		t.Fatalf("mutations: %d, %v; want 12", len(got), err)
	}
	for i, g := range got {
		if g.ID != mutation(i).ID {
			t.Fatalf("mutation %d is %s, want %s: the order made is kept", i, g.ID, mutation(i).ID)
		}
	}
	if g := got[3]; g.State != client.StateRejected || g.Result == nil || len(g.Result.Problems) != 1 ||
		string(g.Receipt) != `{"outcome":"合格"}` {
		t.Errorf("replaced mutation: %+v", g)
	}
}

func blobsDropTheirBytesWhenDone(t *testing.T, s client.Store) {
	data := bytes.Repeat([]byte{0xff, 0xd8, 7}, 1000)
	sha := client.SHA256(data)
	apply(t, s, client.Batch{PutBlobs: []client.Blob{{SHA256: sha, Size: int64(len(data))}}, BlobData: map[string][]byte{sha: data}})
	if bs, err := s.Blobs(); err != nil || len(bs) != 1 || bs[0].SHA256 != sha {
		t.Fatalf("blobs: %+v, %v", bs, err)
	}
	if d, err := s.BlobData(sha); err != nil || !bytes.Equal(d, data) {
		t.Fatalf("blob data: %d bytes, %v", len(d), err)
	}
	apply(t, s, client.Batch{PutBlobs: []client.Blob{{SHA256: sha, Size: int64(len(data)), Tried: true, Done: true}}})
	if bs, _ := s.Blobs(); len(bs) != 0 {
		t.Errorf("blobs after done: %+v, want none", bs)
	}
	if _, err := s.BlobData(sha); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("bytes after done: %v, want ErrNotFound", err)
	}
}
