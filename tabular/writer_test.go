package tabular

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// roundTripRows exercise quoting, line breaks, leading zeros, white space,
// characters outside GBK and excelize's _xHHHH_ escapes.
var roundTripRows = [][]string{
	{"0012345", "张三", "北京市朝阳区建国路88号", "M-0001", "13800138000"},
	{"12345", "王\"小\"五", "上海市,浦东新区", "M-0002", ""},
	{"00100", "多行\r\n名称", "第一行\n第二行\r第三行", "M-0003", " 010-12345678 "},
	{"7", "😀 emoji 用户", "_x0041_ 与 _x005F_", "€100", "\t"},
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file string
		opt  WriteOptions
		enc  string // Reader.Encoding on reading back
	}{
		{name: "csv default", file: "out.csv", enc: "utf-8-bom"},
		{name: "csv utf-8", file: "out.csv", opt: WriteOptions{Encoding: "utf-8"}, enc: "utf-8-bom"},
		{name: "csv no bom", file: "out.CSV", opt: WriteOptions{Encoding: "utf-8-nobom"}, enc: "utf-8"},
		{name: "csv gbk", file: "out.csv", opt: WriteOptions{Encoding: "gbk"}, enc: "gbk"},
		{name: "xlsx", file: "out.xlsx", enc: "xlsx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			w, err := Create(path, testSchema.Headers(), tt.opt)
			must(t, err)
			for _, row := range roundTripRows {
				must(t, w.Write(row))
			}
			must(t, w.Close())
			r, err := Open(path, testSchema, Options{})
			must(t, err)
			defer r.Close()
			if r.Encoding() != tt.enc {
				t.Errorf("Encoding() = %q, want %q", r.Encoding(), tt.enc)
			}
			checkRoundTrip(t, r, roundTripRows)
		})
	}
}

// checkRoundTrip reads r to the end and compares its values with rows as
// a reader should see them: trimmed, with line breaks as "\n" in CSV.
func checkRoundTrip(t *testing.T, r *Reader, rows [][]string) {
	t.Helper()
	line := 1
	for i, want := range rows {
		row, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if line++; r.Encoding() == EncodingXLSX && row.Line() != line {
			t.Errorf("record %d on row %d, want %d", i+1, row.Line(), line)
		}
		for col, v := range want {
			if got, w := row.Value(col), expect(v, r.Encoding()); got != w {
				t.Errorf("record %d column %d = %q, want %q", i+1, col, got, w)
			}
		}
	}
	if _, err := r.Next(); err == nil {
		t.Error("more records than written")
	}
}

// expect is what reading back v from a file of encoding enc gives.
func expect(v, enc string) string {
	if enc != EncodingXLSX {
		v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
	}
	return strings.TrimSpace(v)
}

func TestCSVWriterGolden(t *testing.T) {
	headers := []string{"用户编号", "地址"}
	rows := [][]string{{"001", "a,\"b\"\nc"}, {" x", ""}}
	tests := []struct {
		name string
		opt  WriteOptions
		want string
	}{
		{name: "utf-8", want: "\uFEFF用户编号,地址\r\n001,\"a,\"\"b\"\"\r\nc\"\r\n\" x\",\r\n"},
		{name: "utf-8-nobom", opt: WriteOptions{Encoding: "utf-8-nobom"}, want: "用户编号,地址\r\n001,\"a,\"\"b\"\"\r\nc\"\r\n\" x\",\r\n"},
		{name: "gbk", opt: WriteOptions{Encoding: "gbk"}, want: "\xd3\xc3\xbb\xa7\xb1\xe0\xba\xc5,\xb5\xd8\xd6\xb7\r\n001,\"a,\"\"b\"\"\r\nc\"\r\n\" x\",\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewCSVWriter(&buf, headers, tt.opt)
			must(t, err)
			for _, row := range rows {
				must(t, w.Write(row))
			}
			must(t, w.Close())
			if got := buf.String(); got != tt.want {
				t.Errorf("bytes differ\n got:\n%s\nwant:\n%s", hex.Dump([]byte(got)), hex.Dump([]byte(tt.want)))
			}
		})
	}
}

func TestXLSXDeterministic(t *testing.T) {
	write := func() []byte {
		var buf bytes.Buffer
		w, err := NewXLSXWriter(&buf, testSchema.Headers())
		must(t, err)
		for _, row := range roundTripRows {
			must(t, w.Write(row))
		}
		must(t, w.Close())
		return buf.Bytes()
	}
	if a, b := write(), write(); !bytes.Equal(a, b) {
		t.Error("two identical workbooks differ")
	}
}

func TestWriterErrors(t *testing.T) {
	long := strings.Repeat("长", xlsxMaxCell+1)
	tests := []struct {
		name   string
		file   string
		opt    WriteOptions
		header []string
		row    []string
		err    string // from Create when row is nil, else from Write
	}{
		{name: "too few values", file: "a.csv", row: []string{"1"}, err: "tabular: record 1 has 1 values, header has 2"},
		{name: "invalid utf-8", file: "a.csv", row: []string{"1", "\xff"}, err: "tabular: record 1, column 地址: value is not valid UTF-8"},
		{name: "nul", file: "a.xlsx", row: []string{"a\x00", "1"}, err: "column 用户编号: value contains a NUL character"},
		{name: "xlsx control character", file: "a.xlsx", row: []string{"1", "a\x1bb"}, err: "control character U+001B, which XLSX cannot hold"},
		{name: "xlsx noncharacter", file: "a.xlsx", row: []string{"1", "\uFFFF"}, err: "U+FFFF"},
		{name: "xlsx too long", file: "a.xlsx", row: []string{"1", long}, err: "over Excel's limit of 32767"},
		{name: "xlsx chained escapes", file: "a.xlsx", row: []string{"1", "a_x0041_x0042_"}, err: `chained "_xHHHH_" sequences`},
		{name: "csv chained escapes are fine", file: "a.csv", row: []string{"1", "a_x0041_x0042_"}},
		{name: "csv control character is fine", file: "a.csv", row: []string{"1", "a\x1bb"}},
		{name: "csv long is fine", file: "a.csv", row: []string{"1", long}},
		{name: "bad header", file: "a.csv", header: []string{"a\x00"}, err: "tabular: header, column a\x00: value contains a NUL"},
		{name: "no headers", file: "a.csv", header: []string{}, err: "tabular: no headers"},
		{name: "unknown encoding", file: "a.csv", opt: WriteOptions{Encoding: "big5"}, err: `tabular: unknown encoding "big5"`},
		{name: "unsupported type", file: "a.xls", err: `tabular: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == nil {
				header = []string{"用户编号", "地址"}
			}
			path := filepath.Join(t.TempDir(), tt.file)
			w, err := Create(path, header, tt.opt)
			if tt.row == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Create error %v, want %q", err, tt.err)
				}
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Errorf("failed Create left %s behind", tt.file)
				}
				return
			}
			must(t, err)
			defer w.Close()
			err = w.Write(tt.row)
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Write error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestWriterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.csv")
	w, err := Create(path, []string{"h"}, WriteOptions{Encoding: "utf-8-nobom"})
	must(t, err)
	must(t, w.Write([]string{"v"}))
	if err := w.Write([]string{"\xff"}); err == nil || !strings.Contains(err.Error(), "record 2,") {
		t.Errorf("refused record: %v", err)
	}
	if err := w.Write([]string{"w", "x"}); err == nil || !strings.Contains(err.Error(), "record 2 ") {
		t.Errorf("refused record again: %v", err)
	}
	must(t, w.Write([]string{"w"}))
	must(t, w.Close())
	must(t, w.Close())
	if err := w.Write([]string{"late"}); err == nil {
		t.Error("Write after Close succeeded")
	}
	got, err := os.ReadFile(path)
	must(t, err)
	if string(got) != "h\r\nv\r\nw\r\n" {
		t.Errorf("file = %q", got)
	}
}
