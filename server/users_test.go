package server

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"meter-sync/account"
	"meter-sync/store"
)

// secretOf is the secret a "shown once" page shows.
func secretOf(t *testing.T, page string) string {
	t.Helper()
	n := find(parseHTML(t, page), func(n *html.Node) bool { return attr(n, "id") == "secret" })
	if n == nil {
		t.Fatalf("no #secret in the page:\n%s", page)
	}
	return strings.TrimSpace(text(n))
}

func TestAddAccountThenSignInAsIt(t *testing.T) {
	s, _ := newTestServer(t)
	admin := signedIn(t, s, "admin")
	rec := submit(t, admin, "/admin/users", url.Values{"id": {"zhaoliu"}, "name": {"赵六"}, "role": {"reader"}, "reader_id": {"R2"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("adding an account: %d\n%s", rec.Code, rec.Body)
	}
	pw := secretOf(t, rec.Body.String())
	if len(pw) < account.MinPasswordLen || !strings.Contains(rec.Body.String(), "只显示这一次") {
		t.Errorf("the new password %q is not shown once", pw)
	}
	list := get(t, admin, "/admin/users").Body.String()
	var row string
	for _, r := range table(t, list, "users", "tbody") {
		if r[0] == "zhaoliu" {
			row = strings.Join(r, " | ")
		}
	}
	if row != "zhaoliu | 赵六 | 抄表员 | — | R2 | 启用 | 角色、密码、令牌" {
		t.Errorf("the new account's row = %q", row)
	}
	for _, page := range []string{list, get(t, admin, "/admin/users/zhaoliu").Body.String()} {
		if strings.Contains(page, pw) || strings.Contains(page, "argon2") {
			t.Error("a list shows the password or its hash")
		}
	}

	b := newBrowser(t, s.Handler(), "192.0.2.20")
	if rec := b.signin("zhaoliu", pw, "/readers/R2"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/readers/R2" {
		t.Fatalf("signing in as the new account: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := b.get("/readers/R2"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "王七") {
		t.Errorf("the new reader's own route: %d", rec.Code)
	}
	if rec := b.get("/readers/R1"); rec.Code != http.StatusForbidden {
		t.Errorf("the new reader on another's route: %d", rec.Code)
	}

	// Refusals are shown on the form, which keeps what was typed.
	for _, tc := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"id": {"zhaoliu"}, "name": {"又一个"}, "role": {"clerk"}}, "账号zhaoliu已存在"},
		{url.Values{"id": {"nobook"}, "name": {"无册"}, "role": {"reader"}}, "须关联抄表员编号"},
		{url.Values{"id": {"bad id"}, "name": {"空格"}, "role": {"clerk"}}, "无效: 应为1到32个字母"},
		{url.Values{"id": {"rev2"}, "name": {"审"}, "role": {"reviewer"}, "dispatch": {"1"}}, "派工权限只授予营业员"},
		{url.Values{"id": {"x1"}, "name": {"某"}, "role": {"boss"}}, "未知角色"},
	} {
		rec := submit(t, admin, "/admin/users", tc.form)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.says) ||
			!strings.Contains(rec.Body.String(), `value="`+tc.form.Get("name")+`"`) {
			t.Errorf("adding %v: %d, want 400 saying %q\n%s", tc.form, rec.Code, tc.says, rec.Body)
		}
	}
}

func TestRolePasswordAndState(t *testing.T) {
	s, _ := newTestServer(t)
	admin := signedIn(t, s, "admin")
	clerk := signedIn(t, s, "clerk")
	if rec := get(t, clerk, "/audit"); rec.Code != http.StatusForbidden {
		t.Fatalf("a clerk on the audit page: %d", rec.Code)
	}
	// Role change: the clerk becomes a reviewer, at once.
	if rec := submit(t, admin, "/admin/users/clerk/role", url.Values{"role": {"reviewer"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("role change: %d\n%s", rec.Code, rec.Body)
	}
	if rec := get(t, clerk, "/audit"); rec.Code != http.StatusOK {
		t.Errorf("after becoming a reviewer: %d", rec.Code)
	}
	if rec := submit(t, admin, "/admin/users/clerk/role", url.Values{"role": {"clerk"}, "dispatch": {"1"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("granting dispatch: %d", rec.Code)
	}
	if got := joinRows(table(t, get(t, admin, "/admin/users/clerk").Body.String(), "account", "tbody")); !strings.Contains(got, "派工权限 | 有") {
		t.Errorf("account page:\n%s", got)
	}
	if rec := submit(t, admin, "/admin/users/nobody/role", url.Values{"role": {"clerk"}}); rec.Code != http.StatusNotFound {
		t.Errorf("role of an unknown account: %d", rec.Code)
	}

	// Disable: the session stops; enable: it works again (the account is
	// re-read on every request).
	if rec := submit(t, admin, "/admin/users/clerk/disable", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d", rec.Code)
	}
	if rec := get(t, clerk, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("a disabled account's session: %d", rec.Code)
	}
	if got := get(t, admin, "/admin/users/clerk").Body.String(); !strings.Contains(got, `<td id="state">已停用</td>`) || !strings.Contains(got, `action="/admin/users/clerk/enable"`) {
		t.Errorf("the disabled account's page:\n%s", got)
	}
	if rec := submit(t, admin, "/admin/users/admin/disable", url.Values{}); rec.Code != http.StatusBadRequest ||
		!strings.Contains(rec.Body.String(), "不能停用自己的账号") {
		t.Errorf("disabling oneself: %d", rec.Code)
	}
	if rec := submit(t, admin, "/admin/users/clerk/enable", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("enable: %d", rec.Code)
	}

	// Reset: the new password is shown once; the old one no longer works.
	rec := submit(t, admin, "/admin/users/clerk/password", url.Values{})
	pw := secretOf(t, rec.Body.String())
	if _, _, err := s.opt.Access.SignIn("clerk", testPassword, "192.0.2.30"); err == nil {
		t.Error("the old password works after a reset")
	}
	if _, _, err := s.opt.Access.SignIn("clerk", pw, "192.0.2.30"); err != nil {
		t.Errorf("the reset password: %v", err)
	}
	if rec := submit(t, admin, "/admin/users/nobody/password", url.Values{}); rec.Code != http.StatusNotFound {
		t.Errorf("reset of an unknown account: %d", rec.Code)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	env := newTestEnv(t)
	s := env.srv
	b := newBrowser(t, s.Handler(), "192.0.2.40")
	b.signin("reader", testPassword, "")
	elsewhere := signedIn(t, s, "reader")
	env.clock.Add(time.Minute)
	page := b.get("/account")
	if got := joinRows(table(t, page.Body.String(), "me", "tbody")); got != "账号 | reader\n姓名 | 李四\n角色 | 抄表员\n抄表员/施工人员编号 | R1" {
		t.Errorf("own account:\n%s", got)
	}
	token := formToken(t, page.Body.String())
	change := func(old, pw, pw2 string) *httpResult {
		rec := b.post("/account/password", url.Values{"csrf": {token}, "old": {old}, "new": {pw}, "new2": {pw2}})
		return &httpResult{rec.Code, rec.Header().Get("Location"), rec.Body.String()}
	}
	for _, tc := range []struct {
		old, pw, pw2 string
		status       int
		says         string
	}{
		{testPassword, "a new long password", "a new long passwort", 400, "两次输入的新密码不一致"},
		{"not my password", "a new long password", "a new long password", 400, "原密码错误"},
		{testPassword, "short", "short", 400, "密码至少10个字符"},
		{testPassword, "", "", 400, "“新密码”(new)不能为空"},
	} {
		if r := change(tc.old, tc.pw, tc.pw2); r.status != tc.status || !strings.Contains(r.body, tc.says) {
			t.Errorf("change %q→%q/%q: %d, want %d saying %q", tc.old, tc.pw, tc.pw2, r.status, tc.status, tc.says)
		}
	}
	if r := change(testPassword, "a new long password", "a new long password"); r.status != http.StatusSeeOther || r.location != "/account?done=password" {
		t.Fatalf("change: %d %q\n%s", r.status, r.location, r.body)
	}
	if rec := b.get("/account?done=password"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "密码已修改") {
		t.Errorf("this browser after the change: %d", rec.Code)
	}
	if rec := get(t, elsewhere, "/account"); rec.Code != http.StatusSeeOther {
		t.Errorf("a session elsewhere after the change: %d, want signed out", rec.Code)
	}
	if _, _, err := s.opt.Access.SignIn("reader", "a new long password", "192.0.2.41"); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

type httpResult struct {
	status   int
	location string
	body     string
}

func TestTokensIssueListRevoke(t *testing.T) {
	s, _ := newTestServer(t)
	admin := signedIn(t, s, "admin")
	rec := submit(t, admin, "/admin/users/clerk/tokens", url.Values{"label": {"客服系统导入"}})
	secret := secretOf(t, rec.Body.String())
	id, ok := account.TokenID(secret)
	if !ok {
		t.Fatalf("not a token: %q", secret)
	}
	api := withBearer(s.Handler(), secret)
	if rec := get(t, api, "/api/v1/readers"); rec.Code != http.StatusOK {
		t.Errorf("the new token: %d", rec.Code)
	}
	page := get(t, admin, "/admin/users/clerk").Body.String()
	if strings.Contains(page, secret) || strings.Contains(page, secret[17:]) {
		t.Error("the account page shows the token's secret")
	}
	rows := joinRows(table(t, page, "tokens", "tbody"))
	if want := id + " | 客服系统导入 | 2026-03-15 10:00 | 2027-03-15 10:00 | 有效 | 撤销"; rows != want {
		t.Errorf("tokens:\n%s\nwant\n%s", rows, want)
	}
	// A token is revoked under its own account only.
	if rec := submit(t, admin, "/admin/users/reader/tokens/"+id+"/revoke", url.Values{}); rec.Code != http.StatusNotFound {
		t.Errorf("revoking through another account: %d", rec.Code)
	}
	if rec := submit(t, admin, "/admin/users/clerk/tokens/"+id+"/revoke", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoking: %d", rec.Code)
	}
	if rec := get(t, api, "/api/v1/readers"); rec.Code != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d", rec.Code)
	}
	rows = joinRows(table(t, get(t, admin, "/admin/users/clerk").Body.String(), "tokens", "tbody"))
	if want := id + " | 客服系统导入 | 2026-03-15 10:00 | 2027-03-15 10:00 | 已撤销(2026-03-15 10:00) | "; rows != want {
		t.Errorf("tokens after revoking:\n%s\nwant\n%s", rows, want)
	}
	if rec := submit(t, admin, "/admin/users/nobody/tokens", url.Values{"label": {"x"}}); rec.Code != http.StatusNotFound {
		t.Errorf("a token for an unknown account: %d", rec.Code)
	}
}

func TestDevicesPairListRevoke(t *testing.T) {
	s, _ := newTestServer(t)
	clerk := signedIn(t, s, "clerk")
	rec := submit(t, clerk, "/admin/devices", url.Values{"id": {"HH-0001"}, "name": {"一号机"}, "reader_id": {"R1"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "抄表机的“配对”菜单") {
		t.Fatalf("pairing: %d\n%s", rec.Code, rec.Body)
	}
	shown := secretOf(t, rec.Body.String())
	keyHex := strings.ReplaceAll(shown, " ", "")
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != 32 || len(strings.Fields(shown)) != 16 {
		t.Fatalf("key shown as %q: %v", shown, err)
	}
	var d account.Device
	if err := s.opt.Store.View(func(tx store.ReadTx) error { d, err = tx.Device("HH-0001"); return err }); err != nil {
		t.Fatal(err)
	}
	if !d.VerifyProof([]byte("nonce"), account.Prove(key, []byte("nonce"))) || d.PairedBy != "clerk" {
		t.Errorf("the key shown is not the device's: %+v", d)
	}
	list := get(t, clerk, "/admin/devices").Body.String()
	if strings.Contains(list, keyHex) || strings.Contains(list, shown) || strings.Contains(strings.ToLower(list), keyHex[:16]) {
		t.Error("the device list shows the key")
	}
	if got := joinRows(table(t, list, "devices", "tbody")); got != "HH-0001 | 一号机 | R1 李四 | 2026-03-15 10:00 | clerk | 使用中 | 停用" {
		t.Errorf("devices:\n%s", got)
	}
	if rec := submit(t, clerk, "/admin/devices/HH-0001/revoke", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoking: %d", rec.Code)
	}
	if got := joinRows(table(t, get(t, clerk, "/admin/devices").Body.String(), "devices", "tbody")); got != "HH-0001 | 一号机 | R1 李四 | 2026-03-15 10:00 | clerk | 已停用(2026-03-15 10:00) | " {
		t.Errorf("devices after revoking:\n%s", got)
	}
	if _, err := s.opt.Access.AuthenticateDevice("HH-0001", []byte("n"), account.Prove(key, []byte("n"))); err == nil {
		t.Error("a revoked handheld authenticates")
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"id": {"HH-2"}, "reader_id": {"R9"}}, 400, "抄表员“R9”不存在"},
		{url.Values{"id": {"HH 2"}}, 400, "抄表机编号无效"},
	} {
		if rec := submit(t, clerk, "/admin/devices", tc.form); rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says) {
			t.Errorf("pairing %v: %d, want %d saying %q", tc.form, rec.Code, tc.status, tc.says)
		}
	}
	if rec := submit(t, clerk, "/admin/devices/HH-9/revoke", url.Values{}); rec.Code != http.StatusNotFound {
		t.Errorf("revoking an unknown handheld: %d", rec.Code)
	}
}

// TestEveryPostFormCarriesTheCSRFToken renders every page with a form as an
// administrator and checks each form that posts.
func TestEveryPostFormCarriesTheCSRFToken(t *testing.T) {
	s, _ := newTestServer(t)
	routeSamples(t, s) // a token and a handheld, so that their forms show
	sess := signIn(t, s, "admin")
	h := withSession(s.Handler(), sess)
	seen := 0
	for _, target := range []string{"/", "/account", "/admin/users", "/admin/users/victim", "/admin/devices", "/audit",
		"/readers/R1", "/nothing/here"} {
		doc := parseHTML(t, get(t, h, target).Body.String())
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
				seen++
				in := find(n, func(c *html.Node) bool { return c.Data == "input" && attr(c, "name") == csrfField })
				if in == nil || attr(in, "value") != sess.csrf || attr(in, "type") != "hidden" {
					t.Errorf("%s: form %s posts without the session's CSRF token", target, attr(n, "action"))
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
	if seen < 15 {
		t.Errorf("only %d forms seen", seen)
	}
}
