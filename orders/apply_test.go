package orders

import (
	"testing"

	"meter-sync/domain"
	"meter-sync/store"
)

// TestReceiptDrivesMeterState: an accepted 合格 receipt moves the meter by
// the domain state machine and completes the order.
func TestReceiptDrivesMeterState(t *testing.T) {
	tests := []struct {
		customer string
		biz      domain.Business
		want     domain.MeterState
	}{
		{"c-in", domain.BizIgnite, domain.StateGasOn},
		{"c-on", domain.BizSeal, domain.StateSealed},
		{"c-seal", domain.BizUnseal, domain.StateGasOn},
		{"c-on", domain.BizRemove, domain.StateRemoved},
		{"c-new", domain.BizInstall, domain.StateInstalled},
		{"c-on", domain.BizReignite, domain.StateGasOn},
	}
	for _, tc := range tests {
		t.Run(string(tc.biz), func(t *testing.T) {
			s := newStore(t)
			o := mustOrder(t, s, tc.customer, tc.biz, "T1")
			out := apply(t, s, tech1, valid(tc.biz, tc.customer, o.ID), o.Version)
			if out.Kind != Applied || out.Order.Status != store.OrderCompleted || out.Receipt.Status != store.ReceiptAccepted {
				t.Fatalf("outcome %+v", out)
			}
			if got := customer(t, s, tc.customer).Meter.State; got != tc.want {
				t.Errorf("meter state %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReceiptOutcomesMoveTheOrder(t *testing.T) {
	for _, tc := range []struct {
		outcome string
		want    string
	}{{Unfinished, store.OrderReturned}, {Impossible, store.OrderReturned}, {Failed, store.OrderReturned}, {Cancel, store.OrderCancelled}} {
		t.Run(tc.outcome, func(t *testing.T) {
			s := newStore(t)
			o := mustOrder(t, s, "c-in", domain.BizIgnite, "T1")
			r := valid(domain.BizIgnite, "c-in", o.ID)
			r.Outcome, r.Remark = tc.outcome, "该业务原施工人员休息,无法实施业务需重新派工"
			out := apply(t, s, tech1, r, o.Version)
			if out.Kind != Applied || out.Order.Status != tc.want {
				t.Fatalf("outcome %+v", out)
			}
			if got := customer(t, s, "c-in").Meter.State; got != domain.StateInstalled {
				t.Errorf("meter moved to %s on %s", got, tc.outcome)
			}
		})
	}
}

// TestExchangeRecordsMeterChange: a 换表 receipt stores the exchange so that
// readings reconcile across it, and the household gets the new meter.
func TestExchangeRecordsMeterChange(t *testing.T) {
	s := newStore(t)
	o := mustOrder(t, s, "c-on", domain.BizExchange, "T1")
	r := valid(domain.BizExchange, "c-on", o.ID)
	r.Customer = &CustomerChange{Phone: "13911112222"}
	if out := apply(t, s, tech1, r, o.Version); out.Kind != Applied {
		t.Fatalf("outcome %+v", out)
	}
	c := customer(t, s, "c-on")
	if c.Meter.Model != "G4" || c.Meter.BaseM3 != 0 || c.Phone != "13911112222" {
		t.Errorf("household after 换表: %+v", c)
	}
	s.View(func(tx store.ReadTx) error {
		mcs, _ := tx.MeterChanges("c-on")
		if len(mcs) != 1 || mcs[0].OldFinalM3 != 456 || mcs[0].NewStartM3 != 0 || !mcs[0].At.Equal(ended) {
			t.Errorf("meter changes %+v", mcs)
		}
		return nil
	})
}

// TestFieldFirstReceipts: 统一换表, 更换调压器 and 进户管改装 create their
// order; other types need one.
func TestFieldFirstReceipts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      Receipt
		create bool
	}{
		{"统一换表", valid(domain.BizBulkExchange, "c-on", ""), true},
		{"更换调压器", valid(domain.BizRegulator, "c-on", ""), true},
		{"进户管改装", func() Receipt {
			r := valid(domain.BizModify, "c-on", "")
			r.Variant, r.Outcome = VariantInletPipe, Done
			return r
		}(), true},
		{"改装 needs an order", valid(domain.BizModify, "c-on", ""), false},
		{"换表 needs an order", valid(domain.BizExchange, "c-on", ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			out := apply(t, s, tech1, tc.r, 0)
			if !tc.create {
				if out.Kind != Rejected || !hasRule(out.Problems, "required") || out.Receipt.Status != store.ReceiptRejected {
					t.Errorf("outcome %+v", out)
				}
				return
			}
			o := out.Order
			if out.Kind != Applied || o == nil || o.Origin != store.OriginField || o.Technician != "T1" || o.Status != store.OrderCompleted ||
				o.DispatchNote == "" || len(o.Receipts) != 1 {
				t.Fatalf("outcome %+v order %+v", out, o)
			}
		})
	}
}

// TestReceiptConflicts: what the office changed since the tablet's base
// version is never undone, and the field's receipt is kept.
func TestReceiptConflicts(t *testing.T) {
	office := map[string]func(tx store.Tx, o store.Order) error{
		ConflictVoided: func(tx store.Tx, o store.Order) error {
			_, err := pol.Void(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "楼栋未通气"}, now)
			return err
		},
		ConflictReassigned: func(tx store.Tx, o store.Order) error {
			_, err := pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Technician: "T2", Note: "改派"}, now)
			return err
		},
		ConflictCancelled: func(tx store.Tx, o store.Order) error {
			_, err := pol.Cancel(tx, dispatcher, Change{OrderID: o.ID, Version: o.Version, Note: "用户出差,等用户电话"}, now)
			return err
		},
	}
	for reason, fn := range office {
		t.Run(reason, func(t *testing.T) {
			s := newStore(t)
			o := mustOrder(t, s, "c-in", domain.BizIgnite, "T1")
			if err := s.Update(func(tx store.Tx) error { return fn(tx, o) }); err != nil {
				t.Fatal(err)
			}
			out := apply(t, s, tech1, valid(domain.BizIgnite, "c-in", o.ID), o.Version)
			if out.Kind != Conflict || out.Conflict != reason || out.Order == nil || out.Receipt.Status != store.ReceiptConflict ||
				out.Message == "" {
				t.Fatalf("outcome %+v", out)
			}
			if customer(t, s, "c-in").Meter.State != domain.StateInstalled {
				t.Error("a conflicting receipt moved the meter")
			}
			s.View(func(tx store.ReadTx) error {
				kept, _ := tx.Receipts(store.ReceiptQuery{Status: store.ReceiptConflict})
				now, _ := tx.Order(o.ID)
				if len(kept) != 1 || len(now.Receipts) != 1 || now.Status == store.OrderCompleted {
					t.Errorf("kept %d, order %+v", len(kept), now)
				}
				return nil
			})
		})
	}
	// A postponement since the base version does not stand in the way.
	s := newStore(t)
	o := mustOrder(t, s, "c-in", domain.BizIgnite, "T1")
	s.Update(func(tx store.Tx) error {
		_, err := pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "约定", Due: day("2026-04-01")}, now)
		return err
	})
	if out := apply(t, s, tech1, valid(domain.BizIgnite, "c-in", o.ID), o.Version); out.Kind != Applied {
		t.Errorf("after a postponement: %+v", out)
	}
}

func TestReceiptVersionsAndRetries(t *testing.T) {
	s := newStore(t)
	o := mustOrder(t, s, "c-on", domain.BizSeal, "T1")
	bad := valid(domain.BizSeal, "c-on", o.ID)
	bad.SettleM3 = nil
	out := apply(t, s, tech1, bad, o.Version)
	if out.Kind != Rejected || out.Receipt.Version != 1 || !hasRule(out.Problems, "required") {
		t.Fatalf("rejected: %+v", out)
	}
	if again := apply(t, s, tech1, bad, o.Version); !again.Duplicate || again.Kind != Rejected || again.Receipt.Version != 1 {
		t.Errorf("the same receipt again: %+v", again)
	}
	good := valid(domain.BizSeal, "c-on", o.ID)
	out = apply(t, s, tech1, good, o.Version)
	if out.Kind != Applied || out.Receipt.Version != 2 {
		t.Fatalf("fixed: %+v", out)
	}
	if again := apply(t, s, tech1, good, o.Version); !again.Duplicate || again.Kind != Applied || again.Order.Version != out.Order.Version {
		t.Errorf("retry of the accepted one: %+v", again)
	}
	corr := good
	corr.SettleM3 = f(124)
	if c := apply(t, s, tech1, corr, out.Order.Version); c.Kind != Conflict || c.Conflict != ConflictAccepted || c.Receipt.Version != 3 {
		t.Errorf("correction of an accepted receipt: %+v", c)
	}
	other := good
	other.OrderID = mustOrder(t, s, "c-ic", domain.BizTest, "T1").ID
	if c := apply(t, s, tech1, other, 1); c.Kind != Rejected || !hasRule(c.Problems, "unique") {
		t.Errorf("receipt id reused on another order: %+v", c)
	}
	s.View(func(tx store.ReadTx) error {
		vs, _ := tx.ReceiptVersions(good.ID)
		byOrder, _ := tx.Receipts(store.ReceiptQuery{OrderID: o.ID})
		if len(vs) != 3 || len(byOrder) != 3 {
			t.Errorf("versions %d, by order %d", len(vs), len(byOrder))
		}
		return nil
	})
}

func TestReceiptAccess(t *testing.T) {
	s := newStore(t)
	o := mustOrder(t, s, "c-on", domain.BizSeal, "T2")
	// Another technician's order answers as if it did not exist, and nothing is stored.
	out := apply(t, s, tech1, valid(domain.BizSeal, "c-on", o.ID), o.Version)
	if out.Kind != Rejected || !hasRule(out.Problems, "exists") || out.Receipt.ID != "" {
		t.Errorf("other's order: %+v", out)
	}
	// A reviewer may not enter receipts; a dispatcher enters a paper one.
	err := s.Update(func(tx store.Tx) error {
		_, err := pol.ApplyReceipt(tx, reviewer, valid(domain.BizSeal, "c-on", o.ID), o.Version, now)
		return err
	})
	if !hasRule(Problems(err), "permission") {
		t.Errorf("reviewer: %v", err)
	}
	if out := apply(t, s, dispatcher, valid(domain.BizSeal, "c-on", o.ID), o.Version); out.Kind != Applied || out.Receipt.Technician != "T2" {
		t.Errorf("paper receipt: %+v", out)
	}
	// A pending order takes no receipt.
	p := mustOrder(t, s, "c-ic", domain.BizTest, "")
	if out := apply(t, s, dispatcher, valid(domain.BizTest, "c-ic", p.ID), p.Version); out.Kind != Rejected || !hasRule(out.Problems, "status") {
		t.Errorf("pending order: %+v", out)
	}
}
