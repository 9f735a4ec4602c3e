// Package tabular reads and writes the tabular interchange files that the
// back office exchanges with meter-sync: CSV (UTF-8 with or without a byte
// order mark, or GBK as saved by Chinese Excel) and XLSX, with Chinese column
// headers and English aliases.
//
// The package knows nothing of the business. A Schema lists the columns of a
// file kind; a Reader maps the file's header row onto it, so callers address
// values by column id whatever order or language the file's headers are in.
// Problems located in a file are reported as *Error, which formats as
// "FILE:LINE: column HEADER: REASON" so that importers can report their own
// field-level problems in the same shape through Reader.Errorf.
package tabular

import (
	"fmt"
	"strconv"
	"strings"
)

// Encoding names, as accepted in Options and WriteOptions and as returned by
// Reader.Encoding.
const (
	// EncodingAuto asks the Reader to detect the encoding of a CSV file.
	EncodingAuto = "auto"
	// EncodingUTF8 is UTF-8 without a byte order mark.
	EncodingUTF8 = "utf-8"
	// EncodingUTF8BOM is UTF-8 that starts with a byte order mark, as Excel
	// writes it ("CSV UTF-8").
	EncodingUTF8BOM = "utf-8-bom"
	// EncodingUTF8NoBOM asks a Writer for UTF-8 without a byte order mark.
	EncodingUTF8NoBOM = "utf-8-nobom"
	// EncodingGBK is Chinese Excel's CSV encoding (code page 936); reading
	// uses the GB18030 decoder, a superset of GBK.
	EncodingGBK = "gbk"
	// EncodingXLSX is what Reader.Encoding returns for an XLSX workbook.
	EncodingXLSX = "xlsx"
)

// Column describes one column of a file kind.
type Column struct {
	Key      string   // canonical English key, e.g. "customer_id"; always accepted as a header
	Header   string   // Chinese header, e.g. "用户编号"; used when writing and in messages
	Aliases  []string // other accepted headers
	Required bool     // the file must have this column
}

// title is the name used for the column in messages: its Chinese header,
// or its key when it has none.
func (c Column) title() string {
	if c.Header != "" {
		return c.Header
	}
	return c.Key
}

// Schema lists the columns of a file kind. A column's index in the Schema is
// its id, used with Row.Value, Reader.Present and Reader.Errorf.
type Schema []Column

// Headers returns the Chinese header of every column, in schema order, ready
// for Create or NewCSVWriter. A column without a Header contributes its Key.
func (s Schema) Headers() []string {
	h := make([]string, len(s))
	for i, c := range s {
		h[i] = c.title()
	}
	return h
}

// Options control how a file is read. The zero value detects everything.
type Options struct {
	// Encoding of a CSV file: "" or "auto" detects it; "utf-8" or "gbk"
	// forces it ("utf8", "gb18030", "gb2312" and "cp936" are accepted as
	// synonyms).
	// A UTF-8 byte order mark is skipped unless "gbk" is forced. XLSX
	// workbooks ignore it.
	Encoding string
}

// Error is a problem located in a file. It formats as
// "FILE:LINE: column HEADER: REASON", omitting the parts that are unknown
// (File "", Line 0, Column ""). It has no "tabular:" prefix because it is
// meant to be shown as is to the person who made the file.
type Error struct {
	File   string // file name as given to Open or NewCSV
	Line   int    // 1-based physical line (CSV) or sheet row (XLSX); 0 if unknown
	Column string // the column's Chinese header, or "" for the whole record
	Reason string
}

// Error formats e as "FILE:LINE: column HEADER: REASON".
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Column != "" {
		b.WriteString("column " + e.Column + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// normEncoding maps the accepted spellings of an encoding name to the
// package's constants; "" means auto.
func normEncoding(enc string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", EncodingAuto:
		return "", nil
	case EncodingUTF8, "utf8":
		return EncodingUTF8, nil
	case EncodingGBK, "gb18030", "gb2312", "cp936":
		return EncodingGBK, nil
	}
	return "", fmt.Errorf("tabular: unknown encoding %q (want auto, utf-8 or gbk)", enc)
}
