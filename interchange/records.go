package interchange

import (
	"strings"

	"meter-sync/domain"
)

// ReaderRow is one row of the readers file.
type ReaderRow struct {
	Reader domain.Reader
	Books  []string      // route books, each 4 digits
	From   *domain.Month // 生效月份, nil when not given
}

// DecodeReader reads a readers row.
func DecodeReader(v Values) (ReaderRow, error) {
	d := &rowDecoder{v: v}
	r := ReaderRow{Reader: domain.Reader{ID: d.required(RReaderID), Name: d.required(RName)}}
	for _, b := range strings.Fields(d.required(RBooks)) {
		if err := domain.CheckAssignment(domain.Assignment{Book: b}); err != nil {
			d.addDomainErrors(ReaderSchema, err, RBooks)
			continue
		}
		r.Books = append(r.Books, b)
	}
	if v.Value(RFrom) != "" {
		m := parse(d, RFrom, false, domain.ParseMonth)
		r.From = &m
	}
	return r, d.err()
}

// EncodeReader writes a readers row.
func EncodeReader(r ReaderRow) []string {
	from := ""
	if r.From != nil {
		from = r.From.String()
	}
	return []string{r.Reader.ID, r.Reader.Name, strings.Join(r.Books, " "), from}
}

// DecodeHistory reads a history row.
func DecodeHistory(v Values) (domain.HistoryReading, error) {
	d := &rowDecoder{v: v}
	h := domain.HistoryReading{CustomerID: d.required(HCustomerID), ValueM3: d.number(HReading, 0)}
	if d.required(HReading) != "" && d.required(HReadDate) != "" {
		h.Date = d.date(HReadDate)
	}
	if len(d.errs) == 0 {
		d.addDomainErrors(HistorySchema, h.Validate(), HReading)
	}
	return h, d.err()
}

// EncodeHistory writes a history row.
func EncodeHistory(h domain.HistoryReading) []string {
	return []string{h.CustomerID, FormatDate(h.Date), FormatNumber(h.ValueM3)}
}

// DecodePurchase reads an ic_purchases row. N is left 0; the importer numbers
// purchases that share an instant.
func DecodePurchase(v Values) (domain.ICPurchase, error) {
	d := &rowDecoder{v: v}
	p := domain.ICPurchase{CustomerID: d.required(PCustomerID), At: d.instant(PAt)}
	if d.required(PVolume) != "" {
		p.VolumeM3 = d.number(PVolume, 0)
	}
	if len(d.errs) == 0 {
		d.addDomainErrors(PurchaseSchema, p.Validate(), PVolume)
	}
	return p, d.err()
}

// EncodePurchase writes an ic_purchases row.
func EncodePurchase(p domain.ICPurchase) []string {
	return []string{p.CustomerID, FormatTime(p.At), FormatNumber(p.VolumeM3)}
}

// DecodeMeterChange reads a meter_changes row.
func DecodeMeterChange(v Values) (domain.MeterChange, error) {
	d := &rowDecoder{v: v}
	c := domain.MeterChange{
		CustomerID: d.required(MCustomerID),
		At:         d.instant(MAt),
		Model:      v.Value(MModel),
		DialDigits: d.integer(MDialDigits, domain.DefaultDialDigits),
	}
	if d.required(MOldFinal) != "" && d.required(MNewStart) != "" {
		c.OldFinalM3 = d.number(MOldFinal, 0)
		c.NewStartM3 = d.number(MNewStart, 0)
	}
	if len(d.errs) == 0 {
		d.addDomainErrors(MeterChangeSchema, c.Validate(), MNewStart)
	}
	return c, d.err()
}

// EncodeMeterChange writes a meter_changes row.
func EncodeMeterChange(c domain.MeterChange) []string {
	return []string{c.CustomerID, FormatTime(c.At), FormatNumber(c.OldFinalM3), FormatNumber(c.NewStartM3),
		c.Model, FormatNumber(float64(c.DialDigits))}
}

// ReadingRow is one row of a readings file.
type ReadingRow struct {
	domain.Reading
	SeqNo string // 抄表序号 as the handheld had it, checked against the store by the importer
}

// DecodeReading reads a readings row of cycle.
func DecodeReading(v Values, cycle domain.Month) (ReadingRow, error) {
	d := &rowDecoder{v: v}
	r := ReadingRow{SeqNo: v.Value(GSeqNo), Reading: domain.Reading{
		CustomerID:  d.required(GCustomerID),
		Cycle:       cycle,
		ReadAt:      d.instant(GReadAt),
		ReaderID:    v.Value(GReaderID),
		Flags:       parse(d, GFlags, false, domain.ParseFlags),
		ICRemaining: d.optNumber(GICRemaining),
		ICUsed:      d.optNumber(GICUsed),
		Remark:      v.Value(GRemark),
	}}
	if d.required(GReading) != "" {
		r.ValueM3 = d.number(GReading, 0)
	}
	if len(d.errs) == 0 {
		d.addDomainErrors(ReadingSchema, r.Validate(), GReading)
	}
	return r, d.err()
}

// EncodeReading writes a readings row.
func EncodeReading(r ReadingRow) []string {
	return []string{r.SeqNo, r.CustomerID, FormatNumber(r.ValueM3), FormatTime(r.ReadAt), r.ReaderID,
		r.Flags.String(), formatOpt(r.ICRemaining), formatOpt(r.ICUsed), r.Remark}
}

// Label is one ground-truth row the city generator writes: an anomaly it
// injected into a reading, or a trap that must not be flagged.
type Label struct {
	CustomerID string
	ReaderID   string
	Cycle      domain.Month
	Code       string // an anomaly code of DESIGN §5.2, or the trap's name
	Kind       string // "anomaly" or "trap"
	Note       string
}

// Label kinds.
const (
	LabelAnomaly = "anomaly"
	LabelTrap    = "trap"
)

// EncodeLabel writes a labels row.
func EncodeLabel(l Label) []string {
	return []string{l.CustomerID, l.ReaderID, l.Cycle.String(), l.Code, l.Kind, l.Note}
}

// DecodeLabel reads a labels row.
func DecodeLabel(v Values) (Label, error) {
	d := &rowDecoder{v: v}
	l := Label{CustomerID: d.required(LCustomerID), ReaderID: d.required(LReaderID),
		Cycle: parse(d, LCycle, true, domain.ParseMonth), Code: d.required(LCode),
		Kind: d.required(LKind), Note: v.Value(LNote)}
	if l.Kind != "" && l.Kind != LabelAnomaly && l.Kind != LabelTrap {
		d.fail(LKind, "应为anomaly或trap,实为%q", l.Kind)
	}
	return l, d.err()
}
