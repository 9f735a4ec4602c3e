package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
)

// fakeStation is a Station that runs nothing: jobs it starts stay running
// until the test finishes them. It refuses a second job on a busy port and
// a YMODEM job without a reader, as the real one does.
type fakeStation struct {
	mu      sync.Mutex
	jobs    []DockJob // newest first
	started []DockRequest
}

// doneJob is the finished job every test server's station remembers.
func doneJob() DockJob {
	finished := march.Add(40 * time.Second)
	return DockJob{ID: "a1b2c3d4e5f6", Port: "/dev/ttyUSB1", Mode: "device", StartedBy: "clerk", Import: true, Export: true,
		Reader: "R1", Cycle: "2026-03", Expect: 5, State: DockDone, Started: march, Finished: &finished,
		Step: "导出抄表路线", Done: 2048, Total: 2048,
		Report: &DockReport{DeviceID: "HH-0001", Mode: "device", Firmware: "emu-1.0", SkewMs: 10803000, Corrected: true, Cleared: 3,
			Rereads: []string{"3300000002"},
			Import: &DockImport{Reader: "R1", Cycle: "2026-01", Rows: 3, Created: 3, Route: 4, Read: 3,
				NotInRoute: []string{"3300000009"}, Anomalies: map[string]int{"LARGE_VOLUME": 1, "UNKNOWN": 1},
				Explanation: "抄表员R1 2026-01: 导入3条抄表记录"},
			Export: &DockExport{Reader: "R1", Cycle: "2026-03", System: 4, Expected: 5, Handheld: 4,
				Explanation: "抄表员R1 2026-03: 系统应抄4户, 抄表员核对5户, 抄表机抄表统计4户; 数量不符"}}}
}

func newFakeStation() *fakeStation { return &fakeStation{jobs: []DockJob{doneJob()}} }

func (f *fakeStation) StartDock(r DockRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.Port == r.Port && j.State == DockRunning {
			return "", &DockRefused{Busy: true, Reason: "a dock is already running on " + r.Port, ReasonZh: "该串口正在对接"}
		}
	}
	if r.Mode == "ymodem" && r.Reader == "" {
		return "", &DockRefused{Reason: "a generic handheld needs the reader", ReasonZh: "通用抄表机须填写抄表员编号"}
	}
	f.started = append(f.started, r)
	j := DockJob{ID: fmt.Sprintf("job%d", len(f.started)), Port: r.Port, Mode: r.Mode, StartedBy: r.Who,
		Import: r.Import, Export: r.Export, Reader: r.Reader, Expect: r.Expect, State: DockRunning, Started: march,
		Step: "连接抄表机", Total: -1}
	if r.Cycle != 0 {
		j.Cycle = r.Cycle.String()
	}
	f.jobs = append([]DockJob{j}, f.jobs...)
	return j.ID, nil
}

func (f *fakeStation) DockJob(id string) (DockJob, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.ID == id {
			return j, true
		}
	}
	return DockJob{}, false
}

func (f *fakeStation) DockJobs() []DockJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]DockJob(nil), f.jobs...)
}

// lastStarted is the request of the last job started.
func (f *fakeStation) lastStarted(t *testing.T) DockRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.started) == 0 {
		t.Fatal("no job was started")
	}
	return f.started[len(f.started)-1]
}

func testPorts() ([]PortInfo, error) {
	return []PortInfo{{Path: "/dev/ttyS0"}, {Path: "/dev/ttyUSB0", USB: true, VID: "1a86", PID: "7523", Product: "USB Serial", SerialNumber: "A1"}}, nil
}

func dockForm(port, cycle string) url.Values {
	return url.Values{"port": {port}, "mode": {"device"}, "reader": {"R1"}, "cycle": {cycle}, "expect": {"4"},
		"import": {"1"}, "export": {"1"}}
}

func TestDockingPermissions(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		who, method, target string
		status              int
	}{
		{"tech", "GET", "/docking", 403},
		{"tech", "GET", "/api/v1/docking/jobs", 403},
		{"tech", "POST", "/api/v1/docking/jobs", 403},
		{"reviewer", "GET", "/docking", 403},
		{"leader", "GET", "/api/v1/docking/jobs/a1b2c3d4e5f6", 403},
		{"clerk", "GET", "/docking", 200},
		{"reader", "GET", "/docking", 200},
		{"admin", "GET", "/api/v1/docking/jobs/a1b2c3d4e5f6", 200},
		{"reader", "GET", "/api/v1/docking/jobs", 200},
	}
	for _, tc := range tests {
		t.Run(tc.who+" "+tc.method+" "+tc.target, func(t *testing.T) {
			if rec := do(t, signedIn(t, s, tc.who), tc.method, tc.target, nil); rec.Code != tc.status {
				t.Errorf("status %d, want %d: %.300s", rec.Code, tc.status, rec.Body)
			}
		})
	}
	if rec := get(t, s.Handler(), "/docking"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin") {
		t.Errorf("signed out, /docking = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	wantJSONError(t, get(t, s.Handler(), "/api/v1/docking/jobs"), http.StatusUnauthorized, "")
}

func TestDockingFormStartsAJob(t *testing.T) {
	env := newTestEnv(t)
	clerk := signIn(t, env.srv, "clerk")
	h := withSession(env.srv.Handler(), clerk)
	rec := submit(t, h, "/docking", dockForm("/dev/ttyUSB0", "2026-04"))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/docking#job-job1" {
		t.Fatalf("POST /docking = %d %s: %.300s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	req := env.station.lastStarted(t)
	if req.Port != "/dev/ttyUSB0" || req.Mode != "device" || req.Reader != "R1" || req.Cycle.String() != "2026-04" ||
		req.Expect != 4 || !req.Import || !req.Export || req.Who != "clerk" {
		t.Errorf("started %+v", req)
	}
	page := get(t, h, "/docking").Body.String()
	for _, want := range []string{`id="job-job1"`, `data-state="running"`, "连接抄表机", "<progress"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}

	// Without the form's CSRF token the job is not started.
	noCSRF := withSession(env.srv.Handler(), session{cookie: clerk.cookie, csrf: "forged"})
	if rec := submit(t, noCSRF, "/docking", dockForm("/dev/ttyUSB2", "2026-04")); rec.Code != http.StatusForbidden {
		t.Errorf("POST without the CSRF token = %d", rec.Code)
	}
}

func TestDockingBusyPortIsRefused(t *testing.T) {
	env := newTestEnv(t)
	h := signedIn(t, env.srv, "clerk")
	submit(t, h, "/docking", dockForm("/dev/ttyUSB0", "2026-04"))
	rec := submit(t, h, "/docking", dockForm("/dev/ttyUSB0", "2026-04"))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "该串口正在对接") ||
		!strings.Contains(rec.Body.String(), `value="/dev/ttyUSB0"`) {
		t.Errorf("a second job on a busy port = %d: %.500s", rec.Code, rec.Body)
	}
	api := do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(`{"port":"/dev/ttyUSB0","import":true}`),
		"Content-Type: application/json")
	wantJSONError(t, api, http.StatusConflict, "already running")
	if rec := submit(t, h, "/docking", dockForm("/dev/ttyUSB1", "2026-04")); rec.Code != http.StatusSeeOther {
		t.Errorf("another port at once = %d", rec.Code)
	}
}

func TestDockingBadInput(t *testing.T) {
	s, _ := newTestServer(t)
	h := signedIn(t, s, "clerk")
	tests := []struct {
		name          string
		field, value  string
		json          string
		status        int
		mention, page string
	}{
		{"cycle not a month", "cycle", "2026-3", `{"port":"/dev/ttyUSB0","cycle":"2026-3","export":true}`, 400, "cycle", "“抄表月份”(cycle)"},
		{"cycle text", "cycle", "三月", `{"port":"/dev/ttyUSB0","cycle":"三月","export":true}`, 400, "cycle", "“抄表月份”(cycle)"},
		{"port outside /dev", "port", "/etc/passwd", `{"port":"/etc/passwd","import":true}`, 400, "port", "“串口”(port)"},
		{"port escaping /dev", "port", "/dev/../etc/shadow", `{"port":"/dev/../etc/shadow","import":true}`, 400, "port", "“串口”(port)"},
		{"no port", "port", "", `{"import":true}`, 400, "port", "“串口”(port)"},
		{"negative count", "expect", "-3", `{"port":"/dev/ttyUSB0","expect":-3,"import":true}`, 400, "expect", "“核对数量”(expect)"},
		{"unknown mode", "mode", "zmodem", `{"port":"/dev/ttyUSB0","mode":"zmodem","import":true}`, 400, "mode", "“对接方式”(mode)"},
		{"refused by the station", "mode", "ymodem", `{"port":"/dev/ttyUSB0","mode":"ymodem","import":true}`, 400, "reader", "通用抄表机须填写抄表员编号"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := dockForm("/dev/ttyUSB0", "2026-04")
			f.Set(tc.field, tc.value)
			if tc.name == "refused by the station" {
				f.Del("reader")
			}
			rec := submit(t, h, "/docking", f)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.page) || !strings.Contains(rec.Body.String(), `id="form-error"`) {
				t.Errorf("form: %d, want %d naming %s: %.400s", rec.Code, tc.status, tc.page, rec.Body)
			}
			api := do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(tc.json), "Content-Type: application/json")
			wantJSONError(t, api, tc.status, tc.mention)
		})
	}
	wantJSONError(t, do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(`{"port":"/dev/ttyUSB0","import":true,"force":1}`),
		"Content-Type: application/json"), 400, "force")
	wantJSONError(t, do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(`{"port":"/dev/ttyUSB0"}{}`),
		"Content-Type: application/json"), 400, "more than one")
	wantJSONError(t, do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(`port=/dev/ttyUSB0`),
		"Content-Type: application/x-www-form-urlencoded"), 415, "application/json")
}

func TestDockingAPI(t *testing.T) {
	env := newTestEnv(t)
	h := withBearer(env.srv.Handler(), issueTestToken(t, env.srv, "clerk"))
	rec := do(t, h, "POST", "/api/v1/docking/jobs", strings.NewReader(`{"port":"COM3","mode":"ymodem","reader":"R2","cycle":"2026-05","expect":2,"export":true}`),
		"Content-Type: application/json")
	if rec.Code != http.StatusAccepted || rec.Header().Get("Location") != "/api/v1/docking/jobs/job1" {
		t.Fatalf("POST = %d %s: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	var started DockJob
	if err := json.Unmarshal(rec.Body.Bytes(), &started); err != nil {
		t.Fatal(err)
	}
	if started.ID != "job1" || started.State != DockRunning || started.StartedBy != "clerk" || started.Cycle != "2026-05" ||
		started.Expect != 2 || started.Import || !started.Export {
		t.Errorf("started %+v", started)
	}
	var jobs []DockJob
	if err := json.Unmarshal(get(t, h, "/api/v1/docking/jobs").Body.Bytes(), &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != "job1" || jobs[1].Report == nil || jobs[1].Report.Export.System != 4 {
		t.Errorf("jobs %+v", jobs)
	}
	wantJSONError(t, get(t, h, "/api/v1/docking/jobs/nope"), http.StatusNotFound, `"nope"`)
}

// issueTestToken gives account id an API token through package access.
func issueTestToken(t *testing.T, s *Server, id string) string {
	t.Helper()
	secret, _, err := s.opt.Access.IssueToken(access.Actor{ID: "admin", Role: account.RoleAdmin}, id, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestDockingPageShowsTheReport(t *testing.T) {
	s, _ := newTestServer(t)
	page := get(t, signedIn(t, s, "clerk"), "/docking").Body.String()
	for _, want := range []string{
		`<a href="/docking" aria-current="page">对接抄表机</a>`,
		`/dev/ttyUSB0</td><td class="seq">1a86:7523</td><td>USB Serial</td><td>A1</td>`,
		`<option value="R1">R1 李四</option>`,
		`value="2026-03"`, // this month by default
		`data-state="done"`, "已完成", "HH-0001(固件 emu-1.0)",
		"抄表机时钟快3小时0分3秒,已校正抄表机时钟",
		`<td class="num">4</td><td class="num">5</td><td class="num">4</td><td class="warn">数量不符,请查明原因</td>`,
		"系统应抄4户, 抄表员核对5户, 抄表机抄表统计4户; 数量不符",
		"导入3条抄表记录", "不在抄表路线中的用户", "3300000009",
		"已入库的抄表记录 3 条", "下发重抄", "3300000002",
		"LARGE_VOLUME", "大额方数", "UNKNOWN", "未知用户",
		`<script src="/static/docking.js?v=test" defer></script>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the docking page does not show %q", want)
		}
	}
	if nav := get(t, signedIn(t, s, "reviewer"), "/").Body.String(); strings.Contains(nav, `href="/docking"`) {
		t.Errorf("a reviewer's navigation offers docking")
	}
	if page := get(t, signedIn(t, s, "reader"), "/docking").Body.String(); strings.Contains(page, "王五") ||
		!strings.Contains(page, `<input type="text" name="reader"`) {
		t.Errorf("a reader's docking page lists the readers, or has no reader field")
	}
	if js := get(t, s.Handler(), "/static/docking.js"); js.Code != http.StatusOK || !strings.Contains(js.Body.String(), "/api/v1/docking/jobs") {
		t.Errorf("GET /static/docking.js = %d", js.Code)
	}
}

func TestSkewZh(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "抄表机时钟快0.0秒"},
		{1234 * time.Millisecond, "抄表机时钟快1.2秒"},
		{-1234 * time.Millisecond, "抄表机时钟慢1.2秒"},
		{-(3*time.Minute + 5*time.Second), "抄表机时钟慢3分5秒"},
		{26*time.Hour + 61*time.Second, "抄表机时钟快26小时1分1秒"},
	}
	for _, tc := range tests {
		if got := skewZh(tc.d); got != tc.want {
			t.Errorf("skewZh(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// decodeDockInput decodes the JSON body of POST /api/v1/docking/jobs as
// the handler does.
func decodeDockInput(body []byte) (dockInput, error) {
	var in dockInput
	err := decodeJSON(body, &in)
	return in, err
}

// FuzzDecodeDockInput: no body panics the decoder, and what it accepts
// encodes and decodes to the same request.
func FuzzDecodeDockInput(f *testing.F) {
	for _, seed := range []string{
		`{"port":"/dev/ttyUSB0","mode":"device","reader":"R001","cycle":"2026-03","expect":120,"import":true,"export":true}`,
		`{"port":"COM3","import":true}`, `{"port":"/dev/ttyUSB0"`, `{}`, `null`, `[]`, `{"expect":1e400}`,
		`{"port":"/dev/ttyUSB0"}{}`, `{"force":true}`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeDockInput(body)
		if err != nil {
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeDockInput(b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if (in.Expect != nil) != (again.Expect != nil) || (in.Expect != nil && *in.Expect != *again.Expect) {
			t.Errorf("round trip of expect: %v → %s → %v", in.Expect, b, again.Expect)
		}
		in.Expect, again.Expect = nil, nil
		if again != in {
			t.Errorf("round trip %+v → %s → %+v", in, b, again)
		}
		if _, err := in.request("x"); err != nil {
			if _, ok := err.(*clientError); !ok {
				t.Errorf("request: %v is not a client error", err)
			}
		}
	})
}

// TestDockingResponsesMatchOpenAPI checks the docking API's real answers
// against the schemas openapi.json gives them.
func TestDockingResponsesMatchOpenAPI(t *testing.T) {
	_, raw := loadOpenAPI(t)
	s, _ := newTestServer(t)
	clerk, tech := signedIn(t, s, "clerk"), signedIn(t, s, "tech")
	const jobs, job = "/api/v1/docking/jobs", "/api/v1/docking/jobs/{id}"
	tests := []struct {
		h            http.Handler
		method, path string
		target, body string
		status       int
	}{
		{clerk, "get", jobs, jobs, "", 200},
		{s.Handler(), "get", jobs, jobs, "", 401},
		{tech, "get", jobs, jobs, "", 403},
		{clerk, "get", job, jobs + "/a1b2c3d4e5f6", "", 200},
		{clerk, "get", job, jobs + "/gone", "", 404},
		{clerk, "post", jobs, jobs, `{"port":"/dev/ttyUSB0","reader":"R1","cycle":"2026-03","expect":4,"import":true,"export":true}`, 202},
		{clerk, "post", jobs, jobs, `{"port":"/dev/ttyUSB0","import":true}`, 409},
		{clerk, "post", jobs, jobs, `{"port":"/dev/ttyUSB1","cycle":"2026/03","export":true}`, 400},
		{tech, "post", jobs, jobs, `{"port":"/dev/ttyUSB1","import":true}`, 403},
		{clerk, "get", jobs, jobs, "", 200}, // with a running job
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tc.method, tc.target, tc.status), func(t *testing.T) {
			rec := do(t, tc.h, strings.ToUpper(tc.method), tc.target, strings.NewReader(tc.body), "Content-Type: application/json")
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			var body any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			for _, err := range validate(raw, responseSchema(t, raw, tc.path, tc.method, tc.status), body, "$") {
				t.Error(err)
			}
		})
	}
	var in any
	if err := json.Unmarshal([]byte(`{"port":"/dev/ttyUSB0","mode":"ymodem","reader":"R1","cycle":"2026-03","expect":4,"import":true,"export":false}`), &in); err != nil {
		t.Fatal(err)
	}
	for _, err := range validate(raw, map[string]any{"$ref": "#/components/schemas/DockStart"}, in, "$") {
		t.Errorf("a full request body does not match DockStart: %v", err)
	}
}
