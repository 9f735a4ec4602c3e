package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"meter-sync/protocol/syncwire"
	"meter-sync/sync/client"
	"meter-sync/sync/client/fill"
	"meter-sync/tools/faultproxy"
)

// fillOne keeps a receipt for order id as the technician saves it.
func fillOne(t *testing.T, c *client.Client, id, outcome string, photos int) client.Mutation {
	t.Helper()
	o, err := c.Store().Order(id)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := c.Store().Customer(o.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	w, err := fill.Receipt(o.Order, cu, fill.Options{Outcome: outcome, Now: time.Now(), Photos: photos, PhotoSize: 40 << 10})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Submit(id, w.Receipt, w.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFirstSyncThenNothingNew(t *testing.T) {
	e := newEnv(t)
	e.dispatch(t, "T1", "封表", 30)
	e.dispatch(t, "T2", "换表", 5)
	c := e.tablet(t, "T1", client.Options{})
	r := syncOK(t, c)
	if r.Orders != 30 || r.Pages != 1 {
		t.Errorf("first sync: %+v, want 30 orders in one page", r)
	}
	orders, _ := c.Store().Orders()
	if len(orders) != 30 {
		t.Fatalf("%d orders held, want 30", len(orders))
	}
	for _, o := range orders {
		if o.Business != "封表" {
			t.Errorf("order %s of %s is another technician's", o.ID, o.Business)
		}
		if _, err := c.Store().Customer(o.CustomerID); err != nil {
			t.Errorf("household of %s: %v", o.ID, err)
		}
	}
	before := c.Stats()
	if r := syncOK(t, c); r.Orders != 0 || r.Pages != 1 {
		t.Errorf("second sync: %+v", r)
	}
	if d := c.Stats().RoundTrips - before.RoundTrips; d != 1 {
		t.Errorf("a sync with nothing new took %d round trips, want 1", d)
	}
}

func TestEveryResultIsKept(t *testing.T) {
	e := newEnv(t)
	made := e.dispatch(t, "T1", "封表", 4)
	c := e.tablet(t, "T1", client.Options{})
	syncOK(t, c)
	fillOne(t, c, made[0].ID, fill.Pass, 2)
	bad := fillOne(t, c, made[1].ID, fill.Pass, 0)
	voided := fillOne(t, c, made[2].ID, fill.Pass, 0)
	// The technician's receipt for made[1] lacks 原因: the server refuses it.
	bad.Receipt = []byte(`{"order_id":"` + made[1].ID + `","customer_id":"` + made[1].CustomerID + `","business":"封表","outcome":"未完成"}`)
	if err := c.Store().Apply(client.Batch{Mutations: []client.Mutation{bad}}); err != nil {
		t.Fatal(err)
	}
	e.act(t, "void", made[2].ID, "")
	r := syncOK(t, c)
	if r.Applied != 1 || r.Rejected != 1 || r.Conflicts != 1 || r.Uploaded != 2 {
		t.Fatalf("sync: %+v, want 1 applied, 1 rejected, 1 conflict, 2 photos", r)
	}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pending) != 0 || st.Applied != 1 || st.Incomplete != 0 || st.Blobs != 0 {
		t.Errorf("status: %+v", st)
	}
	if len(st.Rejected) != 1 || st.Rejected[0].ID != bad.ID || len(st.Rejected[0].Result.Problems) == 0 {
		t.Errorf("rejected: %+v", st.Rejected)
	} else {
		t.Logf("rejected: %+v", st.Rejected[0].Result.Problems)
	}
	if len(st.Conflicts) != 1 || st.Conflicts[0].ID != voided.ID || st.Conflicts[0].Result.Conflict == "" {
		t.Errorf("conflicts: %+v", st.Conflicts)
	}
	orders, _ := c.Store().Orders()
	var ids []string
	for _, o := range orders {
		ids = append(ids, o.ID)
	}
	// Applied and voided orders left the scope; the refused one and the untouched one stay.
	if len(ids) != 2 || ids[0] != made[1].ID || ids[1] != made[3].ID {
		t.Errorf("orders held: %v, want %s and %s", ids, made[1].ID, made[3].ID)
	}
	if got := e.receipts(t); got[made[0].ID] != 1 || got[made[2].ID] != 1 {
		t.Errorf("receipts stored: %v", got)
	}
}

func TestRemovalWaitsForPendingWork(t *testing.T) {
	e := newEnv(t)
	made := e.dispatch(t, "T1", "封表", 2)
	c := e.tablet(t, "T1", client.Options{})
	syncOK(t, c)
	m := fillOne(t, c, made[0].ID, fill.Pass, 0)
	e.act(t, "reassign", made[0].ID, "T2")
	e.act(t, "void", made[1].ID, "")
	if _, err := c.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	o, err := c.Store().Order(made[0].ID)
	if err != nil || o.Removed != syncwire.RemovedReassigned {
		t.Fatalf("reassigned order with a pending receipt: %+v, %v; want it held as reassigned", o, err)
	}
	if _, err := c.Store().Order(made[1].ID); err == nil {
		t.Errorf("voided order with no work on it is still held")
	}
	st, _ := c.Status()
	if len(st.Held) != 1 || len(st.Pending) != 1 {
		t.Errorf("status: held %d, pending %d", len(st.Held), len(st.Pending))
	}
	syncOK(t, c)
	st, _ = c.Status()
	if len(st.Held) != 0 || len(st.Conflicts) != 1 || st.Conflicts[0].ID != m.ID {
		t.Fatalf("after push: held %v, conflicts %+v", st.Held, st.Conflicts)
	}
	t.Logf("conflict: %s", st.Conflicts[0].Result.Conflict)
	// T2 now has it; T1's field work is on the server, as a conflict.
	c2 := e.tablet(t, "T2", client.Options{})
	syncOK(t, c2)
	if _, err := c2.Store().Order(made[0].ID); err != nil {
		t.Errorf("T2 does not hold the order reassigned to them: %v", err)
	}
}

// TestRetriedPushAppliesOnce pushes through a network that loses half the
// answers and cuts a quarter of the requests: every receipt is stored once.
func TestRetriedPushAppliesOnce(t *testing.T) {
	e := newEnv(t)
	made := e.dispatch(t, "T1", "封表", 20)
	p, err := faultproxy.New(e.url, faultproxy.Options{Seed: 11, DropResponse: 0.4, CutRequest: 0.2, Duplicate: 0.2,
		Match: func(r *http.Request) bool { return r.Method == http.MethodPost }})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	c := e.tablet(t, "T1", client.Options{BaseURL: front.URL, PushBatch: 3, Retries: 40})
	syncOK(t, c)
	for _, o := range made {
		fillOne(t, c, o.ID, fill.Pass, 0)
	}
	r := syncOK(t, c)
	if r.Applied != 20 {
		t.Errorf("applied %d, want 20", r.Applied)
	}
	for _, o := range made {
		if n := e.receipts(t)[o.ID]; n != 1 {
			t.Errorf("order %s has %d receipts", o.ID, n)
		}
	}
	t.Logf("proxy: %+v, client retries %d", p.Stats(), c.Stats().Retries)
}

// TestUploadResumesAfterACut cuts the connection in the middle of a chunk:
// the upload goes on from what the server received, so no more than one
// chunk is sent twice.
func TestUploadResumesAfterACut(t *testing.T) {
	e := newEnv(t)
	made := e.dispatch(t, "T1", "封表", 1)
	cuts := 0
	p, err := faultproxy.New(e.url, faultproxy.Options{Seed: 5, CutRequest: 1, Match: func(r *http.Request) bool {
		if r.Method == http.MethodPatch && r.Header.Get(syncwire.HeaderOffset) != "0" && cuts < 2 {
			cuts++
			return true
		}
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	const chunk = 64 << 10
	c := e.tablet(t, "T1", client.Options{BaseURL: front.URL, ChunkSize: chunk})
	syncOK(t, c)
	o, _ := c.Store().Order(made[0].ID)
	cu, _ := c.Store().Customer(o.CustomerID)
	w, err := fill.Receipt(o.Order, cu, fill.Options{Now: time.Now(), Photos: 1, PhotoSize: 600 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(o.ID, w.Receipt, w.Attachments); err != nil {
		t.Fatal(err)
	}
	if r := syncOK(t, c); r.Uploaded != 1 || r.Applied != 1 {
		t.Fatalf("sync: %+v", r)
	}
	size := int64(len(w.Attachments[0]))
	resent := c.Stats().ChunkBytes - size
	t.Logf("photo %d bytes in %d KiB chunks, %d cuts: %d bytes sent again", size, chunk>>10, cuts, resent)
	if cuts != 2 || resent < 0 || resent > 2*chunk {
		t.Errorf("%d bytes sent again after %d cuts, want at most one chunk (%d) a cut", resent, cuts, chunk)
	}
	if st, _ := c.Status(); st.Blobs != 0 || st.Incomplete != 0 {
		t.Errorf("status after upload: %+v", st)
	}
}

func TestOfflineKeepsWorkUntilBack(t *testing.T) {
	e := newEnv(t)
	made := e.dispatch(t, "T1", "封表", 3)
	p, _ := faultproxy.New(e.url, faultproxy.Options{})
	front := httptest.NewServer(p)
	defer front.Close()
	c := e.tablet(t, "T1", client.Options{BaseURL: front.URL, Retries: 2})
	syncOK(t, c)
	p.SetOffline(true)
	for _, o := range made {
		fillOne(t, c, o.ID, fill.Pass, 1)
	}
	if _, err := c.Sync(context.Background()); err == nil {
		t.Fatal("a sync with no network succeeded")
	}
	st, _ := c.Status()
	if len(st.Pending) != 3 || st.Pending[0].Tries != 1 || st.Pending[0].LastError == "" || st.Blobs != 3 {
		t.Fatalf("offline status: %+v", st)
	}
	p.SetOffline(false)
	if r := syncOK(t, c); r.Applied != 3 || r.Uploaded != 3 {
		t.Fatalf("back online: %+v", r)
	}
}
