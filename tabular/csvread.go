package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// sampleSize is how much of a CSV file encoding detection looks at; it is
// also the read buffer size.
const sampleSize = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	magicZip   = []byte("PK\x03\x04")
	magicOLE   = []byte{0xD0, 0xCF, 0x11, 0xE0}
)

// NewCSV reads CSV from rd and matches its header row to schema. name is
// used in error messages; size, if known (else 0), is the total that
// Progress reports. Close does not close rd.
//
// Unless opt forces one, the encoding is detected from the first 64 KiB: a
// UTF-8 byte order mark means utf-8-bom, valid UTF-8 means utf-8, anything
// else GBK. UTF-16 text and Excel workbooks saved under a .csv name are
// rejected with an error saying what to do.
func NewCSV(rd io.Reader, name string, size int64, schema Schema, opt Options) (*Reader, error) {
	return newCSV(rd, nil, name, size, schema, opt)
}

// newCSV is NewCSV with the io.Closer that Reader.Close closes, if any.
func newCSV(rd io.Reader, c io.Closer, name string, size int64, schema Schema, opt Options) (*Reader, error) {
	forced, err := normEncoding(opt.Encoding)
	if err != nil {
		return nil, err
	}
	src := &csvSource{name: name, size: size, closer: c, raw: &countingReader{r: rd}}
	src.br = bufio.NewReaderSize(src.raw, sampleSize)
	if err := src.detect(forced); err != nil {
		return nil, err
	}
	src.start()
	return newReader(name, src, schema)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// csvSource reads records with encoding/csv, decoding GBK on the way.
type csvSource struct {
	name      string
	size      int64
	closer    io.Closer
	raw       *countingReader
	br        *bufio.Reader
	enc       string
	skip      int64 // bytes before the CSV text (the byte order mark)
	cr        *csv.Reader
	checkUTF8 bool
	done      atomic.Int64
}

// detect sets s.enc from the forced encoding or the first bytes of the file,
// skipping a UTF-8 byte order mark.
func (s *csvSource) detect(forced string) error {
	sample, perr := s.br.Peek(sampleSize)
	if perr != nil && perr != io.EOF {
		return fmt.Errorf("tabular: reading %s: %w", s.name, perr)
	}
	if err := s.notText(sample); err != nil {
		return err
	}
	var err error
	switch {
	case bytes.HasPrefix(sample, bomUTF8) && forced != EncodingGBK:
		s.enc, s.skip = EncodingUTF8BOM, int64(len(bomUTF8))
		_, err = s.br.Discard(len(bomUTF8))
	case forced != "":
		s.enc = forced
	case validPrefix(sample, len(sample) < sampleSize):
		s.enc = EncodingUTF8
	default:
		s.enc = EncodingGBK
	}
	return err
}

// notText rejects files that are not 8-bit text, which would otherwise be
// misread as GBK and fail with a baffling list of missing columns.
func (s *csvSource) notText(sample []byte) error {
	switch {
	case bytes.HasPrefix(sample, bomUTF16LE), bytes.HasPrefix(sample, bomUTF16BE), manyNULs(sample):
		return fmt.Errorf("tabular: %s: UTF-16 text; save as UTF-8 or GBK", s.name)
	case bytes.HasPrefix(sample, magicZip):
		return fmt.Errorf("tabular: %s: an XLSX workbook, not CSV text; name it .xlsx", s.name)
	case bytes.HasPrefix(sample, magicOLE):
		return fmt.Errorf("tabular: %s: an old Excel .xls workbook, not CSV text; save it as .xlsx or CSV", s.name)
	}
	return nil
}

// manyNULs reports whether at least one byte in eight is NUL, as in UTF-16
// text without a byte order mark (ASCII characters there are half NUL).
func manyNULs(b []byte) bool {
	n := bytes.Count(b, []byte{0})
	return n > 0 && n*8 >= len(b)
}

// validPrefix reports whether b is valid UTF-8, allowing an incomplete rune
// at the end when b was cut from a longer file (atEOF false).
func validPrefix(b []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(b) - 1; i >= 0 && i > len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// start sets up the csv.Reader over the decoded text.
func (s *csvSource) start() {
	var text io.Reader = s.br // csv.NewReader uses s.br itself, it is big enough
	if s.enc == EncodingGBK {
		text = transform.NewReader(s.br, simplifiedchinese.GB18030.NewDecoder())
	} else {
		s.checkUTF8 = true
	}
	s.cr = csv.NewReader(text)
	s.cr.FieldsPerRecord = -1 // Reader checks, to report the record's line
	s.cr.ReuseRecord = true
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.cr.Read()
	s.done.Store(s.consumed())
	if err != nil {
		return nil, 0, s.readError(err)
	}
	line, _ := s.cr.FieldPos(0)
	if s.checkUTF8 && !validUTF8(rec) {
		return nil, line, &Error{File: s.name, Line: line,
			Reason: "text is not valid UTF-8; the file may be GBK: save it as CSV UTF-8, or choose GBK"}
	}
	return rec, line, nil
}

// consumed is how many bytes of the file have been read: exact for UTF-8,
// ahead by the decoder's buffers for GBK.
func (s *csvSource) consumed() int64 {
	if s.enc == EncodingGBK {
		return s.raw.n
	}
	return s.skip + s.cr.InputOffset()
}

// readError turns a csv.ParseError into a *Error; io.EOF and other errors
// pass through, the latter wrapped.
func (s *csvSource) readError(err error) error {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return err
	case errors.As(err, &pe):
		return &Error{File: s.name, Line: pe.StartLine, Reason: syntaxReason(pe)}
	}
	return fmt.Errorf("tabular: reading %s: %w", s.name, err)
}

// syntaxReason explains a CSV quoting error to whoever edited the file.
func syntaxReason(pe *csv.ParseError) string {
	reason := pe.Err.Error()
	switch pe.Err {
	case csv.ErrBareQuote:
		reason = `bare " in an unquoted field; put the field in quotes and double each " inside it`
	case csv.ErrQuote:
		reason = `unbalanced " in a quoted field`
	}
	if pe.Line != pe.StartLine {
		reason += fmt.Sprintf(" (at line %d)", pe.Line)
	}
	return reason
}

// validUTF8 reports whether every field is valid UTF-8.
func validUTF8(rec []string) bool {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

func (s *csvSource) progress() (int64, int64) { return s.done.Load(), s.size }
func (s *csvSource) encoding() string         { return s.enc }
func (s *csvSource) ragged() bool             { return false }

func (s *csvSource) close() error {
	if s.closer == nil {
		return nil
	}
	c := s.closer
	s.closer = nil
	return c.Close()
}
