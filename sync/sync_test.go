package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	"meter-sync/store/bolt/bolttest"
	"meter-sync/store/storetest"
)

var (
	now        = time.Date(2026, 3, 13, 10, 0, 0, 0, domain.Local)
	clerk      = orders.Actor{Account: account.Account{ID: "clerk2", Role: account.RoleClerk, CanDispatch: true}}
	leader     = orders.Actor{Account: account.Account{ID: "leader1", Role: account.RoleTeamLeader}}
	tech1      = Caller{Account: account.Account{ID: "tech1", Role: account.RoleTechnician, ReaderID: "T1"}, Device: "TAB-1", DeviceTime: now}
	tech2      = Caller{Account: account.Account{ID: "tech2", Role: account.RoleTechnician, ReaderID: "T2"}, Device: "TAB-2", DeviceTime: now}
	pol        = orders.DefaultPolicy()
	households = []string{"c1", "c2", "c3", "c4"}
)

type fixture struct {
	st  store.Store
	svc *Service
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := bolttest.Open(t)
	err := st.Update(func(tx store.Tx) error {
		for _, c := range []Caller{tech1, tech2} {
			a := c.Account
			a.Name = a.ID
			if _, _, err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for i, id := range households {
			c := storetest.Household(id, 1, 1, 1, 101+i, domain.OddMonths)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: now}
	f.svc = New(Options{Store: st, Applier: pol, BlobDir: filepath.Join(t.TempDir(), "blobs"), Now: func() time.Time { return f.now }})
	return f
}

// order makes a 封表 order for customer dispatched to tech.
func (f *fixture) order(t *testing.T, customer, tech string) store.Order {
	t.Helper()
	var o store.Order
	f.update(t, func(tx store.Tx) error {
		var err error
		o, err = pol.CreateOrder(tx, clerk, orders.NewOrder{CustomerID: customer, Business: string(domain.BizSeal), Requirement: "欠费封表"}, store.OriginOffice, f.now)
		if err != nil {
			return err
		}
		o, err = pol.Dispatch(tx, clerk, orders.Change{OrderID: o.ID, Version: o.Version, Technician: tech}, f.now)
		return err
	})
	return o
}

func (f *fixture) update(t *testing.T, fn func(tx store.Tx) error) {
	t.Helper()
	if err := f.st.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, id string) store.Order {
	t.Helper()
	var o store.Order
	if err := f.st.View(func(tx store.ReadTx) error { var err error; o, err = tx.Order(id); return err }); err != nil {
		t.Fatal(err)
	}
	return o
}

// pullAll pulls from cursor until the scope has nothing more.
func (f *fixture) pullAll(t *testing.T, c Caller, cursor string, limit int) (syncwire.ChangesPage, int) {
	t.Helper()
	var all syncwire.ChangesPage
	trips := 0
	for {
		p, err := f.svc.Pull(c, cursor, limit)
		if err != nil {
			t.Fatalf("Pull: %v", err)
		}
		trips++
		all.Orders = append(all.Orders, p.Orders...)
		all.Customers = append(all.Customers, p.Customers...)
		all.Removed = append(all.Removed, p.Removed...)
		all.Cursor, cursor = p.Cursor, p.Cursor
		if !p.More {
			return all, trips
		}
	}
}

func orderIDs(os []syncwire.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

func TestPullScopePagesAndRemovals(t *testing.T) {
	f := newFixture(t)
	a, b, c := f.order(t, "c1", "T1"), f.order(t, "c2", "T1"), f.order(t, "c3", "T1")
	other := f.order(t, "c4", "T2")
	page, trips := f.pullAll(t, tech1, "", 2)
	if got := orderIDs(page.Orders); !slices.Equal(got, []string{a.ID, b.ID, c.ID}) || trips != 2 {
		t.Fatalf("first sync: orders %v in %d pulls, want T1's three in 2", got, trips)
	}
	if len(page.Customers) != 3 || page.Customers[0].ID != "c1" || page.Customers[0].Meter.State != "通气" || len(page.Removed) != 0 {
		t.Fatalf("first sync: customers %+v, removed %v", page.Customers, page.Removed)
	}
	cursor := page.Cursor
	// Nothing new: an empty page, the same cursor.
	p, err := f.svc.Pull(tech1, cursor, 0)
	if err != nil || p.More || len(p.Orders)+len(p.Customers)+len(p.Removed) != 0 || p.Cursor != cursor {
		t.Fatalf("pull with nothing new = %+v, %v", p, err)
	}
	// The office reassigns a, voids b; the household of c changes.
	f.update(t, func(tx store.Tx) error {
		if _, err := pol.Reassign(tx, leader, orders.Change{OrderID: a.ID, Version: a.Version, Technician: "T2", Note: "原施工人员休息"}, f.now); err != nil {
			return err
		}
		if _, err := pol.Void(tx, leader, orders.Change{OrderID: b.ID, Version: b.Version, Note: "楼栋未通气"}, f.now); err != nil {
			return err
		}
		cu, err := tx.Customer("c3")
		if err != nil {
			return err
		}
		cu.Phone = "13911112222"
		_, _, err = tx.PutCustomer(&cu)
		return err
	})
	p, err = f.svc.Pull(tech1, cursor, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRemoved := []syncwire.Removal{{OrderID: a.ID, Reason: syncwire.RemovedReassigned}, {OrderID: b.ID, Reason: syncwire.RemovedVoided}}
	if !slices.Equal(p.Removed, wantRemoved) || len(p.Orders) != 0 || len(p.Customers) != 1 || p.Customers[0].Phone != "13911112222" {
		t.Fatalf("after the office's changes: %+v", p)
	}
	p2, _ := f.pullAll(t, tech2, "", 0)
	if got := orderIDs(p2.Orders); !slices.Equal(got, []string{other.ID, a.ID}) {
		t.Fatalf("T2 sees %v, want the reassigned order and its own", got)
	}
	// A cursor is its account's own.
	var fe *syncwire.FieldError
	if _, err := f.svc.Pull(tech1, p2.Cursor, 0); !errors.As(err, &fe) || fe.Path != "cursor" {
		t.Fatalf("T1 pulling with T2's cursor: %v", err)
	}
	// Past the head (a store restored from an older backup): start again.
	ahead := syncwire.EncodeCursor("T1", syncwire.Cursor{Seq: 1 << 40})
	if _, err := f.svc.Pull(tech1, ahead, 0); !errors.Is(err, ErrResync) {
		t.Fatalf("a cursor past the head: %v, want ErrResync", err)
	}
}

func TestHorizon(t *testing.T) {
	f := newFixture(t)
	a, b := f.order(t, "c1", "T1"), f.order(t, "c2", "T1")
	first, _ := f.pullAll(t, tech1, "", 0)
	f.update(t, func(tx store.Tx) error {
		_, err := pol.Void(tx, leader, orders.Change{OrderID: a.ID, Version: a.Version, Note: "作废"}, f.now)
		return err
	})
	current, _ := f.pullAll(t, tech1, first.Cursor, 0)
	if n, err := f.svc.Compact(); err != nil || n != 0 {
		t.Fatalf("Compact inside the horizon pruned %d, %v", n, err)
	}
	f.now = time.Now().Add(91 * 24 * time.Hour) // entries are stamped with the wall clock
	if n, err := f.svc.Compact(); err != nil || n != 1 {
		t.Fatalf("Compact past the horizon pruned %d, %v; want the void", n, err)
	}
	if _, err := f.svc.Pull(tech1, first.Cursor, 0); !errors.Is(err, ErrResync) {
		t.Fatalf("a tablet behind the horizon: %v, want ErrResync", err)
	}
	if p, err := f.svc.Pull(tech1, current.Cursor, 0); err != nil || len(p.Orders)+len(p.Removed) != 0 {
		t.Fatalf("a tablet that saw the removal: %+v, %v", p, err)
	}
	again, _ := f.pullAll(t, tech1, "", 0)
	if got := orderIDs(again.Orders); !slices.Equal(got, []string{b.ID}) || len(again.Removed) != 0 {
		t.Fatalf("from scratch: %v removed %v", got, again.Removed)
	}
}

func sealReceipt(customer string, attachments ...string) map[string]any {
	r := map[string]any{"customer_id": customer, "business": "封表", "outcome": "合格",
		"arrived_at": now.Add(-2 * time.Hour).Format(time.RFC3339), "ended_at": now.Add(-time.Hour).Format(time.RFC3339),
		"settle_m3": 123, "reason": "用户欠费"}
	var as []map[string]any
	for _, sha := range attachments {
		as = append(as, map[string]any{"kind": "photo", "sha256": sha})
	}
	if as != nil {
		r["attachments"] = as
	}
	return r
}

func mutation(id string, o store.Order, receipt map[string]any) map[string]any {
	return map[string]any{"id": id, "kind": "receipt", "order_id": o.ID, "base_version": o.Version,
		"made_at": now.Format(time.RFC3339), "receipt": receipt}
}

func push(t *testing.T, f *fixture, c Caller, ms ...map[string]any) []syncwire.Result {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"mutations": ms})
	resp, err := f.svc.Push(c, body)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return resp.Results
}

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func TestPushExactlyOnceAndIsolated(t *testing.T) {
	f := newFixture(t)
	a, b, c := f.order(t, "c1", "T1"), f.order(t, "c2", "T1"), f.order(t, "c3", "T1")
	bad := sealReceipt("c2")
	delete(bad, "settle_m3")
	ms := []map[string]any{
		mutation(uuid(1), a, sealReceipt("c1")),
		mutation(uuid(2), b, bad),
		{"id": "not-a-uuid", "kind": "receipt"},
		mutation(uuid(3), c, sealReceipt("c3")),
	}
	res := push(t, f, tech1, ms...)
	var got []string
	for _, r := range res {
		got = append(got, r.Status)
	}
	if want := []string{"applied", "rejected", "rejected", "applied"}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v: %+v", got, want, res)
	}
	if p := res[1].Problems; len(p) == 0 || !strings.HasPrefix(p[0].Path, "mutations[1].receipt.settle_m3") {
		t.Fatalf("the bad receipt's problems %+v, want the field's path", p)
	}
	if res[0].Order == nil || res[0].Order.Status != store.OrderCompleted || res[0].Order.Version <= a.Version {
		t.Fatalf("applied result's order %+v", res[0].Order)
	}
	// Retried three times, in another order: the same answers, nothing new.
	for range 3 {
		again := push(t, f, tech1, ms[3], ms[1], ms[0])
		for i, j := range []int{3, 1, 0} {
			want := res[j]
			want.Replayed = true
			if g, _ := json.Marshal(again[i]); string(g) != string(mustJSON(want)) {
				t.Fatalf("retry of %d = %s, want %s", j, g, mustJSON(want))
			}
		}
	}
	if o := f.get(t, a.ID); len(o.Receipts) != 1 {
		t.Fatalf("order %s has %d receipts after retries, want 1", a.ID, len(o.Receipts))
	}
	// An id reused for something else is refused; the first decision stands.
	reused := push(t, f, tech1, mutation(uuid(1), b, sealReceipt("c2")))
	if reused[0].Status != "rejected" || reused[0].Problems[0].Rule != "reused" {
		t.Fatalf("reused id: %+v", reused[0])
	}
	// The refused ones stay for the back office.
	rej, err := f.svc.Rejected(store.MutationRejected, time.Time{}, 0)
	if err != nil || len(rej) != 1 || rej[0].ID != uuid(2) || rej[0].Device != "TAB-1" || len(rej[0].Body) == 0 {
		t.Fatalf("Rejected = %+v, %v", rej, err)
	}
	// Every decision is audited with the device and the base version.
	var audits []store.AuditEntry
	f.st.View(func(tx store.ReadTx) error {
		audits, err = tx.SearchAudit(store.AuditQuery{Action: "sync.push"})
		return err
	})
	if len(audits) != 3 || audits[0].Device != "TAB-1" || !strings.Contains(audits[2].Note, fmt.Sprintf("基于版本%d", a.Version)) {
		t.Fatalf("audit: %+v", audits)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestPushConflictAndScope(t *testing.T) {
	f := newFixture(t)
	a := f.order(t, "c1", "T1")
	theirs := f.order(t, "c4", "T2")
	// Offline, T1 fills a's receipt; meanwhile the office voids it.
	f.update(t, func(tx store.Tx) error {
		_, err := pol.Void(tx, leader, orders.Change{OrderID: a.ID, Version: a.Version, Note: "楼栋未通气"}, f.now)
		return err
	})
	res := push(t, f, tech1, mutation(uuid(1), a, sealReceipt("c1")))
	if r := res[0]; r.Status != "conflict" || r.Conflict != "voided" || r.Order == nil || r.Order.Status != store.OrderVoided {
		t.Fatalf("receipt for a voided order: %+v", r)
	}
	// T2's order answers T1 exactly as an order that does not exist.
	ghost := theirs
	ghost.ID = "PG9999999999"
	r1 := push(t, f, tech1, mutation(uuid(2), theirs, sealReceipt("c4")))[0]
	r2 := push(t, f, tech1, mutation(uuid(3), ghost, sealReceipt("c4")))[0]
	j1 := strings.ReplaceAll(string(mustJSON(r1)), theirs.ID, "X")
	j2 := strings.ReplaceAll(string(mustJSON(r2)), ghost.ID, "X")
	j1, j2 = strings.ReplaceAll(j1, uuid(2), "U"), strings.ReplaceAll(j2, uuid(3), "U")
	if j1 != j2 || r1.Status != "rejected" || r1.Order != nil {
		t.Fatalf("another's order %s, a missing one %s", mustJSON(r1), mustJSON(r2))
	}
	if o := f.get(t, theirs.ID); o.Status != store.OrderDispatched || len(o.Receipts) != 0 {
		t.Fatalf("T2's order changed: %+v", o)
	}
}

func TestSkewCorrectsReceiptTimes(t *testing.T) {
	f := newFixture(t)
	a := f.order(t, "c1", "T1")
	fast := tech1
	fast.DeviceTime = now.Add(time.Hour) // the tablet's clock is an hour fast
	r := sealReceipt("c1")
	r["arrived_at"], r["ended_at"] = now.Add(-time.Hour).Format(time.RFC3339), now.Add(30*time.Minute).Format(time.RFC3339)
	res := push(t, f, fast, mutation(uuid(1), a, r))[0]
	if res.Status != "applied" || !res.TimesCorrected || res.SkewMs != time.Hour.Milliseconds() {
		t.Fatalf("result %+v", res)
	}
	var rec []store.ReceiptRecord
	f.st.View(func(tx store.ReadTx) error { var err error; rec, err = tx.ReceiptVersions(res.ReceiptID); return err })
	if len(rec) != 1 || !rec[0].EndedAt.Equal(now.Add(-30*time.Minute)) {
		t.Fatalf("stored receipt %+v", rec)
	}
	var d store.SyncDevice
	f.st.View(func(tx store.ReadTx) error { var err error; d, err = tx.SyncDevice("TAB-1"); return err })
	if d.Skew != time.Hour || d.Account != "tech1" {
		t.Fatalf("device %+v", d)
	}
}

func TestAttachmentsResumeAndCompleteTheReceipt(t *testing.T) {
	f := newFixture(t)
	a := f.order(t, "c1", "T1")
	photo := bytes.Repeat([]byte("照片"), 200_000) // 1.2 MB: three chunks
	h := sha256.Sum256(photo)
	sha := hex.EncodeToString(h[:])
	n := int64(len(photo))
	res := push(t, f, tech1, mutation(uuid(1), a, sealReceipt("c1", sha)))[0]
	if res.Status != "applied" || !slices.Equal(res.Missing, []string{sha}) {
		t.Fatalf("receipt before its photo: %+v", res)
	}
	chunk := func(from int64) *bytes.Reader { return bytes.NewReader(photo[from:min(n, from+syncwire.MaxChunk)]) }
	st, err := f.svc.WriteBlob(tech1, sha, 0, n, chunk(0))
	if err != nil || st.Offset != syncwire.MaxChunk || st.Complete {
		t.Fatalf("first chunk: %+v, %v", st, err)
	}
	// The connection drops mid-chunk: what arrived is kept.
	st, err = f.svc.WriteBlob(tech1, sha, st.Offset, n, bytes.NewReader(photo[st.Offset:st.Offset+1000]))
	if err != nil || st.Offset != syncwire.MaxChunk+1000 {
		t.Fatalf("cut chunk: %+v, %v", st, err)
	}
	var oe *OffsetError
	if _, err := f.svc.WriteBlob(tech1, sha, 0, n, chunk(0)); !errors.As(err, &oe) || oe.Offset != syncwire.MaxChunk+1000 {
		t.Fatalf("a chunk at the wrong offset: %v", err)
	}
	if got, _ := f.svc.Blob(sha); got.Offset != syncwire.MaxChunk+1000 || got.Length != n {
		t.Fatalf("Blob = %+v", got)
	}
	for !st.Complete {
		if st, err = f.svc.WriteBlob(tech1, sha, st.Offset, n, chunk(st.Offset)); err != nil {
			t.Fatal(err)
		}
	}
	again := push(t, f, tech1, mutation(uuid(1), a, sealReceipt("c1", sha)))[0]
	if !again.Replayed || len(again.Missing) != 0 {
		t.Fatalf("after the photo: %+v", again)
	}
	// Whole is immutable: writing again changes nothing.
	if st, err := f.svc.WriteBlob(tech1, sha, 0, n, strings.NewReader("另一张")); err != nil || !st.Complete || st.Length != n {
		t.Fatalf("rewrite of a whole attachment: %+v, %v", st, err)
	}
	rf, size, err := f.svc.OpenBlob(sha)
	if err != nil || size != n {
		t.Fatal(err)
	}
	rf.Close()
	// Bytes that do not hash to the name are dropped.
	wrong := strings.Repeat("0", 64)
	if _, err := f.svc.WriteBlob(tech1, wrong, 0, 3, strings.NewReader("abc")); !errors.Is(err, ErrDigest) {
		t.Fatalf("wrong digest: %v", err)
	}
	if got, _ := f.svc.Blob(wrong); got.Offset != 0 {
		t.Fatalf("a refused upload left %+v", got)
	}
}
