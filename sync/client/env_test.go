package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/server"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
	tabsync "meter-sync/sync"
	"meter-sync/sync/client"
)

// env is a real server over a bbolt store, with technicians T1 and T2 and a
// token each; office actions go straight to the orders rules.
type env struct {
	url    string
	st     *bolt.DB
	pol    orders.Policy
	tokens map[string]string
	next   int // households made
}

var office = orders.Actor{Account: account.Account{ID: "leader", Role: account.RoleTeamLeader, CanDispatch: true}}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := access.DefaultOptions()
	opt.Hash = account.HashParams{Memory: 64, Time: 1, Threads: 1}
	acc := access.New(st, opt, nil)
	e := &env{st: st, pol: orders.DefaultPolicy(), tokens: map[string]string{}}
	for _, tech := range []string{"T1", "T2"} {
		id := "tech-" + tech
		if _, err := acc.AddAccount(access.Actor{ID: "test"}, access.NewAccount{ID: id, Name: "施工员" + tech,
			Role: account.RoleTechnician, ReaderID: tech}); err != nil {
			t.Fatal(err)
		}
		if e.tokens[tech], _, err = acc.IssueToken(access.Actor{ID: "test"}, id, "平板"); err != nil {
			t.Fatal(err)
		}
	}
	svc := tabsync.New(tabsync.Options{Store: st, Applier: e.pol, BlobDir: filepath.Join(t.TempDir(), "blobs")})
	srv := httptest.NewServer(server.New(server.Options{Store: st, Access: acc, Sync: svc, Orders: &e.pol}).Handler())
	e.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		if err := st.Check(); err != nil {
			t.Errorf("store: %v", err)
		}
		st.Close()
	})
	return e
}

// dispatch makes n orders of business at new households and dispatches
// them to tech.
func (e *env) dispatch(t *testing.T, tech, business string, n int) []store.Order {
	t.Helper()
	var out []store.Order
	err := e.st.Update(func(tx store.Tx) error {
		for range n {
			i := e.next
			e.next++
			c := storetest.Household(fmt.Sprintf("33%08d", i), 1001+i/100, 1+i%7, 1+i%3, 101+i%100, domain.OddMonths)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			o, err := e.pol.CreateOrder(tx, office, orders.NewOrder{CustomerID: c.ID, Business: business, Requirement: "请提前电话联系"},
				store.OriginOffice, time.Now())
			if err != nil {
				return err
			}
			if o, err = e.pol.Dispatch(tx, office, orders.Change{OrderID: o.ID, Version: o.Version, Technician: tech}, time.Now()); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// act runs an office action (void, reassign) on the order as it is now.
func (e *env) act(t *testing.T, kind, id, to string) {
	t.Helper()
	err := e.st.Update(func(tx store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		ch := orders.Change{OrderID: id, Version: o.Version, Technician: to, Note: "办公室调整"}
		switch kind {
		case "void":
			_, err = e.pol.Void(tx, office, ch, time.Now())
		case "reassign":
			_, err = e.pol.Reassign(tx, office, ch, time.Now())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// receipts counts the receipt versions stored for each order.
func (e *env) receipts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := e.st.View(func(tx store.ReadTx) error {
		rs, err := tx.Receipts(store.ReceiptQuery{})
		for _, r := range rs {
			out[r.OrderID]++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tablet is a client for tech over a MemStore.
func (e *env) tablet(t *testing.T, tech string, opt client.Options) *client.Client {
	t.Helper()
	if opt.BaseURL == "" {
		opt.BaseURL = e.url
	}
	opt.Token, opt.Device = e.tokens[tech], "TAB-"+tech
	if opt.Backoff == 0 {
		opt.Backoff, opt.MaxBackoff = time.Millisecond, 20*time.Millisecond
	}
	c, err := client.New(client.NewMemStore(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func syncOK(t *testing.T, c *client.Client) client.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return r
}
