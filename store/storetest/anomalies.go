package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// anomaly builds an open anomaly of code on customer's reading.
func anomaly(cycle domain.Month, reader, customer, code string) store.Anomaly {
	return store.Anomaly{Cycle: cycle, ReaderID: reader, CustomerID: customer, Code: code, Blocking: true,
		Evidence: []store.Fact{{Name: "本次读数", Value: "130"}, {Name: "上次读数", Value: "100"}},
		Suggest:  "核实", Source: "DESIGN §5.2", ConsumptionM3: 30, ReadingVersion: 1,
		Status: store.AnomalyOpen, DetectedAt: day.Add(9 * time.Hour)}
}

func keys(as []store.Anomaly) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = fmt.Sprintf("%s/%s/%s/%s", a.Cycle, a.ReaderID, a.CustomerID, a.Code)
	}
	return out
}

func testAnomaliesRoundTripAndOrder(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	full := anomaly(jan, "R1", "c2", "IC_MISMATCH")
	full.Order = &store.OrderSuggestion{Business: "换表", Priority: "加急安排", Requirement: "IC卡余量不符,请换表", Source: "[003:1589]"}
	full.Status = store.AnomalyReturned
	full.Decisions = []store.Decision{{By: "clerk1", Role: "clerk", At: day.Add(10 * time.Hour), Action: "reread", Why: "读数存疑"}}
	update(t, s, func(tx store.Tx) error {
		for _, a := range []store.Anomaly{
			anomaly(jan, "R2", "c1", "NEGATIVE"), full, anomaly(jan, "R1", "c2", "DUPLICATE"),
			anomaly(jan, "R1", "c1", "LARGE_VOLUME"), anomaly(jan.Add(2), "R1", "c1", "LARGE_VOLUME"),
			anomaly(jan.Add(-2), "R1", "c1", "LARGE_VOLUME"),
		} {
			if _, err := tx.PutAnomaly(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.ReadTx) error {
		r1, err := tx.Anomalies(jan, "R1")
		want := []string{"2026-01/R1/c1/LARGE_VOLUME", "2026-01/R1/c2/DUPLICATE", "2026-01/R1/c2/IC_MISMATCH"}
		if got := keys(r1); !equalStrings(got, want) {
			t.Errorf("Anomalies(2026-01, R1) = %v, want %v", got, want)
		}
		all, err2 := tx.AnomaliesOfCycle(jan)
		if got := keys(all); !equalStrings(got, append(want, "2026-01/R2/c1/NEGATIVE")) {
			t.Errorf("AnomaliesOfCycle(2026-01) = %v", got)
		}
		got, err3 := tx.Anomaly(full.Key())
		full.Version = 1
		if !sameAnomaly(got, full) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, full)
		}
		if _, err := tx.Anomaly(store.AnomalyKey{Cycle: jan, ReaderID: "R1", CustomerID: "c9", Code: "NEGATIVE"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing anomaly: err = %v, want ErrNotFound", err)
		}
		none, err4 := tx.Anomalies(jan, "R")
		if len(none) != 0 {
			t.Errorf("Anomalies(2026-01, R) = %v; a reader id that prefixes another's must match nothing of it", keys(none))
		}
		return errors.Join(err, err2, err3, err4)
	})
}

// sameAnomaly compares two anomalies, times by instant.
func sameAnomaly(a, b store.Anomaly) bool {
	if !a.DetectedAt.Equal(b.DetectedAt) || len(a.Decisions) != len(b.Decisions) {
		return false
	}
	for i := range a.Decisions {
		if !a.Decisions[i].At.Equal(b.Decisions[i].At) {
			return false
		}
		a.Decisions[i].At, b.Decisions[i].At = time.Time{}, time.Time{}
	}
	a.DetectedAt, b.DetectedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func testAnomalyOptimisticConcurrency(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	a := anomaly(jan, "R1", "c1", "LARGE_VOLUME")
	var first store.Anomaly
	update(t, s, func(tx store.Tx) error {
		var err error
		first, err = tx.PutAnomaly(a)
		return err
	})
	if first.Version != 1 {
		t.Fatalf("new anomaly stored as version %d, want 1", first.Version)
	}
	// Two reviewers read version 1; the first to write wins.
	confirm, reread := first, first
	confirm.Status = store.AnomalyConfirmed
	confirm.Decisions = append(confirm.Decisions, store.Decision{By: "clerk1", Role: "clerk", At: day, Action: "confirm"})
	reread.Status = store.AnomalyReturned
	update(t, s, func(tx store.Tx) error {
		got, err := tx.PutAnomaly(confirm)
		if got.Version != 2 {
			t.Errorf("update stored as version %d, want 2", got.Version)
		}
		return err
	})
	for name, put := range map[string]store.Anomaly{"stale update": reread, "second create": a} {
		err := s.Update(func(tx store.Tx) error { _, err := tx.PutAnomaly(put); return err })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", name, err)
		}
	}
	err := s.Update(func(tx store.Tx) error { return tx.DeleteAnomaly(a.Key(), 1) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale delete: err = %v, want ErrConflict", err)
	}
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Anomaly(a.Key())
		if got.Status != store.AnomalyConfirmed || got.Version != 2 || len(got.Decisions) != 1 {
			t.Errorf("after the conflicts: %+v, want the confirmation, version 2", got)
		}
		return err
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteAnomaly(a.Key(), 2) })
	err = s.Update(func(tx store.Tx) error { return tx.DeleteAnomaly(a.Key(), 2) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted anomaly: err = %v, want ErrNotFound", err)
	}
	// A failed transaction leaves no anomaly behind.
	boom := errors.New("boom")
	err = s.Update(func(tx store.Tx) error {
		if _, err := tx.PutAnomaly(a); err != nil {
			return err
		}
		return boom
	})
	view(t, s, func(tx store.ReadTx) error {
		as, err2 := tx.AnomaliesOfCycle(jan)
		if !errors.Is(err, boom) || len(as) != 0 {
			t.Errorf("after a failed update: err %v, anomalies %v", err, keys(as))
		}
		return err2
	})
}

func testReadingsOf(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	at := jan.Start().Add(50 * time.Hour)
	reading := func(id, reader string, v float64) domain.ReadingVersion {
		return domain.ReadingVersion{Reading: domain.Reading{CustomerID: id, Cycle: jan, ValueM3: v, ReadAt: at, ReaderID: reader},
			Source: domain.FromFile, RecordedBy: "cli", Why: "导入"}
	}
	update(t, s, func(tx store.Tx) error {
		for _, v := range []domain.ReadingVersion{
			reading("c2", "R1", 10), reading("c1", "R1", 20), reading("c1", "R1", 21), reading("c1", "R10", 22),
			reading("c3", "R2", 30), reading("nobody", "R1", 5),
		} {
			if _, _, err := tx.AppendReading(v); err != nil {
				return err
			}
		}
		next := reading("c2", "R1", 10)
		next.Cycle = jan.Add(2)
		_, _, err := tx.AppendReading(next)
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		vs, err := tx.ReadingsOf(jan, "R1")
		var got []string
		for _, v := range vs {
			got = append(got, fmt.Sprintf("%s v%d %g", v.CustomerID, v.Version, v.ValueM3))
		}
		want := []string{"c1 v1 20", "c1 v2 21", "c2 v1 10", "nobody v1 5"}
		if !equalStrings(got, want) {
			t.Errorf("ReadingsOf(2026-01, R1) = %v, want %v (R10's version of c1 left out)", got, want)
		}
		r10, err2 := tx.ReadingsOf(jan, "R10")
		if len(r10) != 1 || r10[0].Version != 3 || r10[0].ValueM3 != 22 {
			t.Errorf("ReadingsOf(2026-01, R10) = %+v, want c1's version 3", r10)
		}
		return errors.Join(err, err2)
	})
}
