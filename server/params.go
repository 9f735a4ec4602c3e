package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
)

// clientError is a request the server will not answer as asked: a 4xx with a
// message in English for the API and in Chinese for the pages' staff.
type clientError struct {
	code int
	en   string
	zh   string
}

func (e *clientError) Error() string { return e.en }

// zhOf is what staff read of an error: a client error's Chinese message, or
// the error's own (package access and account write theirs in Chinese).
func zhOf(err error) string {
	var ce *clientError
	if errors.As(err, &ce) {
		return ce.zh
	}
	return err.Error()
}

func badParam(kind, name, value, want, wantZh string) *clientError {
	return &clientError{code: http.StatusBadRequest,
		en: fmt.Sprintf("invalid %s %s: %q; want %s", kind, name, value, want),
		zh: fmt.Sprintf("参数%s无效: %q。%s", name, value, wantZh)}
}

func notFound(what, whatZh, id string) *clientError {
	return &clientError{code: http.StatusNotFound,
		en: fmt.Sprintf("%s %q not found", what, id),
		zh: fmt.Sprintf("%s“%s”不存在", whatZh, id)}
}

// maxIDLen bounds an id taken from a path; stored ids are shorter (a 用户编号
// has at most 32 characters).
const maxIDLen = 64

// idParam reads path parameter name as an id: unescaped once, non-empty, at most
// maxIDLen bytes of valid UTF-8 with no spaces or control characters. This is
// input hygiene only; whether such a record exists is the store's to say.
func idParam(c echo.Context, name string) (string, error) {
	raw := c.Param(name)
	id := raw
	var err error
	if c.Request().URL.RawPath != "" { // echo matched the escaped path: its params are escaped too
		id, err = url.PathUnescape(raw)
	}
	if err != nil || id == "" || len(id) > maxIDLen || !utf8.ValidString(id) ||
		strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", badParam("path parameter", name, raw,
			fmt.Sprintf("1 to %d bytes without spaces", maxIDLen),
			fmt.Sprintf("编号应为1到%d个字节,不含空格。", maxIDLen))
	}
	return id, nil
}

// cycleParam reads the query parameter cycle (YYYY-MM); absent or empty
// means this month.
func (s *Server) cycleParam(c echo.Context) (domain.Month, error) {
	v := c.QueryParam("cycle")
	if v == "" {
		return s.thisMonth(), nil
	}
	m, err := domain.ParseMonth(v)
	if err != nil {
		return 0, badParam("query parameter", "cycle", v, "YYYY-MM, e.g. 2026-03", "抄表月份应写作YYYY-MM,例如2026-03。")
	}
	return m, nil
}

// thisMonth is the month of the server's clock.
func (s *Server) thisMonth() domain.Month { return domain.MonthOf(s.now()) }
