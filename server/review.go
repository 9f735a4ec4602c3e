package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// The review pages (抄表审核, DOMAIN §2.3 steps 4-8 [003:1219]): the
// readers of a cycle, one reader's queue, one household. The server parses,
// authorises (account.PermReview to see and decide, PermCommit to commit),
// calls package review and renders.

// statusZh names the anomaly statuses and the pending filter.
var anomalyStatusZh = map[string]string{review.StatusPending: "待处理(含已重抄)", store.AnomalyOpen: "未处理",
	store.AnomalyReturned: "已退回重抄", store.AnomalyConfirmed: "已确认"}

// sortZh names the queue's sort orders.
var sortZh = map[string]string{review.SortHousehold: "用户编号", review.SortCode: "异常类型", review.SortStatus: "处理状态",
	review.SortConsumption: "用气量", review.SortDetected: "发现时间"}

func reviewHref(m domain.Month) string { return "/review?cycle=" + m.String() }

func queueHref(reader string, m domain.Month) string {
	return "/review/" + url.PathEscape(reader) + "/" + m.String()
}

func householdHref(reader string, m domain.Month, customer string) string {
	return queueHref(reader, m) + "/" + url.PathEscape(customer)
}

// reviewIndexData is the page of a cycle's readers.
type reviewIndexData struct {
	layoutData
	Cycle, Month, Group string
	Prev, Next          string
	Rows                []reviewIndexRow
	Idle                int // readers with nothing in the cycle
	Downloads           []download
}

type reviewIndexRow struct {
	review.Counts
	Name, Href, CommittedZh string
}

// download is a file a page offers.
type download struct{ Href, Text, ID string }

func (s *Server) reviewPage(c echo.Context) error {
	m, err := s.cycleParam(c)
	if err != nil {
		return err
	}
	d := reviewIndexData{layoutData: s.layout(c, "抄表审核 · "+monthZh(m)+" · 抄表管理"), Cycle: m.String(), Month: monthZh(m),
		Group: m.Group().String(), Prev: reviewHref(m.Add(-1)), Next: reviewHref(m.Add(1))}
	err = s.opt.Store.View(func(rt store.ReadTx) error {
		rs, err := rt.Readers()
		if err != nil {
			return err
		}
		for _, r := range rs {
			n, err := review.CountsOf(rt, m, r.ID)
			if err != nil {
				return err
			}
			if n.Route+n.Read+n.OffRoute+n.Anomalies == 0 {
				d.Idle++
				continue
			}
			d.Rows = append(d.Rows, reviewIndexRow{Counts: n, Name: r.Name, Href: queueHref(r.ID, m), CommittedZh: committedZh(n.Committed)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.Downloads = s.cycleDownloads(c, m)
	return s.render(c, http.StatusOK, "review", d)
}

// cycleDownloads are the files of a cycle the account may take.
func (s *Server) cycleDownloads(c echo.Context, m domain.Month) []download {
	a := &principal(c).Account
	var out []download
	for _, f := range []struct{ path, text, id string }{
		{"/reports/readers.xlsx", "全部抄表员的抄表管理报告(XLSX)", "dl-reports"},
		{"/reports/ignitions.xlsx", "点火户数表(XLSX)", "dl-ignitions"},
		{"/exports/readings.csv", "已入库读数(CSV,供客服系统导入)", "dl-readings-csv"},
		{"/exports/readings.xlsx", "已入库读数(XLSX)", "dl-readings-xlsx"},
	} {
		if r, ok := s.byKey[http.MethodGet+" "+f.path]; ok && r.Allows(a) {
			out = append(out, download{Href: f.path + "?cycle=" + m.String(), Text: f.text, ID: f.id})
		}
	}
	return out
}

// committedZh says whether and by whom a cycle was committed.
func committedZh(c *store.CycleCommit) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("已入库(%s,%s)", c.By, timeZh(c.At))
}

// queueData is one reader's queue.
type queueData struct {
	layoutData
	Reader              domain.Reader
	Cycle, Month, Group string
	Counts              review.Counts
	CommittedZh         string
	Rows                []queueRow
	Total               int
	Filters             queueFilters
	Query               string // the filters, for the forms to come back to
	First, NextPage     string // "" when there is no such page
	Self                string // the queue's path
	CanCommit           bool
	Notice              string
	Error               string
	Blocked             []blockedRow // what held a commit back
	BlockedMore         int          // blocking anomalies beyond those listed
	ReportHref          string
	BackHref            string
	BulkCodes           []option // codes with pending anomalies, for bulk decisions
}

// queueFilters are the filter controls as chosen.
type queueFilters struct {
	Codes, Statuses, Severities, Sorts []option
	Desc                               bool
	Limit                              string
}

// queueRow is one anomaly of the queue.
type queueRow struct {
	Pick, CustomerID, Href  string
	Code, Name              string
	Blocking, Decidable     bool
	Status, StatusZh        string
	Evidence                []store.Fact
	Suggest                 string
	Order                   *store.OrderSuggestion
	Consumption, DetectedZh string
}

// blockedRow is one anomaly that held a commit back.
type blockedRow struct{ CustomerID, Href, Code, Name string }

func newQueueRow(a *store.Anomaly) queueRow {
	return queueRow{Pick: pickValue(a), CustomerID: a.CustomerID, Href: householdHref(a.ReaderID, a.Cycle, a.CustomerID),
		Code: a.Code, Name: vee.Code(a.Code).Chinese(), Blocking: a.Blocking, Decidable: a.Status != store.AnomalyConfirmed,
		Status: a.Status, StatusZh: anomalyStatusZh[a.Status], Evidence: a.Evidence, Suggest: a.Suggest, Order: a.Order,
		Consumption: num(a.ConsumptionM3), DetectedZh: timeZh(a.DetectedAt)}
}

// queueView is how a queue page is asked for: its filters and what to say.
type queueView struct {
	values  url.Values
	code    int
	notice  string
	err     string
	blocked *review.BlockedError
}

func (s *Server) queuePage(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	v := c.QueryParams()
	return s.renderQueue(c, reader, cycle, queueView{values: v, code: http.StatusOK, notice: noticeOf(v)})
}

// noticeParams are the query parameters a redirect after an action adds,
// to say what was done; they are no filter.
var noticeParams = []string{"done", "act", "orders", "committed"}

// noticeOf says what the action before the redirect did.
func noticeOf(v url.Values) string {
	if v.Get("committed") == "1" {
		return "已入库。"
	}
	n, err := strconv.Atoi(v.Get("done"))
	if err != nil || n <= 0 {
		return ""
	}
	a, err := review.ParseAction(v.Get("act"))
	if err != nil {
		return ""
	}
	msg := fmt.Sprintf("已%s %d 项异常。", a.Chinese(), n)
	if o, _ := strconv.Atoi(v.Get("orders")); o > 0 {
		msg += fmt.Sprintf("已生成派工单 %d 张,见派工单页面。", o)
	}
	return msg
}

// filterQuery is the query string of the filters alone: no cursor, no notice.
func filterQuery(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k != "after" && !slices.Contains(noticeParams, k) {
			out[k] = vs
		}
	}
	return out
}

func (s *Server) renderQueue(c echo.Context, reader string, cycle domain.Month, qv queueView) error {
	q, err := queueQuery(qv.values, cycle, reader, "after")
	if err != nil {
		return err
	}
	var rd domain.Reader
	err = s.opt.Store.View(func(rt store.ReadTx) error {
		rd, err = rt.Reader(reader)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("reader", "抄表员", reader)
	}
	if err != nil {
		return err
	}
	st, err := s.loadQueue(q, "after")
	if err != nil {
		return err
	}
	a := &principal(c).Account
	self := queueHref(reader, cycle)
	fq := filterQuery(qv.values)
	d := queueData{layoutData: s.layout(c, fmt.Sprintf("%s %s 抄表审核 · 抄表管理", rd.Name, monthZh(cycle))),
		Reader: rd, Cycle: cycle.String(), Month: monthZh(cycle), Group: cycle.Group().String(), Counts: st.Counts,
		CommittedZh: committedZh(st.Counts.Committed), Total: st.Page.Total, Query: fq.Encode(), Self: self,
		CanCommit: a.Can(account.PermCommit) && st.Counts.Committed == nil, Notice: qv.notice, Error: qv.err,
		ReportHref: self + "/report.xlsx", BackHref: reviewHref(cycle), Filters: newQueueFilters(&q, st.Page.ByCode, qv.values)}
	for i := range st.Page.Items {
		d.Rows = append(d.Rows, newQueueRow(&st.Page.Items[i]))
	}
	if q.After != "" {
		d.First = self + "?" + fq.Encode()
	}
	if st.Page.Next != "" {
		next := filterQuery(qv.values)
		next.Set("after", st.Page.Next)
		d.NextPage = self + "?" + next.Encode()
	}
	for _, code := range vee.Codes() {
		if st.Counts.ByCode[string(code)] > 0 {
			d.BulkCodes = append(d.BulkCodes, option{Value: string(code), Text: fmt.Sprintf("%s %s(%d)", code, code.Chinese(), st.Counts.ByCode[string(code)])})
		}
	}
	if b := qv.blocked; b != nil {
		const listed = 200
		for i, k := range b.Blocking {
			if i == listed {
				d.BlockedMore = len(b.Blocking) - listed
				break
			}
			d.Blocked = append(d.Blocked, blockedRow{CustomerID: k.CustomerID, Href: householdHref(reader, cycle, k.CustomerID),
				Code: k.Code, Name: vee.Code(k.Code).Chinese()})
		}
	}
	return s.render(c, qv.code, "queue", d)
}

// newQueueFilters are the filter controls with q's choices selected.
func newQueueFilters(q *review.Query, byCode map[string]int, v url.Values) queueFilters {
	f := queueFilters{Desc: q.Desc, Limit: v.Get("limit")}
	f.Codes = []option{{Value: "", Text: "全部类型", Selected: len(q.Codes) == 0}}
	for _, code := range vee.Codes() {
		f.Codes = append(f.Codes, option{Value: string(code), Selected: slices.Contains(q.Codes, string(code)),
			Text: fmt.Sprintf("%s %s(%d)", code, code.Chinese(), byCode[string(code)])})
	}
	f.Statuses = []option{{Value: "", Text: "全部状态", Selected: len(q.Statuses) == 0}}
	for _, st := range queueStatuses {
		f.Statuses = append(f.Statuses, option{Value: st, Text: anomalyStatusZh[st], Selected: slices.Contains(q.Statuses, st)})
	}
	f.Severities = []option{{Value: "", Text: "全部", Selected: q.Severity == ""},
		{Value: review.SeverityBlocking, Text: "阻止入库", Selected: q.Severity == review.SeverityBlocking},
		{Value: review.SeverityInfo, Text: "仅提示", Selected: q.Severity == review.SeverityInfo}}
	for _, so := range queueSorts {
		f.Sorts = append(f.Sorts, option{Value: so, Text: sortZh[so], Selected: q.Sort == so || q.Sort == "" && so == review.SortHousehold})
	}
	return f
}

// decideForm applies a decision posted by the queue or the household page
// and goes back to it; a refusal or a lost race is shown on the page it
// came from.
func (s *Server) decideForm(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	f, err := postForm(c)
	if err != nil {
		return err
	}
	d, err := readDecisionForm(f, cycle, reader)
	if err == nil {
		var sel *review.Selection
		if d.bulk != nil {
			sel = &review.Selection{Cycle: cycle, Reader: reader, Codes: d.bulk}
		}
		var out []review.Outcome
		if out, err = s.decide(c, d.reqs, sel, d.action, d.why); err == nil {
			return c.Redirect(http.StatusSeeOther, decidedHref(reader, cycle, &d, out))
		}
	}
	var ce *clientError
	if !errors.As(err, &ce) {
		return err
	}
	if d.household != "" {
		return s.renderHousehold(c, reader, cycle, d.household, ce.code, ce.zh)
	}
	v, _ := url.ParseQuery(d.query)
	return s.renderQueue(c, reader, cycle, queueView{values: v, code: ce.code, err: ce.zh})
}

// decidedHref is the page to go back to after decisions, saying what they did.
func decidedHref(reader string, cycle domain.Month, d *decisionForm, out []review.Outcome) string {
	orders := 0
	for _, o := range out {
		if o.Order != nil {
			orders++
		}
	}
	v, _ := url.ParseQuery(d.query)
	v = filterQuery(v)
	target := queueHref(reader, cycle)
	if d.household != "" {
		v, target = url.Values{}, householdHref(reader, cycle, d.household)
	}
	v.Set("done", strconv.Itoa(len(out)))
	v.Set("act", string(d.action))
	v.Set("orders", strconv.Itoa(orders))
	return target + "?" + v.Encode()
}

// commitForm commits (入库) the reader's cycle; refused, the queue says
// what blocks it.
func (s *Server) commitForm(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	f, err := postForm(c)
	if err != nil {
		return err
	}
	query, err := formField(f, "q", "筛选条件", 2048, false)
	if err != nil {
		return err
	}
	v, _ := url.ParseQuery(query)
	v = filterQuery(v)
	res, err := s.commit(c, cycle, reader)
	var blocked *review.BlockedError
	switch {
	case errors.As(err, &blocked):
		msg := fmt.Sprintf("不能入库:还有 %d 项阻止入库的异常未处理,请逐项确认或退回重抄后再入库。", len(blocked.Blocking))
		if res.MissedAdded > 0 {
			msg += fmt.Sprintf("本次检查发现 %d 户应抄未抄,已列为漏抄(MISSED),请确认未抄原因或退回重抄。", res.MissedAdded)
		}
		return s.renderQueue(c, reader, cycle, queueView{values: v, code: http.StatusConflict, err: msg, blocked: blocked})
	case err != nil:
		return err
	}
	v.Set("committed", "1")
	return c.Redirect(http.StatusSeeOther, queueHref(reader, cycle)+"?"+v.Encode())
}
