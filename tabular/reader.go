package tabular

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// source is one file format's record stream.
type source interface {
	// next returns the next record and the line it starts on. A *Error
	// is a bad record that can be skipped; io.EOF ends the stream; any
	// other error is fatal.
	next() (fields []string, line int, err error)
	// progress may be called from any goroutine.
	progress() (done, total int64)
	encoding() string
	// ragged reports whether records may be shorter than the header
	// (XLSX omits trailing empty cells).
	ragged() bool
	close() error
}

// Reader reads the records of a CSV or XLSX file whose header row has been
// matched to a Schema. A Reader is not safe for concurrent use, except that
// Progress may be called from another goroutine while Next runs.
type Reader struct {
	name   string
	schema Schema
	src    source
	hm     headerMap
	width  int // number of fields in the header row
	row    Row
	err    error // fatal error or io.EOF, returned by every later Next
}

// Row is one record of a file. The *Row returned by Next is reused by the
// following call to Next, so keep values, not the Row; the strings returned
// by Value stay valid.
type Row struct {
	line   int
	fields []string
	index  []int // the Reader's column id → field index
}

// Line returns the 1-based physical line on which the record starts (CSV) or
// its sheet row number (XLSX). The header is normally line 1.
func (row *Row) Line() int { return row.line }

// Value returns the value of schema column col with surrounding white space
// (including the ideographic space) trimmed, or "" when the file has no such
// column or the record has no such cell.
func (row *Row) Value(col int) string {
	if col < 0 || col >= len(row.index) {
		return ""
	}
	i := row.index[col]
	if i < 0 || i >= len(row.fields) {
		return ""
	}
	return trim(row.fields[i])
}

// trim is strings.TrimSpace with a fast path for the usual cell that has no
// space at either end (it is called for every cell of every row).
func trim(s string) string {
	if s == "" {
		return s
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if !unicode.IsSpace(first) && !unicode.IsSpace(last) {
		return s
	}
	return strings.TrimSpace(s)
}

func isSpaceByte(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// Open opens path, a .csv or .xlsx file (by extension, in any case), and
// matches its header row to schema. For XLSX the first sheet is read.
func Open(path string, schema Schema, opt Options) (*Reader, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return openCSV(path, schema, opt)
	case ".xlsx":
		return openXLSX(path, schema, opt)
	case ".xls", ".et":
		return nil, fmt.Errorf("tabular: %s: old Excel/WPS %s workbooks are not supported; save it as .xlsx or CSV", path, ext)
	default:
		return nil, fmt.Errorf("tabular: %s: unsupported file type %q; want .csv or .xlsx", path, ext)
	}
}

// openCSV opens a CSV file; the Reader closes it.
func openCSV(path string, schema Schema, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tabular: %w", err)
	}
	r, err := newCSV(f, f, path, fi.Size(), schema, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// newReader reads the header row from src and matches it to schema. On
// error it closes src.
func newReader(name string, src source, schema Schema) (*Reader, error) {
	r := &Reader{name: name, schema: schema, src: src}
	fields, line, err := r.nextRecord()
	if err == io.EOF {
		err = &Error{File: name, Reason: "no header row: the file is empty"}
	}
	if err == nil {
		r.width = len(fields)
		r.hm, err = matchHeader(name, line, fields, schema)
	}
	if err != nil {
		src.close()
		return nil, err
	}
	r.row.index = r.hm.index
	return r, nil
}

// nextRecord returns the next record that is not blank.
func (r *Reader) nextRecord() ([]string, int, error) {
	for {
		fields, line, err := r.src.next()
		if err != nil || !blank(fields) {
			return fields, line, err
		}
	}
}

// blank reports whether a record has nothing but white space, as a blank
// line or a row of empty cells left by Excel has.
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// Next returns the next record, skipping blank ones. It returns io.EOF at
// the end of the file.
//
// A malformed record (wrong number of fields, invalid UTF-8, a CSV quoting
// error) is returned as a *Error, and the next call to Next goes on with the
// following record. encoding/csv resumes after the line on which it found a
// quoting error, except that a quoted field that is never closed takes the
// rest of the file with it: that *Error is followed by io.EOF. Any other
// error (an I/O error) is fatal: it is not a *Error and every later call
// returns it again.
func (r *Reader) Next() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	fields, line, err := r.nextRecord()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			r.err = err
		}
		return nil, err
	}
	if n := len(fields); n > r.width || (n < r.width && !r.src.ragged()) {
		return nil, &Error{File: r.name, Line: line,
			Reason: fmt.Sprintf("%d fields, header has %d", n, r.width)}
	}
	r.row.line, r.row.fields = line, fields
	return &r.row, nil
}

// Encoding returns the file's encoding: "utf-8", "utf-8-bom", "gbk" or
// "xlsx".
func (r *Reader) Encoding() string { return r.src.encoding() }

// Progress returns how much of the file has been read: bytes consumed and
// the file size for CSV (total is 0 when the size is unknown; done may run
// ahead of Next by a read buffer for GBK), rows read and the sheet's last row
// for XLSX (total is 0 when the workbook does not record it, as in workbooks
// written by excelize, including this package's). It is safe to call from another goroutine while Next runs.
func (r *Reader) Progress() (done, total int64) { return r.src.progress() }

// Close releases the file. A Reader made by NewCSV does not close the
// io.Reader it was given.
func (r *Reader) Close() error { return r.src.close() }

// Name returns the file name given to Open or NewCSV.
func (r *Reader) Name() string { return r.name }

// Present reports whether the file has a header for schema column col.
func (r *Reader) Present(col int) bool {
	return col >= 0 && col < len(r.hm.index) && r.hm.index[col] >= 0
}

// Unknown returns the file's non-empty headers that name no schema column,
// trimmed, in file order. Callers may warn about them; they are ignored.
func (r *Reader) Unknown() []string { return slices.Clone(r.hm.unknown) }

// Errorf returns an *Error located at row (nil for none) and schema column
// col (-1 for none), so importers report field-level problems in the same
// shape as the Reader's own.
func (r *Reader) Errorf(row *Row, col int, format string, args ...any) *Error {
	e := &Error{File: r.name, Reason: fmt.Sprintf(format, args...)}
	if row != nil {
		e.Line = row.line
	}
	if col >= 0 && col < len(r.schema) {
		e.Column = r.schema[col].title()
	}
	return e
}
