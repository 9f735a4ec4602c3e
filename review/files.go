package review

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// exportHeaders are the columns of the committed-readings file for the CIS:
// the readings format of DESIGN §6, then the use measured on the reading
// and the version committed.
func exportHeaders() []string {
	return append(interchange.Headers(interchange.ReadingSchema), "用气量", "读数版本")
}

// exportRow is a committed reading as a row of the file.
func exportRow(r *store.CommittedReading) []string {
	row := interchange.EncodeReading(interchange.ReadingRow{Reading: r.Reading, SeqNo: r.SeqNo})
	return append(row, interchange.FormatNumber(r.ConsumptionM3), strconv.Itoa(r.Version))
}

// WriteReadings writes committed readings (ExportReadings) as the CIS's
// file, format "csv" or "xlsx".
func WriteReadings(w io.Writer, format string, rows []store.CommittedReading) error {
	x, err := NewWriter(w, format, exportHeaders())
	if err != nil {
		return err
	}
	for i := range rows {
		if err := x.Write(exportRow(&rows[i])); err != nil {
			return fmt.Errorf("用户%s: %w", rows[i].CustomerID, err)
		}
	}
	return x.Close()
}

// NewWriter makes a writer of a CSV (UTF-8 with a byte order mark) or XLSX
// file with headers.
func NewWriter(w io.Writer, format string, headers []string) (*tabular.Writer, error) {
	switch format {
	case "csv":
		return tabular.NewCSVWriter(w, headers, tabular.WriteOptions{})
	case "xlsx":
		return tabular.NewXLSXWriter(w, headers)
	}
	return nil, fmt.Errorf("review: format %q (want csv or xlsx)", format)
}

// ReportHeaders are the columns of the 抄表管理报告 file, one row per reader.
var ReportHeaders = []string{"月份", "抄表员编号", "姓名", "应抄数", "实际数", "估抄数", "估抄原因", "漏抄数", "漏抄原因",
	"路线外读数", "抄表率", "发现异常", "异常明细", "已解决异常", "已入库", "入库人", "入库时间"}

// WriteReportsXLSX writes reports as an XLSX sheet, one row per reader.
func WriteReportsXLSX(w io.Writer, reports []ReaderReport) error {
	x, err := tabular.NewXLSXWriter(w, ReportHeaders)
	if err != nil {
		return err
	}
	for i := range reports {
		if err := x.Write(ReportRow(&reports[i])); err != nil {
			return fmt.Errorf("抄表员%s: %w", reports[i].Reader, err)
		}
	}
	return x.Close()
}

// ReportRow is a report as a row of ReportHeaders.
func ReportRow(r *ReaderReport) []string {
	committed, by, at := "否", "", ""
	if r.Committed != nil {
		committed, by, at = "是", r.Committed.By, r.Committed.At.Format("2006-01-02 15:04:05")
	}
	return []string{r.Cycle.String(), r.Reader, r.ReaderName, strconv.Itoa(r.Due), strconv.Itoa(r.Actual),
		strconv.Itoa(r.Estimated), reasonsText(r.EstimatedWhy), strconv.Itoa(len(r.Missed)), reasonsText(r.Missed),
		strconv.Itoa(r.OffRoute), fmt.Sprintf("%.2f%%", r.Rate*100), strconv.Itoa(r.FoundTotal), foundText(r.Found),
		strconv.Itoa(r.Resolved), committed, by, at}
}

func reasonsText(rs []Reason) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.CustomerID + ":" + r.Why
	}
	return strings.Join(parts, "; ")
}

// foundText is "大额方数 3; 估抄 2" in the order of vee.Codes.
func foundText(found map[string]int) string {
	var parts []string
	seen := map[string]bool{}
	for _, c := range vee.Codes() {
		if n := found[string(c)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Chinese(), n))
		}
		seen[string(c)] = true
	}
	var rest []string
	for c := range found {
		if !seen[c] {
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	for _, c := range rest {
		parts = append(parts, fmt.Sprintf("%s %d", c, found[c]))
	}
	return strings.Join(parts, "; ")
}

// IgnitionHeaders are the columns of the ignition table file [003:1277].
var IgnitionHeaders = []string{"小区", "上月点火户数", "本月新增户数", "本月总户数"}

// WriteIgnitionsXLSX writes the ignition table as an XLSX sheet, one row
// per estate and a total.
func WriteIgnitionsXLSX(w io.Writer, t IgnitionTable) error {
	x, err := tabular.NewXLSXWriter(w, IgnitionHeaders)
	if err != nil {
		return err
	}
	for _, e := range t.Estates {
		if err := x.Write([]string{e.Estate, strconv.Itoa(e.Ignited), strconv.Itoa(e.New), strconv.Itoa(e.Total)}); err != nil {
			return fmt.Errorf("小区%s: %w", e.Estate, err)
		}
	}
	sum := t.Total()
	err = x.Write([]string{fmt.Sprintf("合计(%s至%s)", t.From.Format("2006-01-02"), t.To.AddDate(0, 0, -1).Format("2006-01-02")),
		strconv.Itoa(sum.Ignited), strconv.Itoa(sum.New), strconv.Itoa(sum.Total)})
	if err != nil {
		return err
	}
	return x.Close()
}
