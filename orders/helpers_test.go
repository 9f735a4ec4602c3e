package orders

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/bolt/bolttest"
	"meter-sync/store/storetest"
)

var (
	// now is a Friday: a 3-day window opened now ends on Wednesday.
	now     = time.Date(2026, 3, 13, 10, 0, 0, 0, domain.Local)
	arrived = now.Add(-2 * time.Hour)
	ended   = now.Add(-1 * time.Hour)

	clerk      = Actor{Account: account.Account{ID: "clerk1", Role: account.RoleClerk}}
	dispatcher = Actor{Account: account.Account{ID: "clerk2", Role: account.RoleClerk, CanDispatch: true}}
	leader     = Actor{Account: account.Account{ID: "leader1", Role: account.RoleTeamLeader}}
	reviewer   = Actor{Account: account.Account{ID: "reviewer1", Role: account.RoleReviewer}}
	tech1      = Actor{Account: account.Account{ID: "tech1", Role: account.RoleTechnician, ReaderID: "T1"}, Device: "TAB-1"}
	tech2      = Actor{Account: account.Account{ID: "tech2", Role: account.RoleTechnician, ReaderID: "T2"}, Device: "TAB-2"}
	pol        = DefaultPolicy()
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

// sha is a well-formed attachment digest.
var sha = strings.Repeat("ab", 32)

// newStore is a store with technicians T1 and T2 and households: c-on (通气),
// c-in (装表), c-seal (封表), c-ic (IC卡, 通气).
func newStore(t *testing.T) store.Store {
	t.Helper()
	s := bolttest.Open(t)
	err := s.Update(func(tx store.Tx) error {
		for _, a := range []account.Account{tech1.Account, tech2.Account} {
			a.Name = a.ID
			if _, _, err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for i, h := range []struct {
			id    string
			state domain.MeterState
			kind  domain.MeterKind
		}{{"c-on", domain.StateGasOn, domain.KindRead}, {"c-in", domain.StateInstalled, domain.KindRead},
			{"c-seal", domain.StateSealed, domain.KindRead}, {"c-ic", domain.StateGasOn, domain.KindIC},
			{"c-new", domain.StateApplied, domain.KindRead}} {
			c := storetest.Household(h.id, 1, 1, 1, 101+i, domain.OddMonths)
			c.Meter.State, c.Meter.Kind = h.state, h.kind
			if h.kind == domain.KindIC {
				c.Pay = domain.PayTopUp
			}
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustOrder creates an order of business for customer and, with tech set,
// dispatches it.
func mustOrder(t *testing.T, s store.Store, customer string, biz domain.Business, tech string) store.Order {
	t.Helper()
	var o store.Order
	err := s.Update(func(tx store.Tx) error {
		var err error
		o, err = pol.CreateOrder(tx, clerk, NewOrder{CustomerID: customer, Business: string(biz), Requirement: "测试"}, store.OriginOffice, now)
		if err != nil || tech == "" {
			return err
		}
		o, err = pol.Dispatch(tx, dispatcher, Change{OrderID: o.ID, Version: o.Version, Technician: tech, Note: "上午去"}, now)
		return err
	})
	if err != nil {
		t.Fatalf("order %s %s: %v", customer, biz, err)
	}
	return o
}

func customer(t *testing.T, s store.Store, id string) domain.Customer {
	t.Helper()
	var c domain.Customer
	if err := s.View(func(tx store.ReadTx) error {
		var err error
		c, err = tx.Customer(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func apply(t *testing.T, s store.Store, by Actor, r Receipt, base int) Outcome {
	t.Helper()
	var out Outcome
	if err := s.Update(func(tx store.Tx) error {
		var err error
		out, err = pol.ApplyReceipt(tx, by, r, base, now)
		return err
	}); err != nil {
		t.Fatalf("ApplyReceipt: %v", err)
	}
	return out
}

// valid returns a receipt for biz that passes every rule, outcome 合格.
func valid(biz domain.Business, customer, order string) Receipt {
	r := Receipt{ID: fmt.Sprintf("r-%d", slices.Index(Types(), biz)), OrderID: order, CustomerID: customer, Business: string(biz), Outcome: Pass,
		ArrivedAt: arrived, EndedAt: ended}
	switch biz {
	case domain.BizInstall:
		r.Meter = &MeterForm{Model: "G2.5", Direction: "左进", BaseM3: f(0)}
		r.Attachments = []Attachment{{Kind: "photo", SHA256: sha}}
	case domain.BizIgnite, domain.BizReignite:
		r.Meter = &MeterForm{Model: "G2.5", Direction: "左进", ReadingM3: f(1)}
		r.Appliances = []Appliance{{Kind: "灶具", Brand: "方太", FlameOut: b(true), Year: 2025}}
	case domain.BizSeal, domain.BizRemove:
		r.SettleM3, r.Reason = f(123), "用户欠费"
	case domain.BizUnseal:
		r.SettleM3 = f(123)
	case domain.BizTest:
		r.Test = &TestForm{BeforeM3: f(100), SettledM3: f(98), TempModel: "G2.5", TempMeterNo: "L001"}
	case domain.BizExchange:
		r.Exchange = &ExchangeForm{OldFinalM3: f(456), NewStartM3: f(0), Model: "G4", Direction: "右进"}
	case domain.BizBulkExchange:
		r.EndedAt = time.Time{}
		r.StartedAt, r.LeftAt = arrived.Add(10*time.Minute), ended
		r.Exchange = &ExchangeForm{OldFinalM3: f(456), NewStartM3: f(0), Model: "G4", Direction: "右进"}
		r.Attachments = []Attachment{{Kind: "signature", SHA256: sha}}
	case domain.BizRegulator:
		r.EndedAt, r.LeftAt = time.Time{}, ended
		r.Attachments = []Attachment{{Kind: "signature", SHA256: sha}}
	case domain.BizHose:
		r.Hose = &HoseForm{LengthM: 1.5}
	case domain.BizRectify:
		r.Rectification = &RectificationForm{Year: 2026, Kind: "整改完成", Date: ended, Result: "已更换胶管", Conclusion: "通过"}
	}
	return r
}

func orderFor(r *Receipt) store.Order {
	r.OrderID = "PG1"
	return store.Order{ID: "PG1", CustomerID: r.CustomerID, Business: r.Business, Status: store.OrderDispatched, Version: 2}
}
