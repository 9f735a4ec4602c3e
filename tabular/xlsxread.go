package tabular

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/xuri/excelize/v2"
)

// xlsxOptions make excelize render cells as a Chinese Excel displays them,
// except that the locale's short date (format 14, "2024/1/2") comes out as
// ISO "2024-01-02", which importers can parse without guessing the order.
func xlsxOptions() excelize.Options {
	return excelize.Options{ShortDatePattern: "yyyy-mm-dd", CultureInfo: excelize.CultureNameZhCN}
}

// openXLSX opens the workbook at path and reads the header row of its first
// sheet.
func openXLSX(path string, schema Schema, opt Options) (*Reader, error) {
	if _, err := normEncoding(opt.Encoding); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, xlsxOptions())
	if err != nil {
		return nil, fmt.Errorf("tabular: %s: not a readable XLSX workbook: %w", path, err)
	}
	return newXLSX(f, path, schema)
}

// newXLSX reads the first sheet of f; the Reader closes f.
func newXLSX(f *excelize.File, name string, schema Schema) (*Reader, error) {
	src, err := newXLSXSource(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	return newReader(name, src, schema)
}

func newXLSXSource(f *excelize.File, name string) (*xlsxSource, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("tabular: %s: workbook has no sheets", name)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("tabular: %s: sheet %q: %w", name, sheets[0], err)
	}
	return &xlsxSource{name: name, file: f, rows: rows, total: lastRow(f, sheets[0])}, nil
}

// lastRow returns the last row of the sheet's recorded dimension, or 0 when
// the workbook records none. Excel records it; excelize leaves "A1", which
// counts as none.
func lastRow(f *excelize.File, sheet string) int64 {
	dim, err := f.GetSheetDimension(sheet)
	if err != nil {
		return 0
	}
	_, cell, _ := strings.Cut(dim, ":")
	if cell == "" {
		cell = dim
	}
	_, row, err := excelize.CellNameToCoordinates(cell)
	if err != nil || row < 2 {
		return 0
	}
	return int64(row)
}

// xlsxSource streams the rows of one sheet.
type xlsxSource struct {
	name  string
	file  *excelize.File
	rows  *excelize.Rows
	line  int
	total int64
	done  atomic.Int64
}

// next returns the cells of the next sheet row as displayed, without the
// trailing empty ones. Rows missing from the sheet come back empty, so line
// counts sheet rows.
func (s *xlsxSource) next() ([]string, int, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, 0, fmt.Errorf("tabular: reading %s: %w", s.name, err)
		}
		return nil, 0, io.EOF
	}
	s.line++
	s.done.Store(int64(s.line))
	cells, err := s.rows.Columns()
	if err != nil {
		return nil, 0, fmt.Errorf("tabular: reading %s row %d: %w", s.name, s.line, err)
	}
	return cells, s.line, nil
}

func (s *xlsxSource) progress() (int64, int64) { return s.done.Load(), s.total }
func (s *xlsxSource) encoding() string         { return EncodingXLSX }
func (s *xlsxSource) ragged() bool             { return true }

func (s *xlsxSource) close() error {
	if s.file == nil {
		return nil
	}
	err := s.rows.Close()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	s.file = nil
	return err
}
