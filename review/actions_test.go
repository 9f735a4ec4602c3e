package review

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/store"
	"meter-sync/vee"
)

// TestDecide: every action and every refusal, each from a fresh city.
func TestDecide(t *testing.T) {
	lv, ua, mi, un := key("c1", vee.CodeLargeVolume), key("c2", vee.CodeUnauthorizedUse), key("c4", vee.CodeMissed), key("x9", vee.CodeUnknown)
	tests := []struct {
		name    string
		setup   func(t *testing.T, s store.Store)
		by      access.Actor
		req     Request
		refused bool  // errors.Is(err, ErrRefused)
		err     error // else errors.Is(err, this)
		status  string
		order   string // business of the order created
	}{
		{name: "confirm", req: Request{Key: lv, Action: Confirm}, status: store.AnomalyConfirmed},
		{name: "confirm at the version seen", req: Request{Key: lv, Version: 1, Action: Confirm, Why: "冬季采暖"}, status: store.AnomalyConfirmed},
		{name: "confirm creates the order", req: Request{Key: ua, Action: Confirm, Why: "已收气费"}, status: store.AnomalyConfirmed, order: "点火"},
		{name: "reread", req: Request{Key: lv, Action: Reread, Why: "请核对表盘"}, status: store.AnomalyReturned},
		{name: "reread creates no order", req: Request{Key: ua, Action: Reread, Why: "请核对"}, status: store.AnomalyReturned},
		{name: "reread needs a reason", req: Request{Key: lv, Action: Reread}, refused: true},
		{name: "unknown action", req: Request{Key: lv, Action: "approve"}, refused: true},
		{name: "stale version", req: Request{Key: lv, Version: 7, Action: Confirm}, err: store.ErrConflict},
		{name: "no such anomaly", req: Request{Key: key("c1", vee.CodeNegative), Action: Confirm}, err: store.ErrNotFound},
		{name: "confirmed is final", setup: decided(lv, Confirm, ""), req: Request{Key: lv, Action: Reread, Why: "再看"}, refused: true},
		{name: "returned waits for the re-read", setup: decided(lv, Reread, "核对"), req: Request{Key: lv, Action: Reread, Why: "再退"}, refused: true},
		{name: "returned confirmed without waiting needs a reason", setup: decided(lv, Reread, "核对"), req: Request{Key: lv, Action: Confirm}, refused: true},
		{name: "returned confirmed without waiting", setup: decided(lv, Reread, "核对"), req: Request{Key: lv, Action: Confirm, Why: "电话核实"}, status: store.AnomalyConfirmed},
		{name: "returned and read again returns again", setup: rereadAfter(lv), req: Request{Key: lv, Action: Reread, Why: "仍偏大"}, status: store.AnomalyReturned},
		{name: "returned and read again confirms", setup: rereadAfter(lv), req: Request{Key: lv, Action: Confirm}, status: store.AnomalyConfirmed},
		{name: "unknown household cannot go back", req: Request{Key: un, Action: Reread, Why: "核对"}, refused: true},
		{name: "unknown household confirmed", req: Request{Key: un, Action: Confirm}, status: store.AnomalyConfirmed},
		{name: "missed confirmed as 未抄 needs a reason", setup: tryCommit, req: Request{Key: mi, Action: Confirm}, refused: true},
		{name: "missed confirmed as 未抄", setup: tryCommit, req: Request{Key: mi, Action: Confirm, Why: "门闭三次"}, status: store.AnomalyConfirmed},
		{name: "missed returned for a re-read", setup: tryCommit, req: Request{Key: mi, Action: Reread, Why: "补抄"}, status: store.AnomalyReturned},
		{name: "a clerk may not review", by: access.Actor{ID: "clerk1", Role: account.RoleClerk}, req: Request{Key: lv, Action: Confirm}, refused: true},
		{name: "a committed cycle is closed", setup: committed, req: Request{Key: key("c3", vee.CodeEstimated), Action: Confirm}, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := city(t)
			if tt.setup != nil {
				tt.setup(t, s)
			}
			by := tt.by
			if by.ID == "" {
				by = reviewer
			}
			before := auditCount(t, s)
			out, err := Decide(s, by, now, tt.req)
			switch {
			case tt.refused:
				if !errors.Is(err, ErrRefused) || (tt.by.ID == "" && !containsAll(err.Error(), tt.req.Key.CustomerID)) {
					t.Fatalf("err = %v, want a refusal naming %s", err, tt.req.Key.CustomerID)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			case err != nil:
				t.Fatalf("Decide: %v", err)
			}
			if err != nil {
				if auditCount(t, s) != before {
					t.Error("a refused decision wrote to the audit trail")
				}
				return
			}
			got := get(t, s, tt.req.Key)
			last := got.Decisions[len(got.Decisions)-1]
			if got.Status != tt.status || last.By != by.ID || last.Action != string(tt.req.Action) || !last.At.Equal(now) || last.Why != tt.req.Why {
				t.Errorf("stored %s %+v, want status %s and the decision recorded", got.Status, last, tt.status)
			}
			if o := out[0].Order; (o == nil) != (tt.order == "") || (o != nil && (o.Business != tt.order || o.Status != store.OrderPending ||
				o.Priority != "加急安排" || o.Requirement != "私自点火,气费已收,请补签供用气合同" || *o.Anomaly != tt.req.Key || o.CreatedBy != by.ID)) {
				t.Errorf("order = %+v, want business %q", o, tt.order)
			}
			wantAudit := 1
			if tt.order != "" {
				wantAudit = 2
			}
			if n := auditCount(t, s) - before; n != wantAudit {
				t.Errorf("%d audit entries, want %d", n, wantAudit)
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func decided(k store.AnomalyKey, a Action, why string) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) {
		if _, err := Decide(s, reviewer2, now.Add(-time.Hour), Request{Key: k, Action: a, Why: why}); err != nil {
			t.Fatal(err)
		}
	}
}

// rereadAfter returns the anomaly, then the reader brings the household back.
func rereadAfter(k store.AnomalyKey) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) {
		decided(k, Reread, "核对")(t, s)
		err := s.Update(func(tx store.Tx) error {
			_, err := appendReading(tx, k.CustomerID, 401, 0, now.Add(-time.Hour/2))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tryCommit tries a commit, which raises MISSED for c4 and is refused.
func tryCommit(t *testing.T, s store.Store) {
	if _, err := Commit(s, reviewer2, now.Add(-time.Hour), jan, "R1", params()); !errors.Is(err, ErrRefused) {
		t.Fatalf("early commit: %v, want refused", err)
	}
}

// committed resolves everything and commits.
func committed(t *testing.T, s store.Store) {
	tryCommit(t, s)
	if _, err := DecideBulk(s, reviewer2, now.Add(-time.Hour), Selection{Cycle: jan, Reader: "R1"}, Confirm, "核实无误"); err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(s, reviewer2, now.Add(-time.Hour), jan, "R1", params()); err != nil {
		t.Fatal(err)
	}
}

func auditCount(t *testing.T, s store.Store) int {
	t.Helper()
	var n int
	s.View(func(rt store.ReadTx) error {
		es, err := rt.Audit(0, 1<<20)
		n = len(es)
		return err
	})
	return n
}

// TestTwoReviewersOneAnomaly: two reviewers who saw the same version decide
// at once; one wins, the other gets ErrConflict, and one decision is stored.
func TestTwoReviewersOneAnomaly(t *testing.T) {
	s := city(t)
	k := key("c1", vee.CodeLargeVolume)
	v := get(t, s, k).Version
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []Request{{Key: k, Version: v, Action: Confirm}, {Key: k, Version: v, Action: Reread, Why: "核对"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Decide(s, []access.Actor{reviewer, reviewer2}[i], now, r)
		}()
	}
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		if errors.Is(err, store.ErrConflict) {
			conflicts++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if got := get(t, s, k); conflicts != 1 || len(got.Decisions) != 1 {
		t.Errorf("%d conflicts, %d decisions stored; want 1 and 1", conflicts, len(got.Decisions))
	}
}

// TestDecideAllOrNothing: a batch with one stale request applies none.
func TestDecideAllOrNothing(t *testing.T) {
	s := city(t)
	_, err := Decide(s, reviewer, now, Request{Key: key("c1", vee.CodeLargeVolume), Action: Confirm},
		Request{Key: key("c2", vee.CodeUnauthorizedUse), Version: 9, Action: Confirm})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if a := get(t, s, key("c1", vee.CodeLargeVolume)); a.Status != store.AnomalyOpen {
		t.Errorf("c1 is %s after a failed batch, want open", a.Status)
	}
	if os, _ := Orders(s, store.OrderQuery{}); len(os) != 0 {
		t.Errorf("orders after a failed batch: %v", os)
	}
}

func TestDecideBulk(t *testing.T) {
	tests := []struct {
		name    string
		sel     Selection
		action  Action
		want    []string // customers decided
		refused bool
	}{
		{"by code", Selection{Codes: []string{"LARGE_VOLUME", "ESTIMATED"}}, Confirm, []string{"c1", "c3"}, false},
		{"by household", Selection{Customer: "c2"}, Reread, []string{"c2"}, false},
		{"whole cycle", Selection{}, Confirm, []string{"c1", "c2", "c3", "x9"}, false},
		{"nothing pending", Selection{Codes: []string{"NEGATIVE"}}, Confirm, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := city(t)
			tt.sel.Cycle, tt.sel.Reader = jan, "R1"
			out, err := DecideBulk(s, reviewer, now, tt.sel, tt.action, "批量")
			if tt.refused {
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("err = %v, want refused", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range out {
				got = append(got, o.Anomaly.CustomerID)
				if o.Anomaly.Status != statusAfter(tt.action) {
					t.Errorf("%s is %s", o.Anomaly.CustomerID, o.Anomaly.Status)
				}
			}
			if !equal(got, tt.want) {
				t.Errorf("decided %v, want %v", got, tt.want)
			}
		})
	}
}

func equal(a, b []string) bool {
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
