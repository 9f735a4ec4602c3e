package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/tabular"
)

// The audit trail (PermViewAudit): searched on a page, newest first, 50 a
// page, and exported whole (the same query) as CSV or XLSX.

const (
	auditPageSize = 50
	// auditExportMax bounds an export; a query matching more says so in its
	// last row.
	auditExportMax = 100_000
	// auditBatch is how many entries an export reads per transaction.
	auditBatch = 1000
)

// auditHeaders are the export's columns, and the page's.
var auditHeaders = []string{"序号", "时间", "操作人", "角色", "设备", "操作", "对象", "修改前", "修改后", "备注"}

// auditForm is the search as typed, to show it again and to build links.
type auditForm struct{ Actor, Action, Key, Text, From, To string }

func (f auditForm) values() url.Values {
	v := url.Values{}
	for _, p := range []struct{ k, v string }{{"actor", f.Actor}, {"action", f.Action}, {"key", f.Key},
		{"text", f.Text}, {"from", f.From}, {"to", f.To}} {
		if p.v != "" {
			v.Set(p.k, p.v)
		}
	}
	return v
}

// auditQuery reads the search from the query string.
func auditQuery(c echo.Context) (store.AuditQuery, auditForm, error) {
	var f auditForm
	var q store.AuditQuery
	for _, p := range []struct {
		name string
		max  int
		dst  *string
	}{{"actor", 64, &f.Actor}, {"action", 64, &f.Action}, {"key", 64, &f.Key}, {"text", 200, &f.Text},
		{"from", 10, &f.From}, {"to", 10, &f.To}} {
		v := strings.TrimSpace(c.QueryParam(p.name))
		if len(v) > p.max || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' }) {
			return q, f, badParam("query parameter", p.name, v, "at most "+strconv.Itoa(p.max)+" bytes of text",
				"最多"+strconv.Itoa(p.max)+"个字节。")
		}
		*p.dst = v
	}
	q.Actor, q.Action, q.Key, q.Text = f.Actor, f.Action, f.Key, f.Text
	var err error
	if q.From, err = dateParam("from", f.From); err != nil {
		return q, f, err
	}
	if q.To, err = dateParam("to", f.To); err != nil {
		return q, f, err
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // through the whole day
	}
	if v := c.QueryParam("before"); v != "" {
		if q.Before, err = strconv.ParseUint(v, 10, 64); err != nil || q.Before == 0 {
			return q, f, badParam("query parameter", "before", v, "a positive sequence number", "应为正整数。")
		}
	}
	return q, f, nil
}

// dateParam reads a YYYY-MM-DD date in the company's time zone.
func dateParam(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, domain.Local)
	if err != nil {
		return t, badParam("query parameter", name, v, "YYYY-MM-DD", "日期应写作YYYY-MM-DD,例如2026-03-01。")
	}
	return t, nil
}

type auditData struct {
	layoutData
	Form      auditForm
	Rows      [][]string
	Newest    string // the first page of the search, when this is a later one
	Older     string // the next page, if there are more entries
	CSV, XLSX string // the export links
}

func (s *Server) auditPage(c echo.Context) error {
	q, f, err := auditQuery(c)
	if err != nil {
		return err
	}
	q.Limit = auditPageSize + 1
	var es []store.AuditEntry
	if err := s.opt.Store.View(func(tx store.ReadTx) error {
		es, err = tx.SearchAudit(q)
		return err
	}); err != nil {
		return err
	}
	v := f.values()
	d := auditData{layoutData: s.layout(c, "审计日志 · 抄表管理"), Form: f}
	if len(es) > auditPageSize {
		es = es[:auditPageSize]
		older := f.values()
		older.Set("before", strconv.FormatUint(es[len(es)-1].Seq, 10))
		d.Older = "/audit?" + older.Encode()
	}
	if q.Before != 0 {
		d.Newest = "/audit?" + v.Encode()
	}
	for i := range es {
		d.Rows = append(d.Rows, auditRow(&es[i]))
	}
	v.Set("format", "csv")
	d.CSV = "/audit/export?" + v.Encode()
	v.Set("format", "xlsx")
	d.XLSX = "/audit/export?" + v.Encode()
	return s.render(c, http.StatusOK, "audit", d)
}

// auditRow is an entry as the page and the exports show it.
func auditRow(e *store.AuditEntry) []string {
	role := e.Role
	if zh := account.Role(e.Role).Chinese(); zh != "" {
		role = zh
	}
	return []string{strconv.FormatUint(e.Seq, 10), e.At.In(domain.Local).Format(time.DateTime), e.Actor, role,
		e.Device, e.Action, e.Key, cell(string(e.Before)), cell(string(e.After)), cell(e.Note)}
}

// cell makes a value storable in any export: valid UTF-8, no NUL, within
// Excel's cell limit.
func cell(v string) string {
	const max = 16_000 // runes; at most 32000 UTF-16 units, under Excel's 32767
	v = strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "")
	if utf8.RuneCountInString(v) > max {
		v = string([]rune(v)[:max]) + "…(已截断)"
	}
	return v
}

func (s *Server) auditExport(c echo.Context) error {
	q, _, err := auditQuery(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "csv" && format != "xlsx" {
		return badParam("query parameter", "format", format, "csv or xlsx", "导出格式应为csv或xlsx。")
	}
	q.Limit = auditBatch
	var first []store.AuditEntry
	if err := s.opt.Store.View(func(tx store.ReadTx) error {
		first, err = tx.SearchAudit(q)
		return err
	}); err != nil {
		return err // nothing sent yet: a clean 500
	}
	name := "audit-" + s.now().In(domain.Local).Format("20060102-150405") + "." + format
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	var w *tabular.Writer
	if format == "csv" {
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		w, err = tabular.NewCSVWriter(c.Response(), auditHeaders, tabular.WriteOptions{})
	} else {
		h.Set(echo.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w, err = tabular.NewXLSXWriter(c.Response(), auditHeaders)
	}
	if err == nil {
		err = s.writeAudit(w, q, first)
	}
	if err == nil {
		err = w.Close()
	} else if w != nil {
		w.Close()
	}
	if err == nil {
		return nil
	}
	if !c.Response().Committed {
		h.Del(echo.HeaderContentDisposition)
		return err
	}
	// Part of the file is gone: cut the connection so that the client sees a
	// broken transfer, never a short file that looks whole.
	s.log.Error("audit export failed after sending", "err", err)
	panic(http.ErrAbortHandler)
}

// writeAudit writes the entries matching q, newest first, reading them a
// batch per transaction so that a long export never holds one open.
func (s *Server) writeAudit(w *tabular.Writer, q store.AuditQuery, batch []store.AuditEntry) error {
	n := 0
	for len(batch) > 0 {
		for i := range batch {
			if n == auditExportMax {
				return w.Write(noteRow("", "已截断:只导出了最新的"+strconv.Itoa(auditExportMax)+"条,请缩小查询范围后再导出。"))
			}
			row := auditRow(&batch[i])
			if err := w.Write(row); err != nil {
				// A value XLSX cannot hold faithfully: say so rather than
				// alter it or lose the rest of the export.
				if err := w.Write(noteRow(row[0], "此条含有表格无法保存的字符,请导出CSV查看。")); err != nil {
					return err
				}
			}
			n++
		}
		q.Before = batch[len(batch)-1].Seq
		if err := s.opt.Store.View(func(tx store.ReadTx) error {
			var err error
			batch, err = tx.SearchAudit(q)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// noteRow is a row with only a sequence number and a remark.
func noteRow(seq, note string) []string {
	row := make([]string, len(auditHeaders))
	row[0], row[len(row)-1] = seq, note
	return row
}
