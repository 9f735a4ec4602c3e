package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

func TestReportsPermissions(t *testing.T) {
	env := newReviewEnv(t)
	tests := []struct {
		account, target string
		status          int
	}{
		{"tech", "/reports", 403},
		{"tech", "/reports/ignitions", 403},
		{"tech", "/api/v1/reports/readers?cycle=2026-03", 403},
		{"tech", "/api/v1/reports/ignitions?cycle=2026-03", 403},
		{"reader", "/reports", 403},
		{"reader", "/reports/ignitions", 403},
		{"reader", "/api/v1/reports/readers?cycle=2026-03", 403},
		{"reader", "/api/v1/reports/ignitions?cycle=2026-03", 403},
		{"clerk", "/reports", 403},
		{"clerk", "/reports/ignitions", 200},
		{"leader", "/api/v1/reports/readers?cycle=2026-03", 403},
		{"leader", "/api/v1/reports/ignitions?cycle=2026-03", 200},
		{"reviewer", "/reports", 200},
		{"reviewer", "/reports/ignitions", 200},
		{"reviewer", "/api/v1/reports/readers?cycle=2026-03", 200},
		{"admin", "/api/v1/reports/ignitions?cycle=2026-03", 200},
	}
	for _, tc := range tests {
		t.Run(tc.account+" "+tc.target, func(t *testing.T) {
			if rec := get(t, signedIn(t, env.srv, tc.account), tc.target); rec.Code != tc.status {
				t.Errorf("GET %s as %s = %d, want %d: %.300s", tc.target, tc.account, rec.Code, tc.status, rec.Body)
			}
		})
	}
	if rec := get(t, env.srv.Handler(), "/reports"); rec.Code != http.StatusSeeOther && rec.Code != http.StatusFound {
		t.Errorf("GET /reports signed out = %d, want a redirect to the sign-in", rec.Code)
	}
}

// TestReportsNavigation: the bar offers each report to the roles its route
// lets in, and the review page links to the month's reports.
func TestReportsNavigation(t *testing.T) {
	env := newReviewEnv(t)
	tests := []struct {
		account            string
		reports, ignitions bool
	}{
		{"reviewer", true, true},
		{"admin", true, true},
		{"clerk", false, true},
		{"leader", false, true},
		{"tech", false, false},
		{"reader", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.account, func(t *testing.T) {
			nav := between(get(t, signedIn(t, env.srv, tc.account), "/account").Body.String(), `id="nav">`, "</nav>")
			if got := strings.Contains(nav, `href="/reports"`); got != tc.reports {
				t.Errorf("抄表报告 in the bar: %v, want %v: %s", got, tc.reports, nav)
			}
			if got := strings.Contains(nav, `href="/reports/ignitions"`); got != tc.ignitions {
				t.Errorf("点火户数表 in the bar: %v, want %v: %s", got, tc.ignitions, nav)
			}
		})
	}
	h := signedIn(t, env.srv, "reviewer")
	if !strings.Contains(get(t, h, "/review?cycle=2026-03").Body.String(), `id="to-reports" href="/reports?cycle=2026-03"`) {
		t.Error("the review page does not link to the month's reports")
	}
	if page := get(t, h, "/reports").Body.String(); !strings.Contains(page, `aria-current="page">抄表报告`) {
		t.Error("the reports page is not marked current in the bar")
	}
}

func TestReportsBadInput(t *testing.T) {
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	tests := []struct {
		target  string
		status  int
		mention string
	}{
		{"/api/v1/reports/readers", 400, "cycle"},
		{"/api/v1/reports/readers?cycle=2026-13", 400, "cycle"},
		{"/api/v1/reports/readers?cycle=2026-03&reader=" + strings.Repeat("R", 65), 400, "reader"},
		{"/api/v1/reports/readers?cycle=2026-03&reader=R9", 404, "R9"},
		{"/api/v1/reports/ignitions", 400, "cycle"},
		{"/api/v1/reports/ignitions?cycle=March", 400, "cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) { wantJSONError(t, get(t, h, tc.target), tc.status, tc.mention) })
	}
	for _, target := range []string{"/reports?cycle=2026-3", "/reports/ignitions?cycle=x"} {
		rec := get(t, h, target)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "参数cycle无效") {
			t.Errorf("GET %s = %d, want 400 naming cycle:\n%.1500s", target, rec.Code, rec.Body)
		}
	}
}

// cityReaders are the readers of the generated city whose readings the
// reports test imports.
var cityReaders = []string{"R001", "R002"}

// newCityEnv is a server over a generated city of 600 households whose
// readers R001 and R002 brought the month's readings back, with the test
// reviewer's account, at a clock in the month after.
func newCityEnv(t *testing.T) (*Server, store.Store, domain.Month) {
	t.Helper()
	city, err := fixtures.Generate(fixtures.Options{Households: 600, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := city.Write(dir); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	day := time.Date(2026, 2, 2, 9, 0, 0, 0, domain.Local)
	clock := func() time.Time { return day }
	for _, kind := range masterdata.Kinds() {
		if _, err := masterdata.Import(st, masterdata.Options{Kind: kind, Path: filepath.Join(dir, string(kind)+".csv"), Now: clock}); err != nil {
			t.Fatalf("importing %s: %v", kind, err)
		}
	}
	for _, r := range cityReaders {
		path := filepath.Join(dir, "readings", city.Cycle.String(), r+".csv")
		if _, err := masterdata.Import(st, masterdata.Options{Kind: interchange.Readings, Path: path, Reader: r, Cycle: city.Cycle, Now: clock}); err != nil {
			t.Fatalf("importing %s's readings: %v", r, err)
		}
	}
	acc := fastAccess(st, clock)
	if _, err := acc.AddAccount(access.Actor{ID: "system"}, access.NewAccount{ID: "reviewer", Name: "审核员丁",
		Role: account.RoleReviewer, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	return New(Options{Store: st, Access: acc, Now: clock, Version: "test"}), st, city.Cycle
}

// TestReportsPageMatchesReview: on a generated city, the page shows each
// reader's numbers as review.ReaderReportOf gives them (and as the XLSX
// writes them), and the totals row adds the readers up.
func TestReportsPageMatchesReview(t *testing.T) {
	srv, st, cycle := newCityEnv(t)
	h := signedIn(t, srv, "reviewer")
	// Resolve some: every large volume of R001 confirmed.
	api := "/api/v1/review/R001/" + cycle.String() + "/decisions"
	if rec := postJSON(t, h, api, `{"bulk":{"action":"confirm","codes":["LARGE_VOLUME"]}}`); rec.Code != http.StatusOK {
		t.Fatalf("confirming R001's large volumes = %d %s", rec.Code, rec.Body)
	}
	rec := get(t, h, "/reports?cycle="+cycle.String())
	wantPage(t, http.StatusOK, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	page := rec.Body.String()
	rows := table(t, page, "reports", "tbody")

	var want []review.ReaderReport
	if err := st.View(func(rt store.ReadTx) error {
		rs, err := rt.Readers()
		for _, r := range rs {
			rep, err := review.ReaderReportOf(rt, cycle, r)
			if err != nil {
				return err
			}
			if rep.Due+rep.OffRoute+rep.FoundTotal > 0 {
				want = append(want, rep)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) || len(want) < 2 {
		t.Fatalf("the page has %d readers, review %d:\n%s", len(rows), len(want), joinRows(rows))
	}
	seen := map[string]bool{}
	for i, rep := range want {
		x, got := review.ReportRow(&rep), rows[i]
		for col, w := range map[int]string{0: rep.Reader + " " + rep.ReaderName, 1: x[3], 2: x[4], 3: x[5], 5: x[7], 6: x[9], 7: x[10], 8: x[11], 9: x[13]} {
			if first(got[col]) != first(w) {
				t.Errorf("%s column %d = %q, want %q", rep.Reader, col, got[col], w)
			}
		}
		if rep.Estimated > 0 && (!strings.HasPrefix(got[4], strconv.Itoa(rep.Estimated)+" 户") ||
			!strings.Contains(got[4], rep.EstimatedWhy[0].CustomerID+":"+first(rep.EstimatedWhy[0].Why))) {
			t.Errorf("%s's estimates and reasons: %q, want %d with %v", rep.Reader, got[4], rep.Estimated, rep.EstimatedWhy)
		}
		for code, n := range rep.Found {
			if !strings.Contains(got[8], fmt.Sprintf("%s %d", vee.Code(code).Chinese(), n)) {
				t.Errorf("%s's anomalies %q do not count %s %d", rep.Reader, got[8], code, n)
			}
			seen[code] = true
		}
		if !strings.Contains(page, `href="/review/`+rep.Reader+"/"+cycle.String()+`/report.xlsx"`) {
			t.Errorf("no XLSX of %s's report", rep.Reader)
		}
	}
	if r1 := want[0]; r1.Reader != "R001" || r1.Resolved == 0 || r1.Estimated == 0 || !seen["LARGE_VOLUME"] {
		t.Errorf("the city does not exercise the report: %+v", r1)
	}

	totals := table(t, page, "reports", "tfoot")[0]
	sum := make([]int, 10)
	for _, row := range rows {
		for _, col := range []int{1, 2, 3, 5, 6, 8, 9} {
			sum[col] += atoi(t, first(row[col]))
		}
	}
	for _, col := range []int{1, 2, 3, 5, 6, 8, 9} {
		if got := atoi(t, first(totals[col])); got != sum[col] {
			t.Errorf("totals column %d = %d, the rows add up to %d", col, got, sum[col])
		}
	}
	if rate := fmt.Sprintf("%.2f%%", 100*float64(sum[2])/float64(sum[1])); totals[7] != rate {
		t.Errorf("total rate %q, want %s", totals[7], rate)
	}
	if !strings.HasPrefix(totals[0], fmt.Sprintf("合计(%d人)", len(want))) {
		t.Errorf("totals row header %q", totals[0])
	}
	if !strings.Contains(page, `id="dl-reports" href="/reports/readers.xlsx?cycle=`+cycle.String()+`"`) ||
		!strings.Contains(page, `id="to-ignitions" href="/reports/ignitions?cycle=`+cycle.String()+`"`) {
		t.Error("the page does not offer the all-readers XLSX and the ignition table")
	}

	// The JSON says the same.
	var js readerReportsJSON
	if err := json.Unmarshal(get(t, h, "/api/v1/reports/readers?cycle="+cycle.String()).Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Readers) != len(want) || js.Totals.Due != sum[1] || js.Totals.Actual != sum[2] || js.Totals.Resolved != sum[9] {
		t.Errorf("JSON totals %+v, page sums %v", js.Totals, sum)
	}
	for i, rep := range want {
		r := js.Readers[i]
		if r.ReaderID != rep.Reader || r.Due != rep.Due || r.Actual != rep.Actual || r.Estimated != rep.Estimated ||
			len(r.EstimatedReasons) != len(rep.EstimatedWhy) || r.Rate != rep.Rate || r.FoundTotal != rep.FoundTotal || r.Resolved != rep.Resolved {
			t.Errorf("JSON of %s = %+v, review %+v", rep.Reader, r, rep)
		}
	}
}

// first is the first word of s.
func first(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a count", s)
	}
	return n
}

// TestReportsCommittedCycle: after R1's cycle is committed with a miss
// explained, the report says so, with the reviewer's reason.
func TestReportsCommittedCycle(t *testing.T) {
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	do(t, h, http.MethodPost, queueAPI+"/commit", nil) // refused; raises the MISSED of 3300000004
	for _, body := range []string{
		`{"bulk":{"action":"confirm","codes":["LARGE_VOLUME","UNAUTHORIZED_USE","ZERO_STREAK"]}}`,
		`{"bulk":{"action":"confirm","codes":["MISSED"],"why":"门闭,多次上门未遇"}}`,
	} {
		if rec := postJSON(t, h, queueAPI+"/decisions", body); rec.Code != http.StatusOK {
			t.Fatalf("%s = %d %s", body, rec.Code, rec.Body)
		}
	}
	if rec := do(t, h, http.MethodPost, queueAPI+"/commit", nil); rec.Code != http.StatusOK {
		t.Fatalf("commit = %d %s", rec.Code, rec.Body)
	}
	r1 := table(t, get(t, h, "/reports?cycle=2026-03").Body.String(), "reports", "tbody")[0]
	want := []string{"R1 李四", "4", "3", "0", "", "1 " + hhUnread + ":门闭,多次上门未遇", "0", "75.00%",
		"4 大额方数 1 私自点火 1 连续零用量 1 漏抄 1", "4", "已入库(reviewer,", "XLSX"}
	for i, w := range want {
		if i >= len(r1) || !strings.HasPrefix(r1[i], w) {
			t.Errorf("R1's row %q, want %q", r1, want)
			break
		}
	}
	var js readerReportsJSON
	if err := json.Unmarshal(get(t, h, "/api/v1/reports/readers?cycle=2026-03&reader=R1").Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Readers) != 1 || js.Readers[0].Committed == nil || js.Readers[0].Committed.By != "reviewer" ||
		len(js.Readers[0].Missed) != 1 || js.Readers[0].Missed[0].Why != "门闭,多次上门未遇" || js.Totals.Committed != 1 {
		t.Errorf("R1's report as JSON: %+v", js)
	}
}

// seedIgnitions records in the audit trail, as a customers file from the
// CIS would, meters set to 通气: two in the window of March 2026
// (2026-02-26 to 2026-03-25) in two estates, one the day before it opens
// and one the day after it closes, appended in time order as the trail is.
func seedIgnitions(t *testing.T, st store.Store) {
	t.Helper()
	err := st.Update(func(tx store.Tx) error {
		lit := household("3300000009", "褚九", 1201, 5, 1, 101, domain.OddMonths)
		lit.Estate = "翠微新村"
		for _, ig := range []struct {
			c  domain.Customer
			at time.Time
		}{
			{household("3300000003", "黄三", 1201, 1, 1, 101, domain.OddMonths), time.Date(2026, 2, 25, 23, 0, 0, 0, domain.Local)},
			{lit, time.Date(2026, 2, 26, 0, 0, 0, 0, domain.Local)},
			{household("3300000002", "林二", 1201, 3, 2, 301, domain.OddMonths), march},
			{household("3300000001", "陈一", 1201, 1, 1, 201, domain.OddMonths), time.Date(2026, 3, 26, 0, 0, 0, 0, domain.Local)},
		} {
			before := ig.c
			before.Meter.State = domain.StateInstalled
			if _, _, err := tx.PutCustomer(&ig.c); err != nil {
				return err
			}
			b, _ := json.Marshal(before)
			a, _ := json.Marshal(ig.c)
			if _, err := tx.AppendAudit(store.AuditEntry{At: ig.at, Actor: "cli", Action: "customer.update", Key: ig.c.ID, Before: b, After: a}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIgnitionsPage(t *testing.T) {
	env := newTestEnv(t)
	seedIgnitions(t, env.st)
	h := signedIn(t, env.srv, "clerk")
	rec := get(t, h, "/reports/ignitions?cycle=2026-03")
	wantPage(t, http.StatusOK, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	page := rec.Body.String()
	if w := between(page, `id="window">`, "</p>"); !strings.Contains(w, "2026年2月26日至2026年3月25日") {
		t.Errorf("the window on the page: %q", w)
	}
	if !strings.Contains(page, "2026年3月26日发抄表组,作为2026年4月抄表计划的依据") {
		t.Error("the page does not say when the table goes out and what it feeds")
	}
	var want review.IgnitionTable
	if err := env.st.View(func(rt store.ReadTx) error {
		var err error
		want, err = review.Ignitions(rt, domainMarch(), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rows := table(t, page, "ignitions", "tbody")
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r, " "))
	}
	var exp []string
	for _, e := range want.Estates {
		exp = append(exp, fmt.Sprintf("%s %d %d %d", e.Estate, e.Ignited, e.New, e.Total))
	}
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("the page's table:\n%s\nreview's:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	// 江滨花园: 林二 ignited and read, 7 read in all (6 is removed); 翠微新村: 褚九 alone.
	if w := "江滨花园 1 1 7\n翠微新村 1 1 1"; strings.Join(got, "\n") != w {
		t.Errorf("the table:\n%s\nwant:\n%s", strings.Join(got, "\n"), w)
	}
	if totals := strings.Join(table(t, page, "ignitions", "tfoot")[0], " "); totals != "合计 2 2 8" {
		t.Errorf("totals %q, want 合计 2 2 8", totals)
	}
	if !strings.Contains(page, `id="dl-ignitions" href="/reports/ignitions.xlsx?cycle=2026-03"`) ||
		!strings.Contains(between(page, `id="ignited"`, "</details>"), "3300000009") {
		t.Error("the page lacks its XLSX link or the households counted")
	}

	var js ignitionsJSON
	if err := json.Unmarshal(get(t, h, "/api/v1/reports/ignitions?cycle=2026-03").Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.From != "2026-02-26" || js.To != "2026-03-25" || len(js.Estates) != 2 || js.Totals != (ignitionTotalsJSON{2, 2, 8}) ||
		len(js.Ignitions) != 2 || js.Ignitions[0].CustomerID != "3300000009" {
		t.Errorf("the ignition table as JSON: %+v", js)
	}
}

// TestReportsResponsesMatchOpenAPI checks the reports API's answers against
// the schemas openapi.json gives them.
func TestReportsResponsesMatchOpenAPI(t *testing.T) {
	_, raw := loadOpenAPI(t)
	env := newReviewEnv(t)
	seedIgnitions(t, env.st)
	h := signedIn(t, env.srv, "reviewer")
	steps := []struct {
		path, target string
		status       int
	}{
		{"/api/v1/reports/readers", "/api/v1/reports/readers?cycle=2026-03", 200},
		{"/api/v1/reports/readers", "/api/v1/reports/readers?cycle=2026-03&reader=R3", 200},
		{"/api/v1/reports/readers", "/api/v1/reports/readers?cycle=1999-01", 200},
		{"/api/v1/reports/readers", "/api/v1/reports/readers?cycle=03-2026", 400},
		{"/api/v1/reports/readers", "/api/v1/reports/readers?cycle=2026-03&reader=nobody", 404},
		{"/api/v1/reports/ignitions", "/api/v1/reports/ignitions?cycle=2026-03", 200},
		{"/api/v1/reports/ignitions", "/api/v1/reports/ignitions?cycle=2020-01", 200},
		{"/api/v1/reports/ignitions", "/api/v1/reports/ignitions", 400},
	}
	for _, st := range steps {
		rec := get(t, h, st.target)
		if rec.Code != st.status {
			t.Fatalf("GET %s = %d, want %d: %s", st.target, rec.Code, st.status, rec.Body)
		}
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		for _, err := range validate(raw, responseSchema(t, raw, st.path, "get", st.status), body, "$") {
			t.Errorf("GET %s %d: %v", st.target, st.status, err)
		}
	}
	tech := signedIn(t, env.srv, "tech")
	for _, path := range []string{"/api/v1/reports/readers", "/api/v1/reports/ignitions"} {
		rec := get(t, tech, path+"?cycle=2026-03")
		var body any
		if rec.Code != http.StatusForbidden || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			t.Fatalf("GET %s as a technician = %d %s", path, rec.Code, rec.Body)
		}
		for _, err := range validate(raw, responseSchema(t, raw, path, "get", 403), body, "$") {
			t.Errorf("GET %s 403: %v", path, err)
		}
	}
}
