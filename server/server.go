// Package server is meter-sync's HTTP side: the JSON API under /api/v1, the
// back office's pages (server-rendered, in Chinese) and the local admin
// endpoints. It is thin (DESIGN §3): it parses, authorises, reads the store,
// calls the domain and renders; no business rule is written here.
//
// Routes (see Routes and openapi.json):
//
//	GET  /                              back office home: readers and this month's counts
//	GET  /readers/:id?cycle=YYYY-MM     a reader's route for a month, in walking order
//	GET  /static/*                      the embedded stylesheet
//	GET  /healthz                       liveness and store readability
//	GET  /openapi.json                  the API description
//	GET  /api/v1/readers                readers and the books they hold this month
//	GET  /api/v1/readers/:id/route      a reader's route for a month
//	GET  /api/v1/customers/:id          one household (no personal fields)
//	POST /api/v1/admin/backup           a consistent copy of the store (bearer token)
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

	"meter-sync/store"
)

// Options configure a Server. Zero values mean the defaults documented on
// each field.
type Options struct {
	// Store is where the server reads from; required.
	Store store.Store
	// Logger receives request logs at INFO and failures at ERROR; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. The pages' "this month" is
	// domain.MonthOf(Now()).
	Now func() time.Time
	// AdminToken is the bearer token of the local admin endpoints (backup);
	// "" disables them (they answer 404).
	AdminToken string
	// Version is shown in the pages' footer; "" shows "dev".
	Version string
}

// bodyLimit bounds every request body; nothing the server takes today is
// larger.
const bodyLimit = "1M"

// Route is one registered route.
type Route struct {
	Method string // GET, POST, …
	Path   string // the pattern, with :name for a path parameter and * for a tail
}

// Server serves meter-sync's HTTP API and pages. It is safe for concurrent use.
type Server struct {
	opt    Options
	log    *slog.Logger
	now    func() time.Time
	e      *echo.Echo
	routes []Route
	pages  map[string]*template.Template
}

// New builds a server over opt.Store. It panics if opt.Store is nil.
func New(opt Options) *Server {
	if opt.Store == nil {
		panic("server: Options.Store is nil")
	}
	s := &Server{opt: opt, log: opt.Logger, now: opt.Now, pages: parsePages()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opt.Version == "" {
		s.opt.Version = "dev"
	}
	s.e = echo.New()
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.Logger.SetOutput(io.Discard) // everything is logged through slog
	s.e.HTTPErrorHandler = s.handleError
	s.e.Use(s.requestLogger(), s.recoverer(), middleware.BodyLimit(bodyLimit), secureHeaders)
	s.register()
	return s
}

// Handler is the server's HTTP handler; the caller sets the timeouts.
func (s *Server) Handler() http.Handler { return s.e }

// Routes lists every registered route in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func (s *Server) register() {
	s.add(http.MethodGet, "/", s.homePage)
	s.add(http.MethodGet, "/readers/:id", s.routePage)
	s.add(http.MethodGet, "/static/*", s.static)
	s.add(http.MethodGet, "/healthz", s.healthz)
	s.add(http.MethodGet, "/openapi.json", s.openAPI)
	s.add(http.MethodGet, "/api/v1/readers", s.apiReaders)
	s.add(http.MethodGet, "/api/v1/readers/:id/route", s.apiRoute)
	s.add(http.MethodGet, "/api/v1/customers/:id", s.apiCustomer)
	s.add(http.MethodPost, "/api/v1/admin/backup", s.adminBackup)
}

func (s *Server) add(method, path string, h echo.HandlerFunc) {
	s.e.Add(method, path, h)
	s.routes = append(s.routes, Route{Method: method, Path: path})
}

// requestLogger logs one INFO line per request: method, path, status and
// duration. The query string is left out: it may carry personal data.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:   true,
		LogURIPath:  true,
		LogStatus:   true,
		LogLatency:  true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("duration", v.Latency))
			return nil
		},
	})
}

// recoverer turns a panic in a handler into a 500 and logs it with its stack.
func (s *Server) recoverer() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic in handler", "method", c.Request().Method,
				"path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	})
}

// secureHeaders keeps responses out of shared caches (they hold personal
// data) and forbids the browser anything but our own stylesheet.
func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
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
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/openapi.json"
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
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
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
		s.log.Error("writing error response", "path", c.Request().URL.Path, "err", err)
	}
}
