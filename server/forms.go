package server

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// postForm parses a request's form body once: application/x-www-form-urlencoded
// only, within the body limit. Values in the query string are not part of it.
func postForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	if r.PostForm != nil {
		return r.PostForm, nil
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" || r.ContentLength > 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != echo.MIMEApplicationForm {
			return nil, &clientError{code: http.StatusUnsupportedMediaType,
				en: "request body must be " + echo.MIMEApplicationForm,
				zh: "请求内容应为表单(" + echo.MIMEApplicationForm + ")"}
		}
	}
	if err := r.ParseForm(); err != nil {
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return nil, err
		}
		r.PostForm = nil
		return nil, &clientError{code: http.StatusBadRequest, en: "malformed form body: " + err.Error(), zh: "表单内容格式错误"}
	}
	return r.PostForm, nil
}

// formField reads one field of a form body: given at most once, valid UTF-8
// of at most max bytes without control characters, spaces trimmed. zh names
// the field in messages for staff; required fields may not be empty.
func formField(f url.Values, name, zh string, max int, required bool) (string, error) {
	vs := f[name]
	bad := func(why, whyZh string) error {
		return &clientError{code: http.StatusBadRequest,
			en: fmt.Sprintf("form field %s: %s", name, why), zh: fmt.Sprintf("“%s”(%s)%s", zh, name, whyZh)}
	}
	if len(vs) > 1 {
		return "", bad("given more than once", "重复提交")
	}
	var v string
	if len(vs) == 1 {
		v = strings.TrimSpace(vs[0])
	}
	switch {
	case required && v == "":
		return "", bad("required", "不能为空")
	case len(v) > max:
		return "", bad(fmt.Sprintf("longer than %d bytes", max), fmt.Sprintf("过长(最多%d个字节)", max))
	case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
		return "", bad("holds invalid characters", "含有无效字符")
	}
	return v, nil
}

// formCheckbox reads a checkbox: present and "1" or "on" is ticked.
func formCheckbox(f url.Values, name string) bool {
	v := f.Get(name)
	return v == "1" || v == "on"
}
