package review

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/vee"
)

// manyAnomalies makes n anomalies of one reader's cycle over n/2 households,
// with varied codes, statuses and uses.
func manyAnomalies(n int) []store.Anomaly {
	codes := []vee.Code{vee.CodeLargeVolume, vee.CodeICMismatch, vee.CodeZeroStreak, vee.CodeEstimated, vee.CodeNegative}
	statuses := []string{store.AnomalyOpen, store.AnomalyOpen, store.AnomalyConfirmed, store.AnomalyReturned}
	out := make([]store.Anomaly, 0, n)
	for i := range n {
		a := anomaly(fmt.Sprintf("%08d", i/2), codes[(i/2+i%2)%len(codes)], nil)
		a.Status = statuses[i%len(statuses)]
		a.ConsumptionM3 = float64((i * 7919) % 500)
		a.DetectedAt = imported.Add(time.Duration(i%97) * time.Minute)
		a.Evidence = []store.Fact{{Name: "上次读数", Value: "1234"}, {Name: "本次读数", Value: "1300"}, {Name: "用气量", Value: "66"},
			{Name: "基准(月)", Value: "18.5"}, {Name: "表状态", Value: "通气"}}
		a.Suggest = "核对读数;必要时退回抄表员重抄"
		out = append(out, a)
	}
	return out
}

// TestQueuePagesCoverEverything: for every sort and direction, paging by
// the cursor visits each selected anomaly once, in order.
func TestQueuePagesCoverEverything(t *testing.T) {
	as := manyAnomalies(301)
	for _, sort := range []string{"", SortCode, SortStatus, SortConsumption, SortDetected} {
		for _, desc := range []bool{false, true} {
			q := Query{Sort: sort, Desc: desc, Limit: 17, Severity: SeverityBlocking}
			less, _ := comparer(sort, desc)
			seen := map[store.AnomalyKey]bool{}
			var prev *store.Anomaly
			total := -1
			for pages := 0; ; pages++ {
				p, err := Select(as, nil, q)
				if err != nil {
					t.Fatal(err)
				}
				total = p.Total
				for i := range p.Items {
					a := &p.Items[i]
					if seen[a.Key()] || !a.Blocking || (prev != nil && less(prev, a) >= 0) {
						t.Fatalf("sort %q desc %v: %s seen twice, out of order or not blocking", sort, desc, a.Key())
					}
					seen[a.Key()] = true
					prev = a
				}
				if p.Next == "" {
					break
				}
				q.After = p.Next
			}
			if len(seen) != total || total == 0 {
				t.Errorf("sort %q desc %v: visited %d of %d", sort, desc, len(seen), total)
			}
		}
	}
}

func TestQueueFilters(t *testing.T) {
	s := city(t)
	if err := s.Update(func(tx store.Tx) error { _, err := appendReading(tx, "c2", 121, 0, now); return err }); err != nil {
		t.Fatal(err)
	}
	decided(key("c2", vee.CodeUnauthorizedUse), Reread, "核对")(t, s) // returned before the reading above
	decided(key("c1", vee.CodeLargeVolume), Confirm, "")(t, s)
	tests := []struct {
		name string
		q    Query
		want []string
		err  error
	}{
		{"everything", Query{}, []string{"c1", "c2", "c3", "x9"}, nil},
		{"by code", Query{Codes: []string{"ESTIMATED", "UNKNOWN"}}, []string{"c3", "x9"}, nil},
		{"by status", Query{Statuses: []string{store.AnomalyConfirmed}}, []string{"c1"}, nil},
		{"pending", Query{Statuses: []string{StatusPending}}, []string{"c2", "c3", "x9"}, nil},
		{"info", Query{Severity: SeverityInfo}, []string{"c3"}, nil},
		{"one household", Query{Customer: "c2"}, []string{"c2"}, nil},
		{"by code descending", Query{Sort: SortCode, Desc: true}, []string{"x9", "c2", "c1", "c3"}, nil},
		{"unknown sort", Query{Sort: "price"}, nil, ErrBadQuery},
		{"unknown severity", Query{Severity: "high"}, nil, ErrBadQuery},
		{"bad cursor", Query{After: "!!"}, nil, ErrBadQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Cycle, tt.q.Reader = jan, "R1"
			var p Page
			err := s.View(func(rt store.ReadTx) error { var err error; p, err = Queue(rt, tt.q); return err })
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range p.Items {
				got = append(got, a.CustomerID)
			}
			if !equal(got, tt.want) || p.Total != len(tt.want) || p.ByCode["LARGE_VOLUME"] != 1 || p.ByStatus[store.AnomalyOpen] != 2 {
				t.Errorf("got %v (total %d, facets %v %v), want %v", got, p.Total, p.ByCode, p.ByStatus, tt.want)
			}
		})
	}
}

// BenchmarkQueuePage is one page of the review queue for a reader's cycle
// with 10,000 anomalies in a bbolt store: the range scan, decoding, the
// filter, the sort and the page, as the server does per request.
func BenchmarkQueuePage(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "b.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	err = s.Update(func(tx store.Tx) error {
		for _, a := range manyAnomalies(10_000) {
			if _, err := tx.PutAnomaly(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		q    Query
	}{
		{"first page by household", Query{}},
		{"blocking open by use desc", Query{Severity: SeverityBlocking, Statuses: []string{store.AnomalyOpen}, Sort: SortConsumption, Desc: true}},
		{"one code, 100 per page", Query{Codes: []string{"LARGE_VOLUME"}, Limit: 100}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.q.Cycle, bc.q.Reader = jan, "R1"
			for b.Loop() {
				err := s.View(func(rt store.ReadTx) error {
					p, err := Queue(rt, bc.q)
					if err == nil && len(p.Items) == 0 {
						err = errors.New("empty page")
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
