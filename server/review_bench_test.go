package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/storetest"
	"meter-sync/vee"
)

// benchHouseholds and benchAnomalies size the queue of the review
// benchmark: one reader's cycle with a full route, every household read,
// and 10,000 anomalies (five per household, of every status).
const (
	benchHouseholds = 2000
	benchAnomalies  = 10_000
)

// seedBigQueue gives reader R1 a March route of benchHouseholds households,
// a reading of each and benchAnomalies anomalies.
func seedBigQueue(b *testing.B, st store.Store) {
	b.Helper()
	m := domainMarch()
	codes := []vee.Code{vee.CodeLargeVolume, vee.CodeICMismatch, vee.CodeZeroStreak, vee.CodeEstimated, vee.CodeNegative}
	statuses := []string{store.AnomalyOpen, store.AnomalyOpen, store.AnomalyConfirmed, store.AnomalyReturned}
	err := st.Update(func(tx store.Tx) error {
		for i := range benchHouseholds {
			id := fmt.Sprintf("34%08d", i)
			c := storetest.Household(id, 1201, 10+i/50, 1, 101+i%50, domain.OddMonths)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			if _, _, err := tx.AppendReading(domain.ReadingVersion{Reading: domain.Reading{CustomerID: id, Cycle: m, ValueM3: float64(1000 + i),
				ReadAt: march.Add(-96 * time.Hour), ReaderID: "R1"}, Source: domain.FromFile, RecordedAt: march.Add(-72 * time.Hour), Why: "导入"}); err != nil {
				return err
			}
		}
		for i := range benchAnomalies {
			h := i % benchHouseholds
			code := codes[(i/benchHouseholds)%len(codes)]
			a := store.Anomaly{Cycle: m, ReaderID: "R1", CustomerID: fmt.Sprintf("34%08d", h), Code: string(code), Blocking: code.Blocking(),
				Status: statuses[i%len(statuses)], ConsumptionM3: float64((i * 7919) % 500), ReadingVersion: 1,
				DetectedAt: march.Add(time.Duration(i%97) * time.Minute), Suggest: "核对读数;必要时退回抄表员重抄",
				Evidence: []store.Fact{{Name: "上次读数", Value: "1234"}, {Name: "本次读数", Value: "1300"}, {Name: "用气量", Value: "66"},
					{Name: "基准(月)", Value: "18.5"}, {Name: "表状态", Value: "通气"}}}
			if _, err := tx.PutAnomaly(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReviewQueuePage is the server time of one page of the review
// queue (DOMAIN §2.3) for a reader's cycle with 10,000 anomalies over a
// 2,000-household route, asked for by a signed-in reviewer: authentication,
// the counts reconciled, the range scan, filter, sort and page, and the
// rendered HTML or JSON (goal: well under 200 ms per page).
//
//	go test ./server -run '^$' -bench ReviewQueuePage -benchtime 200x
func BenchmarkReviewQueuePage(b *testing.B) {
	st := openStore(b)
	seed(b, st)
	seedBigQueue(b, st)
	acc := fastAccess(st, func() time.Time { return march })
	if _, err := acc.AddAccount(access.Actor{ID: "bench"}, access.NewAccount{ID: "reviewer", Name: "审核员",
		Role: account.RoleReviewer, Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	cookie, _, err := acc.SignIn("reviewer", testPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	h := New(Options{Store: st, Access: acc, Now: func() time.Time { return march }}).Handler()
	var deep string // the cursor of a page half-way down
	{
		r := httptest.NewRequest(http.MethodGet, "/api/v1/review/R1/2026-03?limit=1000&sort=consumption", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		deep = between(rec.Body.String(), `"next_cursor":"`, `"`)
		if deep == "" {
			b.Fatalf("no cursor: %.300s", rec.Body)
		}
	}
	for _, bc := range []struct{ name, target string }{
		{"page first 50", "/review/R1/2026-03"},
		{"page blocking open by use desc", "/review/R1/2026-03?severity=blocking&status=open&sort=consumption&desc=1"},
		{"page after a cursor", "/review/R1/2026-03?sort=consumption&after=" + deep},
		{"page one code 200", "/review/R1/2026-03?code=LARGE_VOLUME&limit=200"},
		{"api 100 pending", "/api/v1/review/R1/2026-03?status=pending&limit=100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, bc.target, nil)
				r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
				ds = append(ds, serveTimed(b, h, r))
			}
			reportPercentiles(b, ds)
		})
	}
}
