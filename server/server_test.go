package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
	tabsync "meter-sync/sync"
)

// march is the test clock: 2026-03 reads the odd group (单月).
var march = time.Date(2026, 3, 15, 10, 0, 0, 0, domain.Local)

const testToken = "s3cret-admin-token"

func domainMarch() domain.Month { return domain.MonthOf(march) }

// openStore opens a bbolt store in a temporary directory and checks its
// consistency when the test ends.
func openStore(t testing.TB) *bolt.DB {
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
func seed(t testing.TB, s store.Store) {
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

// testPassword is every test account's password.
const testPassword = "correct horse battery"

// testAccounts are the accounts of newTestServer: one of each role, and a
// clerk with the dispatch permission.
var testAccounts = []access.NewAccount{
	{ID: "admin", Name: "管理员甲", Role: account.RoleAdmin},
	{ID: "clerk", Name: "营业员乙", Role: account.RoleClerk},
	{ID: "dispatcher", Name: "营业员丙", Role: account.RoleClerk, CanDispatch: true},
	{ID: "reviewer", Name: "审核员丁", Role: account.RoleReviewer},
	{ID: "leader", Name: "班组长戊", Role: account.RoleTeamLeader},
	{ID: "tech", Name: "施工员己", Role: account.RoleTechnician, ReaderID: "T01"},
	{ID: "reader", Name: "李四", Role: account.RoleReader, ReaderID: "R1"},
}

// testClock is a clock the tests move; the server and package access share it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fastAccess is package access with argon2 costs that keep tests quick; the
// real costs are benchmarked in package account.
func fastAccess(st store.Store, now func() time.Time) *access.Service {
	opt := access.DefaultOptions()
	opt.Hash = account.HashParams{Memory: 64, Time: 1, Threads: 1}
	return access.New(st, opt, now)
}

// testEnv is a server over a seeded store with the test accounts, at a
// clock the test may move.
type testEnv struct {
	srv     *Server
	st      *bolt.DB
	clock   *testClock
	logs    *syncBuffer  // the server's log: JSON lines at DEBUG and above
	station *fakeStation // the docking station the server drives
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	st := openStore(t)
	seed(t, st)
	env := &testEnv{st: st, clock: &testClock{t: march}, logs: new(syncBuffer), station: newFakeStation()}
	acc := fastAccess(st, env.clock.Now)
	for _, a := range testAccounts {
		a.Password = testPassword
		if _, err := acc.AddAccount(access.Actor{ID: "system"}, a); err != nil {
			t.Fatalf("adding account %s: %v", a.ID, err)
		}
	}
	syncSvc := tabsync.New(tabsync.Options{Store: st, Applier: orders.DefaultPolicy(), BlobDir: filepath.Join(t.TempDir(), "blobs"),
		Now: env.clock.Now})
	env.srv = New(Options{Store: st, Access: acc, Now: env.clock.Now, AdminToken: testToken, Version: "test",
		Logger:  slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Station: env.station, Ports: testPorts, Sync: syncSvc})
	return env
}

// newTestServer serves a seeded store with the test accounts at the test clock.
func newTestServer(t *testing.T) (*Server, *bolt.DB) {
	t.Helper()
	env := newTestEnv(t)
	return env.srv, env.st
}

// syncBuffer is a log buffer a test may read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// session is a browser's sign-in: its cookie and CSRF token.
type session struct{ cookie, csrf string }

// signIn starts a session for a test account through package access.
func signIn(t *testing.T, s *Server, id string) session {
	t.Helper()
	cookie, sess, err := s.opt.Access.SignIn(id, testPassword, "192.0.2.1")
	if err != nil {
		t.Fatalf("signing in %s: %v", id, err)
	}
	return session{cookie: cookie, csrf: sess.CSRF}
}

// signedIn is s's handler for a browser signed in as account id: every
// request carries the session cookie, and every write the CSRF header
// unless the request has one.
func signedIn(t *testing.T, s *Server, id string) http.Handler {
	t.Helper()
	return withSession(s.Handler(), signIn(t, s, id))
}

func withSession(h http.Handler, sess session) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.cookie})
		if writes(r.Method) && r.Header.Get(csrfHeader) == "" {
			r.Header.Set(csrfHeader, sess.csrf)
		}
		h.ServeHTTP(w, r)
	})
}

// withBearer is h with every request carrying a bearer token.
func withBearer(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(w, r)
	})
}

// asCLI is s's handler for the local CLI, with the AdminToken: what tests
// of servers without package access use.
func asCLI(s *Server) http.Handler { return withBearer(s.Handler(), testToken) }

// submit posts a form; header lines are "Name: value".
func submit(t *testing.T, h http.Handler, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodPost, target, strings.NewReader(form.Encode()),
		append([]string{"Content-Type: application/x-www-form-urlencoded"}, header...)...)
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
	rec := get(t, signedIn(t, s, "admin"), "/api/v1/readers")
	want := `[{"id":"R1","name":"李四","books":["1201","1202"]},{"id":"R2","name":"王五","books":["1300"]},{"id":"R3","name":"赵六","books":[]}]`
	if rec.Code != http.StatusOK || compactJSON(t, rec.Body.String()) != want {
		t.Errorf("GET /api/v1/readers = %d\n got %s\nwant %s", rec.Code, rec.Body, want)
	}

	// "This month" is the clock's: in May book 1202 has passed to R2.
	may := New(Options{Store: st, Now: func() time.Time { return march.AddDate(0, 2, 0) }, AdminToken: testToken})
	rec = get(t, asCLI(may), "/api/v1/readers")
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
	h := signedIn(t, s, "admin")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.target)
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
	rec := get(t, signedIn(t, s, "clerk"), "/api/v1/readers/R2/route?cycle=2026-03")
	want := `{"reader":{"id":"R2","name":"王五","books":["1300"]},"cycle":"2026-03","group":"单月","count":2,"households":[` +
		`{"seq_no":"13000101101","customer_id":"3300000007","name":"王七","address":"江滨花园1幢1单元101室","meter_kind":"抄表","meter_state":"通气"},` +
		`{"seq_no":"13000101102","customer_id":"3300000008","name":"冯八","address":"江滨花园1幢1单元102室","meter_kind":"抄表","meter_state":"封表"}]}`
	if got := compactJSON(t, rec.Body.String()); got != want {
		t.Errorf("route\n got %s\nwant %s", got, want)
	}
}

func TestAPICustomer(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, signedIn(t, s, "reviewer"), "/api/v1/customers/3300000004")
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
	rec := get(t, signedIn(t, s, "admin"), "/api/v1/customers/3300000001")
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
	h := signedIn(t, s, "admin")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantJSONError(t, do(t, h, tc.method, tc.target, nil), tc.status, tc.mention)
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
	s := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil)), AdminToken: testToken})
	rec := get(t, asCLI(s), "/api/v1/readers")
	wantJSONError(t, rec, http.StatusInternalServerError, "Internal Server Error")
	if strings.Contains(rec.Body.String(), "database") {
		t.Errorf("500 leaks the cause: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "database not open") {
		t.Errorf("the cause is not logged at ERROR:\n%s", logs.String())
	}
	page := get(t, asCLI(s), "/")
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
	s := New(Options{Store: st, Now: func() time.Time { return march }, AdminToken: testToken,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	get(t, asCLI(s), "/api/v1/readers/R1/route?cycle=2026-04")
	get(t, asCLI(s), "/api/v1/customers/nobody?name=%E9%99%88%E4%B8%80")
	get(t, s.Handler(), "/api/v1/customers/3300000001")
	get(t, s.Handler(), "/no/such/3300000001")
	lines := logLines(t, &logs)
	if len(lines) != 4 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), logs.String())
	}
	want := []struct {
		route   string
		status  float64
		account string
	}{{"/api/v1/readers/:id/route", 200, "cli-local"}, {"/api/v1/customers/:id", 404, "cli-local"},
		{"/api/v1/customers/:id", 401, ""}, {"unmatched", 404, ""}}
	for i, l := range lines {
		if l["level"] != "INFO" || l["method"] != "GET" || l["route"] != want[i].route || l["status"] != want[i].status ||
			l["account"] != want[i].account {
			t.Errorf("log line %d = %v, want INFO GET %s %v by %q", i, l, want[i].route, want[i].status, want[i].account)
		}
		if _, ok := l["duration"]; !ok {
			t.Errorf("log line %d has no duration: %v", i, l)
		}
	}
	for _, secret := range []string{"cycle", "2026-04", "name=", "陈一", "%E9", "nobody", "3300000001", testToken} {
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
	admin := signedIn(t, s, "admin")
	for _, target := range []string{"/", "/api/v1/readers", "/readers/R1", "/signin", "/admin/users"} {
		rec := get(t, admin, target)
		h := rec.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", target, h)
		}
		if page := !strings.HasPrefix(target, "/api/"); page && h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: a page without X-Frame-Options: %v", target, h)
		}
	}
}
