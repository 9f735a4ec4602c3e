package orders

import (
	"errors"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, domain.Local)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkdays(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-13", 3, "2026-03-18"}, // Friday: Mon, Tue, Wed
		{"2026-03-14", 3, "2026-03-18"}, // Saturday: from the next day, Monday
		{"2026-03-16", 5, "2026-03-23"}, // Monday: Tue..Fri, Mon
		{"2026-09-30", 3, "2026-10-10"}, // 国庆: Oct 1-7 off; Thu 8, Fri 9, and Sat 10 worked
		{"2026-02-13", 1, "2026-02-14"}, // a worked Saturday before 春节
		{"2026-03-13", 0, "2026-03-13"},
	}
	for _, tc := range tests {
		if got := pol.Calendar.AddWorkdays(day(tc.from).Add(15*time.Hour), tc.n); !got.Equal(day(tc.want)) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format("2006-01-02"), tc.want)
		}
	}
}

func TestOverdue(t *testing.T) {
	o := store.Order{Status: store.OrderDispatched, Due: day("2026-03-18")}
	for _, tc := range []struct {
		at   time.Time
		open bool
		want bool
	}{
		{day("2026-03-18").Add(23 * time.Hour), true, false},
		{day("2026-03-19"), true, true},
		{day("2026-03-19"), false, false},
	} {
		o.Status = store.OrderDispatched
		if !tc.open {
			o.Status = store.OrderCompleted
		}
		if got := Overdue(&o, tc.at); got != tc.want {
			t.Errorf("Overdue(%s at %s) = %v", o.Status, tc.at, got)
		}
	}
}

func TestCreateOrder(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name string
		by   Actor
		n    NewOrder
		rule string // "" for accepted
		due  string
	}{
		{"点火 from the office", clerk, NewOrder{CustomerID: "c-in", Business: "点火"}, "", "2026-03-18"},
		{"换表 by a dispatcher", dispatcher, NewOrder{CustomerID: "c-on", Business: "换表", Priority: PriorityUrgent}, "", "2026-03-20"},
		{"按照约定 is due on the appointment", clerk, NewOrder{CustomerID: "c-on", Business: "封表", Priority: PriorityAgreed,
			Appointment: day("2026-04-02")}, "", "2026-04-02"},
		{"按照约定 needs the day", clerk, NewOrder{CustomerID: "c-on", Business: "封表", Priority: PriorityAgreed}, "required", ""},
		{"unknown priority", clerk, NewOrder{CustomerID: "c-on", Business: "封表", Priority: "马上"}, "vocabulary", ""},
		{"not an order business", clerk, NewOrder{CustomerID: "c-on", Business: "报装"}, "vocabulary", ""},
		{"unknown household", clerk, NewOrder{CustomerID: "nobody", Business: "封表"}, "exists", ""},
		{"点火 needs 装表", clerk, NewOrder{CustomerID: "c-on", Business: "点火"}, "meter_state", ""},
		{"a reviewer does not accept", reviewer, NewOrder{CustomerID: "c-on", Business: "封表"}, "permission", ""},
		{"a technician does not accept", tech1, NewOrder{CustomerID: "c-on", Business: "封表"}, "permission", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o store.Order
			err := s.Update(func(tx store.Tx) error {
				var err error
				o, err = pol.CreateOrder(tx, tc.by, tc.n, store.OriginCIS, now)
				return err
			})
			if tc.rule != "" {
				if !errors.Is(err, ErrRejected) || !hasRule(Problems(err), tc.rule) {
					t.Fatalf("err %v, want rule %s", err, tc.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != store.OrderPending || dayString(o.Due) != tc.due || o.Origin != store.OriginCIS || o.Version != 1 {
				t.Errorf("created %+v, want 待派工 due %s", o, tc.due)
			}
		})
	}
	// The CIS retrying a create with its reference gets the first order back.
	var a, b store.Order
	s.Update(func(tx store.Tx) error {
		n := NewOrder{CustomerID: "c-on", Business: "校表", ExternalRef: "CIS-77"}
		a, _ = pol.CreateOrder(tx, clerk, n, store.OriginCIS, now)
		b, _ = pol.CreateOrder(tx, clerk, n, store.OriginCIS, now)
		return nil
	})
	if a.ID == "" || a.ID != b.ID {
		t.Errorf("repeated create: %s then %s", a.ID, b.ID)
	}
}

func hasRule(ps []Problem, rule string) bool {
	for _, p := range ps {
		if p.Rule == rule {
			return true
		}
	}
	return false
}

// TestTransitions: every office action from every status, by who may and
// who may not.
func TestTransitions(t *testing.T) {
	type act func(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error)
	actions := map[string]struct {
		fn     act
		change Change
		may    []Actor
		mayNot []Actor
		from   []string
		to     string
	}{
		"dispatch": {pol.Dispatch, Change{Technician: "T1", Note: "上午"}, []Actor{dispatcher, leader}, []Actor{clerk, reviewer, tech1},
			[]string{store.OrderPending, store.OrderReturned}, store.OrderDispatched},
		"reassign": {pol.Reassign, Change{Technician: "T2", Note: "原施工人员休息"}, []Actor{leader}, []Actor{dispatcher, clerk, tech1},
			[]string{store.OrderDispatched}, store.OrderDispatched},
		"postpone": {pol.Postpone, Change{Note: "用户约定4月2日", Due: day("2026-04-02")}, []Actor{leader}, []Actor{dispatcher, clerk, tech1},
			[]string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, ""},
		"void": {pol.Void, Change{Note: "楼栋未通气"}, []Actor{leader}, []Actor{dispatcher, clerk, tech1},
			[]string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, store.OrderVoided},
		"cancel": {pol.Cancel, Change{Note: "用户出差,等用户电话"}, []Actor{dispatcher, leader}, []Actor{clerk, reviewer, tech1},
			[]string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, store.OrderCancelled},
	}
	statuses := []string{store.OrderPending, store.OrderDispatched, store.OrderReturned, store.OrderCompleted,
		store.OrderCancelled, store.OrderVoided}
	for name, a := range actions {
		for _, st := range statuses {
			for _, by := range append(append([]Actor{}, a.may...), a.mayNot...) {
				allowedBy := contains(a.may, by)
				allowedFrom := contains(a.from, st)
				t.Run(name+"/"+st+"/"+by.Account.ID, func(t *testing.T) {
					s := newStore(t)
					o := orderIn(t, s, st)
					c := a.change
					c.OrderID, c.Version = o.ID, o.Version
					var got store.Order
					err := s.Update(func(tx store.Tx) error {
						var err error
						got, err = a.fn(tx, by, c, now)
						return err
					})
					switch {
					case !allowedBy:
						if !hasRule(Problems(err), "permission") {
							t.Errorf("err %v, want a permission refusal", err)
						}
					case !allowedFrom:
						if !hasRule(Problems(err), "transition") {
							t.Errorf("err %v, want a transition refusal", err)
						}
					case err != nil:
						t.Errorf("refused: %v", err)
					default:
						want := a.to
						if want == "" {
							want = st
						}
						last := got.History[len(got.History)-1]
						if got.Status != want || got.Version != o.Version+1 || last.Kind != name || last.By != by.Account.ID ||
							last.BaseVersion != o.Version {
							t.Errorf("after %s: %+v", name, got)
						}
					}
				})
			}
		}
	}
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// orderIn makes a 换表 order of c-on in status st, the way it gets there.
func orderIn(t *testing.T, s store.Store, st string) store.Order {
	t.Helper()
	tech := "T1"
	if st == store.OrderPending {
		tech = ""
	}
	o := mustOrder(t, s, "c-on", domain.BizExchange, tech)
	r := valid(domain.BizExchange, "c-on", o.ID)
	r.Technician = ""
	switch st {
	case store.OrderReturned:
		r.Outcome, r.Remark, r.Exchange = Unfinished, "用户不在家", nil
	case store.OrderCancelled:
		r.Outcome, r.Remark = Cancel, "无法联系到该用户,且该业务已到期"
	case store.OrderVoided:
		var err error
		s.Update(func(tx store.Tx) error {
			o, err = pol.Void(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "作废"}, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return o
	case store.OrderCompleted:
	default:
		return o
	}
	out := apply(t, s, tech1, r, o.Version)
	if out.Kind != Applied || out.Order.Status != st {
		t.Fatalf("receipt to reach %s: %+v", st, out)
	}
	return *out.Order
}

func TestChangeRules(t *testing.T) {
	s := newStore(t)
	o := mustOrder(t, s, "c-on", domain.BizSeal, "T1")
	tests := []struct {
		name string
		fn   func(tx store.Tx) (store.Order, error)
		rule string
	}{
		{"stale version", func(tx store.Tx) (store.Order, error) {
			return pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: o.Version - 1, Note: "x", Due: day("2026-04-01")}, now)
		}, "conflict"},
		{"dispatch to nobody", func(tx store.Tx) (store.Order, error) {
			return pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "x"}, now)
		}, "required"},
		{"dispatch to an unknown technician", func(tx store.Tx) (store.Order, error) {
			return pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Technician: "T9", Note: "x"}, now)
		}, "exists"},
		{"reassign to the same", func(tx store.Tx) (store.Order, error) {
			return pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Technician: "T1", Note: "x"}, now)
		}, "same"},
		{"reassign needs a reason", func(tx store.Tx) (store.Order, error) {
			return pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Technician: "T2"}, now)
		}, "required"},
		{"postpone needs 业务顺延备注", func(tx store.Tx) (store.Order, error) {
			return pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: o.Version, Due: day("2026-04-01")}, now)
		}, "required"},
		{"postpone needs the day", func(tx store.Tx) (store.Order, error) {
			return pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "用户出差"}, now)
		}, "required"},
		{"postpone to the past", func(tx store.Tx) (store.Order, error) {
			return pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: o.Version, Note: "x", Due: day("2026-03-01")}, now)
		}, "past"},
		{"void needs a reason", func(tx store.Tx) (store.Order, error) {
			return pol.Void(tx, leader, Change{OrderID: o.ID, Version: o.Version}, now)
		}, "required"},
		{"cancel needs a remark", func(tx store.Tx) (store.Order, error) {
			return pol.Cancel(tx, leader, Change{OrderID: o.ID, Version: o.Version}, now)
		}, "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(func(tx store.Tx) error { _, err := tc.fn(tx); return err })
			if tc.rule == "conflict" {
				var ce *ConflictError
				if !errors.Is(err, store.ErrConflict) || !errors.As(err, &ce) || ce.Current.Version != o.Version {
					t.Errorf("err %v, want a conflict with the current order", err)
				}
				return
			}
			if !hasRule(Problems(err), tc.rule) {
				t.Errorf("err %v, want rule %s", err, tc.rule)
			}
		})
	}
	// Reassignment keeps the earlier technician; postponement sets the due day.
	var got store.Order
	err := s.Update(func(tx store.Tx) error {
		var err error
		if got, err = pol.Reassign(tx, leader, Change{OrderID: o.ID, Version: o.Version, Technician: "T2", Note: "原施工人员休息"}, now); err != nil {
			return err
		}
		got, err = pol.Postpone(tx, leader, Change{OrderID: o.ID, Version: got.Version, Note: "用户约定4月2日", Due: day("2026-04-02")}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h := got.History
	if got.Technician != "T2" || len(h) != 3 || h[1].From != "T1" || h[1].To != "T2" || !got.Due.Equal(day("2026-04-02")) ||
		got.PostponeNote != "用户约定4月2日" || h[2].From != "2026-03-18" {
		t.Errorf("after reassign and postpone: %+v", got)
	}
	// Every change is audited with who, the device, the base version.
	s.View(func(tx store.ReadTx) error {
		es, _ := tx.SearchAudit(store.AuditQuery{Key: o.ID})
		if len(es) != 4 || es[0].Action != "order.postpone" || es[1].Action != "order.reassign" || es[0].Actor != "leader1" {
			t.Errorf("audit: %+v", es)
		}
		return nil
	})
}
