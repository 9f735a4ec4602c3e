package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	tabsync "meter-sync/sync"
)

// syncEnv is a server with tablet sync over the seeded store: technicians
// "tech" (T01) and "tech2" (T02) with a token each, orders dispatched to both.
type syncEnv struct {
	srv          *Server
	st           store.Store
	tech, tech2  http.Handler // bearer-token clients
	mine, theirs store.Order  // T01's order and T02's
	openAPI      map[string]any
}

func newSyncEnv(t *testing.T) *syncEnv {
	t.Helper()
	st := openStore(t)
	seed(t, st)
	clock := &testClock{t: march}
	acc := fastAccess(st, clock.Now)
	by := access.Actor{ID: "system"}
	accounts := append(testAccounts, access.NewAccount{ID: "tech2", Name: "施工员庚", Role: account.RoleTechnician, ReaderID: "T02"})
	for _, a := range accounts {
		a.Password = testPassword
		if _, err := acc.AddAccount(by, a); err != nil {
			t.Fatal(err)
		}
	}
	pol := orders.DefaultPolicy()
	svc := tabsync.New(tabsync.Options{Store: st, Applier: pol, BlobDir: filepath.Join(t.TempDir(), "blobs"), Now: clock.Now})
	env := &syncEnv{st: st}
	env.srv = New(Options{Store: st, Access: acc, Now: clock.Now, AdminToken: testToken, Sync: svc,
		Logger: slog.New(slog.DiscardHandler)})
	dispatcher := orders.Actor{Account: account.Account{ID: "dispatcher", Role: account.RoleClerk, CanDispatch: true}}
	err := st.Update(func(tx store.Tx) error {
		for i, tech := range []string{"T01", "T02"} {
			o, err := pol.CreateOrder(tx, dispatcher, orders.NewOrder{CustomerID: fmt.Sprintf("330000000%d", 2+i), Business: "封表",
				Requirement: "欠费封表"}, store.OriginOffice, march)
			if err != nil {
				return err
			}
			if o, err = pol.Dispatch(tx, dispatcher, orders.Change{OrderID: o.ID, Version: o.Version, Technician: tech}, march); err != nil {
				return err
			}
			if i == 0 {
				env.mine = o
			} else {
				env.theirs = o
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"tech", "tech2"} {
		secret, _, err := acc.IssueToken(by, id, "平板")
		if err != nil {
			t.Fatal(err)
		}
		h := withBearer(env.srv.Handler(), secret)
		if id == "tech" {
			env.tech = h
		} else {
			env.tech2 = h
		}
	}
	_, env.openAPI = loadOpenAPI(t)
	return env
}

var tabletHeaders = []string{"X-Device-Id: TAB-0001", "X-Device-Time: " + march.Format(time.RFC3339)}

// call serves a sync request and checks its body against openapi.json's
// schema for the operation and status (documented as path).
func (e *syncEnv) call(t *testing.T, h http.Handler, method, path, target string, body []byte, status int, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	rec := do(t, h, method, target, r, header...)
	if rec.Code != status {
		t.Fatalf("%s %s = %d, want %d: %s", method, target, rec.Code, status, rec.Body)
	}
	if status != http.StatusNoContent && !strings.HasPrefix(path, "-") {
		plain := decompress(t, rec)
		var v any
		if err := json.Unmarshal(plain, &v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, target, err, plain)
		}
		for _, err := range validate(e.openAPI, responseSchema(t, e.openAPI, path, strings.ToLower(method), status), v, "$") {
			t.Errorf("%s %s: %v", method, target, err)
		}
		rec.Body = bytes.NewBuffer(plain)
	}
	return rec
}

func decompress(t *testing.T, rec *httptest.ResponseRecorder) []byte { return decompressTB(t, rec) }

func decompressTB(t testing.TB, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	t.Helper()
	switch rec.Header().Get("Content-Encoding") {
	case "zstd":
		d, _ := zstd.NewReader(nil)
		b, err := d.DecodeAll(rec.Body.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case "gzip":
		r, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		return b
	}
	return rec.Body.Bytes()
}

func (e *syncEnv) pull(t *testing.T, h http.Handler, cursor string, header ...string) syncwire.ChangesPage {
	t.Helper()
	rec := e.call(t, h, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cursor="+cursor, nil, 200, append(tabletHeaders, header...)...)
	p, err := syncwire.DecodeChangesPage(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func receiptMutation(id string, o store.Order, customer string) map[string]any {
	return map[string]any{"id": id, "kind": "receipt", "order_id": o.ID, "base_version": o.Version,
		"made_at": march.Format(time.RFC3339), "receipt": map[string]any{"customer_id": customer, "business": "封表",
			"outcome": "合格", "arrived_at": march.Add(-2 * time.Hour).Format(time.RFC3339),
			"ended_at": march.Add(-time.Hour).Format(time.RFC3339), "settle_m3": 12, "reason": "用户欠费"}}
}

func pushBody(ms ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"mutations": ms})
	return b
}

func TestSyncCredentialsAndHeaders(t *testing.T) {
	e := newSyncEnv(t)
	anyone := e.srv.Handler()
	e.call(t, anyone, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes", nil, 401, tabletHeaders...)
	e.call(t, withBearer(anyone, "mst_0123456789ab_junk"), "POST", "/api/v1/sync/push", "/api/v1/sync/push", pushBody(), 401, tabletHeaders...)
	e.call(t, withBearer(anyone, testToken), "GET", "/api/v1/sync/changes", "/api/v1/sync/changes", nil, 403, tabletHeaders...)
	e.call(t, signedIn(t, e.srv, "tech"), "GET", "/api/v1/sync/mutations", "/api/v1/sync/mutations", nil, 403)
	for _, tc := range []struct {
		target string
		header []string
		path   string
	}{
		{"/api/v1/sync/changes", nil, "X-Device-Id"},
		{"/api/v1/sync/changes", []string{"X-Device-Id: TAB 1"}, "X-Device-Id"},
		{"/api/v1/sync/changes", []string{"X-Device-Id: TAB-1"}, "X-Device-Time"},
		{"/api/v1/sync/changes", []string{"X-Device-Id: TAB-1", "X-Device-Time: 9:30"}, "X-Device-Time"},
		{"/api/v1/sync/changes?limit=0", tabletHeaders, "limit"},
		{"/api/v1/sync/changes?cursor=zzz", tabletHeaders, "cursor"},
		{"/api/v1/sync/changes", append([]string{"X-Sync-Version: 2"}, tabletHeaders...), "X-Sync-Version"},
	} {
		rec := e.call(t, e.tech, "GET", "/api/v1/sync/changes", tc.target, nil, 400, tc.header...)
		if !strings.Contains(rec.Body.String(), `"path":"`+tc.path+`"`) {
			t.Errorf("%s %v: %s, want path %s", tc.target, tc.header, rec.Body, tc.path)
		}
	}
}

func TestSyncPullThroughHTTP(t *testing.T) {
	e := newSyncEnv(t)
	for _, enc := range []string{"zstd", "gzip", ""} {
		rec := do(t, e.tech, "GET", "/api/v1/sync/changes", nil, append(tabletHeaders, "Accept-Encoding: "+enc)...)
		if rec.Header().Get("Content-Encoding") != enc {
			t.Errorf("Accept-Encoding %q answered %q", enc, rec.Header().Get("Content-Encoding"))
		}
	}
	p := e.pull(t, e.tech, "", "Accept-Encoding: gzip, zstd")
	if len(p.Orders) != 1 || p.Orders[0].ID != e.mine.ID || len(p.Customers) != 1 || p.Customers[0].ID != "3300000002" || p.More {
		t.Fatalf("tech's first pull: %+v", p)
	}
	if p.Customers[0].Phone == "" || strings.Contains(fmt.Sprint(p), "6222") {
		t.Fatalf("the household: %+v", p.Customers[0])
	}
	again := e.pull(t, e.tech, p.Cursor)
	if again.Cursor != p.Cursor || len(again.Orders)+len(again.Customers)+len(again.Removed) != 0 {
		t.Fatalf("nothing new: %+v", again)
	}
	// Another technician's cursor is refused without a word of its orders.
	other := e.pull(t, e.tech2, "")
	rec := e.call(t, e.tech, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cursor="+other.Cursor, nil, 400, tabletHeaders...)
	if strings.Contains(rec.Body.String(), e.theirs.ID) {
		t.Fatalf("the refusal names T02's order: %s", rec.Body)
	}
	ahead := syncwire.EncodeCursor("T01", syncwire.Cursor{Seq: 999})
	rec = e.call(t, e.tech, "GET", "/api/v1/sync/changes", "/api/v1/sync/changes?cursor="+ahead, nil, 410, tabletHeaders...)
	if !strings.Contains(rec.Body.String(), "resync_required") {
		t.Fatalf("410 body %s", rec.Body)
	}
	// A skewed tablet is told its skew.
	rec = do(t, e.tech, "GET", "/api/v1/sync/changes", nil, "X-Device-Id: TAB-0001", "X-Device-Time: "+march.Add(90*time.Second).Format(time.RFC3339))
	if rec.Header().Get("X-Clock-Skew-Ms") != "90000" {
		t.Fatalf("skew header %q", rec.Header().Get("X-Clock-Skew-Ms"))
	}
}

func zstdBytes(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll(b, nil)
}

func TestSyncPushThroughHTTP(t *testing.T) {
	e := newSyncEnv(t)
	good := receiptMutation("00000000-0000-4000-8000-000000000001", e.mine, "3300000002")
	bad := receiptMutation("00000000-0000-4000-8000-000000000002", e.mine, "3300000002")
	bad["base_version"] = "one"
	body := pushBody(bad, good)
	h := append([]string{"Content-Encoding: zstd", "Accept-Encoding: zstd"}, tabletHeaders...)
	rec := e.call(t, e.tech, "POST", "/api/v1/sync/push", "/api/v1/sync/push", zstdBytes(body), 200, h...)
	resp, err := syncwire.DecodePushResponse(rec.Body.Bytes())
	if err != nil || len(resp.Results) != 2 || resp.Results[0].Status != "rejected" || resp.Results[1].Status != "applied" {
		t.Fatalf("push: %s", rec.Body)
	}
	if resp.Results[0].Problems[0].Path != "mutations[0].base_version" {
		t.Fatalf("problem path %+v", resp.Results[0].Problems)
	}
	// The retry, gzip this time: the same decision, replayed.
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(pushBody(good))
	w.Close()
	rec = e.call(t, e.tech, "POST", "/api/v1/sync/push", "/api/v1/sync/push", gz.Bytes(), 200, append([]string{"Content-Encoding: gzip"}, tabletHeaders...)...)
	if r, _ := syncwire.DecodePushResponse(rec.Body.Bytes()); !r.Results[0].Replayed || r.Results[0].ReceiptID != resp.Results[1].ReceiptID {
		t.Fatalf("retry: %s", rec.Body)
	}
	// T02's order answers as one that does not exist.
	mine := e.call(t, e.tech, "POST", "/api/v1/sync/push", "/api/v1/sync/push",
		pushBody(receiptMutation("00000000-0000-4000-8000-000000000003", e.theirs, "3300000003")), 200, tabletHeaders...).Body.String()
	ghost := e.theirs
	ghost.ID = "PG0000009999"
	none := e.call(t, e.tech, "POST", "/api/v1/sync/push", "/api/v1/sync/push",
		pushBody(receiptMutation("00000000-0000-4000-8000-000000000004", ghost, "3300000003")), 200, tabletHeaders...).Body.String()
	strip := func(s, id, uuid string) string {
		s = strings.ReplaceAll(strings.ReplaceAll(s, id, "X"), uuid, "U")
		return s[strings.Index(s, `"results"`):]
	}
	if strip(mine, e.theirs.ID, "00000000-0000-4000-8000-000000000003") != strip(none, ghost.ID, "00000000-0000-4000-8000-000000000004") {
		t.Fatalf("another's order %s\na missing one %s", mine, none)
	}
	// Malformed and oversized bodies.
	for _, tc := range []struct {
		body   []byte
		header []string
		status int
		path   string
	}{
		{[]byte(`{"mutations":`), nil, 400, `"error"`},
		{[]byte(`{"mutations":{}}`), nil, 400, `"path":"mutations"`},
		{[]byte(`{"mutations":[` + strings.Repeat(`{},`, 100) + `{}]}`), nil, 413, `"path":"mutations"`},
		{[]byte("not zstd"), []string{"Content-Encoding: zstd"}, 400, `"path":"Content-Encoding"`},
		{zstdBytes(bytes.Repeat([]byte(" "), 9<<20)), []string{"Content-Encoding: zstd"}, 413, `"error"`},
		{bytes.Repeat([]byte(" "), 2<<20), nil, 413, `"error"`},
	} {
		rec := do(t, e.tech, "POST", "/api/v1/sync/push", bytes.NewReader(tc.body), append(tc.header, tabletHeaders...)...)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.path) {
			t.Errorf("push of %.40q: %d %s, want %d with %s", tc.body, rec.Code, rec.Body, tc.status, tc.path)
		}
	}
	rec = do(t, e.tech, "POST", "/api/v1/sync/push", strings.NewReader("x"), append([]string{"Content-Encoding: br"}, tabletHeaders...)...)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("Content-Encoding br: %d", rec.Code)
	}
	// The back office sees the refused one.
	rec = e.call(t, signedIn(t, e.srv, "dispatcher"), "GET", "/api/v1/sync/mutations", "/api/v1/sync/mutations", nil, 200)
	var page syncwire.RejectedPage
	json.Unmarshal(rec.Body.Bytes(), &page)
	if len(page.Mutations) != 3 || page.Mutations[2].ID != "00000000-0000-4000-8000-000000000002" || page.Mutations[2].Device != "TAB-0001" {
		t.Fatalf("refused mutations: %s", rec.Body)
	}
}

func TestSyncAttachmentsThroughHTTP(t *testing.T) {
	e := newSyncEnv(t)
	photo := bytes.Repeat([]byte{0xff, 0xd8, 1, 2, 3}, 200_000)
	sum := sha256.Sum256(photo)
	sha := hex.EncodeToString(sum[:])
	target := "/api/v1/sync/blobs/" + sha
	n := strconv.Itoa(len(photo))
	chunk := func(off, end int, status int) *httptest.ResponseRecorder {
		t.Helper()
		return e.call(t, e.tech, "PATCH", "/api/v1/sync/blobs/{sha}", target, photo[off:end], status,
			append([]string{"Content-Type: application/offset+octet-stream", "Upload-Offset: " + strconv.Itoa(off), "Upload-Length: " + n}, tabletHeaders...)...)
	}
	rec := e.call(t, e.tech, "GET", "/api/v1/sync/blobs/{sha}/state", target+"/state", nil, 200, tabletHeaders...)
	if rec.Header().Get("Upload-Offset") != "0" {
		t.Fatalf("HEAD before any chunk: %v", rec.Header())
	}
	chunk(0, 300_000, 204)
	rec = chunk(0, 300_000, 409) // sent twice: the server says where it stands
	if rec.Header().Get("Upload-Offset") != "300000" {
		t.Fatalf("409 Upload-Offset %q", rec.Header().Get("Upload-Offset"))
	}
	e.call(t, e.tech, "PATCH", "/api/v1/sync/blobs/{sha}", target, photo[300_000:], 413,
		append([]string{"Content-Type: application/offset+octet-stream", "Upload-Offset: 300000", "Upload-Length: " + n}, tabletHeaders...)...)
	rec = e.call(t, e.tech, "GET", "/api/v1/sync/blobs/{sha}/state", target+"/state", nil, 200, tabletHeaders...)
	off, _ := strconv.Atoi(rec.Header().Get("Upload-Offset"))
	if off != 300_000+syncwire.MaxChunk {
		t.Fatalf("after an oversized chunk the server kept %d bytes", off)
	}
	rec = chunk(off, len(photo), 204)
	if rec.Header().Get("Upload-Complete") != "true" {
		t.Fatalf("last chunk: %v", rec.Header())
	}
	rec = do(t, signedIn(t, e.srv, "dispatcher"), "GET", target, nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), photo) {
		t.Fatalf("back office GET: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	wrong := "/api/v1/sync/blobs/" + strings.Repeat("0", 64)
	rec = e.call(t, e.tech, "PATCH", "/api/v1/sync/blobs/{sha}", wrong, []byte("abc"), 422,
		append([]string{"Content-Type: application/offset+octet-stream", "Upload-Offset: 0", "Upload-Length: 3"}, tabletHeaders...)...)
	e.call(t, signedIn(t, e.srv, "dispatcher"), "GET", "/api/v1/sync/blobs/{sha}", wrong, nil, 404)
	e.call(t, e.tech, "PATCH", "/api/v1/sync/blobs/{sha}", "/api/v1/sync/blobs/xyz", []byte("a"), 400,
		append([]string{"Content-Type: application/offset+octet-stream", "Upload-Offset: 0", "Upload-Length: 1"}, tabletHeaders...)...)
}
