package server

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/labstack/echo/v4"

	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// The review's files: the 抄表管理报告 (one reader's, or every reader's of a
// cycle), the ignition table and the committed readings, written by
// package review.

const (
	mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mimeCSV  = "text/csv; charset=utf-8"
)

// attachment sends a file whole: written to a buffer first, so that a
// failure is a clean 500 rather than half a file.
func attachment(c echo.Context, name, mime string, write func(w *bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, mime, buf.Bytes())
}

func (s *Server) readerReportFile(c echo.Context) error {
	reader, cycle, err := readerCycle(c)
	if err != nil {
		return err
	}
	var reps []review.ReaderReport
	err = s.opt.Store.View(func(rt store.ReadTx) error {
		reps, err = review.ReaderReports(rt, cycle, reader)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("reader", "抄表员", reader)
	}
	if err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("report-%s-%s.xlsx", reader, cycle), mimeXLSX,
		func(w *bytes.Buffer) error { return review.WriteReportsXLSX(w, reps) })
}

func (s *Server) reportsFile(c echo.Context) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	var reps []review.ReaderReport
	if err := s.opt.Store.View(func(rt store.ReadTx) error {
		reps, err = review.ReaderReports(rt, cycle, "")
		return err
	}); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("reports-%s.xlsx", cycle), mimeXLSX,
		func(w *bytes.Buffer) error { return review.WriteReportsXLSX(w, reps) })
}

func (s *Server) ignitionsFile(c echo.Context) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	var t review.IgnitionTable
	if err := s.opt.Store.View(func(rt store.ReadTx) error {
		t, err = review.Ignitions(rt, cycle, s.opt.IgnitionStartDay)
		return err
	}); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("ignitions-%s.xlsx", cycle), mimeXLSX,
		func(w *bytes.Buffer) error { return review.WriteIgnitionsXLSX(w, t) })
}

func (s *Server) committedCSV(c echo.Context) error  { return s.committedFile(c, "csv") }
func (s *Server) committedXLSX(c echo.Context) error { return s.committedFile(c, "xlsx") }

// committedFile sends a cycle's committed readings for the CIS, as
// `meter-sync export --kind readings` writes them.
func (s *Server) committedFile(c echo.Context, format string) error {
	cycle, err := requiredCycle(c)
	if err != nil {
		return err
	}
	var rows []store.CommittedReading
	if err := s.opt.Store.View(func(rt store.ReadTx) error {
		rows, _, err = review.ExportReadings(rt, cycle, "", 0)
		return err
	}); err != nil {
		return err
	}
	mime := map[string]string{"csv": mimeCSV, "xlsx": mimeXLSX}[format]
	return attachment(c, fmt.Sprintf("readings-%s.%s", cycle, format), mime, func(buf *bytes.Buffer) error {
		return review.WriteReadings(buf, format, rows)
	})
}

// ordersData is the work orders page.
type ordersData struct {
	layoutData
	Rows                       []orderRow
	Customer, Status, Business string
	NextPage, First            string
}

type orderRow struct {
	ID, CustomerID, Href, Business, Priority, Requirement, Status string
	Source, SourceZh, CreatedBy, CreatedAt                        string
}

func (s *Server) ordersPage(c echo.Context) error {
	q, err := orderQuery(c)
	if err != nil {
		return err
	}
	list, next, err := s.loadOrders(q)
	if err != nil {
		return err
	}
	d := ordersData{layoutData: s.layout(c, "派工单 · 抄表管理"), Customer: q.CustomerID, Status: q.Status, Business: q.Business}
	for i := range list {
		d.Rows = append(d.Rows, newOrderRow(&list[i]))
	}
	v := c.QueryParams()
	if next != "" {
		n := maps.Clone(v)
		n.Set("cursor", next)
		d.NextPage = "/orders?" + n.Encode()
	}
	if q.After != "" {
		n := maps.Clone(v)
		n.Del("cursor")
		d.First = "/orders?" + n.Encode()
	}
	return s.render(c, http.StatusOK, "orders", d)
}

func newOrderRow(o *store.Order) orderRow {
	r := orderRow{ID: o.ID, CustomerID: o.CustomerID, Business: o.Business, Priority: o.Priority, Requirement: o.Requirement,
		Status: o.Status, Source: o.Source, CreatedBy: o.CreatedBy, CreatedAt: timeZh(o.CreatedAt)}
	if k := o.Anomaly; k != nil {
		r.Href = householdHref(k.ReaderID, k.Cycle, k.CustomerID)
		r.SourceZh = fmt.Sprintf("%s %s %s(%s)", k.Cycle, k.ReaderID, k.Code, vee.Code(k.Code).Chinese())
	}
	return r
}
