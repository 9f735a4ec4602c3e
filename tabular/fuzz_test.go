package tabular

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// fuzzSchema has short keys so that the fuzzer finds headers that match.
var fuzzSchema = Schema{
	{Key: "a", Header: "甲", Required: true},
	{Key: "b", Header: "乙", Aliases: []string{"B2"}},
	{Key: "c", Header: "丙"},
}

// fuzzEncodings are the Options.Encoding values FuzzCSV picks from.
var fuzzEncodings = []string{"", "utf-8", "gbk"}

func FuzzCSV(f *testing.F) {
	for _, seed := range []string{
		"a,b,c\n1,2,3\n",
		"\uFEFF甲,乙,丙\r\n1,\"x\r\ny\",3\r\n\r\n4,5,6",
		"甲,乙\n1,\"unterminated\n2,3\n",
		"甲,乙\n1,bare\"quote\n2,3\n",
		"a,b\n1\n1,2,3\n,,\n\n",
		"a,\"b\n",                 // truncated in a quoted header
		"a,b\n1,\xe4\xb8",         // truncated in a rune
		"\xff\xfea\x00,\x00b\x00", // UTF-16
		"a\x00b\x00",
		"PK\x03\x04",
		"",
		"\r\r\r",
		"A,B2\n\"\"\"\",x\n",
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Add(gbk(f, "甲,乙,丙\r\n张三,李四,\"王\r\n五\"\r\n"), uint8(0))
	f.Add(gbk(f, "甲,乙,丙\r\n张三,李四,王五\r\n"), uint8(2))
	f.Add([]byte("甲,乙\n\xd5\xc5,1\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, enc uint8) {
		opt := Options{Encoding: fuzzEncodings[int(enc)%len(fuzzEncodings)]}
		r, err := NewCSV(bytes.NewReader(data), "f.csv", int64(len(data)), fuzzSchema, opt)
		if err != nil {
			checkOpenError(t, err)
			return
		}
		rows := readChecked(t, r, len(data))
		reencode(t, rows)
	})
}

// checkOpenError checks that NewCSV failed with a *Error (a header problem)
// or one of its own "tabular: f.csv: ..." errors about the file as a whole.
func checkOpenError(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) && !strings.HasPrefix(err.Error(), "tabular: f.csv: ") {
		t.Fatalf("NewCSV error %T %q", err, err)
	}
}

// readChecked reads r to the end, checking every outcome, and returns the
// schema values of its rows.
func readChecked(t *testing.T, r *Reader, size int) [][]string {
	var rows [][]string
	prev := 0
	for n := 0; ; n++ {
		if n > size+1 {
			t.Fatalf("more outcomes (%d) than bytes (%d)", n, size)
		}
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *Error
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("Next error %T %q", err, err)
			}
			continue
		}
		if len(row.fields) != r.width || row.Line() <= prev {
			t.Fatalf("row on line %d (after %d) has %d fields, header %d", row.Line(), prev, len(row.fields), r.width)
		}
		prev = row.Line()
		rows = append(rows, rowValues(row, len(fuzzSchema)))
	}
	if done, total := r.Progress(); done != total {
		t.Errorf("at EOF Progress() = %d, %d", done, total)
	}
	return rows
}

func rowValues(row *Row, n int) []string {
	vals := make([]string, n)
	for col := range vals {
		vals[col] = row.Value(col)
	}
	return vals
}

// reencode writes rows as CSV and checks that reading them back gives the
// same values: decode → encode → decode.
func reencode(t *testing.T, rows [][]string) {
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, fuzzSchema.Headers(), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]string
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			continue // NUL, which the writer refuses
		}
		kept = append(kept, row)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewCSV(&buf, "again.csv", 0, fuzzSchema, Options{})
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	checkRoundTrip(t, r, nonBlank(kept))
}

// nonBlank drops the rows that a reader skips.
func nonBlank(rows [][]string) [][]string {
	var out [][]string
	for _, row := range rows {
		if !blank(row) {
			out = append(out, row)
		}
	}
	return out
}

// roundTripFormats are the files FuzzRoundTrip writes and reads.
var roundTripFormats = []struct {
	write WriteOptions
	read  Options
	xlsx  bool
}{
	{write: WriteOptions{Encoding: "utf-8"}},
	{write: WriteOptions{Encoding: "utf-8-nobom"}},
	{write: WriteOptions{Encoding: "gbk"}, read: Options{Encoding: "gbk"}}, // GBK bytes may look like UTF-8
	{xlsx: true},
}

func FuzzRoundTrip(f *testing.F) {
	for i := range roundTripFormats {
		for _, row := range roundTripRows {
			f.Add(row[0], row[1], row[2], uint8(i))
		}
		f.Add("", " ", "\u3000", uint8(i))
		f.Add("\"", "\r", "a\r\n\nb", uint8(i))
		f.Add("=1+1", "_x0000_", "\\.", uint8(i))
	}
	f.Fuzz(func(t *testing.T, a, b, c string, format uint8) {
		ft := roundTripFormats[int(format)%len(roundTripFormats)]
		row := []string{a, b, c}
		data, ok := writeOne(t, row, ft.write, ft.xlsx)
		if !ok {
			t.Skip("value the writer refuses")
		}
		r := readOne(t, data, ft.read, ft.xlsx)
		defer r.Close()
		checkRoundTrip(t, r, nonBlank([][]string{row}))
	})
}

// writeOne writes a file of one row; ok is false if Write refused it.
func writeOne(t *testing.T, row []string, opt WriteOptions, xlsx bool) (data []byte, ok bool) {
	var buf bytes.Buffer
	var w *Writer
	var err error
	if xlsx {
		w, err = NewXLSXWriter(&buf, fuzzSchema.Headers())
	} else {
		w, err = NewCSVWriter(&buf, fuzzSchema.Headers(), opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	werr := w.Write(row)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), werr == nil
}

func readOne(t *testing.T, data []byte, opt Options, xlsx bool) *Reader {
	if !xlsx {
		r, err := NewCSV(bytes.NewReader(data), "f.csv", 0, fuzzSchema, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data), xlsxOptions())
	if err != nil {
		t.Fatal(err)
	}
	r, err := newXLSX(wb, "f.xlsx", fuzzSchema)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
