package server

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/domain"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	tabsync "meter-sync/sync"
)

// routeStub is a reader's route of two households that applies every
// reading; the real one is device.Network (tested in package device).
type routeStub struct{ cycle domain.Month }

func (r *routeStub) Route(_ store.ReadTx, reader string, cycle domain.Month, _ time.Time) ([]syncwire.Household, error) {
	r.cycle = cycle
	ic := 400.0
	return []syncwire.Household{
		{ID: "3300000001", SeqNo: "0101011101", Name: "张三", Address: "一号", MeterKind: "抄表", MeterState: "通气", PrevM3: 100, PrevDate: "2026-01-05"},
		{ID: "3300000002", SeqNo: "0101011102", Name: "林二", Address: "二号", MeterKind: "IC卡", MeterState: "通气", PrevM3: 50, ICPurchasedM3: &ic, Reread: true, RereadNote: "读数倒退"},
	}, nil
}

func (r *routeStub) Import(_ store.Tx, b tabsync.ReadingBatch) ([]tabsync.ReadingOutcome, error) {
	out := make([]tabsync.ReadingOutcome, len(b.Rows))
	for i := range out {
		out[i] = tabsync.ReadingOutcome{Version: 1, Anomalies: []syncwire.Anomaly{{Code: "NEGATIVE", Blocking: true, Suggest: "退回重抄"}}}
	}
	return out, nil
}

// TestSyncReaderThroughHTTP: a reader's token pulls the route of a cycle
// and pushes readings through the sync endpoints; the answers match
// openapi.json.
func TestSyncReaderThroughHTTP(t *testing.T) {
	env := newSyncEnv(t)
	stub := &routeStub{}
	clock := &testClock{t: march}
	svc := tabsync.New(tabsync.Options{Store: env.st, Readings: stub, BlobDir: filepath.Join(t.TempDir(), "blobs"), Now: clock.Now})
	acc := fastAccess(env.st, clock.Now)
	env.srv = New(Options{Store: env.st, Access: acc, Now: clock.Now, AdminToken: testToken, Sync: svc, Logger: slog.New(slog.DiscardHandler)})
	secret, _, err := acc.IssueToken(access.Actor{ID: "system"}, "reader", "联网抄表机")
	if err != nil {
		t.Fatal(err)
	}
	reader := withBearer(env.srv.Handler(), secret)

	rec := env.call(t, reader, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cycle=2026-02", nil, 200, tabletHeaders...)
	p, err := syncwire.DecodeChangesPage(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.Cycle != "2026-02" || len(p.Households) != 2 || len(p.Buckets) != syncwire.RouteBuckets || stub.cycle.String() != "2026-02" {
		t.Fatalf("first pull: cycle %s, %d households, %d buckets", p.Cycle, len(p.Households), len(p.Buckets))
	}
	rec = env.call(t, reader, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cycle=2026-02&cursor="+p.Cursor, nil, 200, tabletHeaders...)
	if again, _ := syncwire.DecodeChangesPage(rec.Body.Bytes()); len(again.Households)+len(again.Buckets) != 0 {
		t.Errorf("a pull with nothing new: %+v", again)
	}
	rec = env.call(t, reader, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cycle=2025-01", nil, 400, tabletHeaders...)
	if !strings.Contains(rec.Body.String(), `"path":"cycle"`) {
		t.Errorf("a cycle out of range: %s", rec.Body)
	}

	body := pushBody(map[string]any{"id": "6f0b7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b", "kind": "reading", "made_at": march.Format(time.RFC3339),
		"reading": map[string]any{"cycle": "2026-03", "customer_id": "3300000001", "value": 123.5, "read_at": march.Format(time.RFC3339), "flags": []string{"门闭"}}})
	rec = env.call(t, reader, "POST", "/api/v1/sync/push", "/api/v1/sync/push", body, 200, append(tabletHeaders, "Content-Type: application/json")...)
	resp, err := syncwire.DecodePushResponse(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Results[0]; r.Status != syncwire.StatusApplied || r.ReadingVersion != 1 || len(r.Anomalies) != 1 {
		t.Errorf("a pushed reading: %+v", r)
	}
}
