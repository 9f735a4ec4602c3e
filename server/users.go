package server

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
)

// The administration of accounts and their API tokens (PermManageUsers).
// Every change goes through package access, which checks and audits it;
// a secret (a password, a token) is shown once, on the page that answers the
// change, and never again.

type usersData struct {
	layoutData
	Users []userRow
	Roles []option
	Form  newUserForm // what was typed, kept after a refusal
	Error string
}

type userRow struct {
	ID, Name, Role, Dispatch, ReaderID, State, Href string
	Disabled                                        bool
}

type newUserForm struct {
	ID, Name, Role, ReaderID string
	Dispatch                 bool
}

type option struct {
	Value, Text string
	Selected    bool
}

type userData struct {
	layoutData
	Account account.Account
	Row     userRow
	Roles   []option
	Tokens  []tokenRow
	Error   string
}

type tokenRow struct {
	ID, Label, Created, Expires, State, Revoke string
	Active                                     bool
}

func userHref(id string) string { return "/admin/users/" + url.PathEscape(id) }

// timeZh writes a time as staff read it, in the company's time zone.
func timeZh(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Local).Format("2006-01-02 15:04")
}

func roleOptions(selected account.Role) []option {
	var out []option
	for _, r := range account.Roles() {
		out = append(out, option{Value: string(r), Text: r.Chinese(), Selected: r == selected})
	}
	return out
}

func newUserRow(a *account.Account) userRow {
	r := userRow{ID: a.ID, Name: a.Name, Role: a.Role.Chinese(), Dispatch: "—", ReaderID: a.ReaderID,
		State: "启用", Href: userHref(a.ID), Disabled: a.Disabled}
	if a.Role == account.RoleClerk {
		r.Dispatch = map[bool]string{true: "有", false: "无"}[a.CanDispatch]
	}
	if a.Disabled {
		r.State = "已停用"
	}
	return r
}

func (s *Server) usersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, newUserForm{Role: string(account.RoleClerk)}, "")
}

func (s *Server) renderUsers(c echo.Context, code int, form newUserForm, msg string) error {
	d := usersData{layoutData: s.layout(c, "账号管理 · 抄表管理"), Roles: roleOptions(account.Role(form.Role)),
		Form: form, Error: msg}
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		as, err := tx.Accounts()
		for i := range as {
			d.Users = append(d.Users, newUserRow(&as[i]))
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(c, code, "users", d)
}

func (s *Server) addUser(c echo.Context) error {
	f, err := postForm(c)
	if err != nil {
		return err
	}
	var n newUserForm
	if n.ID, err = formField(f, "id", "账号", 32, true); err != nil {
		return err
	}
	if n.Name, err = formField(f, "name", "姓名", 64, true); err != nil {
		return err
	}
	if n.Role, err = formField(f, "role", "角色", 32, true); err != nil {
		return err
	}
	if n.ReaderID, err = formField(f, "reader_id", "抄表员编号", maxIDLen, false); err != nil {
		return err
	}
	n.Dispatch = formCheckbox(f, "dispatch")
	role, err := account.ParseRole(n.Role)
	if err != nil {
		return s.renderUsers(c, http.StatusBadRequest, n, err.Error())
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	pw, err := acc.AddAccount(principal(c).Actor(), access.NewAccount{ID: n.ID, Name: n.Name, Role: role,
		CanDispatch: n.Dispatch, ReaderID: n.ReaderID})
	if errors.Is(err, access.ErrRejected) {
		return s.renderUsers(c, http.StatusBadRequest, n, err.Error())
	}
	if err != nil {
		return err
	}
	return s.renderOnce(c, onceData{Heading: "账号已创建", Lead: "账号 " + n.ID + "(" + n.Name + ")的初始密码:",
		Secret: pw, Note: "请把密码交给本人,并请其登录后在“我的账号”中修改。", Back: userHref(n.ID), BackText: "账号 " + n.ID})
}

func (s *Server) userPage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusOK, id, "")
}

func (s *Server) renderUser(c echo.Context, code int, id, msg string) error {
	d := userData{Error: msg}
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		var err error
		if d.Account, err = tx.Account(id); err != nil {
			return err
		}
		ts, err := tx.Tokens(id)
		for _, t := range ts {
			d.Tokens = append(d.Tokens, s.newTokenRow(&t))
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("account", "账号", id)
	}
	if err != nil {
		return err
	}
	d.Account.Password = ""
	d.Row, d.Roles = newUserRow(&d.Account), roleOptions(d.Account.Role)
	d.layoutData = s.layout(c, "账号 "+id+" · 账号管理 · 抄表管理")
	return s.render(c, code, "user", d)
}

func (s *Server) newTokenRow(t *account.Token) tokenRow {
	r := tokenRow{ID: t.ID, Label: t.Label, Created: timeZh(t.CreatedAt), Expires: timeZh(t.ExpiresAt),
		State: "有效", Active: t.Active(s.now()),
		Revoke: userHref(t.AccountID) + "/tokens/" + url.PathEscape(t.ID) + "/revoke"}
	if r.Expires == "" {
		r.Expires = "永不过期"
	}
	switch {
	case !t.RevokedAt.IsZero():
		r.State = "已撤销(" + timeZh(t.RevokedAt) + ")"
	case !r.Active:
		r.State = "已过期"
	}
	return r
}

// userAction runs a change to account :id and shows the account again; a
// refused change is shown on its page.
func (s *Server) userAction(c echo.Context, change func(acc *access.Service, by access.Actor, id string, f url.Values) error) error {
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, err := postForm(c)
	if err != nil {
		return err
	}
	err = change(acc, principal(c).Actor(), id, f)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("account", "账号", id)
	case errors.Is(err, access.ErrRejected):
		return s.renderUser(c, http.StatusBadRequest, id, err.Error())
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, userHref(id))
}

func (s *Server) setRole(c echo.Context) error {
	return s.userAction(c, func(acc *access.Service, by access.Actor, id string, f url.Values) error {
		v, err := formField(f, "role", "角色", 32, true)
		if err != nil {
			return err
		}
		role, err := account.ParseRole(v)
		if err != nil {
			return &clientError{code: http.StatusBadRequest, en: "form field role: unknown role", zh: err.Error()}
		}
		reader, err := formField(f, "reader_id", "抄表员编号", maxIDLen, false)
		if err != nil {
			return err
		}
		return acc.SetRole(by, id, role, formCheckbox(f, "dispatch"), reader)
	})
}

func (s *Server) disableUser(c echo.Context) error {
	return s.userAction(c, func(acc *access.Service, by access.Actor, id string, _ url.Values) error {
		return acc.SetDisabled(by, id, true)
	})
}

func (s *Server) enableUser(c echo.Context) error {
	return s.userAction(c, func(acc *access.Service, by access.Actor, id string, _ url.Values) error {
		return acc.SetDisabled(by, id, false)
	})
}

func (s *Server) resetPassword(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	pw, err := account.RandomPassword()
	if err != nil {
		return err
	}
	err = acc.SetPassword(principal(c).Actor(), id, pw)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("account", "账号", id)
	}
	if err != nil {
		return err
	}
	return s.renderOnce(c, onceData{Heading: "密码已重置", Lead: "账号 " + id + " 的新密码:", Secret: pw,
		Note: "请把密码交给本人,并请其登录后在“我的账号”中修改。", Back: userHref(id), BackText: "账号 " + id})
}

func (s *Server) issueToken(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, err := postForm(c)
	if err != nil {
		return err
	}
	label, err := formField(f, "label", "用途", 64, true)
	if err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	secret, t, err := acc.IssueToken(principal(c).Actor(), id, label)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("account", "账号", id)
	}
	if err != nil {
		return err
	}
	return s.renderOnce(c, onceData{Heading: "API令牌已签发", Lead: "账号 " + id + " 的API令牌 " + t.ID + "(" + label + "):",
		Secret: secret, Note: "请在设备或系统中以 Authorization: Bearer <令牌> 使用;它与账号有同样的权限。",
		Back: userHref(id), BackText: "账号 " + id})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	tid, err := idParam(c, "token")
	if err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	err = s.opt.Store.View(func(tx store.ReadTx) error {
		t, err := tx.Token(tid)
		if err == nil && t.AccountID != id {
			err = store.ErrNotFound // another account's token: not under this path
		}
		return err
	})
	if err == nil {
		err = acc.RevokeToken(principal(c).Actor(), tid)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound("token", "令牌", tid)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, userHref(id))
}

type onceData struct {
	layoutData
	Heading, Lead, Secret, Note, Back, BackText string
}

// renderOnce shows a secret the server will not show again.
func (s *Server) renderOnce(c echo.Context, d onceData) error {
	d.layoutData = s.layout(c, d.Heading+" · 抄表管理")
	return s.render(c, http.StatusOK, "once", d)
}
