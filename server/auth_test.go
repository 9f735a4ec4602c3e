package server

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/store"
)

// sample is one request to a route, for the tests that walk Routes().
type sample struct {
	target string
	form   url.Values // the body of a write
	owner  string     // the reader an OwnRoute route's :id names
	status int        // as an administrator's browser
}

// routeSamples gives every registered route a sample request (a new route
// fails the walks until it gets one). Writes act on records made for them
// here, so that running them as every role is harmless: the account
// "victim" with a token, and the handheld "HH-S".
func routeSamples(t *testing.T, s *Server) map[string]sample {
	t.Helper()
	by := access.Actor{ID: "test"}
	if _, err := s.opt.Access.AddAccount(by, access.NewAccount{ID: "victim", Name: "测试", Role: account.RoleClerk}); err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.opt.Access.IssueToken(by, "victim", "测试")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.opt.Access.PairDevice(by, "HH-S", "测试机", ""); err != nil {
		t.Fatal(err)
	}
	f := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	samples := map[string]sample{
		"GET /healthz":                                 {target: "/healthz", status: 200},
		"GET /signin":                                  {target: "/signin", status: 303},
		"POST /signin":                                 {target: "/signin", form: f("id", "admin", "password", "x"), status: 403},
		"GET /static/*":                                {target: "/static/style.css", status: 200},
		"POST /signout":                                {target: "/signout", form: f(), status: 303},
		"GET /":                                        {target: "/", status: 200},
		"GET /account":                                 {target: "/account", status: 200},
		"POST /account/password":                       {target: "/account/password", form: f("old", "not the password", "new", "a new long password", "new2", "a new long password"), status: 400},
		"GET /readers/:id":                             {target: "/readers/R1", owner: "R1", status: 200},
		"GET /admin/users":                             {target: "/admin/users", status: 200},
		"POST /admin/users":                            {target: "/admin/users", form: f("id", "newbie", "name", "新人", "role", "clerk"), status: 200},
		"GET /admin/users/:id":                         {target: "/admin/users/victim", status: 200},
		"POST /admin/users/:id/role":                   {target: "/admin/users/victim/role", form: f("role", "clerk"), status: 303},
		"POST /admin/users/:id/password":               {target: "/admin/users/victim/password", form: f(), status: 200},
		"POST /admin/users/:id/disable":                {target: "/admin/users/victim/disable", form: f(), status: 303},
		"POST /admin/users/:id/enable":                 {target: "/admin/users/victim/enable", form: f(), status: 303},
		"POST /admin/users/:id/tokens":                 {target: "/admin/users/victim/tokens", form: f("label", "测试"), status: 200},
		"POST /admin/users/:id/tokens/:token/revoke":   {target: "/admin/users/victim/tokens/" + tok.ID + "/revoke", form: f(), status: 303},
		"GET /admin/devices":                           {target: "/admin/devices", status: 200},
		"POST /admin/devices":                          {target: "/admin/devices", form: f("id", "HH-NEW", "name", "新机"), status: 200},
		"POST /admin/devices/:id/revoke":               {target: "/admin/devices/HH-S/revoke", form: f(), status: 303},
		"GET /docking":                                 {target: "/docking", status: 200},
		"POST /docking":                                {target: "/docking", form: f("port", "/dev/ttyS9", "import", "1"), status: 303},
		"GET /review":                                  {target: "/review?cycle=2026-03", status: 200},
		"GET /review/:reader/:cycle":                   {target: "/review/R1/2026-03", status: 200},
		"POST /review/:reader/:cycle/decisions":        {target: "/review/R1/2026-03/decisions", form: f("why", "x"), status: 400},
		"POST /review/:reader/:cycle/commit":           {target: "/review/R3/2026-03/commit", form: f(), status: 303},
		"GET /review/:reader/:cycle/report.xlsx":       {target: "/review/R1/2026-03/report.xlsx", status: 200},
		"GET /review/:reader/:cycle/:customer":         {target: "/review/R1/2026-03/3300000001", status: 200},
		"GET /reports":                                 {target: "/reports?cycle=2026-03", status: 200},
		"GET /reports/ignitions":                       {target: "/reports/ignitions?cycle=2026-03", status: 200},
		"GET /reports/readers.xlsx":                    {target: "/reports/readers.xlsx?cycle=2026-03", status: 200},
		"GET /reports/ignitions.xlsx":                  {target: "/reports/ignitions.xlsx?cycle=2026-03", status: 200},
		"GET /exports/readings.csv":                    {target: "/exports/readings.csv?cycle=2026-03", status: 200},
		"GET /exports/readings.xlsx":                   {target: "/exports/readings.xlsx?cycle=2026-03", status: 200},
		"GET /orders":                                  {target: "/orders", status: 200},
		"GET /audit":                                   {target: "/audit", status: 200},
		"GET /audit/export":                            {target: "/audit/export?format=csv", status: 200},
		"GET /metrics":                                 {target: "/metrics", status: 200},
		"GET /openapi.json":                            {target: "/openapi.json", status: 200},
		"GET /api/v1/readers":                          {target: "/api/v1/readers", status: 200},
		"GET /api/v1/readers/:id/route":                {target: "/api/v1/readers/R1/route", owner: "R1", status: 200},
		"GET /api/v1/customers/:id":                    {target: "/api/v1/customers/3300000001", status: 200},
		"GET /api/v1/docking/jobs":                     {target: "/api/v1/docking/jobs", status: 200},
		"POST /api/v1/docking/jobs":                    {target: "/api/v1/docking/jobs", status: 415}, // (no JSON body)
		"GET /api/v1/docking/jobs/:id":                 {target: "/api/v1/docking/jobs/a1b2c3d4e5f6", status: 200},
		"GET /api/v1/review/:reader/:cycle":            {target: "/api/v1/review/R1/2026-03", status: 200},
		"POST /api/v1/review/:reader/:cycle/decisions": {target: "/api/v1/review/R1/2026-03/decisions", status: 415}, // (no JSON body)
		"POST /api/v1/review/:reader/:cycle/commit":    {target: "/api/v1/review/R3/2026-03/commit", status: 200},
		"GET /api/v1/reports/readers":                  {target: "/api/v1/reports/readers?cycle=2026-03", status: 200},
		"GET /api/v1/reports/ignitions":                {target: "/api/v1/reports/ignitions?cycle=2026-03", status: 200},
		"GET /api/v1/readings/committed":               {target: "/api/v1/readings/committed?cycle=2026-03", status: 200},
		"GET /api/v1/orders":                           {target: "/api/v1/orders", status: 200},
		"POST /api/v1/admin/backup":                    {target: "/api/v1/admin/backup", status: 200},
		// (an administrator does not sync a tablet: PermSync is the technicians')
		"GET /api/v1/sync/changes":          {target: "/api/v1/sync/changes", status: 403},
		"POST /api/v1/sync/push":            {target: "/api/v1/sync/push", status: 403},
		"GET /api/v1/sync/blobs/:sha/state": {target: "/api/v1/sync/blobs/" + strings.Repeat("ab", 32) + "/state", status: 403},
		"PATCH /api/v1/sync/blobs/:sha":     {target: "/api/v1/sync/blobs/" + strings.Repeat("ab", 32), status: 403},
		"GET /api/v1/sync/blobs/:sha":       {target: "/api/v1/sync/blobs/" + strings.Repeat("ab", 32), status: 404},
		"GET /api/v1/sync/mutations":        {target: "/api/v1/sync/mutations", status: 200},
	}
	maps.Copy(samples, orderDeskSamples(t, s))
	return samples
}

// send makes r's sample request through h.
func (sm sample) send(t *testing.T, h http.Handler, method string) *httptest.ResponseRecorder {
	t.Helper()
	if sm.form != nil {
		return submit(t, h, sm.target, sm.form)
	}
	return do(t, h, method, sm.target, nil)
}

func samplesFor(t *testing.T, s *Server) func(Route) (sample, bool) {
	samples := routeSamples(t, s)
	return func(r Route) (sample, bool) {
		sm, ok := samples[r.Method+" "+r.Path]
		if !ok {
			t.Errorf("route %s %s has no sample request in routeSamples", r.Method, r.Path)
		}
		return sm, ok
	}
}

// TestEveryRouteAnswers walks Routes() as an administrator: each route has a
// sample request and answers it as expected, never 404 or 5xx.
func TestEveryRouteAnswers(t *testing.T) {
	s, _ := newTestServer(t)
	samples := routeSamples(t, s)
	if len(s.Routes()) != len(samples) {
		t.Errorf("Routes() has %d routes; routeSamples has %d", len(s.Routes()), len(samples))
	}
	for _, r := range s.Routes() {
		sm, ok := samples[r.Method+" "+r.Path]
		if !ok {
			t.Errorf("route %s %s has no sample request", r.Method, r.Path)
			continue
		}
		if rec := sm.send(t, signedIn(t, s, "admin"), r.Method); rec.Code != sm.status {
			t.Errorf("%s %s = %d, want %d\n%s", r.Method, sm.target, rec.Code, sm.status, rec.Body)
		}
	}
}

// TestRoutesArePublicOnlyByName keeps the public routes the four the issue
// names: anything else registered without a permission fails here.
func TestRoutesArePublicOnlyByName(t *testing.T) {
	s, _ := newTestServer(t)
	want := map[string]bool{"GET /healthz": true, "GET /signin": true, "POST /signin": true, "GET /static/*": true}
	for _, r := range s.Routes() {
		key := r.Method + " " + r.Path
		if r.Public != want[key] {
			t.Errorf("%s: public = %v", key, r.Public)
		}
		if !r.Public && r.Permission == "" {
			t.Errorf("%s: no permission", key)
		}
	}
}

// TestRouteWalkWithoutCredentials proves no route is open by accident: every
// route but the public ones, asked without credentials, answers 401 (API) or
// sends the browser to the sign-in form (pages), and shows nothing.
func TestRouteWalkWithoutCredentials(t *testing.T) {
	s, _ := newTestServer(t)
	sampleOf := samplesFor(t, s)
	for _, r := range s.Routes() {
		sm, ok := sampleOf(r)
		if !ok || r.Public {
			continue
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			rec := sm.send(t, s.Handler(), r.Method)
			wantUnauthenticated(t, rec, r.Path, r.Method)
		})
	}
}

// wantUnauthenticated checks the refusal of a request without credentials.
func wantUnauthenticated(t *testing.T, rec *httptest.ResponseRecorder, path, method string) {
	t.Helper()
	if isAPI(path) {
		wantJSONError(t, rec, http.StatusUnauthorized, "authentication required")
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
		return
	}
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
		t.Errorf("status %d Location %q, want 303 to /signin", rec.Code, loc)
	}
	if method == http.MethodGet && path != "/" && !strings.HasPrefix(loc, "/signin?next=%2F") {
		t.Errorf("Location %q does not bring the browser back", loc)
	}
	if rec.Body.Len() > 0 && !strings.Contains(rec.Body.String(), "See Other") {
		t.Errorf("redirect with a body: %s", rec.Body)
	}
}

// allowed is what the route table and account.Can say of an account and a
// route's sample request.
func allowed(a *account.Account, r Route, sm sample) bool {
	return r.Allows(a) || r.OwnRoute && a.MaySeeRoute(sm.owner)
}

// TestRoleMatrix tries every route as every role, with a browser session
// and with an API token: what the route table allows is never refused
// (401/403) and what it does not is refused with 403. The expectations come
// from the registered permissions and account.Account.Can, so a route added
// later (dispatch, for one) is covered without a line here.
func TestRoleMatrix(t *testing.T) {
	s, st := newTestServer(t)
	sampleOf := samplesFor(t, s)
	for _, ta := range testAccounts {
		var a account.Account
		err := st.View(func(tx store.ReadTx) error {
			var err error
			a, err = tx.Account(ta.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, ta.ID, "matrix")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s.Routes() {
			sm, ok := sampleOf(r)
			if !ok || r.Public {
				continue
			}
			want := allowed(&a, r, sm)
			for mode, h := range map[string]http.Handler{
				"session": signedIn(t, s, ta.ID), "token": withBearer(s.Handler(), secret),
			} {
				rec := sm.send(t, h, r.Method)
				// (Signing out sends the browser to the sign-in form too.)
				refused := rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden ||
					strings.HasPrefix(rec.Header().Get("Location"), "/signin") && r.Path != "/signout"
				switch {
				case want && refused:
					t.Errorf("%s (%s, %s) %s %s: refused with %d, but the role may", ta.ID, a.Role, mode, r.Method, sm.target, rec.Code)
				case !want && rec.Code != http.StatusForbidden:
					t.Errorf("%s (%s, %s) %s %s = %d, want 403", ta.ID, a.Role, mode, r.Method, sm.target, rec.Code)
				case !want:
					wantForbidden(t, rec, r.Path)
				}
			}
		}
	}
}

// wantForbidden checks a 403: JSON for the API, a Chinese page otherwise,
// and nothing of what was asked.
func wantForbidden(t *testing.T, rec *httptest.ResponseRecorder, path string) {
	t.Helper()
	if isAPI(path) {
		wantJSONError(t, rec, http.StatusForbidden, "forbidden")
		return
	}
	body := rec.Body.String()
	wantPage(t, http.StatusForbidden, rec.Code, rec.Header().Get("Content-Type"), body)
	if !strings.Contains(body, "无权访问") || !strings.Contains(body, "无权进行此操作") {
		t.Errorf("403 page does not say so:\n%s", body)
	}
	for _, secret := range []string{"江滨花园", "陈一", `id="users"`, `id="audit"`} {
		if strings.Contains(body, secret) {
			t.Errorf("403 page shows %q", secret)
		}
	}
}

// TestDispatchNeedsThePermission: no dispatch route exists yet, so one is
// registered here as the server registers its own. A clerk without the
// dispatch permission (派工权限) is refused; one with it, a team leader and an
// administrator pass.
func TestDispatchNeedsThePermission(t *testing.T) {
	s, _ := newTestServer(t)
	s.add(http.MethodPost, "/api/v1/test/dispatch", account.PermDispatch, func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"dispatched_by": principal(c).Account.ID})
	})
	for id, want := range map[string]int{"clerk": 403, "dispatcher": 200, "leader": 200, "admin": 200,
		"reviewer": 403, "tech": 403, "reader": 403} {
		if rec := do(t, signedIn(t, s, id), http.MethodPost, "/api/v1/test/dispatch", nil); rec.Code != want {
			t.Errorf("%s dispatching: %d, want %d: %s", id, rec.Code, want, rec.Body)
		}
	}
}

// TestReaderTriesAClerksAction: a meter reader signed in tries what a clerk
// does (pair a handheld, read another reader's route, look up a customer).
func TestReaderTriesAClerksAction(t *testing.T) {
	s, _ := newTestServer(t)
	reader := signedIn(t, s, "reader")
	rec := submit(t, reader, "/admin/devices", url.Values{"id": {"HH-9"}, "name": {"私配"}})
	wantForbidden(t, rec, "/admin/devices")
	if strings.Contains(rec.Body.String(), "配对密钥") {
		t.Error("the reader was shown a key")
	}
	wantForbidden(t, get(t, reader, "/admin/devices"), "/admin/devices")
	wantForbidden(t, get(t, reader, "/readers/R2"), "/readers/R2")
	wantForbidden(t, get(t, reader, "/api/v1/readers/R2/route"), "/api/v1/readers/R2/route")
	wantForbidden(t, get(t, reader, "/api/v1/customers/3300000007"), "/api/v1/customers/3300000007")
	if err := s.opt.Store.View(func(tx store.ReadTx) error {
		if ds, _ := tx.Devices(); len(ds) != 0 {
			t.Errorf("a handheld was paired: %v", ds[0].ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Their own route they see, on the page and through the API.
	if rec := get(t, reader, "/readers/R1"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "黄三") {
		t.Errorf("the reader's own route: %d", rec.Code)
	}
	if rec := get(t, reader, "/api/v1/readers/R1/route"); rec.Code != http.StatusOK {
		t.Errorf("the reader's own route through the API: %d", rec.Code)
	}
	home := get(t, reader, "/").Body.String()
	if !strings.Contains(home, `href="/readers/R1?cycle=2026-03"`) || strings.Contains(home, `id="readers"`) {
		t.Errorf("the reader's home page:\n%s", home)
	}
}

// TestNavShowsOnlyWhatTheAccountMayUse checks the navigation bar of each role.
func TestNavShowsOnlyWhatTheAccountMayUse(t *testing.T) {
	s, _ := newTestServer(t)
	tests := map[string]string{
		"admin":      "首页 对接抄表机 抄表审核 抄表报告 点火户数表 派工单 审计日志 账号管理 抄表机配对 我的账号",
		"clerk":      "首页 对接抄表机 点火户数表 抄表机配对 我的账号",
		"dispatcher": "首页 对接抄表机 点火户数表 派工单 抄表机配对 我的账号",
		"reviewer":   "首页 抄表审核 抄表报告 点火户数表 派工单 审计日志 我的账号",
		"leader":     "首页 点火户数表 派工单 我的账号",
		"tech":       "首页 我的账号",
		"reader":     "首页 我的抄表路线 对接抄表机 我的账号",
	}
	for id, want := range tests {
		body := get(t, signedIn(t, s, id), "/account").Body.String()
		doc := parseHTML(t, body)
		nav := find(doc, func(n *html.Node) bool { return attr(n, "id") == "nav" })
		if nav == nil {
			t.Fatalf("%s: no nav", id)
		}
		if got := strings.Join(strings.Fields(text(nav)), " "); got != want {
			t.Errorf("%s's nav = %q, want %q", id, got, want)
		}
		user := find(doc, func(n *html.Node) bool { return attr(n, "id") == "user" })
		if user == nil || !strings.Contains(text(user), "(") {
			t.Errorf("%s: the nav does not name the account and role", id)
		}
	}
	if got := text(find(parseHTML(t, get(t, signedIn(t, s, "reader"), "/").Body.String()),
		func(n *html.Node) bool { return attr(n, "id") == "user" })); !strings.Contains(got, "李四(抄表员)") {
		t.Errorf("reader's name and role = %q", got)
	}
}
