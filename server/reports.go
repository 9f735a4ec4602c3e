package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// The monthly reports (issue 6, outputs): the readers' 抄表管理报告
// (DOMAIN §5.7 [003:2351]) and the ignition table per estate for the
// 26th-25th window (DOMAIN §5.1 [003:1271-1279]), as pages and as JSON.
// Package review computes both, and their totals; the server renders.

func reportsHref(m domain.Month) string { return "/reports?cycle=" + m.String() }

func ignitionsHref(m domain.Month) string { return "/reports/ignitions?cycle=" + m.String() }

// loadReports is the reports of a cycle, every reader's ("") or one's; an
// unknown reader is a 404.
func (s *Server) loadReports(cycle domain.Month, reader string) ([]review.ReaderReport, error) {
	var reps []review.ReaderReport
	err := s.opt.Store.View(func(rt store.ReadTx) error {
		var err error
		reps, err = review.ReaderReports(rt, cycle, reader)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("reader", "抄表员", reader)
	}
	return reps, err
}

// loadIgnitions is the ignition table of the window closing on cycle's 25th.
func (s *Server) loadIgnitions(cycle domain.Month) (review.IgnitionTable, error) {
	var t review.IgnitionTable
	err := s.opt.Store.View(func(rt store.ReadTx) error {
		var err error
		t, err = review.Ignitions(rt, cycle, s.opt.IgnitionStartDay)
		return err
	})
	return t, err
}

// rateZh writes a reading rate as a percentage, as the XLSX report does.
func rateZh(r float64) string { return fmt.Sprintf("%.2f%%", r*100) }

// dateZh writes a day as staff say it: 2026年3月25日.
func dateZh(t time.Time) string { return t.In(domain.Local).Format("2006年1月2日") }

// reportsData is the page of a cycle's 抄表管理报告.
type reportsData struct {
	layoutData
	Cycle, Month  string
	Prev, Next    string
	Rows          []reportRow
	Total         review.ReportTotals
	TotalRate     string
	AllHref       string // every reader's reports as XLSX
	IgnitionsHref string // "" when the account may not see the ignition table
	ReviewHref    string
}

// reportRow is one reader's report as the page shows it.
type reportRow struct {
	review.ReaderReport
	RateZh      string
	Short       bool // fewer households read than due
	ByCode      []codeCount
	CommittedZh string
	QueueHref   string
	FileHref    string
}

// codeCount is how many anomalies of one code a reader's cycle had.
type codeCount struct {
	Code, Name string
	N          int
}

// byCode lists found in the order of vee.Codes, then any code vee does not
// know by name.
func byCode(found map[string]int) []codeCount {
	var out []codeCount
	for _, c := range vee.Codes() {
		if n := found[string(c)]; n > 0 {
			out = append(out, codeCount{Code: string(c), Name: c.Chinese(), N: n})
		}
	}
	var rest []string
	for c := range found {
		if !slices.ContainsFunc(out, func(cc codeCount) bool { return cc.Code == c }) && found[c] > 0 {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	for _, c := range rest {
		out = append(out, codeCount{Code: c, Name: c, N: found[c]})
	}
	return out
}

func newReportRow(r *review.ReaderReport) reportRow {
	return reportRow{ReaderReport: *r, RateZh: rateZh(r.Rate), Short: r.Actual < r.Due, ByCode: byCode(r.Found),
		CommittedZh: committedZh(r.Committed), QueueHref: queueHref(r.Reader, r.Cycle),
		FileHref: queueHref(r.Reader, r.Cycle) + "/report.xlsx"}
}

func (s *Server) reportsPage(c echo.Context) error {
	m, err := s.cycleParam(c)
	if err != nil {
		return err
	}
	reps, err := s.loadReports(m, "")
	if err != nil {
		return err
	}
	d := reportsData{layoutData: s.layout(c, "抄表管理报告 · "+monthZh(m)+" · 抄表管理"), Cycle: m.String(), Month: monthZh(m),
		Prev: reportsHref(m.Add(-1)), Next: reportsHref(m.Add(1)), Total: review.SumReports(reps),
		AllHref: "/reports/readers.xlsx?cycle=" + m.String(), ReviewHref: reviewHref(m)}
	d.TotalRate = rateZh(d.Total.Rate)
	for i := range reps {
		d.Rows = append(d.Rows, newReportRow(&reps[i]))
	}
	if s.allows(c, "/reports/ignitions") {
		d.IgnitionsHref = ignitionsHref(m)
	}
	return s.render(c, http.StatusOK, "reports", d)
}

// allows reports whether the signed-in account may GET path.
func (s *Server) allows(c echo.Context, path string) bool {
	r, ok := s.byKey[http.MethodGet+" "+path]
	p := principal(c)
	return ok && p != nil && r.Allows(&p.Account)
}

// ignitionsData is the page of the ignition table.
type ignitionsData struct {
	layoutData
	Cycle, Month     string
	Prev, Next       string
	From, To, SendOn string // the window's first and last day, and the day the table goes out
	NextMonth        string // the month whose reading plan the table feeds
	Rows             []review.EstateIgnitions
	Total            review.EstateIgnitions
	Ignited          []ignitionRow
	FileHref         string
}

type ignitionRow struct{ CustomerID, Estate, At string }

func (s *Server) ignitionsPage(c echo.Context) error {
	m, err := s.cycleParam(c)
	if err != nil {
		return err
	}
	t, err := s.loadIgnitions(m)
	if err != nil {
		return err
	}
	d := ignitionsData{layoutData: s.layout(c, "点火户数表 · "+monthZh(m)+" · 抄表管理"), Cycle: m.String(), Month: monthZh(m),
		Prev: ignitionsHref(m.Add(-1)), Next: ignitionsHref(m.Add(1)),
		From: dateZh(t.From), To: dateZh(t.To.AddDate(0, 0, -1)), SendOn: dateZh(t.To), NextMonth: monthZh(m.Add(1)),
		Rows: t.Estates, Total: t.Total(), FileHref: "/reports/ignitions.xlsx?cycle=" + m.String()}
	for _, e := range t.Ignited {
		d.Ignited = append(d.Ignited, ignitionRow{CustomerID: e.CustomerID, Estate: e.Estate, At: timeZh(e.At)})
	}
	return s.render(c, http.StatusOK, "reports_ignitions", d)
}

// reasonJSON is one household and why.
type reasonJSON struct {
	CustomerID string `json:"customer_id"`
	Why        string `json:"why"`
}

func newReasonsJSON(rs []review.Reason) []reasonJSON {
	out := make([]reasonJSON, len(rs))
	for i, r := range rs {
		out[i] = reasonJSON{CustomerID: r.CustomerID, Why: r.Why}
	}
	return out
}

// readerReportJSON is one reader's 抄表管理报告.
type readerReportJSON struct {
	ReaderID         string         `json:"reader_id"`
	Name             string         `json:"name"`
	Due              int            `json:"due"`
	Actual           int            `json:"actual"`
	Estimated        int            `json:"estimated"`
	EstimatedReasons []reasonJSON   `json:"estimated_reasons"`
	Missed           []reasonJSON   `json:"missed"`
	OffRoute         int            `json:"off_route"`
	Rate             float64        `json:"rate"`
	Found            map[string]int `json:"found"`
	FoundTotal       int            `json:"found_total"`
	Resolved         int            `json:"resolved"`
	Committed        *commitJSON    `json:"committed"`
}

// reportTotalsJSON is the readers' reports added up.
type reportTotalsJSON struct {
	Readers   int     `json:"readers"`
	Due       int     `json:"due"`
	Actual    int     `json:"actual"`
	Estimated int     `json:"estimated"`
	Missed    int     `json:"missed"`
	OffRoute  int     `json:"off_route"`
	Rate      float64 `json:"rate"`
	Found     int     `json:"found"`
	Resolved  int     `json:"resolved"`
	Committed int     `json:"committed"`
}

// readerReportsJSON answers GET /api/v1/reports/readers.
type readerReportsJSON struct {
	Cycle   string             `json:"cycle"`
	Readers []readerReportJSON `json:"readers"`
	Totals  reportTotalsJSON   `json:"totals"`
}

func newReaderReportJSON(r *review.ReaderReport) readerReportJSON {
	found := r.Found
	if found == nil {
		found = map[string]int{}
	}
	return readerReportJSON{ReaderID: r.Reader, Name: r.ReaderName, Due: r.Due, Actual: r.Actual, Estimated: r.Estimated,
		EstimatedReasons: newReasonsJSON(r.EstimatedWhy), Missed: newReasonsJSON(r.Missed), OffRoute: r.OffRoute,
		Rate: r.Rate, Found: found, FoundTotal: r.FoundTotal, Resolved: r.Resolved, Committed: newCommitJSON(r.Committed)}
}

// readerQuery reads the optional query parameter reader: "" for every reader.
func readerQuery(c echo.Context) (string, error) {
	v := c.QueryParam("reader")
	if len(v) > maxIDLen {
		return "", badParam("query parameter", "reader", v, fmt.Sprintf("at most %d bytes", maxIDLen),
			fmt.Sprintf("抄表员编号至多%d个字节。", maxIDLen))
	}
	return v, nil
}

func (s *Server) apiReaderReports(c echo.Context) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	reader, err := readerQuery(c)
	if err != nil {
		return err
	}
	reps, err := s.loadReports(cycle, reader)
	if err != nil {
		return err
	}
	t := review.SumReports(reps)
	out := readerReportsJSON{Cycle: cycle.String(), Readers: make([]readerReportJSON, len(reps)),
		Totals: reportTotalsJSON{Readers: t.Readers, Due: t.Due, Actual: t.Actual, Estimated: t.Estimated, Missed: t.Missed,
			OffRoute: t.OffRoute, Rate: t.Rate, Found: t.Found, Resolved: t.Resolved, Committed: t.Committed}}
	for i := range reps {
		out.Readers[i] = newReaderReportJSON(&reps[i])
	}
	return c.JSON(http.StatusOK, out)
}

// estateJSON is one line of the ignition table.
type estateJSON struct {
	Estate  string `json:"estate"`
	Ignited int    `json:"ignited"`
	New     int    `json:"new"`
	Total   int    `json:"total"`
}

// ignitionTotalsJSON is the estates' lines added up.
type ignitionTotalsJSON struct {
	Ignited int `json:"ignited"`
	New     int `json:"new"`
	Total   int `json:"total"`
}

// ignitionJSON is one household counted.
type ignitionJSON struct {
	CustomerID string    `json:"customer_id"`
	Estate     string    `json:"estate"`
	At         time.Time `json:"at"`
}

// ignitionsJSON answers GET /api/v1/reports/ignitions.
type ignitionsJSON struct {
	Cycle     string             `json:"cycle"`
	From      string             `json:"from"` // the window's first day, the 26th before
	To        string             `json:"to"`   // its last day, the 25th
	Estates   []estateJSON       `json:"estates"`
	Totals    ignitionTotalsJSON `json:"totals"`
	Ignitions []ignitionJSON     `json:"ignitions"`
}

func newEstateJSON(e review.EstateIgnitions) estateJSON {
	return estateJSON{Estate: e.Estate, Ignited: e.Ignited, New: e.New, Total: e.Total}
}

func (s *Server) apiIgnitions(c echo.Context) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	t, err := s.loadIgnitions(cycle)
	if err != nil {
		return err
	}
	out := ignitionsJSON{Cycle: cycle.String(), From: t.From.In(domain.Local).Format(time.DateOnly),
		To: t.To.In(domain.Local).AddDate(0, 0, -1).Format(time.DateOnly), Estates: make([]estateJSON, len(t.Estates)),
		Ignitions: make([]ignitionJSON, len(t.Ignited))}
	sum := t.Total()
	out.Totals = ignitionTotalsJSON{Ignited: sum.Ignited, New: sum.New, Total: sum.Total}
	for i, e := range t.Estates {
		out.Estates[i] = newEstateJSON(e)
	}
	for i, e := range t.Ignited {
		out.Ignitions[i] = ignitionJSON{CustomerID: e.CustomerID, Estate: e.Estate, At: e.At}
	}
	return c.JSON(http.StatusOK, out)
}
