package vee_test

import (
	"fmt"
	"testing"

	"meter-sync/fixtures"
	"meter-sync/vee"
	"meter-sync/vee/score"
)

// TestCity validates generated cities, in and out of the heating season,
// and holds Batch and Missed to the labels: every label found, nothing
// flagged that is not labelled, code by code, and no trap flagged as the
// code it resembles.
func TestCity(t *testing.T) {
	for _, opt := range []fixtures.Options{
		{Households: 3000, Seed: 7},                                        // January
		{Households: 3000, Seed: 11, Cycle: fixtures.DefaultCycle.Add(6)},  // July: boilers idle
		{Households: 3000, Seed: 12, Cycle: fixtures.DefaultCycle.Add(-2)}, // November
		{Households: 3000, Seed: 13, Cycle: fixtures.DefaultCycle.Add(1), HistoryMonths: 24},
	} {
		c, err := fixtures.Generate(opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("seed%d-%s", opt.Seed, c.Cycle), func(t *testing.T) {
			p := vee.DefaultParams()
			p.Now = c.Cycle.End().AddDate(0, 0, 7)
			rep := score.Run(c, p)
			for _, k := range rep.Unflagged {
				t.Errorf("labelled, not flagged: %s", k)
			}
			for _, k := range rep.Unlabelled {
				t.Errorf("flagged, not labelled: %s", k)
			}
			for _, tr := range rep.Traps {
				if len(tr.Flagged) > 0 {
					t.Errorf("%d of %d %s traps flagged %s: %v", len(tr.Flagged), tr.Labelled, tr.Name, tr.Resembles, tr.Flagged)
				}
			}
			for _, code := range vee.Codes() {
				if code != vee.CodeInvalid && rep.Tallies[code].Labelled == 0 {
					t.Errorf("no %s label: the comparison proves nothing for it", code)
				}
			}
			if t.Failed() {
				t.Log("\n" + rep.Markdown())
			}
		})
	}
}
