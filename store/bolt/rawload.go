package bolt

import (
	"time"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/domain"
)

// RawLoad writes customers into a new store file at path as bare records
// (no reads, no index, no checks) in transactions of batch puts, and returns
// the time the puts and commits took, encoding excluded. It is the physical
// limit that the customer import is measured against (tools/importbench);
// a store it writes is not for use.
func RawLoad(path string, cs []domain.Customer, batch int) (time.Duration, error) {
	keys := make([][]byte, len(cs))
	vals := make([][]byte, len(cs))
	for i := range cs {
		keys[i] = []byte(cs[i].ID)
		vals[i] = encodeCustomer(&cs[i])
	}
	db, err := Open(path, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	for lo := 0; lo < len(cs); lo += batch {
		hi := min(lo+batch, len(cs))
		err := db.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketCustomers)
			b.FillPercent = fillPercent // as the store itself writes
			for i := lo; i < hi; i++ {
				if err := b.Put(keys[i], vals[i]); err != nil {
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
