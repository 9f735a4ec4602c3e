package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"meter-sync/access"
	"meter-sync/account"
)

// The sign-in form has no session to tie a CSRF token to, so it carries a
// random token that must equal the one in a short-lived cookie of its own
// (double submit): another site can post the form but cannot read or set
// the cookie, and so cannot sign a browser in under an account of its
// choosing.
const (
	signinCookie = "ms_signin"
	signinPath   = "/signin"
	signinMaxAge = 3600 // seconds the form stays usable
	// maxPassword bounds what is hashed: argon2 of a megabyte is work for
	// nothing.
	maxPassword = 1024
)

type signinData struct {
	layoutData
	Token string // the form's CSRF token, also in the signin cookie
	Next  string // where to go once signed in
	ID    string // the account typed, kept after a failure
	Error string
}

// peerAddr is the address of the TCP peer. X-Forwarded-For and the like are
// ignored: anyone can write them, and sign-in failures are counted per
// address.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// nextParam is a safe place to go after signing in, "/" by default.
func nextParam(v string) string {
	if safeNext(v) {
		return v
	}
	return "/"
}

func (s *Server) signinPage(c echo.Context) error {
	next := nextParam(c.QueryParam("next"))
	if principal(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderSignin(c, http.StatusOK, signinData{Next: next})
}

// renderSignin shows the form with a fresh token.
func (s *Server) renderSignin(c echo.Context, code int, d signinData) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	d.Token = base64.RawURLEncoding.EncodeToString(b)
	s.setCookie(c, signinCookie, d.Token, signinPath, signinMaxAge, http.SameSiteStrictMode)
	d.layoutData = s.layout(c, "登录 · 抄表管理")
	return s.render(c, code, "signin", d)
}

func (s *Server) signin(c echo.Context) error {
	f, err := postForm(c)
	if err != nil {
		return err
	}
	d := signinData{Next: nextParam(f.Get("next"))}
	ck, cerr := c.Cookie(signinCookie)
	if token := f.Get(csrfField); cerr != nil || token == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(ck.Value)) != 1 {
		d.Error = "登录页面已过期,请重新输入账号和密码。"
		return s.renderSignin(c, http.StatusForbidden, d)
	}
	if d.ID, err = formField(f, "id", "账号", 32, true); err != nil {
		return err
	}
	pw, err := formPassword(f, "password", "密码")
	if err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	cookie, _, err := acc.SignIn(d.ID, pw, peerAddr(c.Request()))
	switch {
	case errors.Is(err, access.ErrLocked):
		s.metrics.signin("locked")
		d.Error = access.ErrLocked.Error()
		return s.renderSignin(c, http.StatusTooManyRequests, d)
	case errors.Is(err, access.ErrBadCredentials):
		s.metrics.signin("failed")
		d.Error = access.ErrBadCredentials.Error()
		return s.renderSignin(c, http.StatusUnauthorized, d)
	case err != nil:
		return err
	}
	s.metrics.signin("ok")
	s.clearCookie(c, signinCookie, signinPath)
	s.setCookie(c, sessionCookie, cookie, "/", 0, http.SameSiteLaxMode)
	return c.Redirect(http.StatusSeeOther, d.Next)
}

// formPassword reads a password field: required, kept exactly as typed.
func formPassword(f url.Values, name, zh string) (string, error) {
	if _, err := formField(f, name, zh, maxPassword, true); err != nil {
		return "", err
	}
	return f.Get(name), nil
}

func (s *Server) signout(c echo.Context) error {
	if p := principal(c); p.Session != nil {
		acc, err := s.accessService()
		if err != nil {
			return err
		}
		if err := acc.SignOut(p); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie, "/")
	return c.Redirect(http.StatusSeeOther, signinPath)
}

type accountData struct {
	layoutData
	Account   account.Account
	Role      string
	CanChange bool // signed in with a password, in a browser
	MinLen    int
	Done      bool
	Error     string
}

func (s *Server) accountPage(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, c.QueryParam("done") == "password", "")
}

func (s *Server) renderAccount(c echo.Context, code int, done bool, msg string) error {
	p := principal(c)
	d := accountData{layoutData: s.layout(c, "我的账号 · 抄表管理"), Account: p.Account, Role: p.Account.Role.Chinese(),
		CanChange: p.Session != nil && p.Account.Password != "", MinLen: account.MinPasswordLen, Done: done, Error: msg}
	d.Account.Password = ""
	return s.render(c, code, "account", d)
}

func (s *Server) changePassword(c echo.Context) error {
	p := principal(c)
	if p.Session == nil {
		return &clientError{code: http.StatusBadRequest, en: "only a signed-in browser changes its password",
			zh: "请在浏览器中登录后修改密码"}
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	f, err := postForm(c)
	if err != nil {
		return err
	}
	var old, pw, pw2 string
	for _, fld := range []struct {
		v        *string
		name, zh string
	}{{&old, "old", "原密码"}, {&pw, "new", "新密码"}, {&pw2, "new2", "再次输入的新密码"}} {
		if *fld.v, err = formPassword(f, fld.name, fld.zh); err != nil {
			return s.renderAccount(c, http.StatusBadRequest, false, zhOf(err))
		}
	}
	if pw != pw2 {
		return s.renderAccount(c, http.StatusBadRequest, false, "两次输入的新密码不一致。")
	}
	switch err := acc.ChangePassword(p, old, pw); {
	case errors.Is(err, access.ErrLocked):
		return s.renderAccount(c, http.StatusTooManyRequests, false, access.ErrLocked.Error())
	case errors.Is(err, access.ErrBadCredentials):
		return s.renderAccount(c, http.StatusBadRequest, false, "原密码错误。")
	case errors.Is(err, access.ErrRejected):
		return s.renderAccount(c, http.StatusBadRequest, false, err.Error())
	case err != nil:
		return err
	}
	// A new password ends every session of the account, this one too: sign
	// this browser in again with it, so that only the others are signed out.
	cookie, _, err := acc.SignIn(p.Account.ID, pw, peerAddr(c.Request()))
	if err != nil {
		s.clearCookie(c, sessionCookie, "/")
		return c.Redirect(http.StatusSeeOther, signinPath+"?next=%2Faccount")
	}
	s.setCookie(c, sessionCookie, cookie, "/", 0, http.SameSiteLaxMode)
	return c.Redirect(http.StatusSeeOther, "/account?done=password")
}
