package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"meter-sync/access"
	"meter-sync/account"
)

// browser is a cookie jar over a handler, from one address: enough of a
// browser to go through the sign-in form.
type browser struct {
	t       *testing.T
	h       http.Handler
	addr    string
	cookies map[string]*http.Cookie
}

func newBrowser(t *testing.T, h http.Handler, addr string) *browser {
	return &browser{t: t, h: h, addr: addr, cookies: map[string]*http.Cookie{}}
}

// do sends a request with the browser's cookies and keeps the ones it sets.
func (b *browser) do(method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = b.addr + ":40000"
	for _, ck := range b.cookies {
		if strings.HasPrefix(req.URL.Path, ck.Path) {
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
	for _, line := range header {
		name, value, _ := strings.Cut(line, ": ")
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (b *browser) get(target string, header ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(http.MethodGet, target, nil, header...)
}

func (b *browser) post(target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(http.MethodPost, target, strings.NewReader(form.Encode()),
		append([]string{"Content-Type: application/x-www-form-urlencoded"}, header...)...)
}

// formToken is the hidden csrf field of the first form of a page.
func formToken(t *testing.T, page string) string {
	t.Helper()
	in := find(parseHTML(t, page), func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "csrf" })
	if in == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return attr(in, "value")
}

// signin goes through the sign-in form as a person does: the form, then
// the post with its token.
func (b *browser) signin(id, password, next string, header ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	target := "/signin"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	page := b.get(target)
	if page.Code != http.StatusOK {
		b.t.Fatalf("GET %s = %d", target, page.Code)
	}
	form := url.Values{"csrf": {formToken(b.t, page.Body.String())}, "id": {id}, "password": {password}}
	next = attr(find(parseHTML(b.t, page.Body.String()), func(n *html.Node) bool { return attr(n, "name") == "next" }), "value")
	form.Set("next", next)
	return b.post("/signin", form, header...)
}

func TestSignInThroughTheForm(t *testing.T) {
	s, _ := newTestServer(t)
	b := newBrowser(t, s.Handler(), "192.0.2.7")
	first := b.get("/audit?action=signin")
	if first.Code != http.StatusSeeOther || first.Header().Get("Location") != "/signin?next=%2Faudit%3Faction%3Dsignin" {
		t.Fatalf("unauthenticated page: %d %q", first.Code, first.Header().Get("Location"))
	}
	page := b.get(first.Header().Get("Location"))
	wantPage(t, http.StatusOK, page.Code, page.Header().Get("Content-Type"), page.Body.String())
	for _, want := range []string{"<h1>登录</h1>", `name="password"`, `value="/audit?action=signin"`} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if strings.Contains(page.Body.String(), `id="nav"`) {
		t.Error("the sign-in page shows the navigation of a signed-in account")
	}
	rec := b.signin("reviewer", testPassword, "/audit?action=signin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/audit?action=signin" {
		t.Fatalf("sign-in = %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	ck := b.cookies[sessionCookie]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure without the option", ck)
	}
	if b.cookies[signinCookie] != nil {
		t.Error("the sign-in form's cookie outlives the sign-in")
	}
	if rec := b.get("/audit?action=signin"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "审核员丁(审核员)") {
		t.Errorf("after sign-in: %d", rec.Code)
	}
	if rec := b.get("/signin"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Errorf("the sign-in form when signed in: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// Signing out needs the session's CSRF token, and ends the session.
	if rec := b.post("/signout", url.Values{}); rec.Code != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: %d", rec.Code)
	}
	token := formToken(t, b.get("/account").Body.String())
	if rec := b.post("/signout", url.Values{"csrf": {token}}); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin" {
		t.Errorf("sign-out: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if b.cookies[sessionCookie] != nil {
		t.Error("sign-out left the cookie")
	}
	old := withSession(s.Handler(), session{cookie: ck.Value})
	if rec := get(t, old, "/api/v1/readers"); rec.Code != http.StatusUnauthorized {
		t.Errorf("the signed-out session's cookie still works: %d", rec.Code)
	}
}

func TestSecureCookies(t *testing.T) {
	s, st := newTestServer(t)
	secure := New(Options{Store: st, Access: s.opt.Access, SecureCookies: true})
	b := newBrowser(t, secure.Handler(), "192.0.2.8")
	b.signin("clerk", testPassword, "")
	for _, name := range []string{sessionCookie} {
		if ck := b.cookies[name]; ck == nil || !ck.Secure || !ck.HttpOnly {
			t.Errorf("cookie %s = %+v, want Secure and HttpOnly", name, ck)
		}
	}
	page := httptest.NewRecorder()
	secure.Handler().ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/signin", nil))
	for _, ck := range page.Result().Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("sign-in form cookie = %+v", ck)
		}
	}
}

func TestSignInNextStaysOnTheServer(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct{ next, want string }{
		{"/readers/R1?cycle=2026-03", "/readers/R1?cycle=2026-03"},
		{"/%2f%2fevil.example", "/%2f%2fevil.example"}, // a path of ours, escaped
		{"/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"},
		{"//evil.example/", "/"},
		{"///evil.example/", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/\r\nLocation: //evil.example", "/"},
		{"/\tevil", "/"},
		{"", "/"},
	}
	for _, tc := range tests {
		b := newBrowser(t, s.Handler(), "192.0.2.9")
		rec := b.signin("clerk", testPassword, tc.next)
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != tc.want {
			t.Errorf("next %q: %d to %q, want %q", tc.next, rec.Code, loc, tc.want)
		}
	}
}

func TestSignInFailures(t *testing.T) {
	env := newTestEnv(t)
	s := env.srv
	b := newBrowser(t, s.Handler(), "198.51.100.1")
	for i := 0; i < 5; i++ {
		rec := b.signin("clerk", "wrong password", "")
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "账号或密码错误") {
			t.Fatalf("wrong password %d: %d\n%s", i, rec.Code, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), `value="clerk"`) || strings.Contains(rec.Body.String(), "wrong password") {
			t.Error("the form after a failure keeps the account and must not keep the password")
		}
	}
	// The account is locked, from any address, even with the right password.
	other := newBrowser(t, s.Handler(), "198.51.100.2")
	rec := other.signin("clerk", testPassword, "")
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "尝试次数过多,请稍后再试") {
		t.Errorf("locked account: %d\n%s", rec.Code, rec.Body)
	}
	if other.cookies[sessionCookie] != nil {
		t.Error("a locked account got a session")
	}
	// An address that guesses at many accounts is locked too, whatever
	// X-Forwarded-For claims.
	guesser := newBrowser(t, s.Handler(), "198.51.100.3")
	for _, id := range []string{"a1", "a2", "a3", "a4", "a5"} {
		if rec := guesser.signin(id, "guess", ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("unknown account %s: %d, want the same 401 as a wrong password", id, rec.Code)
		}
	}
	for _, xff := range []string{"", "203.0.113.9", "198.51.100.4"} {
		rec := guesser.signin("reviewer", testPassword, "", "X-Forwarded-For: "+xff, "X-Real-IP: "+xff)
		if rec.Code != http.StatusTooManyRequests {
			t.Errorf("locked address with X-Forwarded-For %q: %d", xff, rec.Code)
		}
	}
	if rec := newBrowser(t, s.Handler(), "198.51.100.4").signin("reviewer", testPassword, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("another address: %d", rec.Code)
	}
	env.clock.Add(16 * time.Minute)
	if rec := other.signin("clerk", testPassword, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("after the lockout: %d", rec.Code)
	}
	metrics := get(t, asCLI(s), "/metrics").Body.String()
	for _, want := range []string{`meter_sync_signins_total{result="failed"} 10`, `meter_sync_signins_total{result="locked"} 4`,
		`meter_sync_signins_total{result="ok"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSignInFormNeedsItsToken: a sign-in posted from elsewhere (no token, or
// a token that is not the browser's) is refused: nobody can sign a browser
// in under an account of their choosing.
func TestSignInFormNeedsItsToken(t *testing.T) {
	s, _ := newTestServer(t)
	form := url.Values{"id": {"clerk"}, "password": {testPassword}}
	if rec := submit(t, s.Handler(), "/signin", form); rec.Code != http.StatusForbidden {
		t.Errorf("no token: %d", rec.Code)
	}
	b := newBrowser(t, s.Handler(), "192.0.2.10")
	b.get("/signin")
	form.Set("csrf", "forged")
	if rec := b.post("/signin", form); rec.Code != http.StatusForbidden || b.cookies[sessionCookie] != nil {
		t.Errorf("forged token: %d", rec.Code)
	}
	form.Set("csrf", b.cookies[signinCookie].Value)
	if rec := submit(t, s.Handler(), "/signin", form); rec.Code != http.StatusForbidden {
		t.Errorf("the token without its cookie: %d", rec.Code)
	}
}

func TestCSRF(t *testing.T) {
	s, _ := newTestServer(t)
	clerk, other := signIn(t, s, "clerk"), signIn(t, s, "dispatcher")
	pair := url.Values{"id": {"HH-1"}, "name": {"一号机"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cookieOnly := withSession(s.Handler(), session{cookie: clerk.cookie, csrf: "-"}) // a header that never matches
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: clerk.cookie})
		s.Handler().ServeHTTP(w, r)
	})
	tests := []struct {
		name   string
		h      http.Handler
		target string
		form   url.Values
		header []string
		status int
	}{
		{"no token", plain, "/admin/devices", pair, nil, 403},
		{"wrong token", plain, "/admin/devices", with(pair, "csrf", "wrong"), nil, 403},
		{"another session's token", plain, "/admin/devices", with(pair, "csrf", other.csrf), nil, 403},
		{"token in the query string", plain, "/admin/devices?csrf=" + url.QueryEscape(clerk.csrf), pair, nil, 403},
		{"wrong header beats a right field", cookieOnly, "/admin/devices", with(pair, "csrf", clerk.csrf), nil, 403},
		{"token in the form", plain, "/admin/devices", with(pair, "csrf", clerk.csrf), nil, 200},
		{"token in the header", plain, "/admin/devices", pair, []string{csrfHeader + ": " + clerk.csrf}, 200},
		{"sign-out without a token", plain, "/signout", url.Values{}, nil, 403},
		{"API write without a token", plain, "/api/v1/admin/backup", url.Values{}, nil, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := submit(t, tc.h, tc.target, tc.form, tc.header...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 403 && tc.target == "/admin/devices" && !strings.Contains(rec.Body.String(), "CSRF") {
				t.Errorf("the 403 page does not say why:\n%s", rec.Body)
			}
		})
	}
	// Still signed in after the refused sign-out; a bearer token needs no
	// CSRF token, as no browser sends it on its own.
	if rec := get(t, plain, "/api/v1/readers"); rec.Code != http.StatusOK {
		t.Errorf("after a refused sign-out: %d", rec.Code)
	}
	secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, "clerk", "平板")
	if err != nil {
		t.Fatal(err)
	}
	if rec := submit(t, withBearer(s.Handler(), secret), "/admin/devices", with(pair, "id", "HH-2")); rec.Code != http.StatusOK {
		t.Errorf("a bearer write: %d", rec.Code)
	}
}

func TestExpiredAndRevokedCredentials(t *testing.T) {
	env := newTestEnv(t)
	s := env.srv
	issue := func(id string) string {
		secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, id, "测试")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	wantOut := func(what string, h http.Handler) {
		t.Helper()
		wantJSONError(t, get(t, h, "/api/v1/readers"), http.StatusUnauthorized, "authentication required")
		rec := get(t, h, "/readers/R1")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin") {
			t.Errorf("%s: page = %d %q, want the sign-in form", what, rec.Code, rec.Header().Get("Location"))
		}
	}
	wantIn := func(what string, h http.Handler) {
		t.Helper()
		if rec := get(t, h, "/api/v1/readers"); rec.Code != http.StatusOK {
			t.Errorf("%s: %d, want 200", what, rec.Code)
		}
	}

	idle := signedIn(t, s, "clerk")
	busy := signedIn(t, s, "reviewer")
	yearly := withBearer(s.Handler(), issue("clerk"))
	env.clock.Add(100 * time.Minute)
	wantIn("a session used within the idle time", busy)
	env.clock.Add(30 * time.Minute)
	wantOut("a session idle 130 minutes (session_idle 2h)", idle)
	rec := get(t, idle, "/")
	if ck := rec.Result().Cookies(); len(ck) != 1 || ck[0].Name != sessionCookie || ck[0].MaxAge >= 0 {
		t.Errorf("a stale session's cookie is not cleared: %v", ck)
	}
	for i := 0; i < 11; i++ { // in use all day: the session ends at 12 h whatever
		wantIn("a session in use", busy)
		env.clock.Add(55 * time.Minute)
	}
	wantOut("a session past its 12 h lifetime", busy)

	// Tokens: revoked through the UI, expired after a year.
	revoked := issue("clerk")
	wantIn("a fresh token", withBearer(s.Handler(), revoked))
	admin := signedIn(t, s, "admin")
	tokenID, _ := account.TokenID(revoked)
	if rec := submit(t, admin, "/admin/users/clerk/tokens/"+tokenID+"/revoke", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoking: %d %s", rec.Code, rec.Body)
	}
	wantOut("a revoked token", withBearer(s.Handler(), revoked))
	wantIn("a token within its year", yearly)
	env.clock.Add(366 * 24 * time.Hour)
	wantOut("a token past its year", yearly)

	// A disabled account's session and tokens stop at once.
	s.opt.Access.SetDisabled(access.Actor{ID: "test"}, "dispatcher", false)
	dispatcher, token := signedIn(t, s, "dispatcher"), withBearer(s.Handler(), issue("dispatcher"))
	if err := s.opt.Access.SetDisabled(access.Actor{ID: "test"}, "dispatcher", true); err != nil {
		t.Fatal(err)
	}
	wantOut("a disabled account's session", dispatcher)
	wantOut("a disabled account's token", token)
}

// TestPathTricks asks for protected things by ways around the router,
// without credentials: nothing is ever served but the public routes.
func TestPathTricks(t *testing.T) {
	s, _ := newTestServer(t)
	targets := []string{
		"//admin/users", "/admin/users/", "/admin//users", "/admin/%2e%2e/users", "/admin/users/%2e%2e",
		"/admin/./users", "/./admin/users", "/static/../openapi.json", "/static/..%2fopenapi.json",
		"/static/%2e%2e/openapi.json", "/static/%2e%2e%2fopenapi.json", "/static/..%5copenapi.json",
		"/healthz/../admin/users", "/signin/../admin/users", "/signin/..%2fadmin%2fusers", "/ADMIN/USERS", "/Admin/Users",
		"/admin/users%00", "/admin/users%00.css", "/admin%2fusers", "/admin/users;x=1", "/admin/users%3bx=1",
		"/%61dmin/users", "/api/v1/readers%2f", "/api/v1/readers/", "/api/v1/readers/..%2f..%2fadmin%2fusers/route",
		"/api/v1/customers/..%2f..%2f..%2fmetrics", "/api/v1/customers/%2e%2e", "/metrics/", "/metrics%2f",
		"/openapi.json/", "/openapi.json%00", "/audit/export/../../metrics", "/audit%2fexport?format=csv",
		"/readers/R1/..", "/readers/..%2fadmin/users", "/api/v1/admin/backup/", "/api//v1/readers",
		"/" + strings.Repeat("a/", 4000), "/api/v1/customers/" + strings.Repeat("9", 100_000),
		"/readers/" + strings.Repeat("%2e%2e%2f", 1000) + "admin", "/static/" + strings.Repeat("x", 10_000),
	}
	markers := []string{"江滨花园", "陈一", "李四", "王五", "meter_sync_", "管理员甲", `"openapi"`, "SQLite", "bbolt",
		`id="users"`, `id="audit"`, `id="readers"`}
	for _, target := range targets {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions, "PROPFIND"} {
			req := httptest.NewRequest(method, "/", nil)
			req.URL = mustParse(t, target)
			req.RequestURI = target
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			body := rec.Body.String()
			switch {
			case rec.Code == http.StatusSeeOther:
				if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/signin") {
					t.Errorf("%s %.80s redirects to %q", method, target, loc)
				}
			case rec.Code == http.StatusNoContent && method == http.MethodOptions && body == "":
			case rec.Code >= 200 && rec.Code < 300:
				t.Errorf("%s %.80s = %d without credentials:\n%.300s", method, target, rec.Code, body)
			case rec.Code >= 500:
				t.Errorf("%s %.80s = %d", method, target, rec.Code)
			}
			for _, m := range markers {
				if strings.Contains(body, m) {
					t.Errorf("%s %.80s (%d) shows %q", method, target, rec.Code, m)
				}
			}
		}
	}
	// The public routes stay public; the stylesheet's name does not open
	// anything else.
	for _, target := range []string{"/static/style.css", "/healthz", "/signin"} {
		if rec := get(t, s.Handler(), target); rec.Code != http.StatusOK {
			t.Errorf("public %s = %d", target, rec.Code)
		}
	}
}

func mustParse(t *testing.T, target string) *url.URL {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("%q: %v", target, err)
	}
	return u
}

func TestHeaderTricks(t *testing.T) {
	s, _ := newTestServer(t)
	admin := signIn(t, s, "admin")
	secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, "admin", "测试")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		auth    []string // Authorization headers, in order
		cookies []string // ms_session cookies, in order
		header  []string // other header lines
		status  int
	}{
		{"the right token", []string{"Bearer " + secret}, nil, nil, 200},
		{"the scheme in lower case", []string{"bearer " + secret}, nil, nil, 200},
		{"two Authorization headers", []string{"Bearer " + secret, "Bearer junk"}, nil, nil, 400},
		{"two, the good one second", []string{"Bearer junk", "Bearer " + secret}, nil, nil, 400},
		{"oversized", []string{"Bearer " + secret + strings.Repeat("A", 10_000)}, nil, nil, 400},
		{"Bearer alone", []string{"Bearer"}, nil, nil, 401},
		{"Bearer and spaces", []string{"Bearer    "}, nil, nil, 401},
		{"Bearer with junk", []string{"Bearer ☃☃☃"}, nil, nil, 401},
		{"token prefix only", []string{"Bearer mst_"}, nil, nil, 401},
		{"a token-shaped guess", []string{"Bearer mst_0123456789ab_AAAA"}, nil, nil, 401},
		{"the token's id with another secret", []string{"Bearer " + otherSecret(secret)}, nil, nil, 401},
		{"Basic", []string{"Basic YWRtaW46Y29ycmVjdCBob3JzZSBiYXR0ZXJ5"}, nil, nil, 401},
		{"a token with a space before", []string{"Bearer  " + secret}, nil, nil, 401},
		{"a token with NUL", []string{"Bearer " + secret + "\x00"}, nil, nil, 401},
		{"the session cookie as a bearer", []string{"Bearer " + admin.cookie}, nil, nil, 401},
		{"a bad bearer beside a good cookie", []string{"Bearer junk"}, []string{admin.cookie}, nil, 401},
		{"a good cookie", nil, []string{admin.cookie}, nil, 200},
		{"a junk cookie before the good one", nil, []string{"junk", admin.cookie}, nil, 401},
		{"an oversized cookie", nil, []string{strings.Repeat("A", 5000)}, nil, 401},
		{"the token as a cookie", nil, []string{secret}, nil, 401},
		{"Host of another site", nil, nil, []string{"Host: evil.example"}, 401},
		{"forwarded headers claiming a local admin", nil, nil, []string{"X-Forwarded-For: 127.0.0.1",
			"X-Real-IP: 127.0.0.1", "X-Forwarded-Host: localhost", "X-Original-URL: /healthz", "X-Rewrite-URL: /healthz"}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/readers", nil)
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			for _, c := range tc.cookies {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c})
			}
			for _, line := range tc.header {
				name, value, _ := strings.Cut(line, ": ")
				if name == "Host" {
					req.Host = value
				}
				req.Header.Set(name, value)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 && strings.Contains(rec.Body.String(), "李四") {
				t.Errorf("refusal shows data")
			}
		})
	}
	// A redirect never names the Host the request gave.
	req := httptest.NewRequest(http.MethodGet, "/admin/users", nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-Host", "evil.example")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/signin?next=%2Fadmin%2Fusers" {
		t.Errorf("redirect with Host games: %d %q", rec.Code, loc)
	}
	// A method override is no way around a route's method.
	if rec := do(t, signedIn(t, s, "admin"), http.MethodGet, "/admin/users/clerk/disable", nil,
		"X-HTTP-Method-Override: POST"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("method override: %d", rec.Code)
	}
}

func TestBadBodies(t *testing.T) {
	s, _ := newTestServer(t)
	admin := signedIn(t, s, "admin")
	big := "id=HH-1&name=" + strings.Repeat("x", 1<<20)
	chunked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ContentLength = -1 // as a chunked upload: the limit must hold while reading
		admin.ServeHTTP(w, r)
	})
	tests := []struct {
		name    string
		h       http.Handler
		target  string
		body    string
		ctype   string
		status  int
		mention string
	}{
		{"over 1 MiB", admin, "/admin/devices", big, "application/x-www-form-urlencoded", 413, "请求内容过大"},
		{"over 1 MiB, chunked", chunked, "/admin/devices", big, "application/x-www-form-urlencoded", 413, "请求内容过大"},
		{"over 1 MiB to the API", admin, "/api/v1/admin/backup", big, "application/octet-stream", 413, "Request Entity Too Large"},
		{"malformed escape", admin, "/admin/devices", "id=%zz&name=x", "application/x-www-form-urlencoded", 400, "表单内容格式错误"},
		{"JSON instead of a form", admin, "/admin/devices", `{"id":"HH-1"}`, "application/json", 415, "application/x-www-form-urlencoded"},
		{"multipart", admin, "/admin/devices", "--x--", "multipart/form-data; boundary=x", 415, "表单"},
		{"bad content type", admin, "/admin/devices", "id=HH-1", "application/x-www-form-urlencoded; charset=\"", 415, "表单"},
		{"missing field", admin, "/admin/devices", "name=x", "application/x-www-form-urlencoded", 400, "“抄表机编号”(id)不能为空"},
		{"field given twice", admin, "/admin/devices", "id=a&id=b", "application/x-www-form-urlencoded", 400, "(id)重复提交"},
		{"field too long", admin, "/admin/users", "id=" + strings.Repeat("a", 33) + "&name=x&role=clerk", "application/x-www-form-urlencoded", 400, "(id)过长"},
		{"invalid UTF-8", admin, "/admin/users", "id=abc&name=%ff%fe&role=clerk", "application/x-www-form-urlencoded", 400, "(name)含有无效字符"},
		{"control character", admin, "/admin/users/clerk/tokens", "label=a%00b", "application/x-www-form-urlencoded", 400, "(label)含有无效字符"},
		{"unknown role", admin, "/admin/users/clerk/role", "role=boss", "application/x-www-form-urlencoded", 400, "未知角色"},
		{"bad audit date", admin, "/audit?from=2026-13-01", "", "", 400, "参数from无效"},
		{"bad audit page", admin, "/audit?before=-1", "", "", 400, "参数before无效"},
		{"bad export format", admin, "/audit/export?format=pdf", "", "", 400, "参数format无效"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			var body io.Reader = strings.NewReader(tc.body)
			if tc.body == "" {
				method, body = http.MethodGet, nil
			}
			var header []string
			if tc.ctype != "" {
				header = append(header, "Content-Type: "+tc.ctype)
			}
			rec := do(t, tc.h, method, tc.target, body, header...)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.mention) {
				t.Errorf("status %d, want %d mentioning %q:\n%.500s", rec.Code, tc.status, tc.mention, rec.Body)
			}
		})
	}
	if rec := do(t, admin, http.MethodPost, "/admin/devices", bytes.NewReader(nil)); rec.Code != http.StatusBadRequest {
		t.Errorf("empty body: %d", rec.Code)
	}
}

// otherSecret is secret with the first character of its secret part
// changed: the same token id, another secret.
func otherSecret(secret string) string {
	c := byte('A')
	if secret[17] == c {
		c = 'B'
	}
	return secret[:17] + string(c) + secret[18:]
}
