package client

import (
	"slices"
	"strings"
	gosync "sync"

	"meter-sync/protocol/syncwire"
)

// MemStore is a Store in memory, for tests and emulated tablets that need
// no file.
type MemStore struct {
	mu        gosync.Mutex
	meta      Meta
	orders    map[string]Order
	customers map[string]syncwire.Customer
	muts      []Mutation
	mutIdx    map[string]int
	blobs     map[string]Blob
	data      map[string][]byte
}

// NewMemStore makes an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{orders: map[string]Order{}, customers: map[string]syncwire.Customer{}, mutIdx: map[string]int{},
		blobs: map[string]Blob{}, data: map[string][]byte{}}
}

// Meta implements Replica.
func (s *MemStore) Meta() (Meta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta, nil
}

// Orders implements Replica.
func (s *MemStore) Orders() ([]Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Order implements Replica.
func (s *MemStore) Order(id string) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return o, ErrNotFound
	}
	return o, nil
}

// Customer implements Replica.
func (s *MemStore) Customer(id string) (syncwire.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		return c, ErrNotFound
	}
	return c, nil
}

// Mutations implements Queue.
func (s *MemStore) Mutations() ([]Mutation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.muts), nil
}

// Blobs implements Attachments.
func (s *MemStore) Blobs() ([]Blob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Blob
	for _, b := range s.blobs {
		if !b.Done {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Blob) int { return strings.Compare(a.SHA256, b.SHA256) })
	return out, nil
}

// BlobData implements Attachments.
func (s *MemStore) BlobData(sha string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.data[sha]
	if !ok {
		return nil, ErrNotFound
	}
	return d, nil
}

// Apply implements Store.
func (s *MemStore) Apply(b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Meta != nil {
		s.meta = *b.Meta
	}
	if b.ClearOrders {
		clear(s.orders)
		clear(s.customers)
	}
	for _, o := range b.PutOrders {
		s.orders[o.ID] = o
	}
	for _, id := range b.DeleteOrders {
		delete(s.orders, id)
	}
	for _, c := range b.PutCustomers {
		s.customers[c.ID] = c
	}
	for _, id := range b.DeleteCustomers {
		delete(s.customers, id)
	}
	for _, m := range b.Mutations {
		if i, ok := s.mutIdx[m.ID]; ok {
			s.muts[i] = m
			continue
		}
		s.mutIdx[m.ID] = len(s.muts)
		s.muts = append(s.muts, m)
	}
	for sha, d := range b.BlobData {
		s.data[sha] = slices.Clone(d)
	}
	for _, bl := range b.PutBlobs {
		s.blobs[bl.SHA256] = bl
		if bl.Done {
			delete(s.data, bl.SHA256)
		}
	}
	return nil
}
