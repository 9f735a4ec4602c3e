package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/tools/linesim"
)

// chromiumPath is where Debian's chromium package puts the browser; CI
// installs it.
const chromiumPath = "/usr/bin/chromium"

// dockBaud paces the simulated cable so that a transfer lasts seconds:
// long enough for the page's progress to be seen moving.
const dockBaud = 9600

// TestDockingPageDocksTheEmulator is DOMAIN §2 from the back office, in a
// real browser against `meter-sync serve`: a clerk opens 对接抄表机 and
// docks a paired handheld (the emulator, a real process on a simulated
// cable) to load R001's route for the month with the reader's count,
// watches the page follow the dock and reads the report: clock corrected,
// the three counts equal. The reader walks the route; the next dock,
// import only, shows the readings' progress moving and the report of what
// came in. It never skips: a missing browser fails the test.
func TestDockingPageDocksTheEmulator(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is required for the browser test and is not at %s (%v): install it with `apt-get install -y chromium` (CI installs it)", chromiumPath, err)
	}
	data := cheapHashing(t)
	city, routeLen := importCity(t, data)
	mustRun(t, "a long chosen password\n", "user", "add", "--data", data, "--id", "clerk1", "--name", "营业员甲",
		"--role", "clerk", "--password-stdin")
	em := pairedEmulator(t, data, "HH-0001", "R001")
	em.run(t, "clock", "--offset", "2h")
	l, err := linesim.New(linesim.Options{Baud: dockBaud})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv := startServing(t, "--data", data, "--line", strconv.Itoa(dockBaud)+",8N1")
	ctx := browser(t)
	signInAs(t, ctx, srv.url, "clerk1", "a long chosen password")

	hh := em.dock(t, l.B())
	dockFromPage(t, ctx, srv.url+"/docking", hh,
		chromedp.SetValue(chromedp.CSS(`input[name="port"]`), l.A()),
		chromedp.SetValue(chromedp.CSS(`select[name="reader"]`), "R001"),
		chromedp.SetValue(chromedp.CSS(`input[name="cycle"]`), fixtures.DefaultCycle.String()),
		chromedp.SetValue(chromedp.CSS(`input[name="expect"]`), strconv.Itoa(routeLen)))
	seen := progressSeen(t, ctx)
	if !slices.ContainsFunc(seen, func(p barValue) bool { return p.Step == "导出抄表路线" && p.Max > 1 }) {
		t.Errorf("the page never showed the route's transfer under way: %v", seen)
	}
	checkRouteReport(t, ctx, routeLen)
	hh.wait(t)

	em.run(t, "walk", "--from", filepath.Join(city, "readings", fixtures.DefaultCycle.String(), "R001.csv"))
	hh = em.dock(t, l.B())
	dockFromPage(t, ctx, srv.url+"/docking", hh,
		chromedp.SetValue(chromedp.CSS(`input[name="port"]`), l.A()),
		chromedp.SetValue(chromedp.CSS(`select[name="reader"]`), ""),
		chromedp.Click(chromedp.CSS(`input[name="export"]`)))
	seen = progressSeen(t, ctx)
	if !slices.ContainsFunc(seen, func(p barValue) bool { return p.Step == "导入抄表记录" && p.Value > 0 && p.Value < p.Max }) {
		t.Errorf("the readings' progress was never seen part way: %v", seen)
	}
	checkImportReport(t, ctx)
	hh.wait(t)
}

// dockFromPage opens the docking page, fills the form with fill, starts
// the dock and waits until the page shows it ended. Every value the
// progress bar takes meanwhile is noted in window.seen.
func dockFromPage(t *testing.T, ctx context.Context, page string, hh *handheldDock, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	steps := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("form#dock"))}, fill...)
	steps = append(steps, chromedp.Submit(chromedp.CSS("form#dock")), chromedp.WaitVisible(chromedp.CSS(`#jobs [data-state="running"]`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("starting the dock from the page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.seen = [];
		new MutationObserver(() => document.querySelectorAll('#jobs [data-state="running"] progress').forEach(b =>
			window.seen.push({step: b.closest('.job').querySelector('.step').textContent,
				value: b.hasAttribute('value') ? b.value : -1, max: b.max}))
		).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true}); 0`)); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#jobs .job').dataset.state !== 'running'`,
		chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		t.Fatalf("the dock did not end on the page: %v\nhandheld:\n%s", err, tail(hh.out.String(), 2000))
	}
	t.Logf("docked in %s as the page saw it", time.Since(start).Round(100*time.Millisecond))
}

// barValue is one value the progress bar took.
type barValue struct {
	Step       string
	Value, Max float64
}

func progressSeen(t *testing.T, ctx context.Context) []barValue {
	t.Helper()
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[[]barValue](`window.seen`))
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// finishedJob is what the page shows of the newest job once it ended.
type finishedJob struct {
	State, Status, Error, Clock, Device, Explain, Import, Cleared string
	Counts, Anomalies                                             []string
}

func readFinishedJob(t *testing.T, ctx context.Context) finishedJob {
	t.Helper()
	job, err := chromedp.Run(ctx, chromedp.Evaluate[finishedJob](`(() => {
		const j = document.querySelector('#jobs .job'); const q = s => (j.querySelector(s) || {}).innerText || '';
		return {state: j.dataset.state, status: q('.state'), error: q('.dock-error'), clock: q('.clock'), device: q('.device'),
			explain: q('.explain'), import: q('.import'), cleared: q('.cleared'),
			counts: Array.from(j.querySelectorAll('.counts tbody td'), c => c.innerText.trim()),
			anomalies: Array.from(j.querySelectorAll('.anomalies tbody tr'), r => r.cells[1].innerText + ' ' + r.cells[2].innerText)}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if job.State != "done" || job.Status != "已完成" || job.Error != "" {
		t.Fatalf("finished job: %+v", job)
	}
	return job
}

// checkRouteReport wants the route loaded with its three counts equal.
func checkRouteReport(t *testing.T, ctx context.Context, routeLen int) {
	t.Helper()
	job := readFinishedJob(t, ctx)
	n := strconv.Itoa(routeLen)
	if !strings.HasPrefix(job.Device, "HH-0001") || !strings.Contains(job.Clock, "已校正抄表机时钟") {
		t.Errorf("handheld %q, clock %q; want HH-0001 with its clock, 2 h fast, corrected", job.Device, job.Clock)
	}
	if strings.Join(job.Counts, " | ") != n+" | "+n+" | "+n+" | 数量一致" {
		t.Errorf("counts %q, want %s on all three sides", job.Counts, n)
	}
	if !strings.Contains(job.Explain, "系统应抄"+n+"户, 抄表员核对"+n+"户, 抄表机抄表统计"+n+"户, 数量一致") {
		t.Errorf("explanation %q", job.Explain)
	}
}

// checkImportReport wants the walk's readings imported, anomalies counted
// by kind, and the readings cleared from the handheld.
func checkImportReport(t *testing.T, ctx context.Context) {
	t.Helper()
	job := readFinishedJob(t, ctx)
	if !strings.Contains(job.Import, "抄表员R001 "+fixtures.DefaultCycle.String()+": 导入") || !strings.Contains(job.Cleared, "已入库的抄表记录") {
		t.Errorf("import %q, cleared %q", job.Import, job.Cleared)
	}
	if len(job.Anomalies) == 0 || !strings.Contains(strings.Join(job.Anomalies, ","), "未知用户") {
		t.Errorf("anomalies by kind: %q; want the generator's strangers (未知用户) among them", job.Anomalies)
	}
}

// importCity imports a generated city's readers and customers into data
// and returns the city's folder and the length of R001's route in its
// month.
func importCity(t *testing.T, data string) (string, int) {
	t.Helper()
	city := filepath.Join(t.TempDir(), "city")
	mustRun(t, "", "fixtures", "--households", "600", "--seed", "7", "--out", city)
	for _, kind := range []string{"readers", "customers"} {
		mustRun(t, "", "import", "--data", data, "--kind", kind, "--file", filepath.Join(city, kind+".csv"))
	}
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var route []domain.Customer
	if err := db.View(func(tx store.ReadTx) error {
		route, err = tx.Route("R001", fixtures.DefaultCycle)
		return err
	}); err != nil || len(route) == 0 {
		t.Fatalf("R001's route: %d households (%v)", len(route), err)
	}
	return city, len(route)
}

// emulatorData is a handheld emulator's data folder and the program.
type emulatorData struct{ bin, dir string }

// pairedEmulator pairs handheld id for reader and sets up an emulator that
// holds its key.
func pairedEmulator(t *testing.T, data, id, reader string) emulatorData {
	t.Helper()
	out := mustRun(t, "", "device", "pair", "--data", data, "--id", id, "--name", "一号机", "--reader", reader)
	key := regexp.MustCompile(`(?m)^key: ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if key == nil {
		t.Fatalf("device pair printed:\n%s", out)
	}
	em := emulatorData{bin: filepath.Join(t.TempDir(), "handheld"), dir: t.TempDir()}
	if out, err := exec.Command("go", "build", "-o", em.bin, "meter-sync/cmd/handheld").CombinedOutput(); err != nil {
		t.Fatalf("building the handheld emulator: %v\n%s", err, out)
	}
	em.run(t, "init", "--id", id, "--key", key[1])
	return em
}

// run runs a handheld command to its end.
func (em emulatorData) run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(em.bin, append([]string{"--data", em.dir}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("handheld %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// handheldDock is the emulator waiting on its end of the cable for one
// docking session.
type handheldDock struct {
	cmd *exec.Cmd
	out *syncBuffer
}

func (em emulatorData) dock(t *testing.T, port string) *handheldDock {
	t.Helper()
	line := strconv.Itoa(dockBaud)
	h := &handheldDock{out: new(syncBuffer)}
	h.cmd = exec.Command(em.bin, "--data", em.dir, "dock", "--port", port, "--once", "--line", line+",8N1", "--link-baud", line)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.cmd.Process.Kill()
			h.cmd.Wait()
		}
	})
	return h
}

// wait waits for the emulator to end its session and wants it content.
func (h *handheldDock) wait(t *testing.T) {
	t.Helper()
	if err := h.cmd.Wait(); err != nil {
		t.Errorf("the emulator's dock: %v\n%s", err, tail(h.out.String(), 2000))
	}
}

// syncBuffer is a buffer a child writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// browser starts headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	return ctx
}

// signInAs signs in through the sign-in form.
func signInAs(t *testing.T, ctx context.Context, base, id, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("form#signin")),
		chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), id),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS("form#signin")),
		chromedp.WaitVisible(chromedp.CSS("#nav")),
	)
	if err != nil {
		t.Fatalf("signing in as %s: %v", id, err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
