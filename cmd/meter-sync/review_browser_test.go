package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meter-sync/fixtures"
)

// TestReviewInTheBrowser is DOMAIN §2.3 steps 4-8 as a reviewer does them,
// in a real browser against `meter-sync serve` over a generated city whose
// reader R001 brought the month's readings back: open the queue, look at a
// household's consumption chart, confirm its large volume, return another
// household for a re-read, try to commit early and be told what blocks,
// resolve the rest (bulk confirm by code, confirm the misses with a reason,
// accept the returned one without waiting), commit, and see it committed
// and the work orders the confirmations made. It never skips: a missing
// browser fails the test.
func TestReviewInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is required for the browser test and is not at %s (%v): install it with `apt-get install -y chromium` (CI installs it)", chromiumPath, err)
	}
	data := cheapHashing(t)
	city := filepath.Join(t.TempDir(), "city")
	cycle := fixtures.DefaultCycle.String()
	mustRun(t, "", "fixtures", "--households", "600", "--seed", "7", "--out", city)
	for _, kind := range []string{"readers", "customers", "history", "ic_purchases", "meter_changes"} {
		mustRun(t, "", "import", "--data", data, "--kind", kind, "--file", filepath.Join(city, kind+".csv"))
	}
	mustRun(t, "", "import", "--data", data, "--kind", "readings", "--reader", "R001", "--cycle", cycle,
		"--file", filepath.Join(city, "readings", cycle, "R001.csv"))
	mustRun(t, "a long chosen password\n", "user", "add", "--data", data, "--id", "rev1", "--name", "审核员甲",
		"--role", "reviewer", "--password-stdin")
	srv := startServing(t, "--data", data)
	ctx := browser(t)
	signInAs(t, ctx, srv.url, "rev1", "a long chosen password")

	// The month's readers; R001's queue.
	step(t, ctx, "opening the queue", chromedp.Navigate(srv.url+"/review?cycle="+cycle),
		chromedp.Click(chromedp.CSS(`#readers tr[data-reader="R001"] a`)), chromedp.WaitVisible(chromedp.CSS("#queue")))
	counts := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll('#counts tbody td'), c => c.innerText.trim())`)
	if len(counts) < 3 || counts[0] == "0" {
		t.Fatalf("counts on the queue: %q", counts)
	}

	// A large volume: the household's chart, then confirm it.
	step(t, ctx, "opening a large volume", chromedp.Click(chromedp.CSS(`#queue tr[data-code="LARGE_VOLUME"] a`)),
		chromedp.WaitVisible(chromedp.CSS("svg#chart")))
	chart := evaluate[chartSeen](t, ctx, `({points: document.querySelectorAll('svg#chart circle.point').length,
		current: document.querySelectorAll('svg#chart circle.current').length,
		baseline: document.querySelectorAll('svg#chart line.baseline').length,
		line: (document.querySelector('svg#chart polyline.history') || {getAttribute: () => ''}).getAttribute('points')})`)
	if chart.Points < 2 || chart.Current != 1 || chart.Baseline != 1 || strings.Count(chart.Line, ",") < 2 {
		t.Errorf("the household's chart: %+v; want its history as points and a line, the current reading and the baseline", chart)
	}
	clickThen(t, ctx, "confirming the large volume", `#anomaly-LARGE_VOLUME button[value="confirm"]`,
		`(document.querySelector('#notice') || {}).innerText?.includes('已确认 1 项')`)
	if st := evaluate[string](t, ctx, `document.querySelector('#anomaly-LARGE_VOLUME').dataset.status`); st != "confirmed" {
		t.Errorf("after confirming, the large volume is %q", st)
	}

	// A reading gone backwards goes back to the reader.
	step(t, ctx, "filtering the queue by code", chromedp.Click(chromedp.CSS("#to-queue")), chromedp.WaitVisible(chromedp.CSS("#filters")),
		chromedp.SetValue(chromedp.CSS(`#filters select[name="code"]`), "NEGATIVE"), chromedp.Submit(chromedp.CSS("#filters")))
	waitFor(t, ctx, "the filtered queue", `location.search.includes('code=NEGATIVE') && !!document.querySelector('#queue')`)
	rows := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll('#queue tbody tr'), r => r.dataset.code)`)
	if len(rows) != 1 || rows[0] != "NEGATIVE" {
		t.Fatalf("filtered by NEGATIVE, the queue shows %q", rows)
	}
	step(t, ctx, "giving the reason", chromedp.SendKeys(chromedp.CSS(`#decide input[name="why"]`), "读数小于上次,请核对表盘后重抄"))
	clickThen(t, ctx, "returning it for a re-read", `#queue tr[data-code="NEGATIVE"] button[value^="reread|"]`,
		`(document.querySelector('#notice') || {}).innerText?.includes('已退回重抄 1 项')`)

	// Committing now is refused, and the page says what blocks.
	clickThen(t, ctx, "committing early", `#commit button`, `!!document.querySelector('#form-error')`)
	blocking := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll('#blocking tbody tr'), r => r.cells[1].innerText.split(' ')[0])`)
	msg := evaluate[string](t, ctx, `document.querySelector('#form-error').innerText`)
	if !strings.Contains(msg, "不能入库") || !slices.Contains(blocking, "NEGATIVE") || !slices.Contains(blocking, "MISSED") ||
		slices.Contains(blocking, "LARGE_VOLUME") {
		t.Fatalf("early commit: %q, blocking %q; want it refused for the returned NEGATIVE and the misses, not the confirmed LARGE_VOLUME", msg, blocking)
	}

	// The rest, by code in bulk: the misses (with their reason) and every
	// other blocking code still open.
	for _, code := range distinct(blocking) {
		if code == "NEGATIVE" {
			continue
		}
		step(t, ctx, "bulk confirming "+code, chromedp.WaitVisible(chromedp.CSS("form#bulk")),
			chromedp.SetValue(chromedp.CSS(`#bulk select[name="bulk_code"]`), code),
			chromedp.SendKeys(chromedp.CSS(`#bulk input[name="why"]`), "门闭,多次上门未遇;已核实"))
		clickThen(t, ctx, "bulk confirming "+code, `#bulk button[value="confirm"]`,
			`(document.querySelector('#notice') || {}).innerText?.includes('已确认')`)
	}
	// The household out for a re-read is accepted without waiting, with a reason.
	step(t, ctx, "opening the returned household", chromedp.Navigate(srv.url+"/review/R001/"+cycle+"?code=NEGATIVE"),
		chromedp.Click(chromedp.CSS(`#queue tr[data-code="NEGATIVE"] a`)), chromedp.WaitVisible(chromedp.CSS("#anomaly-NEGATIVE form")),
		chromedp.SendKeys(chromedp.CSS(`#anomaly-NEGATIVE input[name="why"]`), "电话核实读数无误"))
	clickThen(t, ctx, "accepting the returned reading", `#anomaly-NEGATIVE button[value="confirm"]`,
		`(document.querySelector('#notice') || {}).innerText?.includes('已确认 1 项')`)

	// Commit, and see it committed.
	step(t, ctx, "back to the queue", chromedp.Click(chromedp.CSS("#to-queue")), chromedp.WaitVisible(chromedp.CSS("#commit")))
	clickThen(t, ctx, "committing", `#commit button`, `!!document.querySelector('#committed')`)
	if got := evaluate[string](t, ctx, `document.querySelector('#committed').innerText`); !strings.Contains(got, "已入库") || !strings.Contains(got, "rev1") {
		t.Errorf("after the commit the page says %q", got)
	}
	if n := evaluate[int](t, ctx, `document.querySelectorAll('#queue button').length`); n != 0 {
		t.Errorf("a committed queue still offers %d buttons", n)
	}
	step(t, ctx, "opening the work orders", chromedp.Navigate(srv.url+"/orders"), chromedp.WaitVisible(chromedp.CSS("h1")))
	orders := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll('#orders tbody tr'), r => r.cells[2].innerText + ' ' + r.cells[6].innerText)`)
	if len(orders) == 0 {
		t.Errorf("the confirmations made no work order the page shows")
	}
	t.Logf("work orders: %q", orders)
}

type chartSeen struct {
	Points, Current, Baseline int
	Line                      string
}

// step runs actions, failing the test with what was being done.
func step(t *testing.T, ctx context.Context, doing string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\npage: %s", doing, err, pageText(ctx))
	}
}

// clickThen clicks sel and waits until the page the click leads to (a new
// document, not the one clicked on) makes the JavaScript predicate true.
func clickThen(t *testing.T, ctx context.Context, doing, sel, predicate string) {
	t.Helper()
	evaluate[bool](t, ctx, `window.clickedHere = true`)
	step(t, ctx, doing, chromedp.Click(chromedp.CSS(sel)))
	waitFor(t, ctx, doing, `!window.clickedHere && document.readyState === 'complete' && (`+predicate+`)`)
}

// waitFor waits until the JavaScript predicate is true on the page, asking
// again when a navigation cuts the question short.
func waitFor(t *testing.T, ctx context.Context, doing, predicate string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		// A navigation under way cuts the poll short ("navigated", "Cannot
		// find context"): ask the page that comes.
		if ctx.Err() != nil || time.Now().After(deadline) {
			t.Fatalf("%s: the page never showed it (%v)\npage: %s", doing, err, pageText(ctx))
		}
	}
}

func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// pageText is what the page says, for a failure's message.
func pageText(ctx context.Context) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + '\n' + (document.querySelector('main') || document.body).innerText`))
	if err != nil {
		return err.Error()
	}
	return tail(s, 3000)
}

func distinct(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
