package interchange

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/tabular"
)

// Values is one row's cells by column id; *tabular.Row is one.
type Values interface {
	Value(col int) string
}

// ColumnError is a problem with one cell of a row.
type ColumnError struct {
	Col    int
	Reason string
}

// RowError lists every problem found in one row.
type RowError []ColumnError

func (e RowError) Error() string {
	parts := make([]string, len(e))
	for i, c := range e {
		parts[i] = fmt.Sprintf("column %d: %s", c.Col, c.Reason)
	}
	return strings.Join(parts, "; ")
}

// rowDecoder collects the column errors of one row while its cells are read.
type rowDecoder struct {
	v    Values
	errs RowError
}

func (d *rowDecoder) fail(col int, format string, args ...any) {
	d.errs = append(d.errs, ColumnError{Col: col, Reason: fmt.Sprintf(format, args...)})
}

func (d *rowDecoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return d.errs
}

func (d *rowDecoder) required(col int) string {
	s := d.v.Value(col)
	if s == "" {
		d.fail(col, "不能为空")
	}
	return s
}

func (d *rowDecoder) number(col int, def float64) float64 {
	s := d.v.Value(col)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(col, "%q不是数字", s)
		return 0
	}
	return f
}

func (d *rowDecoder) optNumber(col int) *float64 {
	if d.v.Value(col) == "" {
		return nil
	}
	f := d.number(col, 0)
	return &f
}

func (d *rowDecoder) integer(col int, def int) int {
	s := d.v.Value(col)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		d.fail(col, "%q不是整数", s)
	}
	return n
}

func (d *rowDecoder) date(col int) time.Time {
	s := d.v.Value(col)
	if s == "" {
		return time.Time{}
	}
	if t, ok := parseISODate(s); ok {
		return t // already a local midnight
	}
	t, err := ParseTime(s)
	if err != nil {
		d.fail(col, "%s", err)
		return time.Time{}
	}
	return domain.DayOf(t)
}

func (d *rowDecoder) instant(col int) time.Time {
	s := d.required(col)
	if s == "" {
		return time.Time{}
	}
	t, err := ParseTime(s)
	if err != nil {
		d.fail(col, "%s", err)
	}
	return t
}

// parse runs a domain parser on a cell and records its error under col.
func parse[T any](d *rowDecoder, col int, required bool, f func(string) (T, error)) T {
	var zero T
	s := d.v.Value(col)
	if s == "" {
		if required {
			d.fail(col, "不能为空")
		}
		return zero
	}
	t, err := f(s)
	if err != nil {
		d.fail(col, "%s", err)
		return zero
	}
	return t
}

func (d *rowDecoder) yesNo(col int, yes, no string, def bool) bool {
	switch s := d.v.Value(col); s {
	case "":
		return def
	case yes, "是", "yes", "true", "1", "Y", "y":
		return true
	case no, "否", "no", "false", "0", "N", "n":
		return false
	default:
		d.fail(col, "应为%s或%s,实为%q", yes, no, s)
		return def
	}
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05",
	"2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02", "2006/01/02", "2006/1/2"}

// ParseTime reads a date or an instant in ISO 8601 or the common spreadsheet
// layouts; without a zone it is local time (domain.Local).
func ParseTime(s string) (time.Time, error) {
	if t, ok := parseISODate(s); ok {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, domain.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q不是有效的日期时间(应为2006-01-02或2006-01-02T15:04:05+08:00)", s)
}

// parseISODate reads "2006-01-02" without time.Parse's search for a layout:
// history files hold millions of them.
func parseISODate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, domain.Local), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatTime writes an instant as ISO 8601 in local time.
func FormatTime(t time.Time) string { return t.In(domain.Local).Format(time.RFC3339) }

// FormatDate writes a date.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Local).Format(domain.DateLayout)
}

// FormatNumber writes a volume with no needless digits.
func FormatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func formatOpt(p *float64) string {
	if p == nil {
		return ""
	}
	return FormatNumber(*p)
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// columnOf maps a domain field name (a Chinese header) to its column id.
func columnOf(s tabular.Schema, field string, fallback int) int {
	for i, c := range s {
		if c.Header == field {
			return i
		}
	}
	return fallback
}

// addDomainErrors files the domain's field errors under their columns.
func (d *rowDecoder) addDomainErrors(s tabular.Schema, err error, fallback int) {
	for _, fe := range domain.Fields(err) {
		col := columnOf(s, fe.Field, fallback)
		reason := fe.Error()
		if s[col].Header == fe.Field { // the column already names the field
			reason = strings.TrimPrefix(reason, fe.Field+": ")
		}
		d.errs = append(d.errs, ColumnError{Col: col, Reason: reason})
	}
}
