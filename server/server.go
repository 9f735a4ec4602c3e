// Package server is meter-sync's HTTP side: the JSON API under /api/v1, the
// back office's pages (server-rendered, in Chinese), sign-in, the
// administration of accounts, handhelds and the audit trail, and the
// Prometheus metrics. It is thin (DESIGN §3): it parses, authorises, reads
// the store, calls the domain and package access, and renders; no business
// rule is written here.
//
// Authorisation is in one place: every route is registered with the
// account.Permission it needs, or as public, and Routes lists them. Public:
//
//	GET  /healthz                       liveness and store readability
//	GET  /signin, POST /signin          the sign-in form
//	GET  /static/*                      the embedded stylesheet
//
// Everything else needs a session cookie (browsers) or an API token
// (Authorization: Bearer mst_…); see register for each route's permission.
// Unauthenticated, pages redirect to /signin and the API answers 401;
// authenticated but not permitted, both answer 403. A write authenticated by
// a cookie must carry the session's CSRF token.
//
// echo is an implementation detail: no echo type appears in this package's
// exported API.
package server

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/orders"
	"meter-sync/store"
	tabsync "meter-sync/sync"
	"meter-sync/vee"
)

// Options configure a Server. Zero values mean the defaults documented on
// each field.
type Options struct {
	// Store is where the server reads from; required.
	Store store.Store
	// Access signs people in and authenticates sessions and API tokens;
	// required for real use. Nil leaves only the public routes and the
	// AdminToken working.
	Access *access.Service
	// Logger receives one INFO line per request and failures at ERROR; nil
	// discards them. No query string, form value, cookie, token or customer
	// field is ever logged.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. The pages' "this month" is
	// domain.MonthOf(Now()). Give Access the same clock.
	Now func() time.Time
	// AdminToken is the local CLI's bearer token (`meter-sync backup` while
	// the server runs). It authenticates as the internal administrator
	// "cli-local"; "" disables it.
	AdminToken string
	// SecureCookies sets the Secure flag on the cookies; set it when the
	// server is reached over TLS.
	SecureCookies bool
	// Version is shown in the pages' footer; "" shows "dev".
	Version string
	// Station docks handhelds on the server machine's serial ports for the
	// docking page and API; nil answers them 503.
	Station Station
	// Ports lists the machine's serial ports for the docking page; nil
	// lists none (a port's path can still be typed).
	Ports func() ([]PortInfo, error)
	// Validation holds the thresholds a commit (入库) measures each
	// reading's use with, from the configuration; nil means
	// vee.DefaultParams(). Its Now is set to the server's clock.
	Validation *vee.Params
	// IgnitionStartDay is the day of the month before on which a month's
	// ignition count opens ([cycle] ignition_window_start_day); 0 means
	// the sources' 26th.
	IgnitionStartDay int
	// Orders holds the work-order rules' configuration (working-day
	// calendar, commitment windows); nil means orders.DefaultPolicy().
	Orders *orders.Policy
	// Sync serves the tablets' delta sync (/api/v1/sync/…); nil answers
	// those routes 503.
	Sync *tabsync.Service
}

// bodyLimit bounds every request body; nothing the server takes today is
// larger.
const bodyLimit = "1M"

// Route is one registered route and who may use it.
type Route struct {
	Method string // GET, POST, …
	Path   string // the pattern, with :name for a path parameter and * for a tail
	// Permission is what the signed-in account must be allowed
	// (account.Account.Can); "" for a public route.
	Permission account.Permission
	// Also is a second permission that lets an account in as well ("" for
	// none): the work orders are for reviewers and for dispatchers.
	Also account.Permission
	// Public routes are open to everyone, signed in or not.
	Public bool
	// OwnRoute routes are also open to an account that may see the route of
	// the reader named by the path parameter :id (account.MaySeeRoute): a
	// reader sees their own route.
	OwnRoute bool
}

// Allows reports whether the route table lets account a in, the OwnRoute
// case aside.
func (r Route) Allows(a *account.Account) bool {
	return r.Public || a.Can(r.Permission) || r.Also != "" && a.Can(r.Also)
}

// Server serves meter-sync's HTTP API and pages. It is safe for concurrent use.
type Server struct {
	opt     Options
	log     *slog.Logger
	now     func() time.Time
	e       *echo.Echo
	routes  []Route
	byKey   map[string]Route // by method + " " + path
	pages   map[string]*template.Template
	metrics *metrics
}

// New builds a server over opt.Store. It panics if opt.Store is nil.
func New(opt Options) *Server {
	if opt.Store == nil {
		panic("server: Options.Store is nil")
	}
	s := &Server{opt: opt, log: opt.Logger, now: opt.Now, pages: parsePages(), byKey: map[string]Route{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opt.Version == "" {
		s.opt.Version = "dev"
	}
	s.metrics = newMetrics(s)
	s.e = echo.New()
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.Logger.SetOutput(io.Discard) // everything is logged through slog
	s.e.HTTPErrorHandler = s.handleError
	s.e.Use(s.observe, s.recoverer(), middleware.BodyLimit(bodyLimit), secureHeaders, s.authenticate)
	s.register()
	return s
}

// Handler is the server's HTTP handler; the caller sets the timeouts.
func (s *Server) Handler() http.Handler { return s.e }

// Routes lists every registered route in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// register states every route with who may use it: this is the one place.
func (s *Server) register() {
	s.public(http.MethodGet, "/healthz", s.healthz)
	s.public(http.MethodGet, "/signin", s.signinPage)
	s.public(http.MethodPost, "/signin", s.signin)
	s.public(http.MethodGet, "/static/*", s.static)

	s.add(http.MethodPost, "/signout", account.PermSignedIn, s.signout)
	s.add(http.MethodGet, "/", account.PermSignedIn, s.homePage)
	s.add(http.MethodGet, "/account", account.PermSignedIn, s.accountPage)
	s.add(http.MethodPost, "/account/password", account.PermSignedIn, s.changePassword)
	s.addOwnRoute(http.MethodGet, "/readers/:id", s.routePage)

	s.add(http.MethodGet, "/admin/users", account.PermManageUsers, s.usersPage)
	s.add(http.MethodPost, "/admin/users", account.PermManageUsers, s.addUser)
	s.add(http.MethodGet, "/admin/users/:id", account.PermManageUsers, s.userPage)
	s.add(http.MethodPost, "/admin/users/:id/role", account.PermManageUsers, s.setRole)
	s.add(http.MethodPost, "/admin/users/:id/password", account.PermManageUsers, s.resetPassword)
	s.add(http.MethodPost, "/admin/users/:id/disable", account.PermManageUsers, s.disableUser)
	s.add(http.MethodPost, "/admin/users/:id/enable", account.PermManageUsers, s.enableUser)
	s.add(http.MethodPost, "/admin/users/:id/tokens", account.PermManageUsers, s.issueToken)
	s.add(http.MethodPost, "/admin/users/:id/tokens/:token/revoke", account.PermManageUsers, s.revokeToken)
	s.add(http.MethodGet, "/admin/devices", account.PermPairDevice, s.devicesPage)
	s.add(http.MethodPost, "/admin/devices", account.PermPairDevice, s.pairDevice)
	s.add(http.MethodPost, "/admin/devices/:id/revoke", account.PermPairDevice, s.revokeDevice)
	s.add(http.MethodGet, "/docking", account.PermDock, s.dockingPage)
	s.add(http.MethodPost, "/docking", account.PermDock, s.startDockForm)
	s.add(http.MethodGet, "/review", account.PermReview, s.reviewPage)
	s.add(http.MethodGet, "/review/:reader/:cycle", account.PermReview, s.queuePage)
	s.add(http.MethodPost, "/review/:reader/:cycle/decisions", account.PermReview, s.decideForm)
	s.add(http.MethodPost, "/review/:reader/:cycle/commit", account.PermCommit, s.commitForm)
	s.add(http.MethodGet, "/review/:reader/:cycle/report.xlsx", account.PermReview, s.readerReportFile)
	s.add(http.MethodGet, "/review/:reader/:cycle/:customer", account.PermReview, s.householdPage)
	s.add(http.MethodGet, "/reports", account.PermReview, s.reportsPage)
	s.add(http.MethodGet, "/reports/readers.xlsx", account.PermReview, s.reportsFile)
	s.add(http.MethodGet, "/reports/ignitions", account.PermViewRoutes, s.ignitionsPage)
	s.add(http.MethodGet, "/reports/ignitions.xlsx", account.PermViewRoutes, s.ignitionsFile)
	s.addEither(http.MethodGet, "/exports/readings.csv", account.PermReview, account.PermImport, s.committedCSV)
	s.addEither(http.MethodGet, "/exports/readings.xlsx", account.PermReview, account.PermImport, s.committedXLSX)
	s.addEither(http.MethodGet, "/orders", account.PermReview, account.PermDispatch, s.ordersPage)
	s.add(http.MethodGet, "/audit", account.PermViewAudit, s.auditPage)
	s.add(http.MethodGet, "/audit/export", account.PermViewAudit, s.auditExport)
	s.add(http.MethodGet, "/metrics", account.PermMetrics, s.metrics.serve)

	s.add(http.MethodGet, "/openapi.json", account.PermSignedIn, s.openAPI)
	s.add(http.MethodGet, "/api/v1/readers", account.PermViewRoutes, s.apiReaders)
	s.addOwnRoute(http.MethodGet, "/api/v1/readers/:id/route", s.apiRoute)
	s.add(http.MethodGet, "/api/v1/customers/:id", account.PermViewRoutes, s.apiCustomer)
	s.add(http.MethodGet, "/api/v1/docking/jobs", account.PermDock, s.apiDockJobs)
	s.add(http.MethodPost, "/api/v1/docking/jobs", account.PermDock, s.apiStartDock)
	s.add(http.MethodGet, "/api/v1/docking/jobs/:id", account.PermDock, s.apiDockJob)
	s.add(http.MethodGet, "/api/v1/review/:reader/:cycle", account.PermReview, s.apiQueue)
	s.add(http.MethodPost, "/api/v1/review/:reader/:cycle/decisions", account.PermReview, s.apiDecide)
	s.add(http.MethodPost, "/api/v1/review/:reader/:cycle/commit", account.PermCommit, s.apiCommit)
	s.add(http.MethodGet, "/api/v1/reports/readers", account.PermReview, s.apiReaderReports)
	s.add(http.MethodGet, "/api/v1/reports/ignitions", account.PermViewRoutes, s.apiIgnitions)
	s.addEither(http.MethodGet, "/api/v1/readings/committed", account.PermReview, account.PermImport, s.apiCommitted)
	s.addEither(http.MethodGet, "/api/v1/orders", account.PermReview, account.PermDispatch, s.apiOrders)
	s.add(http.MethodPost, "/api/v1/admin/backup", account.PermBackup, s.adminBackup)
	s.add(http.MethodGet, "/api/v1/sync/changes", account.PermSync, s.apiSyncChanges)
	s.add(http.MethodPost, "/api/v1/sync/push", account.PermSync, s.apiSyncPush)
	s.add(http.MethodGet, "/api/v1/sync/blobs/:sha/state", account.PermSync, s.apiSyncBlobState)
	s.add(http.MethodPatch, "/api/v1/sync/blobs/:sha", account.PermSync, s.apiSyncBlobPatch)
	s.addEither(http.MethodGet, "/api/v1/sync/blobs/:sha", account.PermDispatch, account.PermViewAudit, s.apiSyncBlobGet)
	s.addEither(http.MethodGet, "/api/v1/sync/mutations", account.PermDispatch, account.PermViewAudit, s.apiSyncMutations)
	s.registerOrders()
}

// public registers a route open to everyone.
func (s *Server) public(method, path string, h echo.HandlerFunc) {
	s.addRoute(Route{Method: method, Path: path, Public: true}, h)
}

// add registers a route for the accounts that may do p.
func (s *Server) add(method, path string, p account.Permission, h echo.HandlerFunc) {
	s.addRoute(Route{Method: method, Path: path, Permission: p}, h)
}

// addEither registers a route for the accounts that may do p or also.
func (s *Server) addEither(method, path string, p, also account.Permission, h echo.HandlerFunc) {
	s.addRoute(Route{Method: method, Path: path, Permission: p, Also: also}, h)
}

// addOwnRoute registers a route about the reader :id: for accounts that see
// every route, and for that reader.
func (s *Server) addOwnRoute(method, path string, h echo.HandlerFunc) {
	s.addRoute(Route{Method: method, Path: path, Permission: account.PermViewRoutes, OwnRoute: true}, h)
}

func (s *Server) addRoute(r Route, h echo.HandlerFunc) {
	if !r.Public && r.Permission == "" {
		panic("server: route " + r.Method + " " + r.Path + " has no permission")
	}
	s.e.Add(r.Method, r.Path, h, s.guard(r))
	s.routes = append(s.routes, r)
	s.byKey[r.Method+" "+r.Path] = r
}

// route is the registered route c matched, if any.
func (s *Server) route(c echo.Context) (Route, bool) {
	r, ok := s.byKey[c.Request().Method+" "+c.Path()]
	return r, ok
}

// routeLabel names c's route in logs and metrics: the registered pattern,
// never the raw path, which may carry an id.
func (s *Server) routeLabel(c echo.Context) string {
	if r, ok := s.route(c); ok {
		return r.Path
	}
	return "unmatched"
}

// observe logs one INFO line per request (method, route pattern, status,
// duration, account) and counts it in the metrics. The raw path and the
// query string are left out: they may carry personal data.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		defer func() {
			// A response cut on purpose (http.ErrAbortHandler) goes on up to
			// net/http; it is still a request, logged and counted as a 500.
			if r := recover(); r != nil {
				c.Response().Status = http.StatusInternalServerError
				s.logRequest(c, time.Since(start))
				panic(r)
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.logRequest(c, time.Since(start))
		return nil
	}
}

func (s *Server) logRequest(c echo.Context, d time.Duration) {
	route, method, status := s.routeLabel(c), methodLabel(c.Request().Method), c.Response().Status
	s.metrics.observe(route, method, status, d)
	var who string
	if p := principal(c); p != nil {
		who = p.Account.ID
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
		slog.String("method", method), slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", d), slog.String("account", who))
}

var errNoAccess = &clientError{code: http.StatusServiceUnavailable,
	en: "accounts are not configured on this server", zh: "本服务未配置账号服务"}

// accessService is the account service, or a 503 when the server has none
// (Options.Access nil: only the AdminToken authenticates).
func (s *Server) accessService() (*access.Service, error) {
	if s.opt.Access == nil {
		return nil, errNoAccess
	}
	return s.opt.Access, nil
}

// methodLabel bounds the methods that reach logs and metrics.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// recoverer turns a panic in a handler into a 500 and logs it with its stack.
func (s *Server) recoverer() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic in handler", "method", methodLabel(c.Request().Method),
				"route", s.routeLabel(c), "err", err, "stack", string(stack))
			return err
		},
	})
}

// secureHeaders keeps responses out of shared caches (they hold personal
// data) and forbids the browser anything but our own stylesheet and
// scripts (the docking page's progress), and requests to ourselves. An API
// answer, which a browser never renders as a page, gets the short policy
// that forbids everything: a tablet's sync with nothing new must stay under
// 1 KB on the wire (BENCHMARKS.md), and the pages' policy is 190 bytes.
func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		} else {
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// errorBody is every JSON error response.
type errorBody struct {
	Error string `json:"error"`
}

// isAPI reports whether path answers in JSON rather than as a page.
func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/openapi.json" || path == "/metrics"
}

// handleError answers a handler's error: JSON for the API, a page in Chinese
// for people. A *clientError or *echo.HTTPError keeps its status and message;
// anything else is a 500 whose details go to the log, never to the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	api := isAPI(c.Request().URL.Path)
	code, msg := http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
	var ce *clientError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ce):
		code, msg = ce.code, ce.en
		if !api {
			msg = ce.zh
		}
	case errors.As(err, &he):
		code, msg = he.Code, fmt.Sprint(he.Message)
		if !api {
			msg = ""
		}
	}
	if code >= 500 {
		s.log.Error("request failed", "method", methodLabel(c.Request().Method), "route", s.routeLabel(c),
			"status", code, "err", err)
	}
	switch {
	case c.Request().Method == http.MethodHead:
		err = c.NoContent(code)
	case api:
		err = c.JSON(code, errorBody{Error: msg})
	default:
		err = s.errorPage(c, code, msg)
	}
	if err != nil {
		s.log.Error("writing error response", "route", s.routeLabel(c), "err", err)
	}
}
