package server

import (
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
)

func TestConsumptionChart(t *testing.T) {
	day := func(m, d int) time.Time { return time.Date(2025, time.Month(m), d, 0, 0, 0, 0, domain.Local) }
	use := []review.UsePoint{{From: day(1, 3), To: day(3, 3), M3: 20, PerMonth: 10}, {From: day(3, 3), To: day(5, 3), M3: 30, PerMonth: 15}}
	reading := []domain.ReadingVersion{{Version: 1, Reading: domain.Reading{ReadAt: day(7, 2), ValueM3: 200}}}
	large := store.Anomaly{Code: "LARGE_VOLUME", ReadingVersion: 1, ConsumptionM3: 120,
		Evidence: []store.Fact{{Name: "间隔月数", Value: "2"}, {Name: "基准(月)", Value: "12.5"}}}
	missed := store.Anomaly{Code: "MISSED"}
	tests := []struct {
		name                   string
		h                      review.Household
		points                 int
		current, baseline, emp bool
		currentTitle           string
	}{
		{"nothing", review.Household{}, 0, false, false, true, ""},
		{"history only", review.Household{Use: use}, 2, false, false, false, ""},
		{"MISSED has no current point", review.Household{Use: use, Anomalies: []store.Anomaly{missed}}, 2, false, false, false, ""},
		{"current and baseline", review.Household{Use: use, Versions: reading, Anomalies: []store.Anomaly{large}}, 2, true, true, false,
			"本次抄表 2025-07-02:用气 120 m³,月均 60 m³"},
		{"current alone", review.Household{Versions: reading, Anomalies: []store.Anomaly{large}}, 0, true, true, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := consumptionChart(&tc.h)
			if v.Empty != tc.emp || len(v.Points) != tc.points || (v.Current != nil) != tc.current || (v.BaselineY != "") != tc.baseline {
				t.Fatalf("chart = %+v", v)
			}
			if tc.currentTitle != "" && v.Current.Title != tc.currentTitle {
				t.Errorf("current point says %q, want %q", v.Current.Title, tc.currentTitle)
			}
			if !tc.emp && (len(v.XTicks) == 0 || len(v.YTicks) < 2) {
				t.Errorf("axes: %d x ticks, %d y ticks", len(v.XTicks), len(v.YTicks))
			}
		})
	}
}

func TestNiceStep(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 3: 5, 7: 10, 12: 20, 41: 50, 180: 200} {
		if got := niceStep(in); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", in, got, want)
		}
	}
}
