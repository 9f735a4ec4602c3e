package bolt

import (
	"encoding/json"
	"time"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
	"meter-sync/store"
)

// RawLoad writes customers into a new store file at path as bare puts, no
// reads and no checks, in transactions of batch puts, and returns the time
// the puts and commits took, encoding excluded. It is the physical limit the
// customer import is measured against (tools/importbench). With index it
// also puts each household's route-index entry, as the import must (readerOf
// names a book's reader); without, it writes the customer records alone.
// A store it writes is not for use.
func RawLoad(path string, cs []domain.Customer, readerOf func(book string) string, index bool, batch int) (time.Duration, error) {
	type kv struct {
		bucket     []byte
		key, value []byte
	}
	var puts []kv
	for i := range cs {
		c := &cs[i]
		puts = append(puts, kv{bucketCustomers, []byte(c.ID), encodeCustomer(c)})
		if index {
			puts = append(puts, kv{bucketRoute, routeKey(readerOf(c.Book()), c.Seq.SortKey()), routeValue(c.ID, c.Group)})
		}
	}
	perRow := len(puts) / max(len(cs), 1)
	db, err := Open(path, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	for lo := 0; lo < len(puts); lo += batch * perRow {
		hi := min(lo+batch*perRow, len(puts))
		err := db.db.Update(func(btx *bbolt.Tx) error {
			t := newTx(btx) // buckets as the store packs them
			for _, p := range puts[lo:hi] {
				if err := t.b(p.bucket).Put(p.key, p.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// RawLoadReadings writes reading versions, and anomalies if any, into a new
// store file at path as bare puts, as the readings import writes them (each
// version's record and its reading-index entry, each anomaly's record), in
// transactions of as many puts as batch versions bring with them, and
// returns the time the puts and commits took, encoding excluded. It is the
// physical limit the readings import is measured against
// (tools/readingsbench). A store it writes is not for use.
func RawLoadReadings(path string, vs []domain.ReadingVersion, as []store.Anomaly, batch int) (time.Duration, error) {
	type kv struct {
		bucket     []byte
		key, value []byte
	}
	puts := make([]kv, 0, 2*len(vs)+len(as))
	for i := range vs {
		v := &vs[i]
		puts = append(puts, kv{bucketReadings, readingKey(v.CustomerID, v.Cycle, v.Version), encodeReadingVersion(v)},
			kv{bucketReadingIndex, readingIndexKey(v.Cycle, v.ReaderID, v.CustomerID), nil})
	}
	for _, a := range as {
		raw, err := json.Marshal(a)
		if err != nil {
			return 0, err
		}
		puts = append(puts, kv{bucketAnomalies, anomalyKey(a.Key()), raw})
	}
	db, err := Open(path, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	step := max(len(puts)*batch/max(len(vs), 1), 1)
	start := time.Now()
	for lo := 0; lo < len(puts); lo += step {
		hi := min(lo+step, len(puts))
		err := db.db.Update(func(btx *bbolt.Tx) error {
			t := newTx(btx) // buckets as the store packs them
			for _, p := range puts[lo:hi] {
				if err := t.b(p.bucket).Put(p.key, p.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}
