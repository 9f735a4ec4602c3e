package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// xlsxMaxCell is Excel's limit on a cell's length, in UTF-16 code units.
const xlsxMaxCell = 32767

// WriteOptions control how a file is written. The zero value writes UTF-8
// with a byte order mark.
type WriteOptions struct {
	// Encoding of a CSV file: "utf-8" (the default, with a byte order mark
	// so that Excel opens it as UTF-8), "utf-8-nobom" or "gbk". GBK is
	// written as GB18030, which gives GBK's bytes for every character GBK
	// has (except €: A2E3, where code page 936 has 0x80) and can encode
	// the rest, so no value is refused. XLSX ignores it.
	Encoding string
}

// Writer writes a header row and then records to a CSV or XLSX file. Output
// is byte-deterministic: the same rows give the same bytes. CSV lines end in
// CRLF, and line breaks inside values are written as CRLF too; they read
// back as "\n". A Writer is not safe for concurrent use.
type Writer struct {
	width   int
	headers []string
	sink    sink
	file    *os.File      // closed by Close when Create opened it
	buf     *bufio.Writer // between the sink and file, flushed by Close
	rows    int           // records written, header excluded; numbers them in errors
	closed  bool
}

// sink is one file format's record writer.
type sink interface {
	writeRow(values []string) error
	flush() error
	// check returns why a value cannot be stored faithfully, or "".
	check(v string) string
}

// Create creates the file at path, .csv or .xlsx by extension (in any case),
// and writes the header row. XLSX cells are all written as text, in the
// first sheet.
func Create(path string, headers []string, opt WriteOptions) (*Writer, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".xlsx" {
		return nil, fmt.Errorf("tabular: %s: unsupported file type %q; want .csv or .xlsx", path, ext)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	var w *Writer
	// A large buffer: files of millions of rows go out in few writes.
	buf := bufio.NewWriterSize(f, 1<<20)
	if ext == ".csv" {
		w, err = NewCSVWriter(buf, headers, opt)
	} else {
		w, err = NewXLSXWriter(buf, headers)
	}
	if err != nil {
		f.Close()
		os.Remove(path) // nothing useful was written
		return nil, err
	}
	w.file, w.buf = f, buf
	return w, nil
}

// NewCSVWriter writes CSV to out, starting with the header row. Close
// flushes it but does not close out.
func NewCSVWriter(out io.Writer, headers []string, opt WriteOptions) (*Writer, error) {
	s, err := newCSVSink(out, opt.Encoding)
	if err != nil {
		return nil, err
	}
	return newWriter(s, headers)
}

// NewXLSXWriter writes an XLSX workbook to out, all cells as text in the
// first sheet, starting with the header row. Nothing reaches out until
// Close, which writes the whole workbook but does not close out.
func NewXLSXWriter(out io.Writer, headers []string) (*Writer, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter(f.GetSheetName(0))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tabular: %w", err)
	}
	w, err := newWriter(&xlsxSink{file: f, sw: sw, out: out}, headers)
	if err != nil {
		f.Close()
	}
	return w, err
}

func newWriter(s sink, headers []string) (*Writer, error) {
	w := &Writer{width: len(headers), headers: slices.Clone(headers), sink: s}
	if len(headers) == 0 {
		return nil, errors.New("tabular: no headers")
	}
	if err := w.put(headers, 0); err != nil {
		return nil, err
	}
	return w, nil
}

// Write writes one record, which must have one value per header. Values
// that the file cannot hold faithfully are rejected rather than altered:
// invalid UTF-8, NUL, and for XLSX other control characters, values over
// Excel's 32767-character limit and chained "_xHHHH_" escapes. A rejected
// record is not written and the Writer stays usable.
func (w *Writer) Write(values []string) error {
	if w.closed {
		return errors.New("tabular: write after close")
	}
	n := w.rows + 1
	if len(values) != w.width {
		return fmt.Errorf("tabular: record %d has %d values, header has %d", n, len(values), w.width)
	}
	if err := w.put(values, n); err != nil {
		return err
	}
	w.rows = n
	return nil
}

// put checks and writes row n (0 is the header).
func (w *Writer) put(values []string, n int) error {
	for i, v := range values {
		if reason := w.sink.check(v); reason != "" {
			return fmt.Errorf("tabular: %s, column %s: %s", rowName(n), w.headers[i], reason)
		}
	}
	if err := w.sink.writeRow(values); err != nil {
		return fmt.Errorf("tabular: writing %s: %w", rowName(n), err)
	}
	return nil
}

func rowName(n int) string {
	if n == 0 {
		return "header"
	}
	return fmt.Sprintf("record %d", n)
}

// Close flushes what is buffered, saves an XLSX workbook, and closes the
// file if Create opened it. After an error the file may be incomplete.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.sink.flush()
	if w.buf != nil {
		if ferr := w.buf.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("tabular: %w", ferr)
		}
	}
	if w.file != nil {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("tabular: %w", cerr)
		}
	}
	return err
}

// checkText is the check every format shares.
func checkText(v string) string {
	if !utf8.ValidString(v) {
		return "value is not valid UTF-8"
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "value contains a NUL character"
	}
	return ""
}

// csvSink writes CSV through an optional GBK encoder.
type csvSink struct {
	cw   *csv.Writer
	enc  io.WriteCloser // the GBK encoder, flushed by Close; nil for UTF-8
	norm []string       // values with line breaks normalized
}

func newCSVSink(out io.Writer, encoding string) (*csvSink, error) {
	s := &csvSink{}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", EncodingUTF8, "utf8", EncodingUTF8BOM:
		if _, err := out.Write(bomUTF8); err != nil {
			return nil, fmt.Errorf("tabular: %w", err)
		}
	case EncodingUTF8NoBOM:
	case EncodingGBK, "gb18030":
		s.enc = transform.NewWriter(out, simplifiedchinese.GB18030.NewEncoder())
		out = s.enc
	default:
		return nil, fmt.Errorf("tabular: unknown encoding %q (want utf-8, utf-8-nobom or gbk)", encoding)
	}
	s.cw = csv.NewWriter(out)
	s.cw.UseCRLF = true
	return s, nil
}

func (s *csvSink) check(v string) string { return checkText(v) }

// writeRow writes values, turning lone CRs into line breaks: encoding/csv
// would drop them, and a reader could not tell them from CRLF anyway.
func (s *csvSink) writeRow(values []string) error {
	s.norm = s.norm[:0]
	for _, v := range values {
		if strings.IndexByte(v, '\r') >= 0 {
			v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
		}
		s.norm = append(s.norm, v)
	}
	return s.cw.Write(s.norm)
}

func (s *csvSink) flush() error {
	s.cw.Flush()
	err := s.cw.Error()
	if s.enc != nil {
		if cerr := s.enc.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("tabular: %w", err)
	}
	return nil
}

// xlsxSink writes rows to an excelize stream and the workbook to out.
type xlsxSink struct {
	file  *excelize.File
	sw    *excelize.StreamWriter
	out   io.Writer
	row   int
	cells []any
}

// check rejects what XML cannot carry (excelize would turn it into U+FFFD)
// and what Excel would truncate.
func (s *xlsxSink) check(v string) string {
	if reason := checkText(v); reason != "" {
		return reason
	}
	units := 0
	for _, r := range v {
		if !xmlChar(r) {
			return fmt.Sprintf("value contains control character %U, which XLSX cannot hold", r)
		}
		units += utf16Len(r)
	}
	if units > xlsxMaxCell {
		return fmt.Sprintf("value has %d characters, over Excel's limit of %d", units, xlsxMaxCell)
	}
	if chainedEscapes(v) {
		return `value has chained "_xHHHH_" sequences, which excelize cannot store faithfully`
	}
	return ""
}

// chainedEscapes reports whether v holds two "_xHHHH_" sequences sharing an
// underscore ("_x0041_x0042_"): excelize escapes only the first, so the
// second would read back as the character it encodes.
func chainedEscapes(v string) bool {
	for i := strings.Index(v, "_x"); i >= 0; {
		if bstrAt(v, i) && bstrAt(v, i+6) {
			return true
		}
		j := strings.Index(v[i+1:], "_x")
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// bstrAt reports whether v has "_xHHHH_" at i.
func bstrAt(v string, i int) bool {
	if i+7 > len(v) || v[i] != '_' || v[i+1] != 'x' || v[i+6] != '_' {
		return false
	}
	for _, c := range []byte(v[i+2 : i+6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// xmlChar reports whether XML 1.0 allows r in text.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func (s *xlsxSink) writeRow(values []string) error {
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	s.cells = s.cells[:0]
	for _, v := range values {
		s.cells = append(s.cells, v)
	}
	return s.sw.SetRow(cell, s.cells)
}

func (s *xlsxSink) flush() error {
	err := s.sw.Flush()
	if err == nil {
		err = s.file.Write(s.out)
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tabular: saving workbook: %w", err)
	}
	return nil
}
