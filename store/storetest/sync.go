package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"meter-sync/store"
)

func changeKeys(cs []store.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Kind + ":" + c.Key
	}
	return out
}

// testChangeLog: writing an order or a household logs it for the
// technicians who held it before and hold it after, in the same
// transaction; a scope keeps one entry per record, its latest; pruning
// raises the horizon.
func testChangeLog(t *testing.T, s store.Store) {
	c1 := Household("c1", 1001, 1, 1, 101, 1)
	var o1, o2 store.Order
	update(t, s, func(tx store.Tx) error {
		if _, _, err := tx.PutCustomer(&c1); err != nil {
			return err
		}
		var err error
		a := order("c1", "点火")
		a.Technician = "T1"
		if o1, err = tx.CreateOrder(a); err != nil {
			return err
		}
		o2, err = tx.CreateOrder(order("c1", "封表")) // not dispatched: nobody's
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		cs, err := tx.Changes("T1", 0, 0)
		if err != nil || !slices.Equal(changeKeys(cs), []string{"order:" + o1.ID}) {
			t.Errorf("T1's log = %v, %v; want its order", changeKeys(cs), err)
		}
		if cs, _ := tx.Changes("T2", 0, 0); len(cs) != 0 {
			t.Errorf("T2's log = %v, want empty", changeKeys(cs))
		}
		if h, _ := tx.HoldersOf("c1"); !slices.Equal(h, []string{"T1"}) {
			t.Errorf("HoldersOf(c1) = %v", h)
		}
		return nil
	})
	// A failed transaction logs nothing.
	boom := errors.New("boom")
	if err := s.Update(func(tx store.Tx) error {
		o := o1
		o.Technician = "T9"
		if _, err := tx.PutOrder(o); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// The household changes, then the order moves from T1 to T2.
	update(t, s, func(tx store.Tx) error {
		c1.Phone = "13900000000"
		if _, _, err := tx.PutCustomer(&c1); err != nil {
			return err
		}
		o := o1
		o.Technician = "T2"
		var err error
		o1, err = tx.PutOrder(o)
		if err != nil {
			return err
		}
		o = o2
		o.Technician = "T2"
		o2, err = tx.PutOrder(o)
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		cs, _ := tx.Changes("T1", 0, 0)
		if want := []string{"customer:c1", "order:" + o1.ID}; !slices.Equal(changeKeys(cs), want) {
			t.Errorf("T1's log = %v, want %v (one entry per record, latest last)", changeKeys(cs), want)
		}
		if head, horizon, _ := tx.ChangeHead("T1"); head != cs[len(cs)-1].Seq || horizon != 0 {
			t.Errorf("T1's head %d horizon %d, want %d 0", head, horizon, cs[len(cs)-1].Seq)
		}
		if after, _ := tx.Changes("T1", cs[0].Seq, 1); len(after) != 1 || after[0].Key != o1.ID {
			t.Errorf("Changes after %d = %v", cs[0].Seq, changeKeys(after))
		}
		cs, _ = tx.Changes("T2", 0, 0)
		if want := []string{"order:" + o1.ID, "order:" + o2.ID}; !slices.Equal(changeKeys(cs), want) {
			t.Errorf("T2's log = %v, want %v", changeKeys(cs), want)
		}
		for _, h := range []struct {
			scope, id string
			want      bool
		}{{"T1", o1.ID, true}, {"T2", o1.ID, true}, {"T1", o2.ID, false}, {"T9", o1.ID, false}} {
			if got, _ := tx.Held(h.scope, h.id); got != h.want {
				t.Errorf("Held(%s, %s) = %v", h.scope, h.id, got)
			}
		}
		if sc, _ := tx.Scopes(); !slices.Equal(sc, []string{"T1", "T2"}) {
			t.Errorf("Scopes() = %v", sc)
		}
		if h, _ := tx.HoldersOf("c1"); !slices.Equal(h, []string{"T2"}) {
			t.Errorf("HoldersOf(c1) = %v, want [T2]", h)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		cs, _ := tx.Changes("T1", 0, 0)
		return tx.PruneChanges("T1", []uint64{cs[1].Seq})
	})
	view(t, s, func(tx store.ReadTx) error {
		cs, _ := tx.Changes("T1", 0, 0)
		head, horizon, _ := tx.ChangeHead("T1")
		if len(cs) != 1 || horizon != head {
			t.Errorf("after pruning: %v, head %d horizon %d", changeKeys(cs), head, horizon)
		}
		return nil
	})
}

// testMutations: idempotency records by (account, id), listed newest first
// with filters, and the attachments they wait for.
func testMutations(t *testing.T, s store.Store) {
	at := day.Add(9 * time.Hour)
	ms := []store.Mutation{
		{Account: "tech1", ID: "a", Status: store.MutationApplied, At: at, Result: []byte(`{}`), Missing: []string{"s1", "s2"}},
		{Account: "tech1", ID: "b", Status: store.MutationRejected, At: at.Add(time.Minute), Result: []byte(`{}`)},
		{Account: "tech2", ID: "a", Status: store.MutationRejected, At: at.Add(2 * time.Minute), Result: []byte(`{}`), Missing: []string{"s1"}},
	}
	update(t, s, func(tx store.Tx) error {
		for _, m := range ms {
			if err := tx.PutMutation(m); err != nil {
				return err
			}
		}
		return tx.PutSyncDevice(store.SyncDevice{ID: "TAB-1", Account: "tech1", LastSeen: at, Skew: -3 * time.Second, Syncs: 1})
	})
	view(t, s, func(tx store.ReadTx) error {
		if m, err := tx.Mutation("tech2", "a"); err != nil || m.Status != store.MutationRejected {
			t.Errorf("Mutation(tech2, a) = %+v, %v", m, err)
		}
		if _, err := tx.Mutation("tech3", "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Mutation of another account: %v, want ErrNotFound", err)
		}
		all, _ := tx.Mutations(store.MutationQuery{})
		rej, _ := tx.Mutations(store.MutationQuery{Status: store.MutationRejected})
		page, _ := tx.Mutations(store.MutationQuery{Before: at.Add(2 * time.Minute), Limit: 1})
		if len(all) != 3 || all[0].Account != "tech2" || len(rej) != 2 || len(page) != 1 || page[0].ID != "b" {
			t.Errorf("Mutations: all %d (first %s), rejected %d, page %+v", len(all), all[0].Account, len(rej), page)
		}
		w, _ := tx.Waiting("s1")
		if want := [][2]string{{"tech1", "a"}, {"tech2", "a"}}; !slices.Equal(w, want) {
			t.Errorf("Waiting(s1) = %v, want %v", w, want)
		}
		if d, err := tx.SyncDevice("TAB-1"); err != nil || d.Skew != -3*time.Second {
			t.Errorf("SyncDevice = %+v, %v", d, err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		m := ms[0]
		m.Missing = []string{"s2"}
		return tx.PutMutation(m)
	})
	view(t, s, func(tx store.ReadTx) error {
		if w, _ := tx.Waiting("s1"); len(w) != 1 || w[0][0] != "tech2" {
			t.Errorf("Waiting(s1) after the receipt got it = %v", w)
		}
		if all, _ := tx.Mutations(store.MutationQuery{}); len(all) != 3 {
			t.Errorf("replacing a mutation listed it %d times", len(all))
		}
		return nil
	})
}
