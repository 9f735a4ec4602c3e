package review

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// TestCommitFlow: refused while anything blocks (MISSED raised and kept),
// committed once resolved, idempotent, exported.
func TestCommitFlow(t *testing.T) {
	s := city(t)
	res, err := Commit(s, reviewer, now, jan, "R1", params())
	var blocked *BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("early commit: %v, want a *BlockedError", err)
	}
	var got []string
	for _, k := range blocked.Blocking {
		got = append(got, k.CustomerID+" "+k.Code)
	}
	if want := []string{"c1 LARGE_VOLUME", "c2 UNAUTHORIZED_USE", "c4 MISSED", "x9 UNKNOWN"}; !equal(got, want) {
		t.Errorf("blocking %v, want %v", got, want)
	}
	if res.MissedAdded != 1 || get(t, s, key("c4", vee.CodeMissed)).Status != store.AnomalyOpen {
		t.Errorf("the refused commit did not keep c4's MISSED (added %d)", res.MissedAdded)
	}
	// A second try raises no second MISSED.
	if res, _ := Commit(s, reviewer, now, jan, "R1", params()); res.MissedAdded != 0 {
		t.Errorf("second try added %d MISSED", res.MissedAdded)
	}
	if _, err := Decide(s, reviewer, now, Request{Key: key("c1", vee.CodeLargeVolume), Action: Reread, Why: "核对"}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecideBulk(s, reviewer, now, Selection{Cycle: jan, Reader: "R1", Codes: []string{"UNAUTHORIZED_USE", "UNKNOWN"}}, Confirm, "核实"); err != nil {
		t.Fatal(err)
	}
	if _, err := DecideBulk(s, reviewer, now, Selection{Cycle: jan, Reader: "R1", Codes: []string{"MISSED"}}, Confirm, "门闭三次"); err != nil {
		t.Fatal(err)
	}
	// c1 returned and not read again still blocks.
	if _, err := Commit(s, reviewer, now, jan, "R1", params()); !errors.As(err, &blocked) || len(blocked.Blocking) != 1 {
		t.Fatalf("commit with c1 out for a re-read: %v, want blocked by c1 alone", err)
	}
	later := now.Add(time.Hour)
	if err := s.Update(func(tx store.Tx) error { _, err := appendReading(tx, "c1", 150, 0, later); return err }); err != nil {
		t.Fatal(err)
	}
	res, err = Commit(s, reviewer, later, jan, "R1", params())
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	c := res.Commit
	wantCounts := store.CommitCounts{Route: 4, Read: 3, Estimated: 1, Missed: 1, OffRoute: 1, Anomalies: 5, Confirmed: 3, Returned: 1}
	if res.Already || c.By != reviewer.ID || !c.At.Equal(later) || c.Counts != wantCounts || !equal(c.Missed, []string{"c4"}) {
		t.Errorf("commit %+v, want counts %+v", c, wantCounts)
	}
	var ids []string
	for _, r := range c.Readings {
		ids = append(ids, r.CustomerID)
		if r.CustomerID == "c1" && (r.ValueM3 != 150 || r.Version != 2 || r.ConsumptionM3 != 50) {
			t.Errorf("c1 committed as %+v, want the re-read 150 (version 2, 50 m³)", r)
		}
	}
	if !equal(ids, []string{"c1", "c2", "c3", "x9"}) {
		t.Errorf("committed %v", ids)
	}
	again, err := Commit(s, reviewer2, later.Add(time.Hour), jan, "R1", params())
	if err != nil || !again.Already || again.Commit.By != reviewer.ID {
		t.Errorf("second commit: %+v %v, want the first, unchanged", again, err)
	}
	n, err := countsOf(s)
	if err != nil || n.Committed == nil || n.Blocking != 0 || n.Route != 4 || n.Read != 3 || n.Unread != 1 {
		t.Errorf("counts after commit: %+v %v", n, err)
	}
}

func countsOf(s store.Store) (Counts, error) {
	var n Counts
	err := s.View(func(rt store.ReadTx) error {
		var err error
		n, err = CountsOf(rt, jan, "R1")
		return err
	})
	return n, err
}

func TestCommitRefusals(t *testing.T) {
	tests := []struct {
		name string
		by   access.Actor
		rd   string
		want error
	}{
		{"a reviewer without the commit permission", access.Actor{ID: "leader", Role: account.RoleTeamLeader}, "R1", ErrRefused},
		{"an unknown reader", reviewer, "R404", store.ErrNotFound},
		{"blocking anomalies", reviewer, "R1", ErrRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := city(t)
			if _, err := Commit(s, tt.by, now, jan, tt.rd, params()); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			var cs []store.CycleCommit
			s.View(func(rt store.ReadTx) error { cs, _ = rt.CommitsOf(jan); return nil })
			if len(cs) != 0 {
				t.Errorf("a refused commit stored %+v", cs)
			}
		})
	}
}

// TestTwoReviewersCommit: both commit at once; one record, by one of them.
func TestTwoReviewersCommit(t *testing.T) {
	s := city(t)
	committedPrep(t, s)
	var wg sync.WaitGroup
	res := make([]CommitResult, 2)
	errs := make([]error, 2)
	for i, by := range []access.Actor{reviewer, reviewer2} {
		wg.Add(1)
		go func() { defer wg.Done(); res[i], errs[i] = Commit(s, by, now, jan, "R1", params()) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || res[0].Already == res[1].Already || res[0].Commit.By != res[1].Commit.By {
		t.Errorf("two commits: %+v %v / %+v %v; want one commit and one that found it", res[0].Already, errs[0], res[1].Already, errs[1])
	}
	var audits int
	s.View(func(rt store.ReadTx) error {
		es, _ := rt.SearchAudit(store.AuditQuery{Action: "cycle.commit"})
		audits = len(es)
		return nil
	})
	if audits != 1 {
		t.Errorf("%d commit audit entries, want 1", audits)
	}
}

// committedPrep resolves every anomaly so that a commit goes through.
func committedPrep(t *testing.T, s store.Store) {
	t.Helper()
	tryCommit(t, s)
	if _, err := DecideBulk(s, reviewer2, now.Add(-time.Hour), Selection{Cycle: jan, Reader: "R1"}, Confirm, "核实无误"); err != nil {
		t.Fatal(err)
	}
}

func TestExportReadingsPages(t *testing.T) {
	s := city(t)
	committed(t, s)
	var all []string
	s.View(func(rt store.ReadTx) error {
		for _, limit := range []int{0, 1, 3} {
			var got []string
			after := ""
			for range 10 {
				rows, next, err := ExportReadings(rt, jan, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got = append(got, r.CustomerID)
				}
				if after = next; next == "" {
					break
				}
			}
			if all == nil {
				all = got
			}
			if !equal(got, []string{"c1", "c2", "c3", "x9"}) {
				t.Errorf("limit %d: exported %v", limit, got)
			}
		}
		if _, _, err := ExportReadings(rt, jan, "%%%", 2); !errors.Is(err, ErrBadQuery) {
			t.Errorf("bad cursor: %v", err)
		}
		rows, _, _ := ExportReadings(rt, jan.Add(1), "", 0)
		if len(rows) != 0 {
			t.Errorf("an uncommitted month exported %d rows", len(rows))
		}
		return nil
	})
}

func TestReaderReport(t *testing.T) {
	s := city(t)
	committed(t, s)
	s.View(func(rt store.ReadTx) error {
		reps, err := ReaderReports(rt, jan, "")
		if err != nil || len(reps) != 1 {
			t.Fatalf("reports %+v %v", reps, err)
		}
		r := reps[0]
		if r.Due != 4 || r.Actual != 2 || r.Estimated != 1 || r.EstimatedWhy[0] != (Reason{"c3", "门闭"}) ||
			len(r.Missed) != 1 || r.Missed[0] != (Reason{"c4", "核实无误"}) || r.Rate != 0.5 || r.FoundTotal != 5 ||
			r.Resolved != 5 || r.Committed == nil || r.OffRoute != 1 {
			t.Errorf("report %+v", r)
		}
		if row := ReportRow(&r); len(row) != len(ReportHeaders) || row[10] != "50.00%" {
			t.Errorf("row %v", row)
		}
		return nil
	})
}

func TestTallyIgnitions(t *testing.T) {
	feb := jan.Add(1)
	from, to := IgnitionWindow(feb, 0)
	if !from.Equal(time.Date(2026, 1, 26, 0, 0, 0, 0, domain.Local)) || !to.Equal(time.Date(2026, 2, 26, 0, 0, 0, 0, domain.Local)) {
		t.Fatalf("window %s - %s", from, to)
	}
	hh := func(id, estate string, st domain.MeterState) domain.Customer {
		return domain.Customer{ID: id, Estate: estate, Meter: domain.Meter{State: st}}
	}
	evs := []Ignition{
		{"a1", "江滨花园", from},                   // first instant: in
		{"a2", "江滨花园", to.Add(-time.Second)},   // 25th, last second: in
		{"a3", "江滨花园", to},                     // the 26th: next month's
		{"a4", "江滨花园", from.Add(-time.Second)}, // the 25th before: last month's
		{"b1", "锦绣家园", from.AddDate(0, 0, 3)},
		{"b1", "锦绣家园", from.AddDate(0, 0, 5)}, // twice: once
		{"b2", "锦绣家园", from.AddDate(0, 0, 5)}, // sealed since
	}
	read := []domain.Customer{hh("a1", "江滨花园", domain.StateGasOn), hh("a2", "江滨花园", domain.StateGasOn),
		hh("a9", "江滨花园", domain.StateInstalled), hh("b1", "锦绣家园", domain.StateGasOn), hh("b2", "锦绣家园", domain.StateSealed)}
	tab := TallyIgnitions(feb, 0, evs, read)
	want := []EstateIgnitions{{"江滨花园", 2, 2, 3}, {"锦绣家园", 2, 1, 2}}
	if !slices.Equal(tab.Estates, want) || len(tab.Ignited) != 4 {
		t.Errorf("table %+v, want %+v", tab.Estates, want)
	}
}

// TestIgnitionWindowFollowsTheConfiguration: the count opens on the day
// configured, the sources' 26th by default.
func TestIgnitionWindowFollowsTheConfiguration(t *testing.T) {
	m, _ := domain.ParseMonth("2026-03")
	for _, tt := range []struct {
		start          int
		fromDay, toDay string
	}{{0, "2026-02-26", "2026-03-26"}, {26, "2026-02-26", "2026-03-26"}, {21, "2026-02-21", "2026-03-21"}} {
		from, to := IgnitionWindow(m, tt.start)
		if from.Format(time.DateOnly) != tt.fromDay || to.Format(time.DateOnly) != tt.toDay {
			t.Errorf("start day %d: [%v, %v), want [%s, %s)", tt.start, from, to, tt.fromDay, tt.toDay)
		}
	}
}
