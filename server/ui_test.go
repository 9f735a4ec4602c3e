package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"meter-sync/domain"
	"meter-sync/store"
)

// table returns the text of the cells of the table with id, by row, from
// the part of the table named by section (thead, tbody or tfoot).
func table(t *testing.T, page, id, section string) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	tbl := find(doc, func(n *html.Node) bool { return n.Data == "table" && attr(n, "id") == id })
	if tbl == nil {
		t.Fatalf("no table#%s in the page:\n%s", id, page)
	}
	part := find(tbl, func(n *html.Node) bool { return n.Data == section })
	if part == nil {
		t.Fatalf("table#%s has no %s", id, section)
	}
	var rows [][]string
	for tr := part.FirstChild; tr != nil; tr = tr.NextSibling {
		if tr.Type != html.ElementNode || tr.Data != "tr" {
			continue
		}
		var row []string
		for td := tr.FirstChild; td != nil; td = td.NextSibling {
			if td.Type == html.ElementNode {
				row = append(row, strings.Join(strings.Fields(text(td)), " "))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// parseHTML parses a page.
func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
		b.WriteString(" ")
	}
	return b.String()
}

func joinRows(rows [][]string) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = strings.Join(r, " | ")
	}
	return strings.Join(lines, "\n")
}

// wantPage checks that a response is a Chinese UTF-8 page with status code.
func wantPage(t *testing.T, code int, got int, ct, body string) {
	t.Helper()
	if got != code {
		t.Errorf("status = %d, want %d", got, code)
	}
	if ct != "text/html; charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{`<html lang="zh-CN">`, `<meta charset="utf-8">`, `href="/static/style.css?v=`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestHomePage(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, signedIn(t, s, "clerk"), "/")
	body := rec.Body.String()
	wantPage(t, http.StatusOK, rec.Code, rec.Header().Get("Content-Type"), body)
	for _, want := range []string{"<title>抄表管理</title>", "<h1>抄表管理</h1>", "2026年3月", "2026-03", "单月", "共有用户 8 户"} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if got := joinRows(table(t, body, "readers", "thead")); got != "抄表员编号 | 姓名 | 抄表册 | 本月应抄户数 | 抄表路线" {
		t.Errorf("header = %s", got)
	}
	want := "R1 | 李四 | 1201 1202 | 4 | 查看路线\n" +
		"R2 | 王五 | 1300 | 2 | 查看路线\n" +
		"R3 | 赵六 | 无 | 0 | 查看路线"
	if got := joinRows(table(t, body, "readers", "tbody")); got != want {
		t.Errorf("reader rows:\n%s\nwant:\n%s", got, want)
	}
	if got := joinRows(table(t, body, "readers", "tfoot")); got != "合计 | 3 名 | 3 本 | 6 | " {
		t.Errorf("totals = %q", got)
	}
	if !strings.Contains(body, `<a href="/readers/R1?cycle=2026-03">查看路线</a>`) {
		t.Errorf("no link to R1's route page")
	}
}

func TestHomePageFollowsTheClock(t *testing.T) {
	_, st := newTestServer(t)
	s := New(Options{Store: st, Now: func() time.Time { return march.AddDate(0, 1, 0) }, AdminToken: testToken})
	body := get(t, asCLI(s), "/").Body.String()
	want := "R1 | 李四 | 1201 1202 | 1 | 查看路线\n" +
		"R2 | 王五 | 1300 | 0 | 查看路线\n" +
		"R3 | 赵六 | 无 | 0 | 查看路线"
	if got := joinRows(table(t, body, "readers", "tbody")); got != want || !strings.Contains(body, "2026年4月") || !strings.Contains(body, "双月") {
		t.Errorf("April home page rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestHomePageEmptyStore(t *testing.T) {
	s := New(Options{Store: openStore(t), Now: func() time.Time { return march }, AdminToken: testToken})
	rec := get(t, asCLI(s), "/")
	body := rec.Body.String()
	wantPage(t, http.StatusOK, rec.Code, rec.Header().Get("Content-Type"), body)
	for _, want := range []string{"<h1>抄表管理</h1>", `id="empty"`, "尚无数据", "meter-sync import --kind customers --file", "meter-sync import --kind readers --file", "meter-sync serve --demo"} {
		if !strings.Contains(body, want) {
			t.Errorf("empty home page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="readers"`) {
		t.Errorf("empty home page shows a readers table")
	}
}

func TestHomePageCustomersButNoReaders(t *testing.T) {
	st := openStore(t)
	c := household("3300000001", "陈一", 1201, 1, 1, 101, domain.OddMonths)
	if err := st.Update(func(tx store.Tx) error { _, _, err := tx.PutCustomer(&c); return err }); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st, Now: func() time.Time { return march }, AdminToken: testToken})
	body := get(t, asCLI(s), "/").Body.String()
	if !strings.Contains(body, `id="no-readers"`) || !strings.Contains(body, "meter-sync import --kind readers --file") || strings.Contains(body, `id="empty"`) {
		t.Errorf("home page with customers and no readers:\n%s", body)
	}
}

func TestRoutePage(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		name, target, month string
		rows                string
	}{
		{"this month by default", "/readers/R1", "2026年3月",
			"12010101101 | 3300000003 | 黄三 | 江滨花园1幢1单元101室 | 抄表 | 通气\n" +
				"12010101201 | 3300000001 | 陈一 | 江滨花园1幢1单元201室 | 抄表 | 通气\n" +
				"12010302301 | 3300000002 | 林二 | 江滨花园3幢2单元301室 | 抄表 | 通气\n" +
				"12020101101 | 3300000004 | 周四 | 江滨花园1幢1单元101室 | IC卡 | 通气"},
		{"cycle chosen", "/readers/R2?cycle=2026-05", "2026年5月",
			"12020101101 | 3300000004 | 周四 | 江滨花园1幢1单元101室 | IC卡 | 通气\n" +
				"13000101101 | 3300000007 | 王七 | 江滨花园1幢1单元101室 | 抄表 | 通气\n" +
				"13000101102 | 3300000008 | 冯八 | 江滨花园1幢1单元102室 | 抄表 | 封表"},
	}
	h := signedIn(t, s, "reviewer")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.target)
			body := rec.Body.String()
			wantPage(t, http.StatusOK, rec.Code, rec.Header().Get("Content-Type"), body)
			if got := joinRows(table(t, body, "route", "thead")); got != "抄表序号 | 用户编号 | 用户姓名 | 用户地址 | 用户类型 | 表状态" {
				t.Errorf("header = %s", got)
			}
			if got := joinRows(table(t, body, "route", "tbody")); got != tc.rows {
				t.Errorf("rows in walking order:\n%s\nwant:\n%s", got, tc.rows)
			}
			count := strings.Count(tc.rows, "\n") + 1
			if !strings.Contains(body, "共 <strong>"+string(rune('0'+count))+"</strong> 户") || !strings.Contains(body, tc.month) {
				t.Errorf("page does not say %s and %d households", tc.month, count)
			}
			for _, personal := range []string{"13800000000", "6222020000001234"} {
				if strings.Contains(body, personal) {
					t.Errorf("route page shows personal data %q", personal)
				}
			}
		})
	}
}

func TestRoutePageMonthNavigation(t *testing.T) {
	s, _ := newTestServer(t)
	body := get(t, signedIn(t, s, "reader"), "/readers/R1?cycle=2026-01").Body.String()
	for _, want := range []string{`href="/readers/R1?cycle=2025-12"`, `href="/readers/R1?cycle=2026-02"`,
		`action="/readers/R1"`, `name="cycle" value="2026-01"`} {
		if !strings.Contains(body, want) {
			t.Errorf("route page lacks %s", want)
		}
	}
}

func TestRoutePageNoHouseholds(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, signedIn(t, s, "leader"), "/readers/R3")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "本月没有应抄用户") || !strings.Contains(rec.Body.String(), "共 <strong>0</strong> 户") {
		t.Errorf("R3's page = %d\n%s", rec.Code, rec.Body)
	}
}

func TestPageErrors(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		name, target string
		status       int
		says         []string
	}{
		{"invalid cycle", "/readers/R1?cycle=2026-13", 400, []string{"请求有误", "参数cycle无效", "2026-13", "YYYY-MM"}},
		{"cycle with a script", "/readers/R1?cycle=%3Cscript%3E", 400, []string{"参数cycle无效", "&lt;script&gt;"}},
		{"unknown reader", "/readers/R9", 404, []string{"页面不存在", "抄表员“R9”不存在"}},
		{"reader id with a space", "/readers/R%201", 400, []string{"参数id无效"}},
		{"unknown page", "/nothing/here", 404, []string{"页面不存在", "返回抄表管理首页"}},
		{"unknown static file", "/static/nothing.css", 404, []string{"页面不存在"}},
		{"static directory", "/static/", 404, []string{"页面不存在"}},
	}
	h := signedIn(t, s, "admin")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.target)
			body := rec.Body.String()
			wantPage(t, tc.status, rec.Code, rec.Header().Get("Content-Type"), body)
			for _, want := range tc.says {
				if !strings.Contains(body, want) {
					t.Errorf("error page lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "<script>") {
				t.Errorf("error page echoes markup unescaped")
			}
		})
	}
}

func TestStaticCSS(t *testing.T) {
	s, _ := newTestServer(t)
	rec := get(t, s.Handler(), "/static/style.css")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(rec.Body.String(), "border-collapse") {
		t.Errorf("GET /static/style.css = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("stylesheet Cache-Control = %q, want public caching", cc)
	}
}
