package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
)

// syncCity writes a store with a technician, a token for their tablet and
// n 封表 orders dispatched to them, and returns the token and the orders.
func syncCity(t *testing.T, data string, n int) (string, []store.Order) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := access.New(db, access.DefaultOptions(), nil)
	by := access.Actor{ID: "test"}
	if _, err := svc.AddAccount(by, access.NewAccount{ID: "tech1", Name: "施工员", Role: account.RoleTechnician, ReaderID: "T1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAccount(by, access.NewAccount{ID: "admin", Name: "管理员", Role: account.RoleAdmin, Password: "a long test password"}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.IssueToken(by, "tech1", "平板")
	if err != nil {
		t.Fatal(err)
	}
	pol := orders.DefaultPolicy()
	clerk := orders.Actor{Account: account.Account{ID: "clerk", Role: account.RoleClerk, CanDispatch: true}}
	var made []store.Order
	err = db.Update(func(tx store.Tx) error {
		for i := range n {
			c := storetest.Household(fmt.Sprintf("33%08d", i), 1001+i/100, 1, 1, 101+i%100, domain.OddMonths)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			o, err := pol.CreateOrder(tx, clerk, orders.NewOrder{CustomerID: c.ID, Business: "封表", Requirement: "欠费封表"}, store.OriginOffice, time.Now())
			if err != nil {
				return err
			}
			if o, err = pol.Dispatch(tx, clerk, orders.Change{OrderID: o.ID, Version: o.Version, Technician: "T1"}, time.Now()); err != nil {
				return err
			}
			made = append(made, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret, made
}

// syncEpoch is when the tablet's technician did the work: one instant, so
// that a mutation pushed again is the same mutation.
var syncEpoch = time.Now().Truncate(time.Second)

func sealMutation(i int, o store.Order) syncwire.Mutation {
	now := syncEpoch
	r, _ := json.Marshal(map[string]any{"customer_id": o.CustomerID, "business": "封表", "outcome": "合格",
		"arrived_at": now.Add(-2 * time.Hour).Format(time.RFC3339), "ended_at": now.Add(-time.Hour).Format(time.RFC3339),
		"settle_m3": 10 + i, "reason": "用户欠费"})
	return syncwire.Mutation{ID: fmt.Sprintf("5e1f0000-0000-4000-8000-%012d", i), Kind: syncwire.KindReceipt, OrderID: o.ID,
		BaseVersion: o.Version, MadeAt: now, Receipt: r}
}

// pushOne pushes one mutation; ok is false when no answer came back.
func pushOne(url, token string, m syncwire.Mutation) (syncwire.Result, bool) {
	body, _ := syncwire.EncodePush([]syncwire.Mutation{m})
	req, _ := http.NewRequest("POST", url+"/api/v1/sync/push", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(syncwire.HeaderDevice, "TAB-KILL")
	req.Header.Set(syncwire.HeaderTime, time.Now().Format(time.RFC3339Nano))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return syncwire.Result{}, false
	}
	defer resp.Body.Close()
	var pr syncwire.PushResponse
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&pr) != nil || len(pr.Results) != 1 {
		return syncwire.Result{}, false
	}
	return pr.Results[0], true
}

// TestSyncPushSurvivesSIGKILL: a tablet pushes receipts one by one while
// the server is killed with SIGKILL; every receipt the server acknowledged
// is in the store after it, and pushing everything again after a restart
// replays the acknowledged ones and applies the rest, each exactly once.
func TestSyncPushSurvivesSIGKILL(t *testing.T) {
	data := t.TempDir()
	const n = 40
	token, made := syncCity(t, data, n)
	s := startServing(t, "--data", data)
	acked := map[string]syncwire.Result{}
	answers := make(chan syncwire.Result)
	go func() {
		defer close(answers)
		for i, o := range made {
			r, ok := pushOne(s.url, token, sealMutation(i, o))
			if !ok {
				return
			}
			answers <- r
		}
	}()
	// Kill mid-stream: once a dozen are acknowledged, while the next is in flight.
	for r := range answers {
		acked[r.ID] = r
		if len(acked) == 12 {
			s.cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	s.cmd.Wait()
	if len(acked) < 12 || len(acked) == n {
		t.Fatalf("%d of %d acknowledged before the kill: the kill did not land mid-push", len(acked), n)
	}
	t.Logf("%d of %d pushes acknowledged before SIGKILL", len(acked), n)
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx store.ReadTx) error {
		for id, r := range acked {
			m, err := tx.Mutation("tech1", id)
			if err != nil || m.Status != r.Status {
				return fmt.Errorf("acknowledged %s (%s) not kept: %+v, %v", id, r.Status, m, err)
			}
			if vs, err := tx.ReceiptVersions(r.ReceiptID); err != nil || len(vs) != 1 {
				return fmt.Errorf("acknowledged receipt %s: %d versions, %v", r.ReceiptID, len(vs), err)
			}
		}
		return nil
	})
	if cerr := db.Check(); err == nil {
		err = cerr
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The tablet pushes its whole queue again.
	s = startServing(t, "--data", data)
	for i, o := range made {
		m := sealMutation(i, o)
		r, ok := pushOne(s.url, token, m)
		if !ok || r.Status != syncwire.StatusApplied {
			t.Fatalf("re-push %d: %+v, %v", i, r, ok)
		}
		if first, was := acked[m.ID]; was && (!r.Replayed || r.ReceiptID != first.ReceiptID) {
			t.Fatalf("acknowledged %s pushed again: %+v, want the first decision replayed", m.ID, r)
		}
	}
	s.stop(t)
	db, err = bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx store.ReadTx) error {
		for _, o := range made {
			got, _ := tx.Order(o.ID)
			if got.Status != store.OrderCompleted || len(got.Receipts) != 1 {
				t.Errorf("order %s: %s with %d receipts, want 已完成 with one", o.ID, got.Status, len(got.Receipts))
			}
		}
		return nil
	})
}
