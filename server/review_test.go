package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// reviewQueue is R1's queue of March 2026 after seedReview:
//
//	3300000001 read, LARGE_VOLUME open (blocking; baseline and months in its evidence)
//	3300000002 read, UNAUTHORIZED_USE open (blocking; confirming makes a 点火 order)
//	3300000003 read, ZERO_STREAK open (info)
//	3300000004 not read: MISSED at the first commit
const (
	hhLarge   = "3300000001"
	hhLit     = "3300000002"
	hhZero    = "3300000003"
	hhUnread  = "3300000004"
	queuePath = "/review/R1/2026-03"
	queueAPI  = "/api/v1/review/R1/2026-03"
)

// seedReview adds to seed's store what an import of R1's March readings
// leaves: history, readings and the anomalies validation found.
func seedReview(t testing.TB, st store.Store) {
	t.Helper()
	m := domainMarch()
	imported := march.Add(-72 * time.Hour)
	err := st.Update(func(tx store.Tx) error {
		for _, id := range []string{hhLarge, hhLit, hhZero, hhUnread} {
			for i, v := range []float64{100, 120, 135, 150, 170} {
				h := domain.HistoryReading{CustomerID: id, Date: time.Date(2025, time.Month(3+2*i), 3, 0, 0, 0, 0, domain.Local), ValueM3: v}
				if _, _, err := tx.PutHistory(h); err != nil {
					return err
				}
			}
		}
		for id, value := range map[string]float64{hhLarge: 400, hhLit: 190, hhZero: 170} {
			_, _, err := tx.AppendReading(domain.ReadingVersion{Reading: domain.Reading{CustomerID: id, Cycle: m, ValueM3: value,
				ReadAt: march.Add(-96 * time.Hour), ReaderID: "R1"}, Source: domain.FromFile, RecordedAt: imported, RecordedBy: "cli", Why: "导入"})
			if err != nil {
				return err
			}
		}
		for _, a := range []store.Anomaly{
			{CustomerID: hhLarge, Code: string(vee.CodeLargeVolume), ConsumptionM3: 230, Suggest: "核对读数,确认大额方数",
				Evidence: []store.Fact{{Name: "上次读数", Value: "170"}, {Name: "本次读数", Value: "400"}, {Name: "用气量", Value: "230"},
					{Name: "间隔月数", Value: "2.1"}, {Name: "基准(月)", Value: "9.5"}}},
			{CustomerID: hhLit, Code: string(vee.CodeUnauthorizedUse), ConsumptionM3: 20, Suggest: "私自点火,补签合同",
				Evidence: []store.Fact{{Name: "表状态", Value: "装表"}, {Name: "用气量", Value: "20"}},
				Order:    &store.OrderSuggestion{Business: "点火", Priority: "加急安排", Requirement: "私自点火,气费已收,请补签供用气合同", Source: "[003:927]"}},
			{CustomerID: hhZero, Code: string(vee.CodeZeroStreak), Suggest: "连续零用量", Evidence: []store.Fact{{Name: "零用量月数", Value: "4"}}},
		} {
			a.Cycle, a.ReaderID, a.Status, a.DetectedAt, a.ReadingVersion = m, "R1", store.AnomalyOpen, imported, 1
			a.Blocking = vee.Code(a.Code).Blocking()
			if _, err := tx.PutAnomaly(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seeding the review: %v", err)
	}
}

// newReviewEnv is newTestEnv with R1's March readings imported.
func newReviewEnv(t *testing.T) *testEnv {
	t.Helper()
	env := newTestEnv(t)
	seedReview(t, env.st)
	return env
}

// queueOf reads R1's queue through the API.
func queueOf(t *testing.T, h http.Handler, query string) queueJSON {
	t.Helper()
	rec := get(t, h, queueAPI+query)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s%s = %d: %s", queueAPI, query, rec.Code, rec.Body)
	}
	var q queueJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &q); err != nil {
		t.Fatal(err)
	}
	return q
}

// versionOf is an anomaly's version as the queue shows it.
func versionOf(t *testing.T, q queueJSON, customer, code string) int {
	t.Helper()
	for _, a := range q.Items {
		if a.CustomerID == customer && a.Code == code {
			return a.Version
		}
	}
	t.Fatalf("%s %s is not in the queue", customer, code)
	return 0
}

func postJSON(t *testing.T, h http.Handler, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodPost, target, strings.NewReader(body), "Content-Type: application/json")
}

func TestReviewPermissions(t *testing.T) {
	env := newReviewEnv(t)
	s := env.srv
	decision := `{"decisions":[{"customer_id":"` + hhLarge + `","code":"LARGE_VOLUME","version":1,"action":"confirm"}]}`
	tests := []struct {
		name, account, method, target, body string
		status                              int
	}{
		{"reader may not see the queue page", "reader", "GET", queuePath, "", 403},
		{"reader may not read the queue", "reader", "GET", queueAPI, "", 403},
		{"technician may not see the queue page", "tech", "GET", queuePath, "", 403},
		{"technician may not decide", "tech", "POST", queueAPI + "/decisions", decision, 403},
		{"reader may not commit", "reader", "POST", queueAPI + "/commit", "", 403},
		{"clerk may not review", "clerk", "GET", queuePath, "", 403},
		{"clerk may not commit", "clerk", "POST", queueAPI + "/commit", "", 403},
		{"clerk may not commit from the page", "clerk", "POST", queuePath + "/commit", "form", 403},
		{"team leader sees the work orders", "leader", "GET", "/orders", "", 200},
		{"clerk without dispatch does not", "clerk", "GET", "/api/v1/orders", "", 403},
		{"clerk with dispatch does", "dispatcher", "GET", "/api/v1/orders", "", 200},
		{"clerk takes committed readings for the CIS", "clerk", "GET", "/api/v1/readings/committed?cycle=2026-03", "", 200},
		{"reviewer reads the queue", "reviewer", "GET", queueAPI, "", 200},
		{"reviewer decides", "reviewer", "POST", queueAPI + "/decisions", decision, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := signedIn(t, s, tc.account)
			var rec *httptest.ResponseRecorder
			switch {
			case tc.body == "form":
				rec = submit(t, h, tc.target, url.Values{})
			case tc.method == "POST":
				rec = postJSON(t, h, tc.target, tc.body)
			default:
				rec = get(t, h, tc.target)
			}
			if rec.Code != tc.status {
				t.Errorf("%s %s as %s = %d, want %d: %.300s", tc.method, tc.target, tc.account, rec.Code, tc.status, rec.Body)
			}
		})
	}
}

// TestReviewDecisionLostRace: two reviewers open the queue; the first
// confirms, which makes the 点火 order; the second, deciding on what they
// saw, is told it was decided already and changes nothing.
func TestReviewDecisionLostRace(t *testing.T) {
	env := newReviewEnv(t)
	first, second := signedIn(t, env.srv, "reviewer"), signedIn(t, env.srv, "admin")
	q := queueOf(t, second, "")
	v := versionOf(t, q, hhLit, "UNAUTHORIZED_USE")
	body := `{"decisions":[{"customer_id":"` + hhLit + `","code":"UNAUTHORIZED_USE","version":` + strconv.Itoa(v) + `,"action":"confirm"}]}`
	rec := postJSON(t, first, queueAPI+"/decisions", body)
	var d decidedJSON
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &d) != nil || len(d.Decided) != 1 {
		t.Fatalf("first decision = %d %s", rec.Code, rec.Body)
	}
	if o := d.Decided[0].Order; o == nil || o.Business != "点火" || o.Priority != "加急安排" || d.Decided[0].Anomaly.Status != "confirmed" {
		t.Errorf("confirming 私自点火 gave %+v", d.Decided[0])
	}
	wantJSONError(t, postJSON(t, second, queueAPI+"/decisions",
		strings.Replace(body, `"confirm"`, `"reread","why":"请重抄"`, 1)), http.StatusConflict, "another reviewer")

	// The page says so in staff's words, and offers to reload.
	form := url.Values{"do": {"reread|" + hhLit + "|UNAUTHORIZED_USE|" + strconv.Itoa(v)}, "why": {"请重抄"}, "q": {"status=pending"}}
	page := submit(t, second, queuePath+"/decisions", form)
	if page.Code != http.StatusConflict || !strings.Contains(page.Body.String(), "已被他人处理") || !strings.Contains(page.Body.String(), `id="reload"`) {
		t.Errorf("the page after a lost race = %d:\n%.2000s", page.Code, page.Body)
	}
	if got := queueOf(t, second, "?code=UNAUTHORIZED_USE").Items[0]; got.Status != "confirmed" || len(got.Decisions) != 1 {
		t.Errorf("after the lost race the anomaly is %s with %d decisions", got.Status, len(got.Decisions))
	}
	orders := get(t, second, "/orders").Body.String()
	if !strings.Contains(orders, "私自点火,气费已收,请补签供用气合同") || !strings.Contains(orders, "UNAUTHORIZED_USE(私自点火)") {
		t.Errorf("the orders page does not show the order:\n%.3000s", orders)
	}
}

func TestReviewBadInput(t *testing.T) {
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	post := func(body string) func() *httptest.ResponseRecorder {
		return func() *httptest.ResponseRecorder { return postJSON(t, h, queueAPI+"/decisions", body) }
	}
	getting := func(target string) func() *httptest.ResponseRecorder {
		return func() *httptest.ResponseRecorder { return get(t, h, target) }
	}
	one := func(field string) string {
		return `{"decisions":[{"customer_id":"` + hhLarge + `","code":"LARGE_VOLUME","version":1,"action":"confirm",` + field + `}]}`
	}
	tests := []struct {
		name    string
		send    func() *httptest.ResponseRecorder
		mention string
	}{
		{"cycle in the path", getting("/api/v1/review/R1/2026-3"), "cycle"},
		{"unknown code", getting(queueAPI + "?code=BIG"), "code"},
		{"unknown status", getting(queueAPI + "?status=done"), "status"},
		{"unknown severity", getting(queueAPI + "?severity=high"), "severity"},
		{"unknown sort", getting(queueAPI + "?sort=name"), "sort"},
		{"limit zero", getting(queueAPI + "?limit=0"), "limit"},
		{"limit too large", getting(queueAPI + "?limit=100000"), "limit"},
		{"cursor not ours", getting(queueAPI + "?cursor=nonsense"), "cursor"},
		{"committed without cycle", getting("/api/v1/readings/committed"), "cycle"},
		{"committed bad cursor", getting("/api/v1/readings/committed?cycle=2026-03&cursor=%25%25"), "cursor"},
		{"no decision", post(`{}`), "decisions"},
		{"version missing", post(`{"decisions":[{"customer_id":"3300000001","code":"LARGE_VOLUME","action":"confirm"}]}`), "decisions[0].version"},
		{"unknown action", post(strings.Replace(one(`"why":""`), `"confirm"`, `"approve"`, 1)), "decisions[0].action"},
		{"unknown decision code", post(strings.Replace(one(`"why":""`), "LARGE_VOLUME", "LARGE", 1)), "decisions[0].code"},
		{"reason too long", post(one(`"why":"` + strings.Repeat("长", 200) + `"`)), "decisions[0].why"},
		{"unknown field", post(one(`"reason":"x"`)), "reason"},
		{"decisions and bulk", post(`{"decisions":[{"customer_id":"1","code":"LARGE_VOLUME","version":1,"action":"confirm"}],"bulk":{"action":"confirm","codes":["MISSED"]}}`), "bulk"},
		{"bulk selects nothing", post(`{"bulk":{"action":"confirm"}}`), "bulk.codes"},
		{"two JSON values", post(`{} {}`), "more than one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantJSONError(t, tc.send(), http.StatusBadRequest, tc.mention) })
	}
	// A refusal by the review's rules is not bad input: 422, in Chinese.
	wantJSONError(t, post(strings.Replace(one(`"why":""`), `"confirm"`, `"reread"`, 1))(),
		http.StatusUnprocessableEntity, "退回重抄须填写原因")
	// The page names the field too.
	page := submit(t, h, queuePath+"/decisions", url.Values{"do": {"confirm"}})
	if page.Code != http.StatusBadRequest || !strings.Contains(page.Body.String(), "请先勾选要处理的异常") {
		t.Errorf("a decision with nothing picked = %d:\n%.1500s", page.Code, page.Body)
	}
}

// TestReviewCommitFlow is the review through the API: commit refused with
// what blocks (and MISSED raised), the rest resolved in bulk, committed,
// exported for the CIS, committed again unchanged.
func TestReviewCommitFlow(t *testing.T) {
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	rec := do(t, h, http.MethodPost, queueAPI+"/commit", nil)
	var blocked blockedJSON
	if rec.Code != http.StatusConflict || json.Unmarshal(rec.Body.Bytes(), &blocked) != nil {
		t.Fatalf("early commit = %d %s", rec.Code, rec.Body)
	}
	var keys []string
	for _, k := range blocked.Blocking {
		keys = append(keys, k.CustomerID+" "+k.Code)
	}
	want := hhLarge + " LARGE_VOLUME|" + hhLit + " UNAUTHORIZED_USE|" + hhUnread + " MISSED"
	if strings.Join(keys, "|") != want || blocked.MissedAdded != 1 || !strings.Contains(blocked.Error, "不能入库") {
		t.Errorf("blocked by %v (missed added %d, %q), want %s", keys, blocked.MissedAdded, blocked.Error, want)
	}
	for _, body := range []string{
		`{"bulk":{"action":"confirm","codes":["LARGE_VOLUME","UNAUTHORIZED_USE"]}}`,
		`{"bulk":{"action":"confirm","codes":["MISSED"],"why":"门闭,多次上门未遇"}}`,
	} {
		if rec := postJSON(t, h, queueAPI+"/decisions", body); rec.Code != http.StatusOK {
			t.Fatalf("%s = %d %s", body, rec.Code, rec.Body)
		}
	}
	rec = do(t, h, http.MethodPost, queueAPI+"/commit", nil)
	var res commitResultJSON
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Already || res.Commit == nil {
		t.Fatalf("commit = %d %s", rec.Code, rec.Body)
	}
	if c := res.Commit.Counts; c.Route != 4 || c.Read != 3 || c.Missed != 1 || res.Commit.By != "reviewer" {
		t.Errorf("committed %+v by %s", c, res.Commit.By)
	}
	var page committedJSON
	rec = get(t, h, "/api/v1/readings/committed?cycle=2026-03&limit=2")
	if json.Unmarshal(rec.Body.Bytes(), &page) != nil || len(page.Readings) != 2 || page.NextCursor == "" {
		t.Fatalf("first page of committed readings: %s", rec.Body)
	}
	rec = get(t, h, "/api/v1/readings/committed?cycle=2026-03&limit=2&cursor="+url.QueryEscape(page.NextCursor))
	var rest committedJSON
	if json.Unmarshal(rec.Body.Bytes(), &rest) != nil || len(rest.Readings) != 1 || rest.NextCursor != "" || rest.Readings[0].CustomerID != hhZero {
		t.Errorf("second page of committed readings: %s", rec.Body)
	}
	rec = do(t, h, http.MethodPost, queueAPI+"/commit", nil)
	if json.Unmarshal(rec.Body.Bytes(), &res) != nil || !res.Already {
		t.Errorf("commit again = %s, want already", rec.Body)
	}
	wantJSONError(t, postJSON(t, h, queueAPI+"/decisions", `{"bulk":{"action":"confirm","codes":["ZERO_STREAK"]}}`),
		http.StatusUnprocessableEntity, "入库")
	csv := get(t, h, "/exports/readings.csv?cycle=2026-03")
	if csv.Code != http.StatusOK || strings.Count(csv.Body.String(), "\n") != 4 || !strings.Contains(csv.Body.String(), hhLarge) {
		t.Errorf("committed readings CSV = %d:\n%s", csv.Code, csv.Body)
	}
}

// TestReviewPages walks the pages as a reviewer: the cycle's readers, the
// queue filtered and paged, the early commit refused with what blocks, a
// household with its chart.
func TestReviewPages(t *testing.T) {
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	index := get(t, h, "/review?cycle=2026-03").Body.String()
	if !strings.Contains(index, `href="/review/R1/2026-03"`) || !strings.Contains(index, `id="dl-reports"`) {
		t.Errorf("the cycle's page:\n%.3000s", index)
	}
	body := get(t, h, queuePath).Body.String()
	for _, want := range []string{`<td class="num">4</td><td class="num">3</td><td class="num">1</td>`, "大额方数", "私自点火",
		"确认后派工:点火(加急安排)", `value="confirm|` + hhLarge + `|LARGE_VOLUME|1"`, `id="commit"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue does not show %q", want)
		}
	}
	filtered := get(t, h, queuePath+"?severity=info").Body.String()
	if !strings.Contains(filtered, hhZero) || strings.Contains(filtered, `data-customer="`+hhLarge+`"`) {
		t.Errorf("filtered by severity info:\n%.3000s", filtered)
	}
	first := get(t, h, queuePath+"?limit=2&sort=consumption&desc=1").Body.String()
	next := between(first, `id="next-page" href="`, `"`)
	if !strings.Contains(first, `data-customer="`+hhLarge+`"`) || next == "" {
		t.Fatalf("first page by use, descending:\n%.3000s", first)
	}
	second := get(t, h, strings.ReplaceAll(next, "&amp;", "&")).Body.String()
	if !strings.Contains(second, `data-customer="`+hhZero+`"`) || strings.Contains(second, `data-customer="`+hhLarge+`"`) {
		t.Errorf("second page:\n%.3000s", second)
	}

	refused := submit(t, h, queuePath+"/commit", url.Values{"q": {"severity=blocking"}})
	if refused.Code != http.StatusConflict || !strings.Contains(refused.Body.String(), "不能入库") ||
		!strings.Contains(refused.Body.String(), `id="blocking"`) || !strings.Contains(refused.Body.String(), "漏抄") {
		t.Errorf("early commit from the page = %d:\n%.3000s", refused.Code, refused.Body)
	}

	hh := get(t, h, queuePath+"/"+hhLarge).Body.String()
	for _, want := range []string{`<svg id="chart"`, `class="current"`, `class="baseline"`, `class="history"`, "基准 9.5 m³/月", `id="versions"`} {
		if !strings.Contains(hh, want) {
			t.Errorf("the household page does not show %q", want)
		}
	}
	if n := strings.Count(hh, `<circle class="point"`); n != 4 {
		t.Errorf("the chart has %d history points, want 4 (five readings)", n)
	}
	done := submit(t, h, queuePath+"/decisions", url.Values{"household": {hhLarge}, "pick": {hhLarge + "|LARGE_VOLUME|1"}, "do": {"reread"}, "why": {"读数偏大,请重抄"}})
	if done.Code != http.StatusSeeOther || !strings.HasPrefix(done.Header().Get("Location"), queuePath+"/"+hhLarge+"?") {
		t.Fatalf("return for re-read from the household page = %d %s", done.Code, done.Header().Get("Location"))
	}
	after := get(t, h, done.Header().Get("Location")).Body.String()
	if !strings.Contains(after, "已退回重抄 1 项异常") || !strings.Contains(after, "读数偏大,请重抄") || !strings.Contains(after, "审核员") {
		t.Errorf("after the return:\n%.3000s", after)
	}
}

// between is the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

// TestReviewResponsesMatchOpenAPI checks the review API's answers against
// the schemas openapi.json gives them.
func TestReviewResponsesMatchOpenAPI(t *testing.T) {
	_, raw := loadOpenAPI(t)
	env := newReviewEnv(t)
	h := signedIn(t, env.srv, "reviewer")
	steps := []struct {
		method, path, target, body string
		status                     int
	}{
		{"get", "/api/v1/review/{reader}/{cycle}", queueAPI + "?limit=2", "", 200},
		{"get", "/api/v1/review/{reader}/{cycle}", queueAPI + "?code=x", "", 400},
		{"get", "/api/v1/review/{reader}/{cycle}", "/api/v1/review/R9/2026-03", "", 404},
		{"post", "/api/v1/review/{reader}/{cycle}/commit", queueAPI + "/commit", "", 409},
		{"post", "/api/v1/review/{reader}/{cycle}/decisions", queueAPI + "/decisions", `{"bulk":{"action":"confirm","codes":["UNAUTHORIZED_USE","LARGE_VOLUME"]}}`, 200},
		{"post", "/api/v1/review/{reader}/{cycle}/decisions", queueAPI + "/decisions", `{"bulk":{"action":"confirm","codes":["LARGE_VOLUME"]}}`, 422},
		{"post", "/api/v1/review/{reader}/{cycle}/decisions", queueAPI + "/decisions", `{"decisions":[{"customer_id":"` + hhLarge + `","code":"LARGE_VOLUME","version":1,"action":"confirm"}]}`, 409},
		{"post", "/api/v1/review/{reader}/{cycle}/decisions", queueAPI + "/decisions", `{"decisions":[{"customer_id":"x","code":"NEGATIVE","version":1,"action":"confirm"}]}`, 404},
		{"post", "/api/v1/review/{reader}/{cycle}/decisions", queueAPI + "/decisions", `{"bulk":{"action":"confirm","codes":["MISSED"],"why":"空置"}}`, 200},
		{"post", "/api/v1/review/{reader}/{cycle}/commit", queueAPI + "/commit", "", 200},
		{"get", "/api/v1/readings/committed", "/api/v1/readings/committed?cycle=2026-03", "", 200},
		{"get", "/api/v1/orders", "/api/v1/orders", "", 200},
	}
	for _, st := range steps {
		var rec *httptest.ResponseRecorder
		if st.method == "post" {
			rec = postJSON(t, h, st.target, st.body)
		} else {
			rec = get(t, h, st.target)
		}
		if rec.Code != st.status {
			t.Fatalf("%s %s = %d, want %d: %s", st.method, st.target, rec.Code, st.status, rec.Body)
		}
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		for _, err := range validate(raw, responseSchema(t, raw, st.path, st.method, st.status), body, "$") {
			t.Errorf("%s %s %d: %v", st.method, st.target, st.status, err)
		}
	}
}
