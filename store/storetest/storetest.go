// Package storetest is the conformance suite every store backend runs: the
// embedded bbolt store today, PostgreSQL for multi-instance deployments later.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// conformance is one test of the suite.
type conformance struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs every conformance test against fresh stores made by open; open
// registers its own cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []conformance{
		{"CustomerRoundTrip", testCustomerRoundTrip},
		{"PutUnchangedChangesNothing", testPutUnchanged},
		{"UpdateReturnsBefore", testUpdateReturnsBefore},
		{"SeqConflict", testSeqConflict},
		{"RouteOrderGroupAndState", testRoute},
		{"RotationMovesBook", testRotation},
		{"RouteOfPastMonthFollowsHistory", testRoutePastMonth},
		{"ReseqMovesIndex", testReseq},
		{"HistoryPurchasesChanges", testHistoryPurchasesChanges},
		{"ReadingVersionsAppendOnly", testReadingVersions},
		{"ReadingsOfReaderAndCycle", testReadingsOf},
		{"AnomaliesRoundTripAndOrder", testAnomaliesRoundTripAndOrder},
		{"AnomalyOptimisticConcurrency", testAnomalyOptimisticConcurrency},
		{"Audit", testAudit},
		{"FailedUpdateAppliesNothing", testRollback},
		{"ReadersAndAssignments", testReaders},
		{"AccountsRoundTrip", testAccounts},
		{"SessionsAndTokens", testSessionsAndTokens},
		{"DevicesPairAndRevoke", testDevices},
		{"SearchAudit", testSearchAudit},
		{"Orders", testOrders},
		{"Receipts", testReceipts},
		{"CycleCommits", testCycleCommits},
		{"ChangeLog", testChangeLog},
		{"Mutations", testMutations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
			if err := s.Check(); err != nil {
				t.Fatalf("Check after test: %v", err)
			}
		})
	}
}

var day = time.Date(2025, 3, 4, 0, 0, 0, 0, domain.Local)

// Household builds a valid customer of book, block, unit, room in group g.
func Household(id string, book, block, unit, room int, g domain.MonthGroup) domain.Customer {
	return domain.Customer{
		ID: id, Name: "张三", Address: fmt.Sprintf("江滨花园%d幢%d单元%d室", block, unit, room),
		Estate: "江滨花园", Area: "鹿城区", Hall: "车站营业厅", Pay: domain.PayCash, Group: g,
		Seq:     domain.SeqNo{Area: domain.AreaNew, Building: domain.BuildingLowRise, Book: book, Block: block, Unit: unit, Room: room},
		Meter:   domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, Model: "G2.5", BaseM3: 12, DialDigits: 5},
		FeePaid: true, Contract: true, Phone: "13800000000",
		AppliedOn: day, InvoicedOn: day,
	}
}

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(tx store.ReadTx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func putCustomers(t *testing.T, s store.Store, cs ...domain.Customer) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for i := range cs {
			if _, _, err := tx.PutCustomer(&cs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func assign(t *testing.T, s store.Store, as ...domain.Assignment) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, a := range as {
			if _, err := tx.Assign(a); err != nil {
				return err
			}
		}
		return nil
	})
}

func ids(cs []domain.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testCustomerRoundTrip(t *testing.T, s store.Store) {
	c := Household("3300000001", 1201, 3, 2, 301, domain.OddMonths)
	c.BankCard, c.BankName, c.CardHolder = "6222000011112222", "工行", "张三"
	c.Pay = domain.PayBankDebit
	c.InvoicedOn = domain.LostInvoiceDate
	putCustomers(t, s, c)
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Customer(c.ID)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(c) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
		}
		if _, err := tx.Customer("nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing customer: err = %v, want ErrNotFound", err)
		}
		n, err := tx.CountCustomers()
		if n != 1 {
			t.Errorf("CountCustomers = %d, want 1", n)
		}
		return err
	})
}

func testPutUnchanged(t *testing.T, s store.Store) {
	c := Household("3300000001", 1201, 3, 2, 301, domain.OddMonths)
	putCustomers(t, s, c)
	update(t, s, func(tx store.Tx) error {
		before, changed, err := tx.PutCustomer(&c)
		if changed || before != nil {
			t.Errorf("re-put of an equal record: changed=%v before=%v", changed, before)
		}
		return err
	})
}

func testUpdateReturnsBefore(t *testing.T, s store.Store) {
	c := Household("3300000001", 1201, 3, 2, 301, domain.OddMonths)
	putCustomers(t, s, c)
	c2 := c
	c2.Phone = "13900000000"
	update(t, s, func(tx store.Tx) error {
		before, changed, err := tx.PutCustomer(&c2)
		if !changed || before == nil || before.Phone != c.Phone {
			t.Errorf("update: changed=%v before=%+v", changed, before)
		}
		return err
	})
}

func testSeqConflict(t *testing.T, s store.Store) {
	a := Household("3300000001", 1201, 3, 2, 301, domain.OddMonths)
	b := Household("3300000002", 1201, 3, 2, 301, domain.OddMonths)
	putCustomers(t, s, a)
	err := s.Update(func(tx store.Tx) error {
		_, _, err := tx.PutCustomer(&b)
		return err
	})
	var conflict *store.SeqConflictError
	if !errors.As(err, &conflict) || conflict.Owner != a.ID {
		t.Fatalf("second household on the same 抄表序号: err = %v, want SeqConflictError owned by %s", err, a.ID)
	}
}

func testRoute(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	sealed := Household("c5", 1201, 1, 1, 101, domain.OddMonths)
	sealed.Meter.State = domain.StateSealed
	removed := Household("c6", 1201, 1, 1, 102, domain.OddMonths)
	removed.Meter.State = domain.StateRemoved
	putCustomers(t, s,
		Household("c1", 1201, 3, 2, 301, domain.OddMonths),
		Household("c2", 1201, 1, 1, 201, domain.OddMonths),
		Household("c3", 1201, 2, 1, 101, domain.EvenMonths),
		Household("c4", 1202, 1, 1, 101, domain.OddMonths),
		Household("c7", 1300, 1, 1, 101, domain.OddMonths),
		sealed, removed)
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R1"}, domain.Assignment{Book: "1202", Reader: "R1"},
		domain.Assignment{Book: "1300", Reader: "R2"})
	view(t, s, func(tx store.ReadTx) error {
		route, err := tx.Route("R1", jan)
		want := []string{"c5", "c2", "c1", "c4"} // walking order; even group, removed and other reader's left out
		if got := ids(route); !equalStrings(got, want) {
			t.Errorf("Route(R1, 2026-01) = %v, want %v", got, want)
		}
		feb, err2 := tx.Route("R1", jan.Add(1))
		if got := ids(feb); !equalStrings(got, []string{"c3"}) {
			t.Errorf("Route(R1, 2026-02) = %v, want [c3]", got)
		}
		return errors.Join(err, err2)
	})
}

func testRotation(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	putCustomers(t, s, Household("c1", 1201, 1, 1, 101, domain.OddMonths))
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R1"})
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R2", From: jan})
	view(t, s, func(tx store.ReadTx) error {
		r2, err := tx.Route("R2", jan)
		r1, err2 := tx.Route("R1", jan)
		if !equalStrings(ids(r2), []string{"c1"}) || len(r1) != 0 {
			t.Errorf("after rotation: R2 = %v, R1 = %v; want [c1] and []", ids(r2), ids(r1))
		}
		as, err3 := tx.Assignments()
		if len(as) != 2 {
			t.Errorf("assignment history = %v, want both assignments kept", as)
		}
		return errors.Join(err, err2, err3)
	})
}

func testRoutePastMonth(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	nov := jan.Add(-2)
	putCustomers(t, s, Household("c1", 1201, 1, 1, 101, domain.OddMonths),
		Household("c2", 1300, 1, 1, 101, domain.OddMonths))
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R1"}, domain.Assignment{Book: "1300", Reader: "R1"})
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R2", From: jan})
	view(t, s, func(tx store.ReadTx) error {
		past, err := tx.Route("R1", nov)
		if !equalStrings(ids(past), []string{"c1", "c2"}) {
			t.Errorf("Route(R1, before the rotation) = %v, want [c1 c2]", ids(past))
		}
		now, err2 := tx.Route("R1", jan)
		if !equalStrings(ids(now), []string{"c2"}) {
			t.Errorf("Route(R1, after the rotation) = %v, want [c2]", ids(now))
		}
		return errors.Join(err, err2)
	})
}

func testReseq(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	c := Household("c1", 1201, 1, 1, 101, domain.OddMonths)
	putCustomers(t, s, c)
	assign(t, s, domain.Assignment{Book: "1201", Reader: "R1"}, domain.Assignment{Book: "1300", Reader: "R2"})
	c.Seq.Book = 1300
	putCustomers(t, s, c)
	// The old place is free again.
	putCustomers(t, s, Household("c2", 1201, 1, 1, 101, domain.OddMonths))
	view(t, s, func(tx store.ReadTx) error {
		r2, err := tx.Route("R2", jan)
		r1, err2 := tx.Route("R1", jan)
		if !equalStrings(ids(r2), []string{"c1"}) || !equalStrings(ids(r1), []string{"c2"}) {
			t.Errorf("after re-numbering: R1 = %v, R2 = %v", ids(r1), ids(r2))
		}
		return errors.Join(err, err2)
	})
}

func testHistoryPurchasesChanges(t *testing.T, s store.Store) {
	h1 := domain.HistoryReading{CustomerID: "c1", Date: day, ValueM3: 120}
	h0 := domain.HistoryReading{CustomerID: "c1", Date: day.AddDate(0, -2, 0), ValueM3: 100}
	other := domain.HistoryReading{CustomerID: "c10", Date: day, ValueM3: 7}
	p := domain.ICPurchase{CustomerID: "c1", At: day.Add(10 * time.Hour), VolumeM3: 50}
	p2 := p
	p2.N = 1
	mc := domain.MeterChange{CustomerID: "c1", At: day.Add(12 * time.Hour), OldFinalM3: 130, NewStartM3: 0, Model: "G4", DialDigits: 5}
	put := func() (changed []bool) {
		update(t, s, func(tx store.Tx) error {
			for _, h := range []domain.HistoryReading{h1, h0, other} {
				_, c, err := tx.PutHistory(h)
				if err != nil {
					return err
				}
				changed = append(changed, c)
			}
			for _, pp := range []domain.ICPurchase{p, p2} {
				_, c, err := tx.PutPurchase(pp)
				if err != nil {
					return err
				}
				changed = append(changed, c)
			}
			_, c, err := tx.PutMeterChange(mc)
			changed = append(changed, c)
			return err
		})
		return changed
	}
	if got := put(); fmt.Sprint(got) != "[true true true true true true]" {
		t.Errorf("first put changed = %v, want all true", got)
	}
	if got := put(); fmt.Sprint(got) != "[false false false false false false]" {
		t.Errorf("second put changed = %v, want all false", got)
	}
	update(t, s, func(tx store.Tx) error {
		h := h1
		h.ValueM3 = 121
		before, changed, err := tx.PutHistory(h)
		if !changed || before == nil || before.ValueM3 != 120 {
			t.Errorf("corrected history reading: changed=%v before=%+v, want the old 120", changed, before)
		}
		_, _, err2 := tx.PutHistory(h1)
		return errors.Join(err, err2)
	})
	view(t, s, func(tx store.ReadTx) error {
		hs, err := tx.History("c1")
		if len(hs) != 2 || hs[0].ValueM3 != 100 || hs[1].ValueM3 != 120 || !hs[1].Date.Equal(day) {
			t.Errorf("History(c1) = %+v, want 100 then 120, by date", hs)
		}
		ps, err2 := tx.Purchases("c1")
		if len(ps) != 2 || ps[1].N != 1 || !ps[0].At.Equal(p.At) {
			t.Errorf("Purchases(c1) = %+v", ps)
		}
		ms, err3 := tx.MeterChanges("c1")
		if len(ms) != 1 || ms[0].OldFinalM3 != 130 || ms[0].Model != "G4" {
			t.Errorf("MeterChanges(c1) = %+v", ms)
		}
		return errors.Join(err, err2, err3)
	})
}

func testReadingVersions(t *testing.T, s store.Store) {
	jan, _ := domain.ParseMonth("2026-01")
	rem := 12.5
	r := domain.Reading{CustomerID: "c1", Cycle: jan, ValueM3: 130, ReadAt: jan.Start().Add(50 * time.Hour), ReaderID: "R1", ICRemaining: &rem}
	v := domain.ReadingVersion{Reading: r, Source: domain.FromFile, RecordedBy: "cli", Why: "导入"}
	appendV := func(v domain.ReadingVersion) (domain.ReadingVersion, bool) {
		var got domain.ReadingVersion
		var changed bool
		update(t, s, func(tx store.Tx) error {
			var err error
			got, changed, err = tx.AppendReading(v)
			return err
		})
		return got, changed
	}
	if got, changed := appendV(v); !changed || got.Version != 1 {
		t.Errorf("first append: version %d changed %v", got.Version, changed)
	}
	if got, changed := appendV(v); changed || got.Version != 1 {
		t.Errorf("same reading again: version %d changed %v, want 1 false", got.Version, changed)
	}
	v.ValueM3 = 131
	v.Why = "重抄"
	if got, changed := appendV(v); !changed || got.Version != 2 {
		t.Errorf("re-read: version %d changed %v, want 2 true", got.Version, changed)
	}
	view(t, s, func(tx store.ReadTx) error {
		vs, err := tx.ReadingVersions("c1", jan)
		if len(vs) != 2 || vs[0].ValueM3 != 130 || vs[1].ValueM3 != 131 || *vs[0].ICRemaining != 12.5 {
			t.Errorf("versions = %+v, want the first kept and the re-read after it", vs)
		}
		return err
	})
}

func testAudit(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < 3; i++ {
			if _, err := tx.AppendAudit(store.AuditEntry{At: day, Actor: "cli", Action: "customer.update", Key: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.ReadTx) error {
		es, err := tx.Audit(1, 10)
		if len(es) != 2 || es[0].Seq != 2 || es[1].Key != "2" {
			t.Errorf("Audit(after 1) = %+v, want entries 2 and 3", es)
		}
		return err
	})
}

func testRollback(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.Update(func(tx store.Tx) error {
		c := Household("c1", 1201, 1, 1, 101, domain.OddMonths)
		if _, _, err := tx.PutCustomer(&c); err != nil {
			return err
		}
		if _, err := tx.Assign(domain.Assignment{Book: "1201", Reader: "R1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	view(t, s, func(tx store.ReadTx) error {
		n, err := tx.CountCustomers()
		as, err2 := tx.Assignments()
		if n != 0 || len(as) != 0 {
			t.Errorf("after a failed update: %d customers, %d assignments; want none", n, len(as))
		}
		return errors.Join(err, err2)
	})
}

func testReaders(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		if _, changed, err := tx.PutReader(domain.Reader{ID: "R1", Name: "李四"}); !changed || err != nil {
			t.Errorf("new reader: changed=%v err=%v", changed, err)
		}
		before, changed, err := tx.PutReader(domain.Reader{ID: "R1", Name: "李四四"})
		if !changed || before == nil || before.Name != "李四" {
			t.Errorf("renamed reader: changed=%v before=%v", changed, before)
		}
		if _, err := tx.Assign(domain.Assignment{Book: "12a4", Reader: "R1"}); err == nil {
			t.Errorf("assigning a malformed book number succeeded")
		}
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		rs, err := tx.Readers()
		if len(rs) != 1 || rs[0].Name != "李四四" {
			t.Errorf("Readers = %v", rs)
		}
		if _, err := tx.Reader("R9"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing reader: %v", err)
		}
		return err
	})
}
