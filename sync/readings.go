package sync

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
)

// Readings is the readers' side of the sync (docs/SYNC.md §10): a reader's
// route as the route file shows it, and the one readings import
// (masterdata, validated with vee). package device provides it
// (device.Network); it is an interface because the file formats' packages
// must stay out of sync's dependencies.
type Readings interface {
	// Route lists, in walking order, the households of reader's route for
	// cycle and those returned to the reader for a re-read (Reread set), as
	// a route file exported at now shows them. Bucket is left for sync.
	Route(tx store.ReadTx, reader string, cycle domain.Month, now time.Time) ([]syncwire.Household, error)
	// Import stores a batch of readings of one reader's cycle in tx by the
	// readings import, with the same dedup as a docked file; the outcomes
	// answer the rows one for one. A row for a household outside the
	// reader's route and re-reads is refused as if it did not exist. The
	// error is for store failures: the caller rolls back.
	Import(tx store.Tx, b ReadingBatch) ([]ReadingOutcome, error)
}

// ReadingBatch is the new readings of one push for one reader's cycle.
type ReadingBatch struct {
	Reader string
	Cycle  domain.Month
	Device string        // the handheld (X-Device-Id)
	Actor  string        // the account, for the audit trail
	Skew   time.Duration // the handheld's clock less the server's at the push
	Now    time.Time
	Rows   []syncwire.Reading
}

// ReadingOutcome is what the import did with one row.
type ReadingOutcome struct {
	// Problem refuses the row; its Path is the field under "reading"
	// ("value", "customer_id", …).
	Problem   *syncwire.Problem
	Version   int  // the stored version that holds the reading
	Unchanged bool // a version already said the same: nothing was stored
	Anomalies []syncwire.Anomaly
}

// ErrNotReader is returned by PullRoute for an account that is not a reader
// with a linked 抄表员编号.
var ErrNotReader = errors.New("sync: not a reader's account")

// readerScope is the scope of a reader's route cursors: never a
// technician's.
func readerScope(c Caller) string { return "reader\x00" + c.Account.ReaderID }

// isReader reports whether the caller syncs a reader's route.
func isReader(c Caller) bool { return c.Account.Role == account.RoleReader && c.Account.ReaderID != "" }

// cycleOf reads a cycle parameter: "" is the month of now; the month before
// (its re-reads and late readings) and the one after (loaded ahead) are
// allowed too.
func cycleOf(s, path string, now time.Time) (domain.Month, error) {
	cur := domain.MonthOf(now)
	if s == "" {
		return cur, nil
	}
	m, err := domain.ParseMonth(s)
	if err != nil {
		return 0, &syncwire.FieldError{Path: path, Rule: "format", Msg: "must be a month, YYYY-MM"}
	}
	if m < cur.Add(-1) || m > cur.Add(1) {
		return 0, &syncwire.FieldError{Path: path, Rule: "range",
			Msg: fmt.Sprintf("must be %s, %s or %s", cur.Add(-1), cur, cur.Add(1))}
	}
	return m, nil
}

// PullRoute is a reader's pull: the households of their route for cycle
// ("" for this month) in the buckets that changed since cursor, in one page
// read in one transaction.
func (s *Service) PullRoute(c Caller, cursor, cycle string) (syncwire.ChangesPage, error) {
	now := s.now()
	skew := skewOf(c.DeviceTime, now)
	page := syncwire.ChangesPage{ServerTime: now, SkewMs: skew.Milliseconds(),
		Orders: []syncwire.Order{}, Customers: []syncwire.Customer{}, Removed: []syncwire.Removal{}}
	if !isReader(c) {
		return page, ErrNotReader
	}
	if s.opt.Readings == nil {
		return page, ErrUnavailable
	}
	m, err := cycleOf(cycle, "cycle", now)
	if err != nil {
		return page, err
	}
	scope := readerScope(c)
	cur, had, err := syncwire.DecodeRouteCursor(scope, cursor)
	if err != nil {
		return page, err
	}
	if err := s.noteDevice(c, skew, now); err != nil {
		return page, err
	}
	var hs []syncwire.Household
	if err := s.opt.Store.View(func(tx store.ReadTx) error {
		var err error
		hs, err = s.opt.Readings.Route(tx, c.Account.ReaderID, m, now)
		return err
	}); err != nil {
		return page, err
	}
	next := syncwire.RouteCursor{Cycle: int32(m)}
	var sums [syncwire.RouteBuckets][]byte
	for i := range hs {
		hs[i].Bucket = syncwire.BucketOf(hs[i].ID)
		b, err := json.Marshal(hs[i])
		if err != nil {
			return page, err
		}
		sums[hs[i].Bucket] = append(append(sums[hs[i].Bucket], b...), '\n')
	}
	changed := map[int]bool{}
	for b := range sums {
		h := sha256.Sum256(sums[b])
		next.Buckets[b] = binary.BigEndian.Uint32(h[:4])
		if !had || cur.Cycle != next.Cycle || cur.Buckets[b] != next.Buckets[b] {
			changed[b] = true
			page.Buckets = append(page.Buckets, b)
		}
	}
	for i := range hs {
		if changed[hs[i].Bucket] {
			page.Households = append(page.Households, hs[i])
		}
	}
	page.Cycle, page.Cursor = m.String(), syncwire.EncodeRouteCursor(scope, next)
	return page, nil
}

// decideReadings decides the reading mutations of a push (at indexes idx of
// items) in one transaction: each new one is imported once with its
// idempotency record and audit entry; the readings of a cycle go through
// the readings import together, so the cycle is validated once per push.
func (s *Service) decideReadings(c Caller, items []syncwire.Item, idx []int, results []syncwire.Result, skew time.Duration, now time.Time) error {
	return s.opt.Store.Update(func(tx store.Tx) error {
		batches := map[domain.Month][]int{}
		var order []domain.Month
		var again []int // a UUID repeated in this push: answered by its first decision
		seen := map[string]bool{}
		for _, i := range idx {
			m := items[i].Mutation
			res := syncwire.Result{ID: m.ID, Status: syncwire.StatusRejected, Problems: items[i].Problems}
			if _, ok := syncwire.CanonicalUUID(m.ID); !ok {
				results[i] = res // nothing to key a record by: answered, not kept
				continue
			}
			if seen[m.ID] {
				again = append(again, i)
				continue
			}
			seen[m.ID] = true
			if old, err := tx.Mutation(c.Account.ID, m.ID); err == nil {
				results[i] = replay(old, digest(m), i)
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cycle, res := s.checkReading(c, i, items[i], res, now)
			results[i] = res
			if len(res.Problems) > 0 {
				if err := s.keep(tx, c, record(c, m, now), res, skew); err != nil {
					return err
				}
				continue
			}
			if batches[cycle] == nil {
				order = append(order, cycle)
			}
			batches[cycle] = append(batches[cycle], i)
		}
		for _, cycle := range order {
			if err := s.importBatch(tx, c, cycle, items, batches[cycle], results, skew, now); err != nil {
				return err
			}
		}
		for _, i := range again {
			m := items[i].Mutation
			old, err := tx.Mutation(c.Account.ID, m.ID)
			if err != nil {
				return err
			}
			results[i] = replay(old, digest(m), i)
		}
		return nil
	})
}

// record is a mutation's idempotency record before its decision.
func record(c Caller, m syncwire.Mutation, now time.Time) store.Mutation {
	rec := store.Mutation{Account: c.Account.ID, ID: m.ID, Digest: digest(m), Device: c.Device, At: now, Kind: m.Kind, OrderID: m.OrderID}
	rec.Body, _ = json.Marshal(m)
	return rec
}

// checkReading decodes mutation i's reading and says which cycle it is of;
// res carries every problem found.
func (s *Service) checkReading(c Caller, i int, it syncwire.Item, res syncwire.Result, now time.Time) (domain.Month, syncwire.Result) {
	at := fmt.Sprintf("mutations[%d]", i)
	if !isReader(c) {
		res.Problems = append(res.Problems, syncwire.Problem{Path: at + ".kind", Rule: "role",
			Message: "只有抄表员账号可以上传读数"})
		return 0, res
	}
	if len(res.Problems) > 0 {
		return 0, res
	}
	r, probs := syncwire.DecodeReading(it.Mutation.Reading, at+".reading")
	res.Problems = append(res.Problems, probs...)
	res.CustomerID, res.Cycle = r.CustomerID, r.Cycle
	cycle, err := cycleOf(r.Cycle, at+".reading.cycle", now)
	var fe *syncwire.FieldError
	if r.Cycle != "" && errors.As(err, &fe) {
		res.Problems = append(res.Problems, syncwire.Problem{Path: fe.Path, Rule: fe.Rule, Message: fe.Msg})
	}
	return cycle, res
}

// importBatch imports the new readings of one cycle and answers each.
func (s *Service) importBatch(tx store.Tx, c Caller, cycle domain.Month, items []syncwire.Item, idx []int, results []syncwire.Result, skew time.Duration, now time.Time) error {
	rows := make([]syncwire.Reading, len(idx))
	for k, i := range idx {
		rows[k], _ = syncwire.DecodeReading(items[i].Mutation.Reading, "")
	}
	outs, err := s.opt.Readings.Import(tx, ReadingBatch{Reader: c.Account.ReaderID, Cycle: cycle, Device: c.Device,
		Actor: c.Account.ID, Skew: skew, Now: now, Rows: rows})
	if err != nil {
		return err
	}
	if len(outs) != len(rows) {
		return fmt.Errorf("sync: the readings import answered %d rows of %d", len(outs), len(rows))
	}
	for k, i := range idx {
		res, out := results[i], outs[k]
		if out.Problem != nil {
			p := *out.Problem
			p.Path = fmt.Sprintf("mutations[%d].reading.%s", i, p.Path)
			res.Problems = append(res.Problems, p)
		} else {
			res.Status, res.ReadingVersion, res.Unchanged, res.Anomalies = syncwire.StatusApplied, out.Version, out.Unchanged, out.Anomalies
			if skew.Abs() > s.opt.MaxSkew {
				res.ClockOff, res.SkewMs = true, skew.Milliseconds()
			}
			if res.Missing, err = s.missingSHAs(rows[k].Photos); err != nil {
				return err
			}
		}
		results[i] = res
		if err := s.keep(tx, c, record(c, items[i].Mutation, now), res, skew); err != nil {
			return err
		}
	}
	return nil
}
