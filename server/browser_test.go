package server

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser; CI
// installs it.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser drives the pages in headless Chromium: asking for the home
// page leads to the sign-in form; signing in through it leads back to the
// home page, which lists the readers; following a reader's link shows the
// route in walking order; the audit page lists the sign-in. It never skips:
// a missing browser fails the test.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is required for the browser test and is not at %s (%v): install it with `apt-get install -y chromium` (CI installs it)", chromiumPath, err)
	}
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	defer cancelTab()

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("form#signin")),
	)
	if err != nil {
		t.Fatalf("loading the home page without a session: %v", err)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || loc != "/signin" {
		t.Fatalf("without a session the home page led to %q (%v), want /signin", loc, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), "reviewer"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wrong password"),
		chromedp.Submit(chromedp.CSS("form#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
	)
	if err != nil {
		t.Fatalf("signing in with a wrong password: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#signin-error"))); err != nil || msg != "账号或密码错误" {
		t.Errorf("wrong password says %q (%v)", msg, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`input[name="id"]`), "reviewer"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Submit(chromedp.CSS("form#signin")),
		chromedp.WaitVisible(chromedp.CSS("#readers")),
	)
	if err != nil {
		t.Fatalf("signing in through the form: %v", err)
	}
	if who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#user"))); err != nil || who != "审核员丁(审核员)" {
		t.Errorf("the bar names %q (%v)", who, err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	home, err := chromedp.Run(ctx, chromedp.Evaluate[homeState](`({
		lang: document.documentElement.lang,
		charset: document.characterSet,
		collapse: getComputedStyle(document.querySelector('#readers')).borderCollapse,
		row: Array.from(document.querySelector('#readers tbody tr').cells, c => c.innerText.trim()),
	})`))
	if err != nil {
		t.Fatalf("reading the home page: %v", err)
	}
	if heading != "抄表管理" || home.Lang != "zh-CN" || home.Charset != "UTF-8" {
		t.Errorf("home page: heading %q lang %q charset %q", heading, home.Lang, home.Charset)
	}
	if home.Collapse != "collapse" {
		t.Errorf("the stylesheet is not applied: border-collapse = %q", home.Collapse)
	}
	if got := strings.Join(home.Row, " | "); got != "R1 | 李四 | 1201 1202 | 4 | 查看路线" {
		t.Errorf("first reader row = %q", got)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#readers a[href^="/readers/R1?"]`)),
		chromedp.WaitVisible(chromedp.CSS("#route")),
	)
	if err != nil {
		t.Fatalf("following the reader link: %v", err)
	}
	route, err := chromedp.Run(ctx, chromedp.Evaluate[routeState](`({
		location: location.href,
		count: document.querySelector('#count').innerText,
		ids: Array.from(document.querySelectorAll('#route tbody tr'), r => r.cells[1].innerText),
		names: Array.from(document.querySelectorAll('#route tbody tr'), r => r.cells[2].innerText),
	})`))
	if err != nil {
		t.Fatalf("reading the route page: %v", err)
	}
	if !strings.HasSuffix(route.Location, "/readers/R1?cycle=2026-03") {
		t.Errorf("reader link led to %s", route.Location)
	}
	if got := strings.Join(route.IDs, " "); got != "3300000003 3300000001 3300000002 3300000004" {
		t.Errorf("route in the browser = %s, want walking order 3300000003 3300000001 3300000002 3300000004", got)
	}
	if got := strings.Join(route.Names, " "); got != "黄三 陈一 林二 周四" {
		t.Errorf("names = %s", got)
	}
	if !strings.Contains(route.Count, "共 4 户") {
		t.Errorf("count = %q", route.Count)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#nav a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#audit")),
	)
	if err != nil {
		t.Fatalf("opening the audit page: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll('#audit tbody tr'), r => Array.from(r.cells, c => c.innerText.trim()))`))
	if err != nil {
		t.Fatalf("reading the audit page: %v", err)
	}
	// Newest first: the sign-in, then the failure before it.
	if len(rows) < 2 || rows[0][2] != "reviewer" || rows[0][5] != "signin" || !strings.HasPrefix(rows[0][9], "from 127.0.0.1") ||
		rows[1][5] != "signin.failed" || rows[1][6] != "reviewer" {
		t.Errorf("audit page rows: %q", rows[:min(len(rows), 3)])
	}
}

type homeState struct {
	Lang     string   `json:"lang"`
	Charset  string   `json:"charset"`
	Collapse string   `json:"collapse"`
	Row      []string `json:"row"`
}

type routeState struct {
	Location string   `json:"location"`
	Count    string   `json:"count"`
	IDs      []string `json:"ids"`
	Names    []string `json:"names"`
}
