package tabular

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Column ids of testSchema.
const (
	colID = iota
	colName
	colAddr
	colMeter
	colPhone
)

// testSchema is a small customer-like file kind.
var testSchema = Schema{
	colID:    {Key: "customer_id", Header: "用户编号", Aliases: []string{"户号", "CustomerNo"}, Required: true},
	colName:  {Key: "name", Header: "用户名称", Aliases: []string{"户名"}, Required: true},
	colAddr:  {Key: "address", Header: "地址"},
	colMeter: {Key: "meter_id", Header: "表号", Required: true},
	colPhone: {Key: "phone", Header: "联系电话", Aliases: []string{"电话"}},
}

func TestHeaderMatching(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		present []int    // columns that must be present; the others must not
		fields  []int    // field index of each present column
		unknown []string // Unknown()
		errs    []string // substrings of the error; nil for none
	}{
		{name: "chinese", header: "用户编号,用户名称,地址,表号,联系电话",
			present: []int{colID, colName, colAddr, colMeter, colPhone}, fields: []int{0, 1, 2, 3, 4}},
		{name: "reordered and optional absent", header: "表号,用户名称,用户编号",
			present: []int{colID, colName, colMeter}, fields: []int{2, 1, 0}},
		{name: "keys any case", header: "CUSTOMER_ID,Name,Meter_Id",
			present: []int{colID, colName, colMeter}, fields: []int{0, 1, 2}},
		{name: "aliases", header: "户号,户名,表号,电话",
			present: []int{colID, colName, colMeter, colPhone}, fields: []int{0, 1, 2, 3}},
		{name: "ascii alias any case", header: "customerno,户名,表号",
			present: []int{colID, colName, colMeter}, fields: []int{0, 1, 2}},
		{name: "trimmed, ideographic space and BOM", header: " 用户编号 ,\u3000用户名称\u3000,\uFEFF表号",
			present: []int{colID, colName, colMeter}, fields: []int{0, 1, 2}},
		{name: "unknown ignored", header: "用户编号,备注,用户名称,,表号, 抄表员 ",
			present: []int{colID, colName, colMeter}, fields: []int{0, 2, 4}, unknown: []string{"备注", "抄表员"}},
		{name: "chinese not folded", header: "用户编号,用户名称,表号,地址X",
			present: []int{colID, colName, colMeter}, fields: []int{0, 1, 2}, unknown: []string{"地址X"}},
		{name: "one missing", header: "用户编号,用户名称",
			errs: []string{"in.csv:1: missing required column 表号"}},
		{name: "all missing named", header: "地址",
			errs: []string{"in.csv:1: missing required columns 用户编号, 用户名称, 表号"}},
		{name: "duplicate via alias", header: "用户编号,用户名称,表号,customer_id",
			errs: []string{`in.csv:1: column 用户编号: headers "用户编号" (field 1) and "customer_id" (field 4) both name this column`}},
		{name: "duplicate and missing together", header: "户名,用户名称,地址",
			errs: []string{"column 用户名称: headers \"户名\" (field 1) and \"用户名称\" (field 2)", "missing required columns 用户编号, 表号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(strings.NewReader(tt.header+"\n"), "in.csv", 0, testSchema, Options{})
			if tt.errs != nil {
				checkErrs(t, err, tt.errs)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for col := range testSchema {
				i := slices.Index(tt.present, col)
				if got := r.Present(col); got != (i >= 0) {
					t.Errorf("Present(%d) = %v", col, got)
				}
				if i >= 0 && r.hm.index[col] != tt.fields[i] {
					t.Errorf("column %d at field %d, want %d", col, r.hm.index[col], tt.fields[i])
				}
			}
			if got := r.Unknown(); !slices.Equal(got, tt.unknown) {
				t.Errorf("Unknown() = %q, want %q", got, tt.unknown)
			}
		})
	}
}

// checkErrs checks that err is made of *Error values whose texts contain
// want, in order.
func checkErrs(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %T %v is not a *Error", err, err)
	}
	msg := err.Error()
	for _, w := range want {
		i := strings.Index(msg, w)
		if i < 0 {
			t.Fatalf("error %q does not contain %q", err, w)
		}
		msg = msg[i+len(w):]
	}
}

func TestSchemaValidate(t *testing.T) {
	tests := []struct {
		name   string
		schema Schema
		err    string
	}{
		{name: "ok", schema: testSchema},
		{name: "nameless", schema: Schema{{Key: "a"}, {}}, err: "column 1 has neither"},
		{name: "shared alias", schema: Schema{{Key: "a", Aliases: []string{"X"}}, {Key: "x"}}, err: `"x" names both column 0 and column 1`},
		{name: "own alias repeats key", schema: Schema{{Key: "a", Aliases: []string{"A"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.Validate()
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "tabular: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{name: "all", err: Error{File: "a.csv", Line: 7, Column: "表号", Reason: "empty"}, want: "a.csv:7: column 表号: empty"},
		{name: "no column", err: Error{File: "a.csv", Line: 7, Reason: "3 fields, header has 4"}, want: "a.csv:7: 3 fields, header has 4"},
		{name: "no line", err: Error{File: "a.csv", Column: "表号", Reason: "r"}, want: "a.csv: column 表号: r"},
		{name: "no file", err: Error{Line: 2, Reason: "r"}, want: "line 2: r"},
		{name: "reason only", err: Error{Reason: "r"}, want: "r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	r, err := NewCSV(strings.NewReader("用户编号,用户名称,表号\n\n1,张三,M1\n"), "c.csv", 0, testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		row  *Row
		col  int
		want string
	}{
		{name: "row and column", row: row, col: colMeter, want: "c.csv:3: column 表号: bad 7"},
		{name: "no column", row: row, col: -1, want: "c.csv:3: bad 7"},
		{name: "no row", row: nil, col: colID, want: "c.csv: column 用户编号: bad 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Errorf(tt.row, tt.col, "bad %d", 7).Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
