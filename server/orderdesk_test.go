package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"meter-sync/account"
	"meter-sync/orders"
	"meter-sync/store"
)

// createOrderAPI accepts an order through the API as account id and
// returns it.
func createOrderAPI(t *testing.T, s *Server, id, body string) store.Order {
	t.Helper()
	rec := postJSON(t, signedIn(t, s, id), "/api/v1/orders", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create as %s = %d: %s", id, rec.Code, rec.Body)
	}
	var o store.Order
	if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

const sealOrder = `{"customer_id":"3300000002","business":"封表","priority":"尽快安排","requirement":"用户欠费,封表"}`

func TestOrderDeskPermissions(t *testing.T) {
	s, _ := newTestServer(t)
	pending := createOrderAPI(t, s, "clerk", sealOrder)
	dispatched := createOrderAPI(t, s, "clerk", sealOrder)
	if rec := postJSON(t, signedIn(t, s, "dispatcher"), "/api/v1/orders/"+dispatched.ID+"/dispatch",
		`{"version":1,"technician":"T01","note":"上午"}`); rec.Code != http.StatusOK {
		t.Fatalf("dispatch = %d: %s", rec.Code, rec.Body)
	}
	tests := []struct {
		account, method, target, body string
		status                        int
	}{
		{"reviewer", "POST", "/api/v1/orders", sealOrder, 403},
		{"tech", "POST", "/api/v1/orders", sealOrder, 403},
		{"reader", "POST", "/api/v1/orders", sealOrder, 403},
		{"leader", "POST", "/api/v1/orders", sealOrder, 201},
		{"clerk", "POST", "/api/v1/orders/" + pending.ID + "/dispatch", `{"version":1,"technician":"T01"}`, 403},
		{"tech", "POST", "/api/v1/orders/" + pending.ID + "/dispatch", `{"version":1,"technician":"T01"}`, 403},
		{"dispatcher", "POST", "/api/v1/orders/" + dispatched.ID + "/reassign", `{"version":2,"technician":"T01","note":"x"}`, 403},
		{"dispatcher", "POST", "/api/v1/orders/" + pending.ID + "/void", `{"version":1,"note":"x"}`, 403},
		{"dispatcher", "POST", "/api/v1/orders/" + pending.ID + "/postpone", `{"version":1,"note":"x","due":"2026-04-01T00:00:00+08:00"}`, 403},
		{"clerk", "POST", "/api/v1/orders/" + pending.ID + "/cancel", `{"version":1,"note":"x"}`, 403},
		{"tech", "GET", "/api/v1/orders/" + pending.ID, "", 403},
		{"clerk", "GET", "/api/v1/orders/" + pending.ID, "", 403},
		{"reviewer", "GET", "/api/v1/orders/" + pending.ID, "", 200},
		{"tech", "POST", "/api/v1/receipts", `{}`, 403},
		{"reviewer", "POST", "/api/v1/receipts", `{}`, 403},
		{"tech", "GET", "/orders/" + pending.ID, "", 403},
		{"reviewer", "GET", "/orders/new", "", 403},
		{"clerk", "GET", "/orders/new", "", 200},
		{"leader", "POST", "/api/v1/orders/" + pending.ID + "/postpone", `{"version":1,"note":"用户约定","due":"2026-04-01T00:00:00+08:00"}`, 200},
		{"dispatcher", "POST", "/api/v1/orders/" + pending.ID + "/cancel", `{"version":2,"note":"用户出差,等用户电话"}`, 200},
		{"leader", "POST", "/api/v1/orders/" + dispatched.ID + "/void", `{"version":2,"note":"楼栋未通气"}`, 200},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s %s", tc.account, tc.method, tc.target), func(t *testing.T) {
			var rec interface{ Result() *http.Response }
			h := signedIn(t, s, tc.account)
			if tc.method == "GET" {
				rec = get(t, h, tc.target)
			} else {
				rec = postJSON(t, h, tc.target, tc.body)
			}
			if got := rec.Result().StatusCode; got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
		})
	}
}

func TestOrderDeskFlow(t *testing.T) {
	s, _ := newTestServer(t)
	leader := signedIn(t, s, "leader")
	o := createOrderAPI(t, s, "dispatcher", sealOrder)
	if o.Status != store.OrderPending || o.Origin != store.OriginCIS || o.Due.IsZero() {
		t.Fatalf("created %+v", o)
	}
	// A refused create says every problem with its field.
	rec := postJSON(t, leader, "/api/v1/orders", `{"customer_id":"nobody","business":"报装"}`)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"path":"customer_id"`) ||
		!strings.Contains(rec.Body.String(), `"path":"business"`) {
		t.Errorf("bad create = %d: %s", rec.Code, rec.Body)
	}
	if rec := postJSON(t, leader, "/api/v1/orders/"+o.ID+"/dispatch", `{"version":1,"technician":"T01","note":"上午"}`); rec.Code != 200 {
		t.Fatalf("dispatch = %d: %s", rec.Code, rec.Body)
	}
	// A stale version is a 409 with the order as it is.
	rec = postJSON(t, leader, "/api/v1/orders/"+o.ID+"/void", `{"version":1,"note":"x"}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"status":"已派工"`) {
		t.Errorf("stale void = %d: %s", rec.Code, rec.Body)
	}
	if rec := postJSON(t, leader, "/api/v1/orders/nope/void", `{"version":1,"note":"x"}`); rec.Code != http.StatusNotFound {
		t.Errorf("missing order = %d", rec.Code)
	}
	if rec := postJSON(t, leader, "/api/v1/orders/"+o.ID+"/void", `{"version":2,"bogus":1}`); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown field = %d", rec.Code)
	}
	// A clerk enters the paper receipt; the order completes.
	receipt := `{"base_version":2,"receipt":{"id":"paper-1","order_id":"` + o.ID + `","customer_id":"3300000002","business":"封表",
		"outcome":"合格","arrived_at":"2026-03-10T09:00:00+08:00","ended_at":"2026-03-10T09:30:00+08:00","settle_m3":321,"reason":"欠费"}}`
	rec = postJSON(t, signedIn(t, s, "dispatcher"), "/api/v1/receipts", receipt)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"kind":"applied"`) {
		t.Fatalf("receipt = %d: %s", rec.Code, rec.Body)
	}
	var d orderDetail
	if err := json.Unmarshal(get(t, leader, "/api/v1/orders/"+o.ID).Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Order.Status != store.OrderCompleted || len(d.Receipts) != 1 || len(d.Order.History) != 2 {
		t.Errorf("detail %+v", d)
	}
	// The page shows history and receipts.
	page := get(t, leader, "/orders/"+o.ID)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "paper-1") || !strings.Contains(page.Body.String(), "已完成") {
		t.Errorf("page = %d", page.Code)
	}
}

func TestOrderDeskForms(t *testing.T) {
	s, _ := newTestServer(t)
	sess := signIn(t, s, "leader")
	h := withSession(s.Handler(), sess)
	// Accepting from the back office.
	rec := submit(t, h, "/orders", url.Values{"csrf": {sess.csrf}, "customer_id": {"3300000002"}, "business": {"换表"}, "priority": {"加急安排"}},
		"X-CSRF-Token: ")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create form = %d: %s", rec.Code, rec.Body)
	}
	where := rec.Header().Get("Location")
	id := strings.TrimPrefix(where, "/orders/")
	page := get(t, h, where)
	for _, want := range []string{`id="dispatch"`, `id="postpone"`, `id="void"`, `id="cancel"`, "待派工"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("order page lacks %s", want)
		}
	}
	// A form without the CSRF token is refused.
	plain := withSession(s.Handler(), session{cookie: sess.cookie, csrf: "wrong"})
	if rec := submit(t, plain, "/orders/"+id+"/void", url.Values{"version": {"1"}, "note": {"x"}}); rec.Code != http.StatusForbidden {
		t.Errorf("void without CSRF = %d", rec.Code)
	}
	rec = submit(t, h, "/orders/"+id+"/dispatch", url.Values{"csrf": {sess.csrf}, "version": {"1"}, "technician": {"T01"}, "note": {"上午"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("dispatch form = %d: %s", rec.Code, rec.Body)
	}
	// A rule's refusal is shown on the page in Chinese.
	rec = submit(t, h, "/orders/"+id+"/postpone", url.Values{"csrf": {sess.csrf}, "version": {"2"}, "due": {"2026-04-01"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "业务顺延备注") {
		t.Errorf("postpone without note = %d", rec.Code)
	}
	rec = submit(t, h, "/orders/"+id+"/void", url.Values{"csrf": {sess.csrf}, "version": {"1"}, "note": {"x"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "已被他人修改") {
		t.Errorf("stale void = %d", rec.Code)
	}
	rec = submit(t, h, "/orders/"+id+"/void", url.Values{"csrf": {sess.csrf}, "version": {"2"}, "note": {"楼栋未经验收"}})
	if rec.Code != http.StatusSeeOther || !strings.Contains(get(t, h, "/orders/"+id).Body.String(), "已作废") {
		t.Errorf("void = %d", rec.Code)
	}
}

// orderDeskSamples are the route walks' requests of the order desk, on an
// order made for them: each answers the same whoever sends it and however
// often.
func orderDeskSamples(t *testing.T, s *Server) map[string]sample {
	t.Helper()
	var o store.Order
	err := s.opt.Store.Update(func(tx store.Tx) error {
		var err error
		o, err = orders.DefaultPolicy().CreateOrder(tx, orders.Actor{Account: account.Account{ID: "test", Role: account.RoleAdmin}},
			orders.NewOrder{CustomerID: "3300000002", Business: "换表"}, store.OriginOffice, s.now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stale := url.Values{"version": {"0"}, "note": {"x"}, "technician": {"T01"}}
	out := map[string]sample{
		"GET /orders/new":        {target: "/orders/new", status: 200},
		"POST /orders":           {target: "/orders", form: url.Values{"customer_id": {"3300000002"}}, status: 422},
		"GET /orders/:id":        {target: "/orders/" + o.ID, status: 200},
		"GET /api/v1/orders/:id": {target: "/api/v1/orders/" + o.ID, status: 200},
		"POST /api/v1/orders":    {target: "/api/v1/orders", status: 415},   // (no JSON body)
		"POST /api/v1/receipts":  {target: "/api/v1/receipts", status: 415}, // (no JSON body)
	}
	for _, kind := range []string{"dispatch", "reassign", "postpone", "void", "cancel"} {
		out["POST /orders/:id/"+kind] = sample{target: "/orders/" + o.ID + "/" + kind, form: stale, status: 409}
		out["POST /api/v1/orders/:id/"+kind] = sample{target: "/api/v1/orders/" + o.ID + "/" + kind, status: 415}
	}
	return out
}
