package bolt

import (
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
)

// Check implements store.Store: bbolt's own page check, then the store's
// invariants: every household has exactly one route-index entry, under the
// reader of its book's latest assignment, and every entry names its household;
// the reading index lists exactly the readers and households of the reading
// versions; every anomaly decodes and is filed under its own key.
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
			t := newTx(btx)
			errs = append(errs, checkRouteIndex(t)...)
			errs = append(errs, checkReadingIndex(t)...)
			errs = append(errs, checkAnomalies(t)...)
			errs = append(errs, checkChangeLogs(t)...)
			errs = append(errs, checkReceipts(t)...)
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

func checkReadingIndex(t *tx) []error {
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	index := t.b(bucketReadingIndex)
	want := map[string]bool{}
	t.b(bucketReadings).ForEach(func(k, v []byte) error {
		var rv domain.ReadingVersion
		if err := decodeReadingVersion(v, &rv); err != nil {
			fail("reading %x: %v", k, err)
			return nil
		}
		if string(readingKey(rv.CustomerID, rv.Cycle, rv.Version)) != string(k) {
			fail("reading %x filed under another key", k)
		}
		ik := readingIndexKey(rv.Cycle, rv.ReaderID, rv.CustomerID)
		if !want[string(ik)] && index.Get(ik) == nil {
			fail("reading %s %s v%d of reader %q missing from the reading index", rv.CustomerID, rv.Cycle, rv.Version, rv.ReaderID)
		}
		want[string(ik)] = true
		return nil
	})
	index.ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			fail("reading index entry %x names no reading", k)
		}
		return nil
	})
	return errs
}

func checkAnomalies(t *tx) []error {
	var errs []error
	t.b(bucketAnomalies).ForEach(func(k, v []byte) error {
		if _, err := decodeAnomaly(k, v); err != nil && len(errs) < 20 {
			errs = append(errs, err)
		}
		return nil
	})
	return errs
}
