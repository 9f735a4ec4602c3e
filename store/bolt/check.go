package bolt

import (
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
)

// Check implements store.Store: bbolt's own page check, then the store's
// invariants: every household has exactly one route-index entry, under the
// reader of its book's latest assignment, and every entry names its household.
func (s *DB) Check() error {
	return s.db.View(func(btx *bbolt.Tx) error {
		var errs []error
		for err := range btx.Check() { // drain it all: the checker blocks on an unread channel
			if len(errs) < 20 {
				errs = append(errs, err)
			}
		}
		for _, b := range allBuckets {
			if btx.Bucket(b) == nil {
				errs = append(errs, fmt.Errorf("bucket %s missing", b))
			}
		}
		if len(errs) == 0 {
			errs = append(errs, checkRouteIndex(newTx(btx))...)
		}
		if len(errs) > 0 {
			return fmt.Errorf("store/bolt: check %s: %w", s.path, errors.Join(errs...))
		}
		return nil
	})
}

func checkRouteIndex(t *tx) []error {
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	route := t.b(bucketRoute)
	entries := 0
	t.ForEachCustomer(func(c *domain.Customer) error {
		key := routeKey(t.readerOfBook(c.Book()), c.Seq.SortKey())
		id, g := splitRouteValue(route.Get(key))
		if id != c.ID || g != c.Group {
			fail("customer %s: route index has %q group %d at its place", c.ID, id, g)
		}
		return nil
	})
	route.ForEach(func(k, v []byte) error {
		entries++
		return nil
	})
	if n, _ := t.CountCustomers(); n != entries {
		fail("route index has %d entries for %d customers", entries, n)
	}
	return errs
}
