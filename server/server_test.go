package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
)

// march is the test clock: 2026-03 reads the odd group (单月).
var march = time.Date(2026, 3, 15, 10, 0, 0, 0, domain.Local)

const testToken = "s3cret-admin-token"

func domainMarch() domain.Month { return domain.MonthOf(march) }

// openStore opens a bbolt store in a temporary directory and checks its
// consistency when the test ends.
func openStore(t *testing.T) *bolt.DB {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		s.Close()
	})
	return s
}

func household(id, name string, book, block, unit, room int, g domain.MonthGroup) domain.Customer {
	c := storetest.Household(id, book, block, unit, room, g)
	c.Name = name
	return c
}

// seed fills s with three readers and eight households:
//
//	R1 李四 books 1201, 1202 (1202 passes to R2 from 2026-05)
//	R2 王五 book 1300
//	R3 赵六 no book
//
// In 2026-03 R1 walks 3, 1, 2 (book 1201) then 4 (book 1202); 5 is even
// (双月) and 6 has its meter removed. R2 walks 7 and 8 (sealed).
func seed(t *testing.T, s store.Store) {
	t.Helper()
	withBank := household("3300000001", "陈一", 1201, 1, 1, 201, domain.OddMonths)
	withBank.Pay, withBank.BankCard, withBank.BankName, withBank.CardHolder = domain.PayBankDebit, "6222020000001234", "工商银行", "陈一"
	ic := household("3300000004", "周四", 1202, 1, 1, 101, domain.OddMonths)
	ic.Meter.Kind, ic.Pay = domain.KindIC, domain.PayTopUp
	removed := household("3300000006", "郑六", 1201, 1, 1, 102, domain.OddMonths)
	removed.Meter.State = domain.StateRemoved
	sealed := household("3300000008", "冯八", 1300, 1, 1, 102, domain.OddMonths)
	sealed.Meter.State = domain.StateSealed
	customers := []domain.Customer{
		withBank,
		household("3300000002", "林二", 1201, 3, 2, 301, domain.OddMonths),
		household("3300000003", "黄三", 1201, 1, 1, 101, domain.OddMonths),
		ic,
		household("3300000005", "吴五", 1201, 2, 1, 101, domain.EvenMonths),
		removed,
		household("3300000007", "王七", 1300, 1, 1, 101, domain.OddMonths),
		sealed,
	}
	may := domain.MonthOf(march).Add(2)
	err := s.Update(func(tx store.Tx) error {
		for _, r := range []domain.Reader{{ID: "R1", Name: "李四"}, {ID: "R2", Name: "王五"}, {ID: "R3", Name: "赵六"}} {
			if _, _, err := tx.PutReader(r); err != nil {
				return err
			}
		}
		for i := range customers {
			if _, _, err := tx.PutCustomer(&customers[i]); err != nil {
				return err
			}
		}
		for _, a := range []domain.Assignment{{Book: "1201", Reader: "R1"}, {Book: "1202", Reader: "R1"},
			{Book: "1300", Reader: "R2"}, {Book: "1202", Reader: "R2", From: may}} {
			if _, err := tx.Assign(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
}

// newTestServer serves a seeded store at the test clock.
func newTestServer(t *testing.T) (*Server, *bolt.DB) {
	t.Helper()
	st := openStore(t)
	seed(t, st)
	return New(Options{Store: st, Now: func() time.Time { return march }, AdminToken: testToken, Version: "test"}), st
}

// do serves one request; header lines are "Name: value".
func do(t *testing.T, h http.Handler, method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for _, line := range header {
		name, value, _ := strings.Cut(line, ": ")
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, target, nil)
}

// compactJSON normalises a JSON text for comparison.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return buf.String()
}

func wantJSONError(t *testing.T, rec *httptest.ResponseRecorder, status int, mention string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, rec.Body)
	}
	msg, ok := body["error"].(string)
	if !ok || len(body) != 1 {
		t.Errorf(`error body = %s, want exactly {"error": "..."}`, rec.Body)
	}
	if !strings.Contains(msg, mention) {
		t.Errorf("error %q does not mention %q", msg, mention)
	}
}

func TestHealthz(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, s.Handler(), "/healthz")
	if rec.Code != http.StatusOK || compactJSON(t, rec.Body.String()) != `{"status":"ok","customers":8}` {
		t.Errorf("GET /healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestHealthzStoreUnreadable(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "closed.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var logs bytes.Buffer
	s := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rec := get(t, s.Handler(), "/healthz")
	want := `{"status":"unavailable","customers":0,"error":"store not readable"}`
	if rec.Code != http.StatusServiceUnavailable || compactJSON(t, rec.Body.String()) != want {
		t.Errorf("GET /healthz over a closed store = %d %s, want 503 %s", rec.Code, rec.Body, want)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an unreadable store is not logged at ERROR:\n%s", logs.String())
	}
}

func TestAPIReaders(t *testing.T) {
	s, st := newTestServer(t)
	rec := get(t, s.Handler(), "/api/v1/readers")
	want := `[{"id":"R1","name":"李四","books":["1201","1202"]},{"id":"R2","name":"王五","books":["1300"]},{"id":"R3","name":"赵六","books":[]}]`
	if rec.Code != http.StatusOK || compactJSON(t, rec.Body.String()) != want {
		t.Errorf("GET /api/v1/readers = %d\n got %s\nwant %s", rec.Code, rec.Body, want)
	}

	// "This month" is the clock's: in May book 1202 has passed to R2.
	may := New(Options{Store: st, Now: func() time.Time { return march.AddDate(0, 2, 0) }})
	rec = get(t, may.Handler(), "/api/v1/readers")
	want = `[{"id":"R1","name":"李四","books":["1201"]},{"id":"R2","name":"王五","books":["1202","1300"]},{"id":"R3","name":"赵六","books":[]}]`
	if got := compactJSON(t, rec.Body.String()); got != want {
		t.Errorf("GET /api/v1/readers in May\n got %s\nwant %s", got, want)
	}
}

func TestAPIRoute(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		name, target  string
		reader, books string
		cycle, group  string
		households    []string
	}{
		{"this month by default", "/api/v1/readers/R1/route", "R1", "1201 1202", "2026-03", "单月",
			[]string{"3300000003", "3300000001", "3300000002", "3300000004"}},
		{"even month", "/api/v1/readers/R1/route?cycle=2026-04", "R1", "1201 1202", "2026-04", "双月",
			[]string{"3300000005"}},
		{"after a rotation", "/api/v1/readers/R2/route?cycle=2026-05", "R2", "1202 1300", "2026-05", "单月",
			[]string{"3300000004", "3300000007", "3300000008"}},
		{"no books", "/api/v1/readers/R3/route?cycle=2026-03", "R3", "", "2026-03", "单月", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, s.Handler(), tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got routeJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range got.Households {
				ids = append(ids, h.CustomerID)
			}
			if got.Reader.ID != tc.reader || strings.Join(got.Reader.Books, " ") != tc.books ||
				got.Cycle != tc.cycle || got.Group != tc.group || got.Count != len(tc.households) ||
				strings.Join(ids, " ") != strings.Join(tc.households, " ") {
				t.Errorf("route = %+v\nwant reader %s books [%s] cycle %s group %s households %v",
					got, tc.reader, tc.books, tc.cycle, tc.group, tc.households)
			}
		})
	}
}

func TestAPIRouteHouseholdFields(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, s.Handler(), "/api/v1/readers/R2/route?cycle=2026-03")
	want := `{"reader":{"id":"R2","name":"王五","books":["1300"]},"cycle":"2026-03","group":"单月","count":2,"households":[` +
		`{"seq_no":"13000101101","customer_id":"3300000007","name":"王七","address":"江滨花园1幢1单元101室","meter_kind":"抄表","meter_state":"通气"},` +
		`{"seq_no":"13000101102","customer_id":"3300000008","name":"冯八","address":"江滨花园1幢1单元102室","meter_kind":"抄表","meter_state":"封表"}]}`
	if got := compactJSON(t, rec.Body.String()); got != want {
		t.Errorf("route\n got %s\nwant %s", got, want)
	}
}

func TestAPICustomer(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, s.Handler(), "/api/v1/customers/3300000004")
	want := `{"customer_id":"3300000004","name":"周四","address":"江滨花园1幢1单元101室","estate":"江滨花园","area":"鹿城区",` +
		`"hall":"车站营业厅","meter_kind":"IC卡","pay_method":"充值","seq_no":"12020101101","area_type":"新区域",` +
		`"building_type":"多层","meter_state":"通气","meter_model":"G2.5","base_reading":12,"dial_digits":5,` +
		`"month_group":"单月","contract":true,"fee_paid":true}`
	if rec.Code != http.StatusOK || compactJSON(t, rec.Body.String()) != want {
		t.Errorf("GET customer = %d\n got %s\nwant %s", rec.Code, rec.Body, want)
	}
}

func TestAPICustomerLeavesOutPersonalData(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, s.Handler(), "/api/v1/customers/3300000001")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	for _, personal := range []string{"phone", "13800000000", "bank", "6222020000001234", "工商银行", "card", "sms"} {
		if strings.Contains(rec.Body.String(), personal) {
			t.Errorf("customer JSON holds personal data %q: %s", personal, rec.Body)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	s, _ := newTestServer(t)
	long := strings.Repeat("9", maxIDLen+1)
	tests := []struct {
		name, method, target string
		status               int
		mention              string
	}{
		{"cycle not a month", "GET", "/api/v1/readers/R1/route?cycle=march", 400, "cycle"},
		{"cycle month 13", "GET", "/api/v1/readers/R1/route?cycle=2026-13", 400, "cycle"},
		{"cycle one-digit month", "GET", "/api/v1/readers/R1/route?cycle=2026-3", 400, "cycle"},
		{"reader id with a space", "GET", "/api/v1/readers/R%201/route", 400, "id"},
		{"reader id too long", "GET", "/api/v1/readers/" + long + "/route", 400, "path parameter id"},
		{"reader id with a NUL", "GET", "/api/v1/readers/R%001/route", 400, "path parameter id"},
		{"unknown reader", "GET", "/api/v1/readers/R9/route", 404, `"R9"`},
		{"customer id too long", "GET", "/api/v1/customers/" + long, 400, "path parameter id"},
		{"unknown customer", "GET", "/api/v1/customers/3399999999", 404, "3399999999"},
		{"customer id unescaped once", "GET", "/api/v1/customers/330000000%2531", 404, "330000000%31"},
		{"customer id with an escaped slash", "GET", "/api/v1/customers/3300000001%2F", 404, "3300000001/"},
		{"unknown API path", "GET", "/api/v1/nothing", 404, "Not Found"},
		{"wrong method", "DELETE", "/api/v1/readers", 405, "Method Not Allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantJSONError(t, do(t, s.Handler(), tc.method, tc.target, nil), tc.status, tc.mention)
		})
	}
}

func TestStoreFailureIsA500WithoutDetails(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "closed.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var logs bytes.Buffer
	s := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rec := get(t, s.Handler(), "/api/v1/readers")
	wantJSONError(t, rec, http.StatusInternalServerError, "Internal Server Error")
	if strings.Contains(rec.Body.String(), "database") {
		t.Errorf("500 leaks the cause: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "database not open") {
		t.Errorf("the cause is not logged at ERROR:\n%s", logs.String())
	}
	page := get(t, s.Handler(), "/")
	if page.Code != http.StatusInternalServerError || !strings.Contains(page.Body.String(), "服务器内部错误") {
		t.Errorf("home page over a broken store = %d\n%s", page.Code, page.Body)
	}
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRequestLogLeavesOutQuery(t *testing.T) {
	_, st := newTestServer(t)
	var logs bytes.Buffer
	s := New(Options{Store: st, Now: func() time.Time { return march },
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	get(t, s.Handler(), "/api/v1/readers/R1/route?cycle=2026-04")
	get(t, s.Handler(), "/api/v1/customers/nobody?name=%E9%99%88%E4%B8%80")
	lines := logLines(t, &logs)
	if len(lines) != 2 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), logs.String())
	}
	want := []struct {
		path   string
		status float64
	}{{"/api/v1/readers/R1/route", 200}, {"/api/v1/customers/nobody", 404}}
	for i, l := range lines {
		if l["level"] != "INFO" || l["method"] != "GET" || l["path"] != want[i].path || l["status"] != want[i].status {
			t.Errorf("log line %d = %v, want INFO GET %s %v", i, l, want[i].path, want[i].status)
		}
		if _, ok := l["duration"]; !ok {
			t.Errorf("log line %d has no duration: %v", i, l)
		}
	}
	for _, secret := range []string{"cycle", "2026-04", "name=", "陈一", "%E9"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("request log holds the query (%q):\n%s", secret, logs.String())
		}
	}
}

func TestRecoverTurnsPanicInto500(t *testing.T) {
	st := openStore(t)
	var logs bytes.Buffer
	s := New(Options{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	s.e.GET("/api/v1/boom", func(echo.Context) error { panic("boom") })
	wantJSONError(t, get(t, s.Handler(), "/api/v1/boom"), http.StatusInternalServerError, "Internal Server Error")
	var sawPanic, sawRequest bool
	for _, l := range logLines(t, &logs) {
		sawPanic = sawPanic || l["level"] == "ERROR" && l["msg"] == "panic in handler"
		sawRequest = sawRequest || l["msg"] == "request" && l["status"] == float64(500)
	}
	if !sawPanic || !sawRequest {
		t.Errorf("want the panic at ERROR and the request logged as 500:\n%s", logs.String())
	}
}

func TestSecurityAndCacheHeaders(t *testing.T) {
	s, _ := newTestServer(t)
	for _, target := range []string{"/", "/api/v1/readers", "/readers/R1"} {
		rec := get(t, s.Handler(), target)
		h := rec.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: headers %v", target, h)
		}
	}
}

// TestEveryRouteAnswers walks Routes(): each route has a sample request here
// (a new route fails until it gets one) and none answers 404 or 5xx.
func TestEveryRouteAnswers(t *testing.T) {
	s, _ := newTestServer(t)
	samples := map[Route]struct {
		target string
		header []string
		status int
	}{
		{"GET", "/"}:                         {"/", nil, 200},
		{"GET", "/readers/:id"}:              {"/readers/R1?cycle=2026-03", nil, 200},
		{"GET", "/static/*"}:                 {"/static/style.css", nil, 200},
		{"GET", "/healthz"}:                  {"/healthz", nil, 200},
		{"GET", "/openapi.json"}:             {"/openapi.json", nil, 200},
		{"GET", "/api/v1/readers"}:           {"/api/v1/readers", nil, 200},
		{"GET", "/api/v1/readers/:id/route"}: {"/api/v1/readers/R1/route", nil, 200},
		{"GET", "/api/v1/customers/:id"}:     {"/api/v1/customers/3300000001", nil, 200},
		{"POST", "/api/v1/admin/backup"}:     {"/api/v1/admin/backup", []string{"Authorization: Bearer " + testToken}, 200},
	}
	routes := s.Routes()
	if len(routes) != len(samples) {
		t.Errorf("Routes() = %v; the test has samples for %d routes", routes, len(samples))
	}
	for _, r := range routes {
		sample, ok := samples[r]
		if !ok {
			t.Errorf("route %s %s has no sample request in this test", r.Method, r.Path)
			continue
		}
		rec := do(t, s.Handler(), r.Method, sample.target, nil, sample.header...)
		if rec.Code != sample.status {
			t.Errorf("%s %s = %d, want %d", r.Method, sample.target, rec.Code, sample.status)
		}
	}
}
