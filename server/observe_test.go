package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"meter-sync/access"
	"meter-sync/store"
)

func TestMetrics(t *testing.T) {
	s, _ := newTestServer(t)
	secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, "admin", "Prometheus")
	if err != nil {
		t.Fatal(err)
	}
	prom := withBearer(s.Handler(), secret)
	get(t, signedIn(t, s, "clerk"), "/api/v1/readers/R1/route")
	get(t, s.Handler(), "/api/v1/customers/3300000001")
	get(t, s.Handler(), "/no/such/page")
	rec := get(t, prom, "/metrics")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, want := range []string{
		`meter_sync_http_requests_total{code="200",method="GET",route="/api/v1/readers/:id/route"} 1`,
		`meter_sync_http_requests_total{code="401",method="GET",route="/api/v1/customers/:id"} 1`,
		`meter_sync_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`meter_sync_http_request_duration_seconds_bucket{method="GET",route="/api/v1/readers/:id/route",le="+Inf"} 1`,
		`meter_sync_signins_total{result="ok"} 0`, `meter_sync_signins_total{result="failed"} 0`,
		`meter_sync_signins_total{result="locked"} 0`,
		"meter_sync_customers 8", "meter_sync_store_size_bytes ", "go_goroutines ", "process_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, raw := range []string{"R1/route", "3300000001", "/no/such"} {
		if strings.Contains(body, raw) {
			t.Errorf("metrics hold the raw path %s", raw)
		}
	}
	for _, name := range []string{"dock", "anomal", "sync"} {
		if strings.Contains(body, "meter_sync_"+name) {
			t.Errorf("a metric of %s, which nothing produces yet", name)
		}
	}
	// Prometheus scrapes as an administrator; other roles may not.
	if rec := get(t, signedIn(t, s, "reviewer"), "/metrics"); rec.Code != http.StatusForbidden {
		t.Errorf("a reviewer on /metrics: %d", rec.Code)
	}
	if rec := get(t, s.Handler(), "/metrics"); rec.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without credentials: %d", rec.Code)
	}
	// Two servers in a process keep their counts apart: no global registry.
	other, _ := newTestServer(t)
	if strings.Contains(get(t, asCLI(other), "/metrics").Body.String(), `route="/api/v1/readers/:id/route"`) {
		t.Error("metrics are shared between servers")
	}
}

// TestLogsHoldNoPersonalData runs a whole working session (sign-in, route
// pages, the customer API, the audit trail and its exports, account and
// handheld administration) with a JSON log at DEBUG, and checks that no
// line at INFO or above holds a customer's name, address, phone or bank
// card, a password, or a secret (token, cookie, CSRF token, device key).
func TestLogsHoldNoPersonalData(t *testing.T) {
	env := newTestEnv(t)
	s := env.srv
	// An audit entry with personal fields, as an import of customers writes.
	if err := env.st.Update(func(tx store.Tx) error {
		_, err := tx.AppendAudit(store.AuditEntry{At: march, Actor: "importer", Action: "customer.update", Key: "3300000001",
			Before: []byte(`{"Name":"陈一","Phone":"13800000000"}`), After: []byte(`{"Name":"陈一","BankCard":"6222020000001234","BankName":"工商银行"}`),
			Note: "陈一 江滨花园1幢1单元201室"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		s.Handler().ServeHTTP(w, r)
	})
	secrets := []string{testPassword, "wrong horse battery"}
	b := newBrowser(t, counted, "192.0.2.50")
	b.signin("admin", "wrong horse battery", "")
	b.signin("admin", testPassword, "/readers/R1")
	secrets = append(secrets, b.cookies[sessionCookie].Value)
	token := formToken(t, b.get("/account").Body.String())
	secrets = append(secrets, token)
	for _, target := range []string{"/", "/readers/R1?cycle=2026-03", "/readers/R2?cycle=2026-05", "/api/v1/readers",
		"/api/v1/readers/R1/route", "/api/v1/customers/3300000001", "/api/v1/customers/3300000001?name=%E9%99%88%E4%B8%80",
		"/api/v1/customers/%E9%99%88%E4%B8%80", "/audit?text=%E9%99%88%E4%B8%80", "/audit?key=3300000001",
		"/audit/export?format=csv&text=%E9%99%88%E4%B8%80", "/audit/export?format=xlsx&key=3300000001",
		"/nothing/%E6%B1%9F%E6%BB%A8%E8%8A%B1%E5%9B%AD", "/audit?from=%E9%99%88"} {
		b.get(target)
	}
	post := func(target string, form url.Values) string {
		form.Set("csrf", token)
		return b.post(target, form).Body.String()
	}
	pw := secretOf(t, post("/admin/users", url.Values{"id": {"wangwu"}, "name": {"王五"}, "role": {"reader"}, "reader_id": {"R2"}}))
	reset := secretOf(t, post("/admin/users/wangwu/password", url.Values{}))
	apiToken := secretOf(t, post("/admin/users/clerk/tokens", url.Values{"label": {"客服系统"}}))
	key := secretOf(t, post("/admin/devices", url.Values{"id": {"HH-7"}, "name": {"七号机"}, "reader_id": {"R1"}}))
	secrets = append(secrets, pw, reset, apiToken, apiToken[17:], key, strings.ReplaceAll(key, " ", ""))
	post("/account/password", url.Values{"old": {testPassword}, "new": {"another long secret"}, "new2": {"another long secret"}})
	secrets = append(secrets, "another long secret")
	api := withBearer(counted, apiToken)
	get(t, api, "/api/v1/customers/3300000001")
	get(t, api, "/api/v1/customers/3300000002?phone=13800000000")
	get(t, withBearer(counted, apiToken+"x"), "/api/v1/readers")
	reader := newBrowser(t, counted, "192.0.2.51")
	reader.signin("wangwu", reset, "")
	reader.get("/readers/R1")
	reader.post("/admin/devices", url.Values{"id": {"HH-8"}})
	post("/signout", url.Values{})

	personal := []string{"陈一", "林二", "黄三", "周四", "吴五", "郑六", "王七", "冯八", "江滨花园", "幢", "13800000000",
		"6222020000001234", "工商银行"}
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(env.logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l["level"] == "DEBUG" {
			continue
		}
		if l["msg"] == "request" {
			lines++
		}
		for _, p := range append(personal, secrets...) {
			if p != "" && strings.Contains(line, p) {
				t.Errorf("log line holds %q:\n%s", p, line)
			}
		}
		for _, k := range []string{"path", "uri", "query", "form", "cookie", "authorization"} {
			if _, ok := l[k]; ok {
				t.Errorf("log line has a %s field: %s", k, line)
			}
		}
	}
	if int64(lines) != requests.Load() {
		t.Errorf("%d request lines for %d requests", lines, requests.Load())
	}
}
