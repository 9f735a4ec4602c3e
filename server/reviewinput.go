package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// Input of the review pages and API: the reader's cycle in the path, the
// queue's filters in the query, decisions in a form or a JSON body. This is
// input hygiene only; what may be decided is package review's to say.

// maxWhy bounds a decision's reason (原因).
const maxWhy = 500

// cycleIn reads the path parameter cycle (YYYY-MM).
func cycleIn(c echo.Context) (domain.Month, error) {
	return monthIn("path parameter", c.Param("cycle"))
}

// monthIn reads v, a parameter cycle of kind, as YYYY-MM.
func monthIn(kind, v string) (domain.Month, error) {
	m, err := domain.ParseMonth(v)
	if err != nil {
		return 0, badParam(kind, "cycle", v, "YYYY-MM, e.g. 2026-03", "抄表月份应写作YYYY-MM,例如2026-03。")
	}
	return m, nil
}

// readerCycle reads the path parameters reader and cycle.
func readerCycle(c echo.Context) (string, domain.Month, error) {
	reader, err := idParam(c, "reader")
	if err != nil {
		return "", 0, err
	}
	m, err := cycleIn(c)
	return reader, m, err
}

// requiredCycle reads the query parameter cycle, which must be given.
func requiredCycle(c echo.Context) (domain.Month, error) {
	return monthIn("query parameter", c.QueryParam("cycle"))
}

// queueStatuses are the status filters a reviewer can choose.
var queueStatuses = []string{review.StatusPending, store.AnomalyOpen, store.AnomalyReturned, store.AnomalyConfirmed}

// queueSorts are the queue's sort orders.
var queueSorts = []string{review.SortHousehold, review.SortCode, review.SortStatus, review.SortConsumption, review.SortDetected}

// queueQuery reads the queue's filters from a query string: code (repeated
// or comma-separated), status, severity, sort, desc, the cursor (cursorName:
// "cursor" for the API, "after" for the page) and limit.
func queueQuery(v url.Values, cycle domain.Month, reader, cursorName string) (review.Query, error) {
	q := review.Query{Cycle: cycle, Reader: reader, Severity: v.Get("severity"), Sort: v.Get("sort"), After: v.Get(cursorName)}
	for _, raw := range v["code"] {
		for _, code := range strings.Split(raw, ",") {
			code = strings.ToUpper(strings.TrimSpace(code))
			if code == "" {
				continue
			}
			if !slices.Contains(vee.Codes(), vee.Code(code)) {
				return q, badParam("query parameter", "code", code, "an anomaly code such as LARGE_VOLUME", "应为异常代码,例如LARGE_VOLUME。")
			}
			q.Codes = append(q.Codes, code)
		}
	}
	if st := v.Get("status"); st != "" {
		if !slices.Contains(queueStatuses, st) {
			return q, badParam("query parameter", "status", st, strings.Join(queueStatuses, ", "), "应为"+strings.Join(queueStatuses, "、")+"之一。")
		}
		q.Statuses = []string{st}
	}
	if q.Severity != "" && q.Severity != review.SeverityBlocking && q.Severity != review.SeverityInfo {
		return q, badParam("query parameter", "severity", q.Severity, "blocking or info", "应为blocking(阻止入库)或info(提示)。")
	}
	if q.Sort != "" && !slices.Contains(queueSorts, q.Sort) {
		return q, badParam("query parameter", "sort", q.Sort, strings.Join(queueSorts, ", "), "应为"+strings.Join(queueSorts, "、")+"之一。")
	}
	switch d := v.Get("desc"); d {
	case "", "0", "false":
	case "1", "true":
		q.Desc = true
	default:
		return q, badParam("query parameter", "desc", d, "true or false", "应为true或false。")
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > review.MaxLimit {
			return q, badParam("query parameter", "limit", l, fmt.Sprintf("1 to %d", review.MaxLimit), fmt.Sprintf("每页条数应为1到%d。", review.MaxLimit))
		}
		q.Limit = n
	}
	return q, nil
}

// badCursor is the client error of a cursor review could not decode.
func badCursor(name, value string) error {
	return badParam("query parameter", name, value, "the next_cursor of a previous page", "应为上一页给出的游标。")
}

// pickSep separates the parts of a picked anomaly in a form: customer,
// code, version.
const pickSep = "|"

// pickValue names an anomaly and the version a page showed, for a form.
func pickValue(a *store.Anomaly) string {
	return a.CustomerID + pickSep + a.Code + pickSep + strconv.Itoa(a.Version)
}

// parsePick reads pickValue's text back into a request of the reader's cycle.
func parsePick(v string, cycle domain.Month, reader string) (review.Request, error) {
	bad := &clientError{code: http.StatusBadRequest, en: fmt.Sprintf("form field pick: %q is not customer|code|version", v),
		zh: "所选异常格式错误,请刷新页面后重试"}
	rest, ver, ok1 := cutLast(v, pickSep)
	customer, code, ok2 := cutLast(rest, pickSep)
	n, err := strconv.Atoi(ver)
	if !ok1 || !ok2 || err != nil || n < 1 || customer == "" || len(customer) > maxIDLen || !slices.Contains(vee.Codes(), vee.Code(code)) {
		return review.Request{}, bad
	}
	return review.Request{Key: store.AnomalyKey{Cycle: cycle, ReaderID: reader, CustomerID: customer, Code: code}, Version: n}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// decisionForm is a decision as the queue or household page posts it.
type decisionForm struct {
	action review.Action
	why    string
	// reqs are the anomalies picked (with their versions); empty with
	// bulk.
	reqs []review.Request
	// bulk, when set, decides every pending anomaly of these codes.
	bulk []string
	// household is the household page that posted, "" for the queue.
	household string
	// query is the queue's query string, to go back to.
	query string
}

// readDecisionForm reads the form. The button pressed is "do": confirm or
// reread for the rows picked, or "confirm|KEY" for one row; mode=code
// decides every pending anomaly of the code in bulk_code.
func readDecisionForm(f url.Values, cycle domain.Month, reader string) (decisionForm, error) {
	var d decisionForm
	var err error
	if d.why, err = formField(f, "why", "原因", maxWhy, false); err != nil {
		return d, err
	}
	if d.household, err = formField(f, "household", "用户编号", maxIDLen, false); err != nil {
		return d, err
	}
	if d.query, err = formField(f, "q", "筛选条件", 2048, false); err != nil {
		return d, err
	}
	do, err := formField(f, "do", "操作", 200, true)
	if err != nil {
		return d, err
	}
	act, one, single := strings.Cut(do, pickSep)
	if d.action, err = review.ParseAction(act); err != nil {
		return d, fieldError("do", "操作", "confirm or reread", "应为确认(confirm)或退回重抄(reread)")
	}
	picks := f["pick"]
	if single {
		picks = []string{one}
	}
	if f.Get("mode") == "code" {
		code := strings.ToUpper(f.Get("bulk_code"))
		if !slices.Contains(vee.Codes(), vee.Code(code)) {
			return d, fieldError("bulk_code", "异常类型", "an anomaly code", "请选择异常类型")
		}
		d.bulk = []string{code}
		return d, nil
	}
	if len(picks) == 0 {
		return d, fieldError("pick", "所选异常", "at least one anomaly", "请先勾选要处理的异常")
	}
	for _, p := range picks {
		r, err := parsePick(p, cycle, reader)
		if err != nil {
			return d, err
		}
		r.Action, r.Why = d.action, d.why
		d.reqs = append(d.reqs, r)
	}
	return d, nil
}

// decisionJSON is one decision of the API's body.
type decisionJSON struct {
	CustomerID string `json:"customer_id"`
	Code       string `json:"code"`
	Version    int    `json:"version"`
	Action     string `json:"action"`
	Why        string `json:"why"`
}

// bulkJSON decides every pending anomaly it selects.
type bulkJSON struct {
	CustomerID string   `json:"customer_id"`
	Codes      []string `json:"codes"`
	Action     string   `json:"action"`
	Why        string   `json:"why"`
}

// decisionsBody is the body of POST /api/v1/review/{reader}/{cycle}/decisions:
// decisions, or bulk, not both.
type decisionsBody struct {
	Decisions []decisionJSON `json:"decisions"`
	Bulk      *bulkJSON      `json:"bulk"`
}

// readJSONBody decodes a JSON request body into v: one object, no unknown
// field.
func readJSONBody(c echo.Context, v any) error {
	r := c.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return &clientError{code: http.StatusUnsupportedMediaType, en: "request body must be " + echo.MIMEApplicationJSON,
			zh: "请求内容应为JSON(" + echo.MIMEApplicationJSON + ")"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes body into v: one JSON value, no unknown field; what
// it refuses is a 400.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	bad := func(why string) error {
		return &clientError{code: http.StatusBadRequest, en: "request body: " + why, zh: "请求内容格式错误: " + why}
	}
	if err := dec.Decode(v); err != nil {
		return bad(err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("more than one JSON value")
	}
	return nil
}

// requests checks the body's decisions and makes them requests of the
// reader's cycle.
func (b *decisionsBody) requests(cycle domain.Month, reader string) ([]review.Request, error) {
	if len(b.Decisions) > 0 && b.Bulk != nil {
		return nil, fieldError("bulk", "批量处理", "decisions or bulk, not both", "与decisions只能给一个")
	}
	if len(b.Decisions) == 0 && b.Bulk == nil {
		return nil, fieldError("decisions", "处理", "at least one decision, or bulk", "至少一项")
	}
	if len(b.Decisions) > review.MaxLimit {
		return nil, fieldError("decisions", "处理", fmt.Sprintf("at most %d decisions", review.MaxLimit), fmt.Sprintf("最多%d项", review.MaxLimit))
	}
	out := make([]review.Request, 0, len(b.Decisions))
	for i, d := range b.Decisions {
		at := fmt.Sprintf("decisions[%d].", i)
		a, err := review.ParseAction(d.Action)
		switch {
		case err != nil:
			return nil, fieldError(at+"action", "操作", "confirm or reread", "应为confirm或reread")
		case d.CustomerID == "" || len(d.CustomerID) > maxIDLen:
			return nil, fieldError(at+"customer_id", "用户编号", "a 用户编号", "不能为空")
		case !slices.Contains(vee.Codes(), vee.Code(d.Code)):
			return nil, fieldError(at+"code", "异常代码", "an anomaly code such as LARGE_VOLUME", "应为异常代码")
		case d.Version < 1:
			return nil, fieldError(at+"version", "版本", "the anomaly's version as read (1 or more)", "应为读取时的版本号")
		case len(d.Why) > maxWhy:
			return nil, fieldError(at+"why", "原因", fmt.Sprintf("at most %d bytes", maxWhy), fmt.Sprintf("最多%d个字节", maxWhy))
		}
		out = append(out, review.Request{Key: store.AnomalyKey{Cycle: cycle, ReaderID: reader, CustomerID: d.CustomerID, Code: d.Code},
			Version: d.Version, Action: a, Why: d.Why})
	}
	return out, nil
}

// selection checks the body's bulk and makes it a selection and action.
func (b *bulkJSON) selection(cycle domain.Month, reader string) (review.Selection, review.Action, error) {
	sel := review.Selection{Cycle: cycle, Reader: reader, Customer: b.CustomerID}
	a, err := review.ParseAction(b.Action)
	if err != nil {
		return sel, a, fieldError("bulk.action", "操作", "confirm or reread", "应为confirm或reread")
	}
	if len(b.CustomerID) > maxIDLen {
		return sel, a, fieldError("bulk.customer_id", "用户编号", "a 用户编号", "过长")
	}
	if len(b.Why) > maxWhy {
		return sel, a, fieldError("bulk.why", "原因", fmt.Sprintf("at most %d bytes", maxWhy), fmt.Sprintf("最多%d个字节", maxWhy))
	}
	for _, code := range b.Codes {
		if !slices.Contains(vee.Codes(), vee.Code(code)) {
			return sel, a, fieldError("bulk.codes", "异常代码", "anomaly codes such as LARGE_VOLUME", "应为异常代码")
		}
	}
	if b.CustomerID == "" && len(b.Codes) == 0 {
		return sel, a, fieldError("bulk.codes", "异常代码", "codes, a customer_id or both", "请给出异常代码或用户编号")
	}
	sel.Codes = b.Codes
	return sel, a, nil
}
