package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// TestOrderDeskInTheBrowser is the work-order desk (派工单, DOMAIN §4) as
// the office works it, in a real browser against `meter-sync serve` over a
// generated city. A clerk with dispatch permission (有派工权限的营业员)
// accepts two 点火 orders from 受理业务 (the first try refused for a
// missing appointment), finds them on the list, opens one and dispatches it
// with a 派工备注; a void she tries anyway is refused. A team leader (班组长),
// signed in at the same time in a browser session of his own, reassigns the
// order; the clerk's cancel from the page she had open before is refused as
// stale; the team leader postpones the order to a day agreed with the
// customer and voids the other. Each step shows on the order page: status,
// technician, and a history row with who, when and the note; a refused step
// says why in Chinese and changes nothing. It never skips: a missing
// browser fails the test.
func TestOrderDeskInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is required for the browser test and is not at %s (%v): install it with `apt-get install -y chromium` (CI installs it)", chromiumPath, err)
	}
	const pw = "a long chosen password"
	data := cheapHashing(t)
	importCity(t, data)
	houses := installedHouseholds(t, data, 2)
	for _, u := range [][]string{
		{"--id", "clerk1", "--name", "营业员甲", "--role", "clerk", "--dispatch"},
		{"--id", "lead1", "--name", "班组长乙", "--role", "team_leader"},
		{"--id", "tech1", "--name", "施工员丙", "--role", "technician"},
		{"--id", "tech2", "--name", "施工员丁", "--role", "technician"},
	} {
		mustRun(t, pw+"\n", append([]string{"user", "add", "--data", data, "--password-stdin"}, u...)...)
	}
	// The office reads times in China time whatever zone the server's
	// machine keeps.
	t.Setenv("TZ", "UTC")
	srv := startServing(t, "--data", data)
	clerk := browser(t)
	signInAs(t, clerk, srv.url, "clerk1", pw)
	lead, cancel := chromedp.NewContext(clerk, chromedp.WithNewBrowserContext()) // cookies of its own
	t.Cleanup(cancel)
	signInAs(t, lead, srv.url, "lead1", pw)

	// 受理业务: 按照约定 with no day is refused and the form kept; then accepted.
	fillNewOrder(t, clerk, srv.url, houses[0], "按照约定", "用户下午在家,上门前先电话联系")
	clickThen(t, clerk, "accepting with no appointment", `#new-order button[type="submit"]`, `!!document.querySelector('#problem')`)
	if msg := evaluate[string](t, clerk, `document.querySelector('#problem').innerText`); !strings.Contains(msg, "须填写约定日期") {
		t.Errorf("按照约定 with no day: the page says %q", msg)
	}
	if got := evaluate[string](t, clerk, `document.querySelector('input[name="customer_id"]').value`); got != houses[0] {
		t.Errorf("the refused form kept customer %q, want %q", got, houses[0])
	}
	step(t, clerk, "choosing 尽快安排", chromedp.SetValue(chromedp.CSS(`select[name="priority"]`), "尽快安排"))
	first := submitNewOrder(t, clerk)
	o := readOrder(t, clerk)
	if o.Fields["用户编号"] != houses[0] || o.Fields["业务类型"] != "点火" || o.Fields["业务级别"] != "尽快安排" ||
		o.Fields["用户对施工要求"] != "用户下午在家,上门前先电话联系" || o.Fields["状态"] != store.OrderPending ||
		!strings.HasPrefix(o.Fields["受理"], "clerk1 ") || len(o.History) != 0 {
		t.Fatalf("the accepted order %s: %+v", first, o)
	}
	fillNewOrder(t, clerk, srv.url, houses[1], "等待安排", "新楼栋,用户要求尽早通气")
	second := submitNewOrder(t, clerk)

	// The list shows both; the clerk opens the first.
	step(t, clerk, "opening the list", chromedp.Navigate(srv.url+"/orders"), chromedp.WaitVisible(chromedp.CSS("#orders")))
	rows := evaluate[[][]string](t, clerk, `Array.from(document.querySelectorAll('#orders tbody tr'), r => Array.from(r.cells, c => c.innerText.trim()))`)
	listed := map[string][]string{}
	for _, r := range rows {
		listed[r[0]] = r
	}
	for id, want := range map[string][]string{first: {houses[0], "点火", "尽快安排", "用户下午在家,上门前先电话联系", store.OrderPending},
		second: {houses[1], "点火", "等待安排", "新楼栋,用户要求尽早通气", store.OrderPending}} {
		if r := listed[id]; len(r) < 9 || !slices.Equal(r[1:6], want) || r[7] != "clerk1" {
			t.Errorf("order %s on the list: %q, want %q accepted by clerk1", id, r, want)
		}
	}
	clickThen(t, clerk, "opening the order from the list", `#orders a[href="/orders/`+first+`"]`, `!!document.querySelector('#order')`)
	o = readOrder(t, clerk)
	if accepted := listed[first][8]; o.Fields["受理"] != "clerk1 "+accepted {
		t.Errorf("the order page says accepted %q, the list %q", o.Fields["受理"], accepted)
	}
	if !slices.Equal(o.Forms, []string{"dispatch", "cancel"}) {
		t.Errorf("a clerk with dispatch permission is offered %q on a pending order, want dispatch and cancel", o.Forms)
	}

	// 派工.
	v := o.Fields["版本"]
	step(t, clerk, "filling 派工", chromedp.SetValue(chromedp.CSS(`#dispatch select[name="technician"]`), "tech1"),
		chromedp.SetValue(chromedp.CSS(`#dispatch input[name="note"]`), "带点火枪,先查表前阀"))
	clickThen(t, clerk, "dispatching", `#dispatch button`, `!!document.querySelector('#flash')`)
	o = readOrder(t, clerk)
	wantStep(t, o, "派工已保存", store.OrderDispatched, "tech1", []string{"派工", "clerk1", "", v, "", "tech1", "带点火枪,先查表前阀"})
	if o.Fields["派工备注"] != "带点火枪,先查表前阀" || !slices.Equal(o.Forms, []string{"cancel"}) {
		t.Errorf("after dispatching: 派工备注 %q, forms %q (want only cancel for the clerk)", o.Fields["派工备注"], o.Forms)
	}
	if at := o.History[0][0]; at < listed[first][8] {
		t.Errorf("dispatched at %s, before the order was accepted at %s: not the office's time", at, listed[first][8])
	}

	// The clerk voids anyway, with a form the page did not offer: refused.
	evaluate[bool](t, clerk, `(() => {
		const f = document.createElement('form');
		f.method = 'post';
		f.action = location.pathname + '/void';
		for (const [name, value] of [['csrf', document.querySelector('input[name="csrf"]').value],
				['version', document.querySelector('input[name="version"]').value], ['note', '用户来电说不用了']]) {
			const i = document.createElement('input');
			i.type = 'hidden', i.name = name, i.value = value;
			f.append(i);
		}
		document.body.append(f);
		window.clickedHere = true;
		f.submit();
		return true;
	})()`)
	waitFor(t, clerk, "the clerk's void refused", `!window.clickedHere && document.readyState === 'complete' && !!document.querySelector('#error')`)
	if msg := evaluate[string](t, clerk, `document.querySelector('#error').innerText`); !strings.Contains(msg, "您的账号(营业员)无权进行此操作") {
		t.Errorf("a clerk voiding is told %q", msg)
	}
	before := openOrder(t, clerk, srv.url, first)
	if before.Fields["状态"] != store.OrderDispatched || len(before.History) != 1 || before.Fields["版本"] != o.Fields["版本"] {
		t.Fatalf("the refused void changed the order: %+v", before)
	}

	// 改派, by the team leader.
	o = openOrder(t, lead, srv.url, first)
	if !slices.Equal(o.Forms, []string{"cancel", "reassign", "postpone", "void"}) {
		t.Errorf("a team leader is offered %q on a dispatched order", o.Forms)
	}
	v = o.Fields["版本"]
	step(t, lead, "filling 改派", chromedp.SetValue(chromedp.CSS(`#reassign select[name="technician"]`), "tech2"),
		chromedp.SetValue(chromedp.CSS(`#reassign input[name="note"]`), "施工员丙今日病假"))
	clickThen(t, lead, "reassigning", `#reassign button`, `!!document.querySelector('#flash')`)
	o = readOrder(t, lead)
	wantStep(t, o, "改派已保存", store.OrderDispatched, "tech2", []string{"改派", "lead1", "", v, "tech1", "tech2", "施工员丙今日病假"})

	// The clerk cancels from the page she had open: stale, refused.
	step(t, clerk, "filling 取消业务", chromedp.SetValue(chromedp.CSS(`#cancel input[name="note"]`), "用户出差,等用户电话"))
	clickThen(t, clerk, "cancelling from a stale page", `#cancel button`, `!!document.querySelector('#problem')`)
	stale := readOrder(t, clerk)
	if !strings.Contains(stale.Problem, "已被他人修改") || stale.Fields["施工人员"] != "tech2" {
		t.Errorf("a stale cancel: told %q, shown technician %q; want the conflict and the order as it now is", stale.Problem, stale.Fields["施工人员"])
	}
	if now := openOrder(t, clerk, srv.url, first); now.Fields["状态"] != store.OrderDispatched || len(now.History) != 2 {
		t.Fatalf("the stale cancel changed the order: %+v", now)
	}

	// 业务顺延 to a day agreed with the customer.
	today := evaluate[string](t, lead, `document.querySelector('#postpone input[name="due"]').min`)
	day, err := time.Parse("2006-01-02", today)
	if err != nil {
		t.Fatalf("the postponement's earliest day %q: %v", today, err)
	}
	agreed, oldDue, v := day.AddDate(0, 0, 10).Format("2006-01-02"), o.Fields["承诺完成日期"], o.Fields["版本"]
	step(t, lead, "filling 业务顺延", chromedp.SetValue(chromedp.CSS(`#postpone input[name="due"]`), agreed),
		chromedp.SetValue(chromedp.CSS(`#postpone input[name="note"]`), "用户出差,约定下周上门"))
	clickThen(t, lead, "postponing", `#postpone button`, `!!document.querySelector('#flash')`)
	o = readOrder(t, lead)
	wantStep(t, o, "业务顺延已保存", store.OrderDispatched, "tech2", []string{"业务顺延", "lead1", "", v, oldDue, agreed, "用户出差,约定下周上门"})
	if o.Fields["承诺完成日期"] != agreed || o.Fields["业务顺延备注"] != "用户出差,约定下周上门" {
		t.Errorf("after postponing: due %q, 业务顺延备注 %q", o.Fields["承诺完成日期"], o.Fields["业务顺延备注"])
	}

	// 作废 the other order.
	o = openOrder(t, lead, srv.url, second)
	v = o.Fields["版本"]
	step(t, lead, "filling 作废", chromedp.SetValue(chromedp.CSS(`#void input[name="note"]`), "楼栋未经验收,暂不能点火"))
	clickThen(t, lead, "voiding", `#void button`, `!!document.querySelector('#flash')`)
	o = readOrder(t, lead)
	wantStep(t, o, "作废已保存", store.OrderVoided, "", []string{"作废", "lead1", "", v, store.OrderPending, store.OrderVoided, "楼栋未经验收,暂不能点火"})
	if end := o.Fields["结束"]; !strings.HasPrefix(end, "楼栋未经验收,暂不能点火 (lead1 ") || len(o.Forms) != 0 {
		t.Errorf("the voided order: 结束 %q, still offers %q", end, o.Forms)
	}

	step(t, clerk, "opening the list again", chromedp.Navigate(srv.url+"/orders"), chromedp.WaitVisible(chromedp.CSS("#orders")))
	statuses := evaluate[map[string]string](t, clerk, `Object.fromEntries(Array.from(document.querySelectorAll('#orders tbody tr'), r => [r.cells[0].innerText.trim(), r.cells[5].innerText.trim()]))`)
	if statuses[first] != store.OrderDispatched || statuses[second] != store.OrderVoided {
		t.Errorf("the list at the end: %q", statuses)
	}
}

// installedHouseholds returns n households of a stopped store whose meter is
// fitted and not yet on gas (装表): those a 点火 may be accepted for.
func installedHouseholds(t *testing.T, data string, n int) []string {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []string
	err = db.View(func(tx store.ReadTx) error {
		return tx.ForEachCustomer(func(c *domain.Customer) error {
			if c.Meter.State == domain.StateInstalled && len(ids) < n {
				ids = append(ids, c.ID)
			}
			return nil
		})
	})
	if err != nil || len(ids) < n {
		t.Fatalf("households with a fitted meter: %q (%v), want %d", ids, err, n)
	}
	return ids
}

// fillNewOrder opens 受理业务 and fills in a 点火.
func fillNewOrder(t *testing.T, ctx context.Context, base, customer, priority, requirement string) {
	t.Helper()
	step(t, ctx, "filling 受理业务", chromedp.Navigate(base+"/orders/new"), chromedp.WaitVisible(chromedp.CSS("#new-order")),
		chromedp.SetValue(chromedp.CSS(`input[name="customer_id"]`), customer),
		chromedp.SetValue(chromedp.CSS(`select[name="business"]`), "点火"),
		chromedp.SetValue(chromedp.CSS(`select[name="priority"]`), priority),
		chromedp.SetValue(chromedp.CSS(`textarea[name="requirement"]`), requirement))
}

// submitNewOrder submits 受理业务 and returns the new order's id.
func submitNewOrder(t *testing.T, ctx context.Context) string {
	t.Helper()
	clickThen(t, ctx, "accepting the order", `#new-order button[type="submit"]`, `!!document.querySelector('#order')`)
	return evaluate[string](t, ctx, `decodeURIComponent(location.pathname.slice('/orders/'.length))`)
}

// orderSeen is what the order page shows.
type orderSeen struct {
	Fields         map[string]string // the order's table: heading → value
	Flash, Problem string
	History        [][]string // 时间, 操作, 操作人, 设备, 基于版本, 从, 到, 备注
	Forms          []string   // the actions offered
}

func openOrder(t *testing.T, ctx context.Context, base, id string) orderSeen {
	t.Helper()
	step(t, ctx, "opening order "+id, chromedp.Navigate(base+"/orders/"+id), chromedp.WaitVisible(chromedp.CSS("#order")))
	return readOrder(t, ctx)
}

func readOrder(t *testing.T, ctx context.Context) orderSeen {
	t.Helper()
	return evaluate[orderSeen](t, ctx, `(() => {
		const text = sel => (document.querySelector(sel) || {innerText: ''}).innerText.trim();
		return {
			fields: Object.fromEntries(Array.from(document.querySelectorAll('#order tr'), r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])),
			flash: text('#flash'), problem: text('#problem'),
			history: Array.from(document.querySelectorAll('#history tbody tr'), r => Array.from(r.cells, c => c.innerText.trim())),
			forms: Array.from(document.querySelectorAll('#actions form'), f => f.id),
		};
	})()`)
}

var historyTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$`)

// wantStep checks the page after an action: its flash, the order's status
// and technician, and the action as the last history row (less its time,
// which must be a time).
func wantStep(t *testing.T, o orderSeen, flash, status, technician string, row []string) {
	t.Helper()
	if o.Flash != flash || o.Fields["状态"] != status || o.Fields["施工人员"] != technician {
		t.Errorf("flash %q, status %q, technician %q; want %q, %q, %q", o.Flash, o.Fields["状态"], o.Fields["施工人员"], flash, status, technician)
	}
	if len(o.History) == 0 {
		t.Fatalf("no history after %s", row[0])
	}
	last := o.History[len(o.History)-1]
	if !historyTime.MatchString(last[0]) || !slices.Equal(last[1:], row) {
		t.Errorf("the last history row: %q; want a time then %q", last, row)
	}
}
