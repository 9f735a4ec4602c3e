package tabular

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// colInstalled extends testSchema with a date column for XLSX tests.
const colInstalled = colPhone + 1

var xlsxSchema = append(slices.Clone(testSchema), Column{Key: "installed", Header: "安装日期"})

// cell is one cell to put in a test workbook: a string is stored as text,
// anything else as a number; date applies the built-in short date format.
type cell struct {
	ref  string
	val  any
	date bool
}

// makeWorkbook writes cells to the first sheet (named sheet) of a new
// workbook at path, with a second sheet that must be ignored. dim, if set,
// is the used range recorded as Excel would.
func makeWorkbook(t *testing.T, path, sheet, dim string, cells []cell) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must(t, f.SetSheetName("Sheet1", sheet))
	if _, err := f.NewSheet("其他"); err != nil {
		t.Fatal(err)
	}
	must(t, f.SetCellStr("其他", "A1", "不要读我"))
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(t, err)
	for _, c := range cells {
		if s, ok := c.val.(string); ok {
			must(t, f.SetCellStr(sheet, c.ref, s))
		} else {
			must(t, f.SetCellValue(sheet, c.ref, c.val))
		}
		if c.date {
			must(t, f.SetCellStyle(sheet, c.ref, c.ref, date))
		}
	}
	if dim != "" {
		must(t, f.SetSheetDimension(sheet, dim))
	}
	must(t, f.SaveAs(path))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestXLSXRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "用户.XLSX")
	makeWorkbook(t, path, "用户清单", "A1:F8", []cell{
		{ref: "A1", val: "用户编号"}, {ref: "B1", val: "用户名称"}, {ref: "C1", val: " 表号 "}, {ref: "D1", val: "安装日期"},
		{ref: "A2", val: "0012345"}, {ref: "B2", val: "张三"}, {ref: "C2", val: "M1"},
		{ref: "A3", val: 12345}, {ref: "B3", val: " 李四 "}, {ref: "C3", val: 13800138000}, {ref: "D3", val: 45293, date: true},
		// row 4 absent
		{ref: "A5", val: "x"}, {ref: "F5", val: "extra"},
		{ref: "A6", val: "y"}, {ref: "C6", val: "M6"},
		{ref: "A7", val: ""}, {ref: "B7", val: "  "},
		{ref: "A8", val: 1.5}, {ref: "B8", val: "王五"},
	})
	r, err := Open(path, xlsxSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Encoding() != "xlsx" || !r.Present(colInstalled) || r.Present(colAddr) {
		t.Errorf("Encoding() = %q, Present = %v, %v", r.Encoding(), r.Present(colInstalled), r.Present(colAddr))
	}
	want := []result{
		{line: 2, vals: "0012345|张三||M1||"},
		{line: 3, vals: "12345|李四||13800138000||2024-01-02"},
		{err: path + ":5: 6 fields, header has 4"},
		{line: 6, vals: "y|||M6||"},
		{line: 8, vals: "1.5|王五||||"},
	}
	if got := readAll(t, r); !sameResults(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	if done, total := r.Progress(); done != 8 || total != 8 {
		t.Errorf("Progress() = %d, %d, want 8, 8", done, total)
	}
}

func TestXLSXHeaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		cells []cell
		err   string
	}{
		{name: "missing, header below a blank row", cells: []cell{{ref: "A3", val: "用户编号"}},
			err: ":3: missing required columns 用户名称, 表号"},
		{name: "empty sheet", err: ": no header row: the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.xlsx")
			makeWorkbook(t, path, "Sheet1", "", tt.cells)
			_, err := Open(path, testSchema, Options{})
			if err == nil || err.Error() != path+tt.err {
				t.Fatalf("Open error %v, want %q", err, path+tt.err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "fake.xlsx")
	must(t, os.WriteFile(notZip, []byte(header3), 0o644))
	tests := []struct {
		name string
		path string
		opt  Options
		err  string
	}{
		{name: "xls", path: filepath.Join(dir, "a.xls"), err: "old Excel/WPS .xls workbooks are not supported"},
		{name: "txt", path: filepath.Join(dir, "a.txt"), err: `unsupported file type ".txt"`},
		{name: "no extension", path: filepath.Join(dir, "a"), err: `unsupported file type ""`},
		{name: "missing csv", path: filepath.Join(dir, "none.csv"), err: "no such file"},
		{name: "csv named xlsx", path: notZip, err: "fake.xlsx: not a readable XLSX workbook"},
		{name: "bad encoding for xlsx", path: notZip, opt: Options{Encoding: "big5"}, err: "unknown encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.path, testSchema, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "tabular: ") {
				t.Fatalf("Open error %v, want %q", err, tt.err)
			}
		})
	}
}
