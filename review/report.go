package review

import (
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// ReaderReport is a reader's monthly 抄表管理报告 (DOMAIN §5.7 [003:2351]):
// meters due, actually read, estimated with the reasons, the reading rate,
// and the anomalies found and resolved. 抄表准确度 and attitude are a
// supervisor's judgement and are not computed.
type ReaderReport struct {
	Cycle      domain.Month
	Reader     string
	ReaderName string
	Due        int // 应抄数: households in the route
	Actual     int // 实际数: households of the route read, not estimated
	Estimated  int // 估抄数
	// EstimatedWhy lists each estimate with its reason (the reader's 备注
	// or other flags); Missed each unread household with the reviewer's
	// reason when a MISSED was confirmed as 未抄.
	EstimatedWhy []Reason
	Missed       []Reason
	OffRoute     int     // readings of households not in the route
	Rate         float64 // 抄表率 = Actual / Due (1 for an empty route)
	Found        map[string]int
	FoundTotal   int
	Resolved     int // confirmed, or returned and read again
	Committed    *store.CycleCommit
}

// Reason is one household and why.
type Reason struct {
	CustomerID string
	Why        string
}

// ReaderReports is the report of each reader that has a route, readings
// or anomalies in the cycle ("" reader: every reader), by reader.
func ReaderReports(rt store.ReadTx, cycle domain.Month, reader string) ([]ReaderReport, error) {
	readers, err := rt.Readers()
	if err != nil {
		return nil, err
	}
	if reader != "" {
		r, err := rt.Reader(reader)
		if err != nil {
			return nil, err
		}
		readers = []domain.Reader{r}
	}
	var out []ReaderReport
	for _, r := range readers {
		rep, err := ReaderReportOf(rt, cycle, r)
		if err != nil {
			return nil, err
		}
		if reader != "" || rep.Due+rep.OffRoute+rep.FoundTotal > 0 {
			out = append(out, rep)
		}
	}
	return out, nil
}

// ReaderReportOf is one reader's report.
func ReaderReportOf(rt store.ReadTx, cycle domain.Month, r domain.Reader) (ReaderReport, error) {
	rep := ReaderReport{Cycle: cycle, Reader: r.ID, ReaderName: r.Name, Found: map[string]int{}}
	cs, err := newCycleState(rt, cycle, r.ID)
	if err != nil {
		return rep, err
	}
	rep.Due = len(cs.route)
	onRoute := make(map[string]bool, len(cs.route))
	for i := range cs.route {
		onRoute[cs.route[i].ID] = true
	}
	for i := range cs.latest {
		v := &cs.latest[i]
		switch {
		case !onRoute[v.CustomerID]:
			rep.OffRoute++
		case v.Flags&domain.FlagEstimated != 0:
			rep.Estimated++
			rep.EstimatedWhy = append(rep.EstimatedWhy, Reason{v.CustomerID, estimateWhy(v)})
		default:
			rep.Actual++
		}
	}
	rep.Rate = readingRate(rep.Actual, rep.Due)
	missed := map[string]string{}
	for i := range cs.route {
		if cs.read[cs.route[i].ID].IsZero() {
			missed[cs.route[i].ID] = "未说明"
		}
	}
	for i := range cs.anomalies {
		a := &cs.anomalies[i]
		rep.Found[a.Code]++
		rep.FoundTotal++
		last := cs.read[a.CustomerID]
		if a.Status == store.AnomalyConfirmed || (a.Status == store.AnomalyReturned && rereadSince(a, last)) {
			rep.Resolved++
		}
		if _, ok := missed[a.CustomerID]; ok && a.Code == string(vee.CodeMissed) && len(a.Decisions) > 0 {
			missed[a.CustomerID] = a.Decisions[len(a.Decisions)-1].Why
		}
	}
	for id, why := range missed {
		rep.Missed = append(rep.Missed, Reason{id, why})
	}
	slices.SortFunc(rep.Missed, func(a, b Reason) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	if c, err := rt.CycleCommit(cycle, r.ID); err == nil {
		rep.Committed = &c
	}
	return rep, nil
}

// readingRate is the 抄表率: households actually read over those due, 1
// when nothing was due.
func readingRate(actual, due int) float64 {
	if due == 0 {
		return 1
	}
	return float64(actual) / float64(due)
}

// ReportTotals is the readers' reports added up: the 合计 row.
type ReportTotals struct {
	Readers, Due, Actual, Estimated, Missed, OffRoute, Found, Resolved, Committed int
	// Rate is the 抄表率 of the totals, measured as each reader's is.
	Rate float64
}

// SumReports adds the readers' reports up.
func SumReports(reps []ReaderReport) ReportTotals {
	var t ReportTotals
	for i := range reps {
		r := &reps[i]
		t.Readers++
		t.Due += r.Due
		t.Actual += r.Actual
		t.Estimated += r.Estimated
		t.Missed += len(r.Missed)
		t.OffRoute += r.OffRoute
		t.Found += r.FoundTotal
		t.Resolved += r.Resolved
		if r.Committed != nil {
			t.Committed++
		}
	}
	t.Rate = readingRate(t.Actual, t.Due)
	return t
}

// estimateWhy is the reason of an estimate: the reader's remark, or the
// other flags (无人, 门闭, 表坏), else 未说明.
func estimateWhy(v *domain.ReadingVersion) string {
	var parts []string
	if f := (v.Flags &^ domain.FlagEstimated).String(); f != "" {
		parts = append(parts, f)
	}
	if s := strings.TrimSpace(v.Remark); s != "" {
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "未说明"
	}
	return strings.Join(parts, ";")
}

// IgnitionWindow is the window of a month's ignition count: from startDay
// of the month before to the day before startDay of the month, inclusive;
// the sources count from the 26th to the 25th [003:1273, 1275], and
// [cycle] ignition_window_start_day sets it (0 means the 26th).
func IgnitionWindow(m domain.Month, startDay int) (from, to time.Time) {
	if startDay <= 0 {
		startDay = DefaultIgnitionStartDay
	}
	prev := m.Add(-1).Start()
	this := m.Start()
	return time.Date(prev.Year(), prev.Month(), startDay, 0, 0, 0, 0, domain.Local),
		time.Date(this.Year(), this.Month(), startDay, 0, 0, 0, 0, domain.Local)
}

// DefaultIgnitionStartDay is the day the sources open the ignition count
// on: the 26th [003:1273].
const DefaultIgnitionStartDay = 26
