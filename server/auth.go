package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"meter-sync/access"
	"meter-sync/account"
)

// Authentication: a browser holds a session cookie (access.Service.Session);
// devices and integrations send an API token (access.Service.Token) as a
// bearer; the local CLI sends the configured AdminToken. A request that
// carries an Authorization header is judged by it alone, never by a cookie
// beside it.

const (
	// sessionCookie holds a browser's session secret.
	sessionCookie = "ms_session"
	// csrfField and csrfHeader carry the session's CSRF token on writes.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// maxAuthorization bounds the Authorization header: an API token is
	// under 100 bytes.
	maxAuthorization = 512
	// maxCookie bounds the session cookie's value (43 bytes when genuine).
	maxCookie = 128
)

// cliLocal is the principal of the AdminToken: the local CLI, acting as an
// administrator. It is no stored account and has no password.
var cliLocal = access.Principal{Account: account.Account{ID: "cli-local", Name: "本机命令行", Role: account.RoleAdmin}}

// ctxAuth is the echo context key of a request's *authResult.
const ctxAuth = "meter-sync.auth"

// authResult is what authenticate found.
type authResult struct {
	p        *access.Principal // nil: not authenticated
	byCookie bool              // credentials came in the session cookie
	err      error             // why the credentials given were refused; nil if none were given
}

// principal is the request's authenticated principal, or nil.
func principal(c echo.Context) *access.Principal {
	if a, ok := c.Get(ctxAuth).(*authResult); ok {
		return a.p
	}
	return nil
}

// authenticate finds who a request comes from, on every request, so that
// even error pages know whom they speak to. It refuses nothing itself:
// guard does, for the routes that need it.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := s.credentials(c.Request())
		c.Set(ctxAuth, &a)
		return next(c)
	}
}

var (
	errDuplicateAuthorization = &clientError{code: http.StatusBadRequest,
		en: "more than one Authorization header", zh: "请求含有多个Authorization头"}
	errLongAuthorization = &clientError{code: http.StatusBadRequest,
		en: "Authorization header too long", zh: "Authorization头过长"}
)

func (s *Server) credentials(r *http.Request) authResult {
	if hs := r.Header.Values("Authorization"); len(hs) > 0 {
		p, err := s.bearer(hs)
		return authResult{p: p, err: err}
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return authResult{}
	}
	if s.opt.Access == nil || ck.Value == "" || len(ck.Value) > maxCookie {
		return authResult{byCookie: true, err: access.ErrUnauthenticated}
	}
	p, err := s.opt.Access.Session(ck.Value)
	return authResult{p: p, byCookie: true, err: err}
}

// bearer checks an Authorization header: "Bearer mst_…" (an API token) or
// "Bearer <AdminToken>".
func (s *Server) bearer(values []string) (*access.Principal, error) {
	const prefix = "Bearer "
	switch h := values[0]; {
	case len(values) > 1:
		return nil, errDuplicateAuthorization
	case len(h) > maxAuthorization:
		return nil, errLongAuthorization
	case len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix):
		return nil, access.ErrUnauthenticated
	default:
		secret := h[len(prefix):]
		if _, ok := account.TokenID(secret); ok && s.opt.Access != nil {
			return s.opt.Access.Token(secret)
		}
		if s.isAdminToken(secret) {
			p := cliLocal
			return &p, nil
		}
		return nil, access.ErrUnauthenticated
	}
}

// isAdminToken compares a secret with the AdminToken. Both sides are hashed
// first so that the comparison takes the same time whatever the length of
// the guess.
func (s *Server) isAdminToken(secret string) bool {
	if s.opt.AdminToken == "" {
		return false
	}
	got, want := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.opt.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// guard enforces route r's permission: the one check every route passes.
func (s *Server) guard(r Route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if r.Public {
			return next
		}
		return func(c echo.Context) error {
			a, _ := c.Get(ctxAuth).(*authResult)
			if a == nil {
				a = &authResult{}
			}
			var ce *clientError
			if errors.As(a.err, &ce) {
				return ce
			}
			if a.p == nil {
				return s.unauthenticated(c, a.byCookie)
			}
			if !permitted(c, r, &a.p.Account) {
				return forbidden(&a.p.Account)
			}
			if a.byCookie && writes(c.Request().Method) {
				if err := checkCSRF(c, a.p.Session); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

func permitted(c echo.Context, r Route, a *account.Account) bool {
	if r.Allows(a) {
		return true
	}
	if !r.OwnRoute {
		return false
	}
	id, err := idParam(c, "id")
	return err == nil && a.MaySeeRoute(id)
}

// writes reports whether a method changes state, and so needs a CSRF token
// when a cookie authenticates it.
func writes(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

var errCSRF = &clientError{code: http.StatusForbidden,
	en: "missing or wrong CSRF token", zh: "表单已过期或来源不明(CSRF校验失败),请返回上一页刷新后重试。"}

// checkCSRF compares the token of the header or of the form body (never of
// the query string, which ends up in logs and histories) with the session's.
func checkCSRF(c echo.Context, sess *account.Session) error {
	token := c.Request().Header.Get(csrfHeader)
	if token == "" {
		f, err := postForm(c)
		if err != nil {
			return err
		}
		token = f.Get(csrfField)
	}
	if sess == nil || !sess.CheckCSRF(token) {
		return errCSRF
	}
	return nil
}

func forbidden(a *account.Account) *clientError {
	return &clientError{code: http.StatusForbidden,
		en: "forbidden: account " + a.ID + " (" + string(a.Role) + ") may not do this",
		zh: "您的账号(" + a.Role.Chinese() + ")无权进行此操作。"}
}

// unauthenticated answers a request that needs a principal and has none: the
// API with 401, a page by sending the browser to the sign-in form, which
// brings it back here after.
func (s *Server) unauthenticated(c echo.Context, staleCookie bool) error {
	if staleCookie {
		s.clearCookie(c, sessionCookie, "/")
	}
	if isAPI(c.Request().URL.Path) {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="meter-sync"`)
		return &clientError{code: http.StatusUnauthorized, en: "authentication required: sign in or send an API token",
			zh: "请先登录"}
	}
	target := "/signin"
	if c.Request().Method == http.MethodGet {
		if next := c.Request().URL.RequestURI(); safeNext(next) && next != "/" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// safeNext reports whether next may be where sign-in sends the browser: a
// path of this server, never another site ("//evil.example", "/\evil",
// "https://…") and nothing a header could be split on.
func safeNext(next string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		len(next) > 2048 || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// setCookie sets an HttpOnly cookie on path; maxAge 0 makes it last until
// the browser closes.
func (s *Server) setCookie(c echo.Context, name, value, path string, maxAge int, same http.SameSite) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.SecureCookies, SameSite: same})
}

func (s *Server) clearCookie(c echo.Context, name, path string) {
	s.setCookie(c, name, "", path, -1, http.SameSiteLaxMode)
}
