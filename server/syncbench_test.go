package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	"meter-sync/store/storetest"
	tabsync "meter-sync/sync"
)

// benchTablet is a technician with n open orders at n households, and
// their tablet's bearer-token client.
func benchTablet(b *testing.B, n int) http.Handler {
	b.Helper()
	st := openStore(b)
	clock := &testClock{t: march}
	acc := fastAccess(st, clock.Now)
	by := access.Actor{ID: "system"}
	if _, err := acc.AddAccount(by, access.NewAccount{ID: "tech", Name: "施工员", Role: account.RoleTechnician, ReaderID: "T01"}); err != nil {
		b.Fatal(err)
	}
	secret, _, err := acc.IssueToken(by, "tech", "平板")
	if err != nil {
		b.Fatal(err)
	}
	pol := orders.DefaultPolicy()
	clerk := orders.Actor{Account: account.Account{ID: "clerk", Role: account.RoleClerk, CanDispatch: true}}
	err = st.Update(func(tx store.Tx) error {
		for i := range n {
			c := storetest.Household(fmt.Sprintf("33%08d", i), 1001+i/100, 1+i%7, 1+i%3, 101+i%100, domain.OddMonths)
			c.Name, c.Address = fmt.Sprintf("用户%d", i), fmt.Sprintf("江滨花园%d幢%d单元%d室", 1+i%7, 1+i%3, 101+i%100)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			biz := []string{"封表", "换表", "校表", "拆表", "换波纹管/其它"}[i%5]
			o, err := pol.CreateOrder(tx, clerk, orders.NewOrder{CustomerID: c.ID, Business: biz, Priority: "尽快安排",
				Requirement: "用户要求上午上门,请提前电话联系"}, store.OriginOffice, march)
			if err != nil {
				return err
			}
			if _, err := pol.Dispatch(tx, clerk, orders.Change{OrderID: o.ID, Version: o.Version, Technician: "T01", Note: "上午"}, march); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	svc := tabsync.New(tabsync.Options{Store: st, Applier: pol, BlobDir: filepath.Join(b.TempDir(), "blobs"), Now: clock.Now})
	srv := New(Options{Store: st, Access: acc, Now: clock.Now, Sync: svc})
	return withBearer(srv.Handler(), secret)
}

// wireBytes is what a response puts on the wire: status line, headers, body.
func wireBytes(rec *httptest.ResponseRecorder) int {
	n := len("HTTP/1.1 200 OK\r\n\r\n") + rec.Body.Len()
	for k, vs := range rec.Header() {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// syncSession pulls from cursor until nothing more, as a tablet does; it
// returns the round trips and the bytes the responses put on the wire.
func syncSession(b *testing.B, h http.Handler, cursor string, limit int) (trips, bytes, raw, orders int, next string) {
	for {
		target := fmt.Sprintf("/api/v1/sync/changes?cursor=%s&limit=%d", cursor, limit)
		req := httptest.NewRequest("GET", target, nil)
		for _, line := range append(tabletHeaders, "Accept-Encoding: zstd, gzip") {
			name, value, _ := strings.Cut(line, ": ")
			req.Header.Set(name, value)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("pull: %d %s", rec.Code, rec.Body)
		}
		trips++
		bytes += wireBytes(rec)
		plain := decompressTB(b, rec)
		raw += len(plain)
		p, err := syncwire.DecodeChangesPage(plain)
		if err != nil {
			b.Fatal(err)
		}
		orders += len(p.Orders)
		cursor = p.Cursor
		if !p.More {
			return trips, bytes, raw, orders, cursor
		}
	}
}

// BenchmarkSyncFirstPull300: a technician's first sync of 300 open orders
// with their households, at the largest page a tablet may ask for.
func BenchmarkSyncFirstPull300(b *testing.B) {
	h := benchTablet(b, 300)
	var trips, bytes, raw int
	for b.Loop() {
		var n int
		trips, bytes, raw, n, _ = syncSession(b, h, "", syncwire.MaxPageLimit)
		if n != 300 {
			b.Fatalf("%d orders, want 300", n)
		}
	}
	b.ReportMetric(float64(trips), "round-trips")
	b.ReportMetric(float64(bytes), "wire-bytes")
	b.ReportMetric(float64(raw), "json-bytes")
}

// BenchmarkSyncPullNothingNew: a sync of a tablet that has everything.
func BenchmarkSyncPullNothingNew(b *testing.B) {
	h := benchTablet(b, 300)
	_, _, _, _, cursor := syncSession(b, h, "", syncwire.MaxPageLimit)
	var trips, bytes int
	for b.Loop() {
		var n int
		trips, bytes, _, n, _ = syncSession(b, h, cursor, syncwire.DefaultLimit)
		if n != 0 {
			b.Fatalf("%d orders, want none", n)
		}
	}
	b.ReportMetric(float64(trips), "round-trips")
	b.ReportMetric(float64(bytes), "wire-bytes")
}
