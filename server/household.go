package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
)

// householdData is one household of a reader's cycle as a reviewer opens it.
type householdData struct {
	layoutData
	CustomerID, Cycle, Month string
	Reader                   domain.Reader
	Customer                 *domain.Customer
	Anomalies                []householdAnomaly
	Versions                 []versionRow
	Chart                    chartView
	QueueHref, Self          string
	Notice, Error            string
	Committed                bool
}

// householdAnomaly is one anomaly with what a reviewer may do with it.
type householdAnomaly struct {
	queueRow
	Version            int
	CanConfirm         bool
	CanReread          bool
	ConfirmNeedsReason bool
	Decisions          []decisionRow
	Source             string
}

type decisionRow struct{ By, Role, At, Action, Why string }

// versionRow is one reading version: what was read, and who stored it when and why.
type versionRow struct {
	Version                      int
	Value, ReadAt, Flags, IC     string
	Remark, Source, Device, Skew string
	RecordedAt, RecordedBy, Why  string
}

var sourceZh = map[domain.Source]string{domain.FromHandheld: "抄表机对接", domain.FromYMODEM: "通用抄表机(YMODEM)",
	domain.FromFile: "文件导入", domain.FromCounter: "营业厅录入", domain.FromNetwork: "联网抄表机"}

func (s *Server) householdPage(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	customer, err := idParam(c, "customer")
	if err != nil {
		return err
	}
	return s.renderHousehold(c, reader, cycle, customer, http.StatusOK, "")
}

func (s *Server) renderHousehold(c echo.Context, reader string, cycle domain.Month, customer string, code int, msg string) error {
	var h review.Household
	var rd domain.Reader
	var committed bool
	err := s.opt.Store.View(func(rt store.ReadTx) error {
		var err error
		if rd, err = rt.Reader(reader); err != nil {
			return err
		}
		if _, err := rt.CycleCommit(cycle, reader); err == nil {
			committed = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		h, err = review.HouseholdOf(rt, cycle, reader, customer)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("reader", "抄表员", reader)
	}
	if err != nil {
		return err
	}
	if h.Customer == nil && len(h.Anomalies) == 0 && len(h.Versions) == 0 {
		return notFound("customer", "用户", customer)
	}
	self := householdHref(reader, cycle, customer)
	d := householdData{layoutData: s.layout(c, fmt.Sprintf("用户%s · %s %s 抄表审核 · 抄表管理", customer, rd.Name, monthZh(cycle))),
		CustomerID: customer, Cycle: cycle.String(), Month: monthZh(cycle), Reader: rd, Customer: h.Customer,
		Chart: consumptionChart(&h), QueueHref: queueHref(reader, cycle), Self: self, Error: msg, Committed: committed}
	if code == http.StatusOK {
		d.Notice = noticeOf(c.QueryParams())
	}
	for i := range h.Versions {
		d.Versions = append(d.Versions, newVersionRow(&h.Versions[i]))
	}
	lastRead := h.LastRead()
	for i := range h.Anomalies {
		d.Anomalies = append(d.Anomalies, newHouseholdAnomaly(&h.Anomalies[i], lastRead, committed))
	}
	return s.render(c, code, "household", d)
}

// newHouseholdAnomaly shows an anomaly and, by review.Allowed, the actions
// that would not be refused.
func newHouseholdAnomaly(a *store.Anomaly, lastRead time.Time, committed bool) householdAnomaly {
	h := householdAnomaly{queueRow: newQueueRow(a), Version: a.Version, Source: a.Source}
	if !committed {
		h.CanConfirm = review.Allowed(a, lastRead, review.Confirm, "原因") == nil
		h.CanReread = review.Allowed(a, lastRead, review.Reread, "原因") == nil
		h.ConfirmNeedsReason = h.CanConfirm && review.Allowed(a, lastRead, review.Confirm, "") != nil
	}
	h.Decidable = h.CanConfirm || h.CanReread
	for _, dc := range a.Decisions {
		h.Decisions = append(h.Decisions, decisionRow{By: dc.By, Role: roleZh(dc.Role), At: timeZh(dc.At),
			Action: review.Action(dc.Action).Chinese(), Why: dc.Why})
	}
	return h
}

func roleZh(r string) string {
	for _, role := range account.Roles() {
		if string(role) == r {
			return role.Chinese()
		}
	}
	return r
}

func newVersionRow(v *domain.ReadingVersion) versionRow {
	r := versionRow{Version: v.Version, Value: num(v.ValueM3), ReadAt: timeZh(v.ReadAt), Flags: v.Flags.String(),
		Remark: v.Remark, Source: sourceZh[v.Source], Device: v.DeviceID, RecordedAt: timeZh(v.RecordedAt),
		RecordedBy: v.RecordedBy, Why: v.Why}
	if r.Source == "" {
		r.Source = string(v.Source)
	}
	if v.ICRemaining != nil || v.ICUsed != nil {
		r.IC = fmt.Sprintf("剩余 %s / 已用 %s", optNum(v.ICRemaining), optNum(v.ICUsed))
	}
	if v.Source == domain.FromHandheld {
		r.Skew = skewZh(v.ClockSkew)
	}
	return r
}

func optNum(x *float64) string {
	if x == nil {
		return "—"
	}
	return num(*x)
}
