package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
)

var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
	//go:embed openapi.json
	openapiJSON []byte
)

// pageNames are the templates under templates/, each rendered inside
// templates/layout.html.
var pageNames = []string{"home", "route", "error", "signin", "account", "users", "user", "devices", "docking", "audit", "once",
	"review", "queue", "household", "orders", "reports", "reports_ignitions", "order", "order_new"}

// parsePages parses every page with the layout. The templates are compiled
// into the binary, so a parse error is a programming error that any test
// finds: it panics.
func parsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		pages[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// layoutData is what the layout needs of every page.
type layoutData struct {
	Title   string
	Version string
	User    *navUser  // nil when nobody is signed in
	Nav     []navLink // the pages the account may use
	CSRF    string    // the session's token, for every form that posts
}

type navUser struct{ ID, Name, Role string }

type navLink struct {
	Href, Text string
	Current    bool
}

// navItems are the pages of the navigation bar; each is shown to the
// accounts its route's permission lets in.
var navItems = []struct{ path, text string }{
	{"/", "首页"}, {"/docking", "对接抄表机"}, {"/review", "抄表审核"}, {"/reports", "抄表报告"}, {"/reports/ignitions", "点火户数表"}, {"/orders", "派工单"}, {"/audit", "审计日志"}, {"/admin/users", "账号管理"}, {"/admin/devices", "抄表机配对"}, {"/account", "我的账号"},
}

// render executes a page into a buffer first, so that a template error is a
// clean 500 rather than half a page.
func (s *Server) render(c echo.Context, code int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("rendering page %s: %w", name, err)
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// layout is what every page shows around its content, for whoever asks.
func (s *Server) layout(c echo.Context, title string) layoutData {
	d := layoutData{Title: title, Version: s.opt.Version}
	p := principal(c)
	if p == nil {
		return d
	}
	a := &p.Account
	d.User = &navUser{ID: a.ID, Name: a.Name, Role: a.Role.Chinese()}
	if d.User.Name == "" {
		d.User.Name = a.ID
	}
	if p.Session != nil {
		d.CSRF = p.Session.CSRF
	}
	for _, it := range navItems {
		if r, ok := s.byKey[http.MethodGet+" "+it.path]; ok && r.Allows(a) {
			d.Nav = append(d.Nav, navLink{Href: it.path, Text: it.text, Current: c.Path() == it.path})
		}
		if it.path == "/" && !a.Can(account.PermViewRoutes) && a.MaySeeRoute(a.ReaderID) {
			d.Nav = append(d.Nav, navLink{Href: readerHref(a.ReaderID, s.thisMonth()), Text: "我的抄表路线",
				Current: c.Path() == "/readers/:id"})
		}
	}
	return d
}

// monthZh writes a month as staff say it: 2026年3月.
func monthZh(m domain.Month) string { return fmt.Sprintf("%d年%d月", m.Year(), int(m.Calendar())) }

func readerHref(id string, m domain.Month) string {
	return "/readers/" + url.PathEscape(id) + "?cycle=" + m.String()
}

type homeData struct {
	layoutData
	All        bool   // the account sees every reader; otherwise OwnRoute
	OwnRoute   string // a reader's link to their own route, or ""
	Month      string // 2026年3月
	Cycle      string // 2026-03
	Group      string // 单月/双月
	Empty      bool   // no customers and no readers: say how to load data
	Customers  int
	Readers    []homeRow
	Books      int
	Households int
}

type homeRow struct {
	ID, Name, Href string
	Books          []string
	Count          int
}

func (s *Server) homePage(c echo.Context) error {
	m := s.thisMonth()
	d := homeData{layoutData: s.layout(c, "抄表管理"), Month: monthZh(m), Cycle: m.String(), Group: m.Group().String()}
	a := &principal(c).Account
	if d.All = a.Can(account.PermViewRoutes); !d.All {
		if a.MaySeeRoute(a.ReaderID) {
			d.OwnRoute = readerHref(a.ReaderID, m)
		}
		return s.render(c, http.StatusOK, "home", d)
	}
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		var err error
		if d.Customers, err = tx.CountCustomers(); err != nil {
			return err
		}
		rs, as, err := readersAndAssignments(tx)
		if err != nil {
			return err
		}
		for _, r := range rs {
			route, err := tx.Route(r.ID, m)
			if err != nil {
				return err
			}
			row := homeRow{ID: r.ID, Name: r.Name, Href: readerHref(r.ID, m), Books: domain.BooksOf(as, r.ID, m), Count: len(route)}
			d.Readers = append(d.Readers, row)
			d.Books += len(row.Books)
			d.Households += row.Count
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.Empty = d.Customers == 0 && len(d.Readers) == 0
	return s.render(c, http.StatusOK, "home", d)
}

type routeData struct {
	layoutData
	Reader     domain.Reader
	Books      []string
	Month      string
	Cycle      string
	Group      string
	Prev, Next string // the route pages of the months around
	Prefix     string // the page's own path, the month form's action
	Households []routeRow
}

type routeRow struct {
	Seq, ID, Name, Address, Kind, State string
}

func (s *Server) routePage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	m, err := s.cycleParam(c)
	if err != nil {
		return err
	}
	rt, err := s.loadRoute(id, m)
	if err != nil {
		return err
	}
	d := routeData{
		layoutData: s.layout(c, fmt.Sprintf("%s的抄表路线 · %s · 抄表管理", rt.Reader.Name, monthZh(m))),
		Reader:     rt.Reader, Books: rt.Books, Month: monthZh(m), Cycle: m.String(), Group: m.Group().String(),
		Prev: readerHref(id, m.Add(-1)), Next: readerHref(id, m.Add(1)), Prefix: "/readers/" + url.PathEscape(id),
		Households: make([]routeRow, len(rt.Households)),
	}
	for i, h := range rt.Households {
		d.Households[i] = routeRow{Seq: h.Seq.String(), ID: h.ID, Name: h.Name, Address: h.Address,
			Kind: h.Meter.Kind.String(), State: h.Meter.State.String()}
	}
	return s.render(c, http.StatusOK, "route", d)
}

type errorData struct {
	layoutData
	Code    int
	Heading string
	Detail  string
}

// statusZh names the statuses a page can answer with.
var statusZh = map[int]string{
	http.StatusBadRequest:            "请求有误",
	http.StatusUnauthorized:          "未登录",
	http.StatusForbidden:             "无权访问",
	http.StatusConflict:              "操作冲突",
	http.StatusUnsupportedMediaType:  "请求格式不支持",
	http.StatusTooManyRequests:       "尝试次数过多",
	http.StatusNotFound:              "页面不存在",
	http.StatusMethodNotAllowed:      "不支持该请求方法",
	http.StatusRequestEntityTooLarge: "请求内容过大",
	http.StatusInternalServerError:   "服务器内部错误",
	http.StatusServiceUnavailable:    "服务暂不可用",
}

func (s *Server) errorPage(c echo.Context, code int, detail string) error {
	heading := statusZh[code]
	if heading == "" {
		heading = http.StatusText(code)
	}
	d := errorData{layoutData: s.layout(c, heading+" · 抄表管理"), Code: code, Heading: heading, Detail: detail}
	return s.render(c, code, "error", d)
}

// static serves the embedded files under static/. Links carry ?v=Version,
// so a day's caching never serves a stale file after an upgrade.
func (s *Server) static(c echo.Context) error {
	name := "static/" + c.Param("*")
	data, err := fs.ReadFile(staticFS, name)
	if !fs.ValidPath(name) || err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(data))
	return nil
}

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openapiJSON)
}
