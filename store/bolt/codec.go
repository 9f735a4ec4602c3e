package bolt

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"meter-sync/domain"
)

// Records are encoded in a compact binary layout: a layout version byte, then
// the fields in a fixed order, strings as uvarint length + bytes. The encoding
// is canonical (one record, one byte string), so an unchanged record is found
// by comparing bytes, without decoding.
const customerLayout = 1

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) u8(v uint8)    { e.b = append(e.b, v) }
func (e *encoder) f64(v float64) { e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) i64(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) flag(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) date(t time.Time) {
	if t.IsZero() {
		e.i64(math.MinInt64)
		return
	}
	e.i64(t.Unix())
}

type decoder struct {
	b   []byte
	err error
}

var errCorrupt = errors.New("store/bolt: corrupt record")

func (d *decoder) str() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.fail()
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *decoder) u8() uint8 {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) f64() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) i64() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) flag() bool { return d.u8() == 1 }

func (d *decoder) date() time.Time {
	v := d.i64()
	if v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(v, 0).In(domain.Local)
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func encodeCustomer(c *domain.Customer) []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.u8(customerLayout)
	for _, s := range []string{c.ID, c.Name, c.Address, c.Estate, c.Area, c.Hall, string(c.Pay), c.Phone,
		c.BankCard, c.BankName, c.CardHolder, c.SMSNumber, c.SMSCarrier, string(c.Nature), c.Meter.Model} {
		e.str(s)
	}
	e.u8(uint8(c.Seq.Area))
	e.u8(uint8(c.Seq.Building))
	e.i64(int64(c.Seq.Book))
	e.i64(int64(c.Seq.Block))
	e.i64(int64(c.Seq.Unit))
	e.i64(int64(c.Seq.Room))
	e.u8(uint8(c.Group))
	e.u8(uint8(c.Meter.Kind))
	e.u8(uint8(c.Meter.State))
	e.f64(c.Meter.BaseM3)
	e.i64(int64(c.Meter.DialDigits))
	e.flag(c.Contract)
	e.flag(c.FeePaid)
	e.date(c.AppliedOn)
	e.date(c.InvoicedOn)
	return e.b
}

func decodeCustomer(b []byte, c *domain.Customer) error {
	d := decoder{b: b}
	if d.u8() != customerLayout {
		return errCorrupt
	}
	strs := []*string{&c.ID, &c.Name, &c.Address, &c.Estate, &c.Area, &c.Hall, (*string)(&c.Pay), &c.Phone,
		&c.BankCard, &c.BankName, &c.CardHolder, &c.SMSNumber, &c.SMSCarrier, (*string)(&c.Nature), &c.Meter.Model}
	for _, p := range strs {
		*p = d.str()
	}
	c.Seq.Area = domain.AreaType(d.u8())
	c.Seq.Building = domain.BuildingType(d.u8())
	c.Seq.Book = int(d.i64())
	c.Seq.Block = int(d.i64())
	c.Seq.Unit = int(d.i64())
	c.Seq.Room = int(d.i64())
	c.Group = domain.MonthGroup(d.u8())
	c.Meter.Kind = domain.MeterKind(d.u8())
	c.Meter.State = domain.MeterState(d.u8())
	c.Meter.BaseM3 = d.f64()
	c.Meter.DialDigits = int(d.i64())
	c.Contract = d.flag()
	c.FeePaid = d.flag()
	c.AppliedOn = d.date()
	c.InvoicedOn = d.date()
	if d.err == nil && len(d.b) != 0 {
		return errCorrupt
	}
	return d.err
}

func encodeReader(r domain.Reader) []byte {
	e := encoder{}
	e.str(r.ID)
	e.str(r.Name)
	return e.b
}

func decodeReader(b []byte) (domain.Reader, error) {
	d := decoder{b: b}
	r := domain.Reader{ID: d.str(), Name: d.str()}
	return r, d.err
}

func encodeMeterChange(c domain.MeterChange) []byte {
	e := encoder{}
	e.f64(c.OldFinalM3)
	e.f64(c.NewStartM3)
	e.str(c.Model)
	e.i64(int64(c.DialDigits))
	return e.b
}

func decodeMeterChange(b []byte, c *domain.MeterChange) error {
	d := decoder{b: b}
	c.OldFinalM3 = d.f64()
	c.NewStartM3 = d.f64()
	c.Model = d.str()
	c.DialDigits = int(d.i64())
	return d.err
}

func f64bytes(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }

func bytesF64(b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, errCorrupt
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
}

// readingLayout is the layout version of a stored reading version.
const readingLayout = 1

// minUnix and maxUnix bound the instants stored: years 1 to 9999.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// instant writes t to the nanosecond, as seconds and nanoseconds so that
// any year fits; the zero time has its own mark. It reads back in
// domain.Local.
func (e *encoder) instant(t time.Time) {
	if t.IsZero() {
		e.i64(math.MinInt64)
		return
	}
	e.i64(t.Unix())
	e.i64(int64(t.Nanosecond()))
}

func (d *decoder) instant() time.Time {
	s := d.i64()
	if s == math.MinInt64 {
		return time.Time{}
	}
	ns := d.i64()
	if ns < 0 || ns >= 1e9 || s < minUnix || s > maxUnix {
		d.fail()
		return time.Time{}
	}
	t := time.Unix(s, ns).In(domain.Local)
	if t.IsZero() { // the mark's job: a zero time written as seconds is not canonical
		d.fail()
	}
	return t
}

func (e *encoder) optF64(p *float64) {
	e.flag(p != nil)
	if p != nil {
		e.f64(*p)
	}
}

func (d *decoder) optF64() *float64 {
	switch d.u8() {
	case 0:
		return nil
	case 1:
		v := d.f64()
		return &v
	}
	d.fail()
	return nil
}

// encodeReadingVersion writes a reading version in the canonical binary
// layout: readings are read back for every validation of a reader's cycle,
// where JSON's decoding was most of an import's time.
func encodeReadingVersion(v *domain.ReadingVersion) []byte {
	e := encoder{b: make([]byte, 0, 128)}
	e.u8(readingLayout)
	e.str(v.CustomerID)
	e.i64(int64(v.Cycle))
	e.f64(v.ValueM3)
	e.instant(v.ReadAt)
	e.str(v.ReaderID)
	e.u8(uint8(v.Flags))
	e.optF64(v.ICRemaining)
	e.optF64(v.ICUsed)
	e.str(v.Remark)
	e.i64(int64(v.Version))
	e.str(string(v.Source))
	e.str(v.DeviceID)
	e.i64(int64(v.ClockSkew))
	e.instant(v.RecordedAt)
	e.str(v.RecordedBy)
	e.str(v.Why)
	return e.b
}

func decodeReadingVersion(b []byte, v *domain.ReadingVersion) error {
	d := decoder{b: b}
	if d.u8() != readingLayout {
		return errCorrupt
	}
	v.CustomerID = d.str()
	v.Cycle = domain.Month(d.i64())
	v.ValueM3 = d.f64()
	v.ReadAt = d.instant()
	v.ReaderID = d.str()
	v.Flags = domain.Flag(d.u8())
	v.ICRemaining = d.optF64()
	v.ICUsed = d.optF64()
	v.Remark = d.str()
	v.Version = int(d.i64())
	v.Source = domain.Source(d.str())
	v.DeviceID = d.str()
	v.ClockSkew = time.Duration(d.i64())
	v.RecordedAt = d.instant()
	v.RecordedBy = d.str()
	v.Why = d.str()
	if d.err == nil && len(d.b) != 0 {
		return errCorrupt
	}
	return d.err
}
