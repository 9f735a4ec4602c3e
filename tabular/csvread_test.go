package tabular

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// gbk encodes s as GBK, as Chinese Excel saves CSV.
func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// result is one outcome of Next: a row's line and values, or an error.
type result struct {
	line int
	vals string // the row's schema values joined by "|"
	err  string // the error's text
}

// readAll reads r to io.EOF, recording every row and *Error.
func readAll(t *testing.T, r *Reader) []result {
	t.Helper()
	var out []result
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Next: %v is not a *Error", err)
			}
			out = append(out, result{err: err.Error()})
			continue
		}
		vals := make([]string, len(r.schema))
		for col := range vals {
			vals[col] = row.Value(col)
		}
		out = append(out, result{line: row.Line(), vals: strings.Join(vals, "|")})
	}
}

const (
	header3 = "用户编号,用户名称,表号\r\n"
	row3    = "0012345,张三,M-1\r\n"
)

func TestCSVEncodings(t *testing.T) {
	want := []result{{line: 2, vals: "0012345|张三||M-1|"}}
	tests := []struct {
		name string
		in   []byte
		opt  Options
		enc  string
		rows []result
		err  string // NewCSV error
	}{
		{name: "utf-8", in: []byte(header3 + row3), enc: "utf-8", rows: want},
		{name: "utf-8 bom", in: []byte("\uFEFF" + header3 + row3), enc: "utf-8-bom", rows: want},
		{name: "gbk detected", in: gbk(t, header3+row3), enc: "gbk", rows: want},
		{name: "gbk forced", in: gbk(t, header3+row3), opt: Options{Encoding: "GBK"}, enc: "gbk", rows: want},
		{name: "gb18030 synonym", in: gbk(t, header3+row3), opt: Options{Encoding: "gb18030"}, enc: "gbk", rows: want},
		{name: "auto spelled out", in: []byte(header3 + row3), opt: Options{Encoding: "auto"}, enc: "utf-8", rows: want},
		{name: "utf-8 forced keeps bom", in: []byte("\uFEFF" + header3 + row3), opt: Options{Encoding: "utf-8"}, enc: "utf-8-bom", rows: want},
		{name: "utf-8 forced on gbk", in: gbk(t, header3+row3), opt: Options{Encoding: "utf-8"},
			err: "in.csv:1: text is not valid UTF-8; the file may be GBK"},
		{name: "gbk forced on utf-8 reads mojibake", in: []byte(header3 + row3), opt: Options{Encoding: "gbk"},
			err: "missing required columns"},
		{name: "utf-16le bom", in: []byte("\xFF\xFEa\x00,\x00b\x00"), err: "tabular: in.csv: UTF-16 text; save as UTF-8 or GBK"},
		{name: "utf-16be bom", in: []byte("\xFE\xFF\x00a\x00,\x00b"), err: "tabular: in.csv: UTF-16 text; save as UTF-8 or GBK"},
		{name: "utf-16 without bom", in: []byte("a\x00,\x00b\x00\r\x00\n\x00"), err: "tabular: in.csv: UTF-16 text"},
		{name: "utf-16 even when forced", in: []byte("\xFF\xFEa\x00"), opt: Options{Encoding: "gbk"}, err: "UTF-16 text"},
		{name: "xlsx named csv", in: []byte("PK\x03\x04rest"), err: "an XLSX workbook, not CSV text"},
		{name: "xls named csv", in: []byte("\xD0\xCF\x11\xE0rest"), err: "old Excel .xls workbook"},
		{name: "unknown encoding", in: []byte(header3), opt: Options{Encoding: "latin1"}, err: `tabular: unknown encoding "latin1"`},
		{name: "empty", in: nil, err: "in.csv: no header row: the file is empty"},
		{name: "blank lines only", in: []byte("\r\n\n \n,,\n"), err: "no header row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(bytes.NewReader(tt.in), "in.csv", int64(len(tt.in)), testSchema, tt.opt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("NewCSV error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tt.enc {
				t.Errorf("Encoding() = %q, want %q", got, tt.enc)
			}
			got := readAll(t, r)
			if tt.rows != nil && !slices.Equal(got, tt.rows) {
				t.Errorf("rows\n got %v\nwant %v", got, tt.rows)
			}
		})
	}
}

// TestCSVInvalidUTF8Late checks that a GBK row after a UTF-8 sample is
// reported on its own line and reading goes on.
func TestCSVInvalidUTF8Late(t *testing.T) {
	n := sampleSize/8 + 1
	in := []byte(header3 + strings.Repeat("1,甲,M\n", n))
	in = append(in, gbk(t, "2,乙,M\n")...)
	in = append(in, "3,丙,M\n"...)
	r, err := NewCSV(bytes.NewReader(in), "in.csv", 0, testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	bad := got[n]
	if bad.err == "" || !strings.HasPrefix(bad.err, "in.csv:"+strconv.Itoa(n+2)+": text is not valid UTF-8") {
		t.Errorf("record %d = %+v, want the UTF-8 error", n, bad)
	}
	if last := got[len(got)-1]; last.vals != "3|丙||M|" || last.line != n+3 {
		t.Errorf("last = %+v", last)
	}
}

// sameResults reports whether got matches want, where a wanted error need
// only be a prefix of the error got.
func sameResults(got, want []result) bool {
	if len(got) != len(want) {
		return false
	}
	for i, g := range got {
		w := want[i]
		if g.line != w.line || g.vals != w.vals || (g.err == "") != (w.err == "") || !strings.HasPrefix(g.err, w.err) {
			return false
		}
	}
	return true
}

func TestCSVRecords(t *testing.T) {
	tests := []struct {
		name string
		body string // after header3
		want []result
	}{
		{name: "trimmed values and absent column", body: " 1 ,\u3000张三 , M1\r\n",
			want: []result{{line: 2, vals: "1|张三||M1|"}}},
		{name: "blank lines skipped, lines kept", body: "\r\n1,a,M\r\n\r\n   \r\n,,\r\n2,b,M\r\n",
			want: []result{{line: 3, vals: "1|a||M|"}, {line: 7, vals: "2|b||M|"}}},
		{name: "too few fields", body: "1,a\r\n2,b,M\r\n",
			want: []result{{err: "in.csv:2: 2 fields, header has 3"}, {line: 3, vals: "2|b||M|"}}},
		{name: "too many fields", body: "1,a,M,x\r\n",
			want: []result{{err: "in.csv:2: 4 fields, header has 3"}}},
		{name: "quoted newline keeps next line right", body: "1,\"多行\r\n名称\",M\r\n2,b\r\n3,c,M\n",
			want: []result{{line: 2, vals: "1|多行\n名称||M|"}, {err: "in.csv:4: 2 fields, header has 3"}, {line: 5, vals: "3|c||M|"}}},
		{name: "quoted comma and quote", body: "1,\"王,\"\"五\"\"\",M\r\n",
			want: []result{{line: 2, vals: "1|王,\"五\"||M|"}}},
		{name: "bare quote then continue", body: "1,5\" pipe,M\r\n2,b,M\r\n",
			want: []result{{err: `in.csv:2: bare " in an unquoted field`}, {line: 3, vals: "2|b||M|"}}},
		{name: "quote error across lines", body: "1,\"a\r\nb\"x,M\r\n2,b,M\r\n",
			want: []result{{err: `in.csv:2: unbalanced " in a quoted field (at line 3)`}, {line: 4, vals: "2|b||M|"}}},
		{name: "unterminated quote ends the file", body: "1,a,M\r\n2,\"b,M\r\n3,c,M\r\n",
			want: []result{{line: 2, vals: "1|a||M|"}, {err: `in.csv:3: unbalanced " in a quoted field (at line 4)`}}},
		{name: "no final newline", body: "1,a,M",
			want: []result{{line: 2, vals: "1|a||M|"}}},
		{name: "lf only", body: "1,a,M\n2,b,M\n",
			want: []result{{line: 2, vals: "1|a||M|"}, {line: 3, vals: "2|b||M|"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(strings.NewReader(header3+tt.body), "in.csv", 0, testSchema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, r); !sameResults(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCSVLinesAfterBOMAndGBK(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "bom", in: []byte("\uFEFF" + header3 + "1,\"a\nb\",M\n2,c,M\n")},
		{name: "gbk", in: gbk(t, header3+"1,\"甲\n乙\",M\n2,丙,M\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(bytes.NewReader(tt.in), "in.csv", 0, testSchema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, r)
			if len(got) != 2 || got[0].line != 2 || got[1].line != 4 {
				t.Errorf("got %+v, want rows on lines 2 and 4", got)
			}
		})
	}
}

func TestCSVProgress(t *testing.T) {
	in := []byte("\uFEFF" + header3 + strings.Repeat(row3, 1000))
	r, err := NewCSV(bytes.NewReader(in), "in.csv", int64(len(in)), testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	polled := make(chan int64)
	go func() { // a progress display polling while Next runs
		var last int64
		for {
			select {
			case <-stop:
				polled <- last
				return
			default:
				last, _ = r.Progress()
			}
		}
	}()
	var prev int64
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		done, total := r.Progress()
		if done < prev || done > total || total != int64(len(in)) {
			t.Fatalf("Progress() = %d, %d after %d", done, total, prev)
		}
		prev = done
	}
	close(stop)
	<-polled
	if done, total := r.Progress(); done != total {
		t.Errorf("at EOF Progress() = %d, %d", done, total)
	}
}

func TestCSVFatalReadError(t *testing.T) {
	n := 2 * sampleSize / len(row3) // past the detection sample
	in := header3 + strings.Repeat(row3, n)
	boom := errors.New("disk on fire")
	rd := io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))
	r, err := NewCSV(rd, "in.csv", 0, testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for ; ; rows++ {
		_, err = r.Next()
		if err != nil {
			break
		}
	}
	var e *Error
	if rows != n || !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("after %d rows: %v (%T), want the fatal read error", rows, err, err)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("second Next = %v, want the same fatal error", again)
	}
}

func TestCSVRowReuse(t *testing.T) {
	r, err := NewCSV(strings.NewReader(header3+"1,a,M\n2,b,M\n"), "in.csv", 0, testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := r.Next()
	v := first.Value(colID)
	second, _ := r.Next()
	if first != second || v != "1" || second.Value(colID) != "2" {
		t.Errorf("row reuse: %p %p %q %q", first, second, v, second.Value(colID))
	}
	if got := second.Value(99); got != "" {
		t.Errorf("Value(99) = %q", got)
	}
}
