package storetest

import (
	"errors"
	"testing"

	"meter-sync/domain"
	"meter-sync/store"
)

func order(customer, business string) store.Order {
	return store.Order{CustomerID: customer, Business: business, Priority: "加急安排",
		Requirement: "私自点火,气费已收,请补签供用气合同", Status: store.OrderPending, Source: "[003:927]",
		CreatedBy: "reviewer1", Role: "reviewer", CreatedAt: day}
}

func orderIDs(os []store.Order) []string {
	out := make([]string, len(os))
	for i := range os {
		out[i] = os[i].ID
	}
	return out
}

// testOrders: the store numbers orders in creation order, lists and filters
// them, pages by ID, and refuses a stale update.
func testOrders(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	key := store.AnomalyKey{Cycle: jan, ReaderID: "R1", CustomerID: "c1", Code: "UNAUTHORIZED_USE"}
	var made []store.Order
	update(t, s, func(tx store.Tx) error {
		for _, o := range []store.Order{order("c1", "点火"), order("c2", "封表"), order("c1", "换表")} {
			if o.CustomerID == "c1" && o.Business == "点火" {
				o.Anomaly = &key
			}
			got, err := tx.CreateOrder(o)
			if err != nil {
				return err
			}
			made = append(made, got)
		}
		if _, err := tx.CreateOrder(made[0]); err == nil {
			t.Error("CreateOrder accepted an order that has an id")
		}
		return nil
	})
	for i, o := range made {
		if o.ID == "" || o.Version != 1 || (i > 0 && o.ID <= made[i-1].ID) {
			t.Fatalf("created %+v: want an id above the one before and version 1", o)
		}
	}
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Order(made[0].ID)
		if err != nil || got.Anomaly == nil || *got.Anomaly != key || got.Requirement != made[0].Requirement || !got.CreatedAt.Equal(day) {
			t.Errorf("Order(%s) = %+v, %v", made[0].ID, got, err)
		}
		if _, err := tx.Order("PG-none"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Order of a missing id: %v, want ErrNotFound", err)
		}
		for name, tc := range map[string]struct {
			q    store.OrderQuery
			want []string
		}{
			"all":         {store.OrderQuery{}, orderIDs(made)},
			"customer":    {store.OrderQuery{CustomerID: "c1"}, []string{made[0].ID, made[2].ID}},
			"business":    {store.OrderQuery{Business: "封表"}, []string{made[1].ID}},
			"status":      {store.OrderQuery{Status: store.OrderPending}, orderIDs(made)},
			"first page":  {store.OrderQuery{Limit: 2}, []string{made[0].ID, made[1].ID}},
			"next page":   {store.OrderQuery{After: made[1].ID, Limit: 2}, []string{made[2].ID}},
			"other state": {store.OrderQuery{Status: "已派工"}, []string{}},
		} {
			got, err := tx.Orders(tc.q)
			if err != nil {
				return err
			}
			if !equalStrings(orderIDs(got), tc.want) {
				t.Errorf("%s: Orders = %v, want %v", name, orderIDs(got), tc.want)
			}
		}
		return nil
	})
	changed := made[1]
	changed.Priority = "尽快安排"
	update(t, s, func(tx store.Tx) error {
		got, err := tx.PutOrder(changed)
		if got.Version != 2 {
			t.Errorf("updated order stored as version %d, want 2", got.Version)
		}
		return err
	})
	if err := s.Update(func(tx store.Tx) error { _, err := tx.PutOrder(changed); return err }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale PutOrder: %v, want ErrConflict", err)
	}
	missing := order("c9", "封表")
	missing.ID = "PG9999999999"
	if err := s.Update(func(tx store.Tx) error { _, err := tx.PutOrder(missing); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutOrder of a missing order: %v, want ErrNotFound", err)
	}
	// A failed transaction creates no order and uses no number that shows.
	boom := errors.New("boom")
	err := s.Update(func(tx store.Tx) error {
		if _, err := tx.CreateOrder(order("c3", "封表")); err != nil {
			return err
		}
		return boom
	})
	view(t, s, func(tx store.ReadTx) error {
		got, err2 := tx.Orders(store.OrderQuery{CustomerID: "c3"})
		if !errors.Is(err, boom) || len(got) != 0 {
			t.Errorf("after a failed update: err %v, orders %v", err, orderIDs(got))
		}
		return err2
	})
}

// testCycleCommits: a cycle's commit is stored once, listed by reader, and
// a second commit of the same cycle is refused.
func testCycleCommits(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	feb := jan.Add(1)
	mk := func(m domain.Month, reader string) store.CycleCommit {
		return store.CycleCommit{Cycle: m, ReaderID: reader, By: "reviewer1", Role: "reviewer", At: day,
			Counts: store.CommitCounts{Route: 2, Read: 1, Missed: 1},
			Readings: []store.CommittedReading{{Reading: domain.Reading{CustomerID: "c1", Cycle: m, ValueM3: 120.5, ReadAt: day, ReaderID: reader},
				SeqNo: "0101010101", Version: 2, ConsumptionM3: 12.5}},
			Missed: []string{"c2"}}
	}
	update(t, s, func(tx store.Tx) error {
		for _, c := range []store.CycleCommit{mk(jan, "R2"), mk(jan, "R1"), mk(feb, "R1")} {
			if err := tx.PutCycleCommit(c); err != nil {
				return err
			}
		}
		return nil
	})
	second := mk(jan, "R1")
	second.By = "reviewer2"
	if err := s.Update(func(tx store.Tx) error { return tx.PutCycleCommit(second) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second commit of a cycle: %v, want ErrConflict", err)
	}
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.CycleCommit(jan, "R1")
		if err != nil {
			return err
		}
		if got.By != "reviewer1" || len(got.Readings) != 1 || got.Readings[0].ValueM3 != 120.5 || got.Readings[0].Version != 2 ||
			!got.Readings[0].ReadAt.Equal(day) || got.Counts.Missed != 1 || len(got.Missed) != 1 {
			t.Errorf("CycleCommit = %+v", got)
		}
		if _, err := tx.CycleCommit(jan, "R3"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CycleCommit of an uncommitted cycle: %v, want ErrNotFound", err)
		}
		cs, err := tx.CommitsOf(jan)
		if len(cs) != 2 || cs[0].ReaderID != "R1" || cs[1].ReaderID != "R2" {
			t.Errorf("CommitsOf(jan) = %+v, want R1 and R2", cs)
		}
		return err
	})
}
