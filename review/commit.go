package review

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// CommitResult is what Commit did.
type CommitResult struct {
	Commit store.CycleCommit
	// Already is true when the cycle was committed before this call (by
	// Commit.By): nothing changed.
	Already bool
	// MissedAdded counts the MISSED anomalies this call raised.
	MissedAdded int
}

// BlockedError refuses a commit while blocking anomalies are unresolved
// (Unresolved); it lists them, by household and code.
type BlockedError struct {
	Cycle    domain.Month
	Reader   string
	Blocking []store.AnomalyKey
}

func (e *BlockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s不能入库: %d项阻止入库的异常未处理", e.Reader, e.Cycle, len(e.Blocking))
	for i, k := range e.Blocking {
		if i == 5 {
			fmt.Fprintf(&b, " …")
			break
		}
		fmt.Fprintf(&b, "; 用户%s %s(%s)", k.CustomerID, k.Code, vee.Code(k.Code).Chinese())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrRefused) match.
func (e *BlockedError) Unwrap() error { return ErrRefused }

// Commit commits (入库) a reader's readings of a cycle [003:1219], in one
// transaction:
//
//  1. a cycle committed already is left as it is (Already): committing
//     again changes nothing;
//  2. the route's households with no reading are MISSED (vee.Missed,
//     DESIGN §5.2), raised now as open blocking anomalies; an open MISSED
//     whose household has since been read is removed;
//  3. while any blocking anomaly is unresolved (Unresolved) the commit is
//     refused with a *BlockedError, and only step 2's MISSED anomalies are
//     stored, for the reviewers to decide (confirm as 未抄, or return);
//  4. else the commit record is stored: every household's newest reading
//     version with the use measured on it (vee.Batch with p), the counts,
//     who and when, and the audit entry.
func Commit(st store.Store, by access.Actor, now time.Time, cycle domain.Month, reader string, p vee.Params) (CommitResult, error) {
	if err := may(by, account.PermCommit); err != nil {
		return CommitResult{}, err
	}
	var res CommitResult
	var blocked *BlockedError
	err := st.Update(func(tx store.Tx) error {
		res, blocked = CommitResult{}, nil
		c, err := tx.CycleCommit(cycle, reader)
		if err == nil {
			res.Commit, res.Already = c, true
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.Reader(reader); err != nil {
			return err
		}
		cs, err := newCycleState(tx, cycle, reader)
		if err != nil {
			return err
		}
		if res.MissedAdded, err = cs.syncMissed(tx, now); err != nil {
			return err
		}
		if bs := cs.blocking(); len(bs) > 0 {
			blocked = &BlockedError{Cycle: cycle, Reader: reader, Blocking: bs}
			return nil
		}
		if res.Commit, err = cs.record(tx, by, now, p); err != nil {
			return err
		}
		if err := tx.PutCycleCommit(res.Commit); err != nil {
			return err
		}
		return audit(tx, by, now, "cycle.commit", reader+"/"+cycle.String(), nil, res.Commit.Counts,
			fmt.Sprintf("入库 %d户读数, 未抄%d户", len(res.Commit.Readings), len(res.Commit.Missed)))
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("%s %s 入库: %w", reader, cycle, err)
	}
	if blocked != nil {
		return res, blocked
	}
	return res, nil
}

// cycleState is a reader's cycle as the commit sees it.
type cycleState struct {
	cycle     domain.Month
	reader    string
	route     []domain.Customer
	latest    []domain.ReadingVersion // each household's newest version, by household
	read      map[string]time.Time    // household → when its newest version was stored
	anomalies []store.Anomaly
}

func newCycleState(rt store.ReadTx, cycle domain.Month, reader string) (*cycleState, error) {
	route, err := rt.Route(reader, cycle)
	if err != nil {
		return nil, err
	}
	all, err := rt.ReadingsOf(cycle, reader)
	if err != nil {
		return nil, err
	}
	as, err := rt.Anomalies(cycle, reader)
	if err != nil {
		return nil, err
	}
	cs := &cycleState{cycle: cycle, reader: reader, route: route, anomalies: as, read: map[string]time.Time{}}
	for i := range all {
		v := all[i]
		if n := len(cs.latest); n > 0 && cs.latest[n-1].CustomerID == v.CustomerID {
			cs.latest[n-1] = v // versions are oldest first: the last one stands
		} else {
			cs.latest = append(cs.latest, v)
		}
		if v.RecordedAt.After(cs.read[v.CustomerID]) {
			cs.read[v.CustomerID] = v.RecordedAt
		}
	}
	return cs, nil
}

func (cs *cycleState) readings() []domain.Reading {
	out := make([]domain.Reading, len(cs.latest))
	for i := range cs.latest {
		out[i] = cs.latest[i].Reading
	}
	return out
}

// syncMissed raises MISSED for the route's unread households that have none,
// and removes the open MISSED of households read since.
func (cs *cycleState) syncMissed(tx store.Tx, now time.Time) (int, error) {
	hs := make([]vee.Household, len(cs.route))
	for i := range cs.route {
		hs[i].Customer = cs.route[i]
	}
	missed := map[string]vee.Anomaly{}
	for _, a := range vee.Missed(hs, cs.readings()) {
		missed[a.CustomerID] = a
	}
	added := 0
	kept := cs.anomalies[:0]
	for _, a := range cs.anomalies {
		if a.Code == string(vee.CodeMissed) {
			_, still := missed[a.CustomerID]
			delete(missed, a.CustomerID)
			if !still && a.Status == store.AnomalyOpen {
				if err := tx.DeleteAnomaly(a.Key(), a.Version); err != nil {
					return 0, err
				}
				continue
			}
		}
		kept = append(kept, a)
	}
	cs.anomalies = kept
	for _, m := range sortedMissed(missed) {
		facts := make([]store.Fact, len(m.Evidence))
		for i, f := range m.Evidence {
			facts[i] = store.Fact{Name: f.Name, Value: f.Value}
		}
		a, err := tx.PutAnomaly(store.Anomaly{Cycle: cs.cycle, ReaderID: cs.reader, CustomerID: m.CustomerID,
			Code: string(vee.CodeMissed), Blocking: vee.CodeMissed.Blocking(), Evidence: facts, Suggest: m.Suggest,
			Source: m.Source, Status: store.AnomalyOpen, DetectedAt: now})
		if err != nil {
			return 0, err
		}
		cs.anomalies = append(cs.anomalies, a)
		added++
	}
	return added, nil
}

func sortedMissed(m map[string]vee.Anomaly) []vee.Anomaly {
	out := make([]vee.Anomaly, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b vee.Anomaly) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return out
}

// blocking lists the unresolved blocking anomalies, by household and code.
func (cs *cycleState) blocking() []store.AnomalyKey {
	var out []store.AnomalyKey
	for i := range cs.anomalies {
		a := &cs.anomalies[i]
		if Unresolved(a, cs.read[a.CustomerID]) {
			out = append(out, a.Key())
		}
	}
	slices.SortFunc(out, func(a, b store.AnomalyKey) int {
		return strings.Compare(a.CustomerID+"\x00"+a.Code, b.CustomerID+"\x00"+b.Code)
	})
	return out
}

// record builds the commit record: readings with their use, counts, misses.
func (cs *cycleState) record(rt store.ReadTx, by access.Actor, now time.Time, p vee.Params) (store.CycleCommit, error) {
	c := store.CycleCommit{Cycle: cs.cycle, ReaderID: cs.reader, By: by.ID, Role: string(by.Role), At: now}
	hs, err := households(rt, cs.route)
	if err != nil {
		return c, err
	}
	if p.Now.IsZero() {
		p.Now = now
	}
	results := vee.Batch(hs, cs.readings(), p)
	inRoute := make(map[string]string, len(cs.route))
	for i := range cs.route {
		inRoute[cs.route[i].ID] = cs.route[i].Seq.String()
	}
	for i, v := range cs.latest {
		seq, on := inRoute[v.CustomerID]
		if !on {
			c.Counts.OffRoute++
			if cu, err := rt.Customer(v.CustomerID); err == nil {
				seq = cu.Seq.String()
			}
		} else {
			c.Counts.Read++
		}
		if v.Flags&domain.FlagEstimated != 0 {
			c.Counts.Estimated++
		}
		c.Readings = append(c.Readings, store.CommittedReading{Reading: v.Reading, SeqNo: seq, Version: v.Version,
			ConsumptionM3: results[i].ConsumptionM3})
	}
	slices.SortFunc(c.Readings, func(a, b store.CommittedReading) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	c.Counts.Route = len(cs.route)
	for i := range cs.anomalies {
		a := &cs.anomalies[i]
		c.Counts.Anomalies++
		switch a.Status {
		case store.AnomalyConfirmed:
			c.Counts.Confirmed++
		case store.AnomalyReturned:
			c.Counts.Returned++
		}
		if a.Code == string(vee.CodeMissed) && cs.read[a.CustomerID].IsZero() {
			c.Missed = append(c.Missed, a.CustomerID)
		}
	}
	slices.Sort(c.Missed)
	c.Counts.Missed = len(c.Missed)
	return c, nil
}

// households loads what validation needs of each household of the route.
func households(rt store.ReadTx, route []domain.Customer) ([]vee.Household, error) {
	out := make([]vee.Household, len(route))
	for i := range route {
		h := &out[i]
		h.Customer = route[i]
		var err1, err2, err3 error
		h.History, err1 = rt.History(route[i].ID)
		h.Purchases, err2 = rt.Purchases(route[i].ID)
		h.Changes, err3 = rt.MeterChanges(route[i].ID)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("household %s: %w", route[i].ID, err)
		}
	}
	return out, nil
}
