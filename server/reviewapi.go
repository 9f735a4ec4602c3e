package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// The review queue's API (issue 6), for scripts and the CIS: the same
// reading, deciding and committing as the pages, through package review.

// factJSON is one value a rule compared.
type factJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// decisionRecordJSON is one recorded review action.
type decisionRecordJSON struct {
	By     string    `json:"by"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Why    string    `json:"why"`
}

// orderSuggestionJSON is the work order a confirmation creates.
type orderSuggestionJSON struct {
	Business    string `json:"business"`
	Priority    string `json:"priority"`
	Requirement string `json:"requirement"`
	Source      string `json:"source"`
}

// anomalyJSON is one anomaly of the queue.
type anomalyJSON struct {
	Cycle          string               `json:"cycle"`
	ReaderID       string               `json:"reader_id"`
	CustomerID     string               `json:"customer_id"`
	Code           string               `json:"code"`
	Name           string               `json:"name"` // the code in Chinese
	Blocking       bool                 `json:"blocking"`
	Status         string               `json:"status"`
	Evidence       []factJSON           `json:"evidence"`
	Suggest        string               `json:"suggest"`
	Order          *orderSuggestionJSON `json:"order,omitempty"`
	Source         string               `json:"source"`
	ConsumptionM3  float64              `json:"consumption_m3"`
	ReadingVersion int                  `json:"reading_version"`
	Version        int                  `json:"version"`
	DetectedAt     time.Time            `json:"detected_at"`
	Decisions      []decisionRecordJSON `json:"decisions"`
}

func newAnomalyJSON(a *store.Anomaly) anomalyJSON {
	out := anomalyJSON{Cycle: a.Cycle.String(), ReaderID: a.ReaderID, CustomerID: a.CustomerID, Code: a.Code,
		Name: vee.Code(a.Code).Chinese(), Blocking: a.Blocking, Status: a.Status, Evidence: make([]factJSON, len(a.Evidence)),
		Suggest: a.Suggest, Source: a.Source, ConsumptionM3: a.ConsumptionM3, ReadingVersion: a.ReadingVersion,
		Version: a.Version, DetectedAt: a.DetectedAt, Decisions: make([]decisionRecordJSON, len(a.Decisions))}
	for i, f := range a.Evidence {
		out.Evidence[i] = factJSON{Name: f.Name, Value: f.Value}
	}
	for i, d := range a.Decisions {
		out.Decisions[i] = decisionRecordJSON{By: d.By, Role: d.Role, At: d.At, Action: d.Action, Why: d.Why}
	}
	if o := a.Order; o != nil {
		out.Order = &orderSuggestionJSON{Business: o.Business, Priority: o.Priority, Requirement: o.Requirement, Source: o.Source}
	}
	return out
}

// countsJSON is a reader's cycle in numbers.
type countsJSON struct {
	Route     int            `json:"route"`
	Read      int            `json:"read"`
	Unread    int            `json:"unread"`
	OffRoute  int            `json:"off_route"`
	Estimated int            `json:"estimated"`
	Anomalies int            `json:"anomalies"`
	Pending   int            `json:"pending"`
	Blocking  int            `json:"blocking"`
	ByCode    map[string]int `json:"by_code"`
	ByStatus  map[string]int `json:"by_status"`
	Committed *commitJSON    `json:"committed"`
}

// commitJSON is a reader's cycle as committed.
type commitJSON struct {
	By     string             `json:"by"`
	At     time.Time          `json:"at"`
	Counts store.CommitCounts `json:"counts"`
	Missed []string           `json:"missed"`
}

func newCommitJSON(c *store.CycleCommit) *commitJSON {
	if c == nil {
		return nil
	}
	missed := c.Missed
	if missed == nil {
		missed = []string{}
	}
	return &commitJSON{By: c.By, At: c.At, Counts: c.Counts, Missed: missed}
}

func newCountsJSON(n *review.Counts) countsJSON {
	return countsJSON{Route: n.Route, Read: n.Read, Unread: n.Unread, OffRoute: n.OffRoute, Estimated: n.Estimated,
		Anomalies: n.Anomalies, Pending: n.Pending, Blocking: n.Blocking, ByCode: n.ByCode, ByStatus: n.ByStatus,
		Committed: newCommitJSON(n.Committed)}
}

// queueJSON answers GET /api/v1/review/{reader}/{cycle}.
type queueJSON struct {
	Reader     string        `json:"reader"`
	Cycle      string        `json:"cycle"`
	Counts     countsJSON    `json:"counts"`
	Total      int           `json:"total"` // anomalies matching the filters
	NextCursor string        `json:"next_cursor"`
	Items      []anomalyJSON `json:"items"`
}

// queueState is what the queue page and API read in one transaction.
type queueState struct {
	Counts review.Counts
	Page   review.Page
}

// loadQueue reads a reader's counts and one page of its queue, in one
// transaction that decodes the anomalies once; an unknown reader is a 404
// and a bad cursor a 400.
func (s *Server) loadQueue(q review.Query, cursorName string) (queueState, error) {
	var st queueState
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		rt := newMemoTx(tx)
		var err error
		if st.Counts, err = review.CountsOf(rt, q.Cycle, q.Reader); err != nil {
			return err
		}
		st.Page, err = review.Queue(rt, q)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return st, notFound("reader", "抄表员", q.Reader)
	case errors.Is(err, review.ErrBadQuery):
		return st, badCursor(cursorName, q.After)
	}
	return st, err
}

func (s *Server) apiQueue(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	q, err := queueQuery(c.QueryParams(), cycle, reader, "cursor")
	if err != nil {
		return err
	}
	st, err := s.loadQueue(q, "cursor")
	if err != nil {
		return err
	}
	out := queueJSON{Reader: reader, Cycle: cycle.String(), Counts: newCountsJSON(&st.Counts), Total: st.Page.Total,
		NextCursor: st.Page.Next, Items: make([]anomalyJSON, len(st.Page.Items))}
	for i := range st.Page.Items {
		out.Items[i] = newAnomalyJSON(&st.Page.Items[i])
	}
	return c.JSON(http.StatusOK, out)
}

// orderJSON is a work order (派工单).
type orderJSON struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customer_id"`
	Business    string     `json:"business"`
	Priority    string     `json:"priority"`
	Requirement string     `json:"requirement"`
	Status      string     `json:"status"`
	Anomaly     *anomalyID `json:"anomaly,omitempty"`
	Source      string     `json:"source"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	Version     int        `json:"version"`
}

// anomalyID names an anomaly.
type anomalyID struct {
	Cycle      string `json:"cycle"`
	ReaderID   string `json:"reader_id"`
	CustomerID string `json:"customer_id"`
	Code       string `json:"code"`
}

func newOrderJSON(o *store.Order) orderJSON {
	out := orderJSON{ID: o.ID, CustomerID: o.CustomerID, Business: o.Business, Priority: o.Priority, Requirement: o.Requirement,
		Status: o.Status, Source: o.Source, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, Version: o.Version}
	if k := o.Anomaly; k != nil {
		out.Anomaly = &anomalyID{Cycle: k.Cycle.String(), ReaderID: k.ReaderID, CustomerID: k.CustomerID, Code: k.Code}
	}
	return out
}

// outcomeJSON is what one decision did.
type outcomeJSON struct {
	Anomaly anomalyJSON `json:"anomaly"`
	Order   *orderJSON  `json:"order,omitempty"`
}

// decidedJSON answers a decision.
type decidedJSON struct {
	Decided []outcomeJSON `json:"decided"`
}

func newDecidedJSON(out []review.Outcome) decidedJSON {
	d := decidedJSON{Decided: make([]outcomeJSON, len(out))}
	for i := range out {
		d.Decided[i].Anomaly = newAnomalyJSON(&out[i].Anomaly)
		if o := out[i].Order; o != nil {
			j := newOrderJSON(o)
			d.Decided[i].Order = &j
		}
	}
	return d
}

// reviewError turns what package review refused into the client error it
// is: a decision that lost a race (409), a refusal by the review's rules
// (422), an anomaly or reader that does not exist (404).
func reviewError(err error) error {
	var r *review.Refusal
	switch {
	case errors.Is(err, store.ErrConflict):
		detail := strings.TrimSuffix(err.Error(), ": "+store.ErrConflict.Error())
		return &clientError{code: http.StatusConflict,
			en: "conflict: another reviewer decided first; read the queue again and decide anew (" + detail + ")",
			zh: "已被他人处理:其他审核员刚刚处理了所选异常,本次操作未做任何更改。请刷新页面,查看最新状态后再处理。(" + detail + ")"}
	case errors.As(err, &r), errors.Is(err, review.ErrRefused):
		return &clientError{code: http.StatusUnprocessableEntity, en: "refused: " + err.Error(), zh: "操作被拒绝:" + err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return &clientError{code: http.StatusNotFound, en: "not found: " + err.Error(), zh: "所选异常不存在(可能已被重新导入替换),请刷新页面。"}
	}
	return err
}

// decide applies the requests, or the bulk selection, as the signed-in
// account.
func (s *Server) decide(c echo.Context, reqs []review.Request, sel *review.Selection, action review.Action, why string) ([]review.Outcome, error) {
	by := principal(c).Actor()
	var out []review.Outcome
	var err error
	if sel != nil {
		out, err = review.DecideBulk(s.opt.Store, by, s.now(), *sel, action, why)
	} else {
		out, err = review.Decide(s.opt.Store, by, s.now(), reqs...)
	}
	return out, reviewError(err)
}

func (s *Server) apiDecide(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	var body decisionsBody
	if err := readJSONBody(c, &body); err != nil {
		return err
	}
	reqs, err := body.requests(cycle, reader)
	if err != nil {
		return err
	}
	var sel *review.Selection
	var action review.Action
	var why string
	if body.Bulk != nil {
		one, a, err := body.Bulk.selection(cycle, reader)
		if err != nil {
			return err
		}
		sel, action, why = &one, a, body.Bulk.Why
	}
	out, err := s.decide(c, reqs, sel, action, why)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newDecidedJSON(out))
}

// commitResultJSON answers a commit that went through.
type commitResultJSON struct {
	Reader      string      `json:"reader"`
	Cycle       string      `json:"cycle"`
	Already     bool        `json:"already"` // committed before this request
	MissedAdded int         `json:"missed_added"`
	Commit      *commitJSON `json:"commit"`
}

// blockedJSON answers a commit refused while anomalies block it (409).
type blockedJSON struct {
	Error       string      `json:"error"`
	MissedAdded int         `json:"missed_added"` // households with no reading, raised as MISSED by this try
	Blocking    []anomalyID `json:"blocking"`
}

func newBlockedJSON(b *review.BlockedError, missedAdded int) blockedJSON {
	out := blockedJSON{Error: b.Error(), MissedAdded: missedAdded, Blocking: make([]anomalyID, len(b.Blocking))}
	for i, k := range b.Blocking {
		out.Blocking[i] = anomalyID{Cycle: k.Cycle.String(), ReaderID: k.ReaderID, CustomerID: k.CustomerID, Code: k.Code}
	}
	return out
}

// validation is the thresholds commits measure use with, at the server's clock.
func (s *Server) validation() vee.Params {
	p := vee.DefaultParams()
	if s.opt.Validation != nil {
		p = *s.opt.Validation
	}
	p.Now = s.now()
	return p
}

// commit commits a reader's cycle as the signed-in account; a refusal for
// blocking anomalies comes back as *review.BlockedError.
func (s *Server) commit(c echo.Context, cycle domain.Month, reader string) (review.CommitResult, error) {
	res, err := review.Commit(s.opt.Store, principal(c).Actor(), s.now(), cycle, reader, s.validation())
	var blocked *review.BlockedError
	if errors.As(err, &blocked) {
		return res, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return res, notFound("reader", "抄表员", reader)
	}
	return res, reviewError(err)
}

func (s *Server) apiCommit(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	res, err := s.commit(c, cycle, reader)
	var blocked *review.BlockedError
	if errors.As(err, &blocked) {
		return c.JSON(http.StatusConflict, newBlockedJSON(blocked, res.MissedAdded))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, commitResultJSON{Reader: reader, Cycle: cycle.String(), Already: res.Already,
		MissedAdded: res.MissedAdded, Commit: newCommitJSON(&res.Commit)})
}

// committedReadingJSON is one committed reading as the CIS takes it.
type committedReadingJSON struct {
	CustomerID    string    `json:"customer_id"`
	SeqNo         string    `json:"seq_no"`
	ReaderID      string    `json:"reader_id"`
	Cycle         string    `json:"cycle"`
	ValueM3       float64   `json:"value_m3"`
	ReadAt        time.Time `json:"read_at"`
	Flags         string    `json:"flags"`
	ICRemaining   *float64  `json:"ic_remaining"`
	ICUsed        *float64  `json:"ic_used"`
	Remark        string    `json:"remark"`
	ConsumptionM3 float64   `json:"consumption_m3"`
	Version       int       `json:"version"`
}

// committedJSON answers GET /api/v1/readings/committed.
type committedJSON struct {
	Cycle      string                 `json:"cycle"`
	Readings   []committedReadingJSON `json:"readings"`
	NextCursor string                 `json:"next_cursor"`
}

// committedPage is the API's default page of committed readings.
const committedPage = 1000

func (s *Server) apiCommitted(c echo.Context) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	limit := committedPage
	if l := c.QueryParam("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 10*committedPage {
			return badParam("query parameter", "limit", l, "1 to 10000", "每页条数应为1到10000。")
		}
	}
	cursor := c.QueryParam("cursor")
	var rows []store.CommittedReading
	var next string
	err = s.opt.Store.View(func(rt store.ReadTx) error {
		rows, next, err = review.ExportReadings(rt, cycle, cursor, limit)
		return err
	})
	if errors.Is(err, review.ErrBadQuery) {
		return badCursor("cursor", cursor)
	}
	if err != nil {
		return err
	}
	out := committedJSON{Cycle: cycle.String(), Readings: make([]committedReadingJSON, len(rows)), NextCursor: next}
	for i := range rows {
		r := &rows[i]
		out.Readings[i] = committedReadingJSON{CustomerID: r.CustomerID, SeqNo: r.SeqNo, ReaderID: r.ReaderID, Cycle: r.Cycle.String(),
			ValueM3: r.ValueM3, ReadAt: r.ReadAt, Flags: r.Flags.String(), ICRemaining: r.ICRemaining, ICUsed: r.ICUsed,
			Remark: r.Remark, ConsumptionM3: r.ConsumptionM3, Version: r.Version}
	}
	return c.JSON(http.StatusOK, out)
}

// ordersJSON answers GET /api/v1/orders.
type ordersJSON struct {
	Orders     []orderJSON `json:"orders"`
	NextCursor string      `json:"next_cursor"`
}

// ordersPageSize is a page of work orders.
const ordersPageSize = 100

// orderQuery reads the orders' filters: customer, status, business, cursor.
func orderQuery(c echo.Context) (store.OrderQuery, error) {
	q := store.OrderQuery{CustomerID: strings.TrimSpace(c.QueryParam("customer")), Status: strings.TrimSpace(c.QueryParam("status")),
		Business: strings.TrimSpace(c.QueryParam("business")), After: c.QueryParam("cursor"), Limit: ordersPageSize + 1}
	for name, v := range map[string]string{"customer": q.CustomerID, "status": q.Status, "business": q.Business, "cursor": q.After} {
		if len(v) > maxIDLen {
			return q, badParam("query parameter", name, v, "at most 64 bytes", "过长。")
		}
	}
	return q, nil
}

// loadOrders reads one page of work orders and the cursor of the next.
func (s *Server) loadOrders(q store.OrderQuery) ([]store.Order, string, error) {
	list, err := review.Orders(s.opt.Store, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > ordersPageSize {
		list = list[:ordersPageSize]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

func (s *Server) apiOrders(c echo.Context) error {
	q, err := orderQuery(c)
	if err != nil {
		return err
	}
	list, next, err := s.loadOrders(q)
	if err != nil {
		return err
	}
	out := ordersJSON{Orders: make([]orderJSON, len(list)), NextCursor: next}
	for i := range list {
		out.Orders[i] = newOrderJSON(&list[i])
	}
	return c.JSON(http.StatusOK, out)
}
