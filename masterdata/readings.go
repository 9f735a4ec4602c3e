package masterdata

import (
	"fmt"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/vee"
)

// Why of the reading versions an import appends. An imported version
// stands beside the household's earlier ones, so that two different
// readings of one household in a cycle are DUPLICATE (DESIGN §5.2). A
// version with any other Why (WhyReread, a correction) replaces the ones
// before it: validation judges it alone.
const (
	WhyImport = "导入"
	// WhyReread is the Why of a reading imported for a household whose
	// anomaly a reviewer returned to the reader (退回重抄, status
	// store.AnomalyReturned): the re-read replaces what was read before.
	WhyReread = "重抄"
)

// readingHandler imports one reader's readings for one cycle: each row
// becomes a reading version unless the store already has that reading, and
// when all rows are in, the reader's readings of the cycle are validated as
// a whole and the anomalies stored (finish).
type readingHandler struct {
	*run
	params vee.Params
	// seqs holds, by 用户编号, the 抄表序号 cells of this file's rows, to be
	// checked against the households of the route. Only apply (the
	// transaction's goroutine) touches it.
	seqs map[string][]seqCell
	// returned holds the households a reviewer sent back for a re-read.
	returned map[string]bool
}

// seqCell is a row's 抄表序号 and where it was.
type seqCell struct {
	seq  string
	line int
}

// noReading is a row that names a household and holds no reading: a route
// file's household the reader did not read.
type noReading struct{}

// readingCols are the columns a reader fills; a row with all of them blank
// holds no reading.
var readingCols = []int{interchange.GReading, interchange.GReadAt, interchange.GFlags,
	interchange.GICRemaining, interchange.GICUsed, interchange.GRemark}

func newReadingHandler(u *run) handler {
	p := vee.DefaultParams()
	if u.opt.Validation != nil {
		p = *u.opt.Validation
	}
	if p.Now.IsZero() {
		p.Now = u.opt.Now()
	}
	return &readingHandler{run: u, params: p, seqs: map[string][]seqCell{}}
}

// start refuses a reader the store does not know and finds the households
// returned to the reader for a re-read.
func (h *readingHandler) start(tx store.Tx) error {
	if _, err := tx.Reader(h.opt.Reader); err != nil {
		return err
	}
	as, err := tx.Anomalies(h.opt.Cycle, h.opt.Reader)
	h.returned = map[string]bool{}
	for _, a := range as {
		if a.Status == store.AnomalyReturned {
			h.returned[a.CustomerID] = true
		}
	}
	return err
}

func (h *readingHandler) decode(d *decoded) (any, error) {
	if blankCells(d.cells, readingCols) {
		return noReading{}, nil
	}
	rr, err := interchange.DecodeReading(d.cells, h.opt.Cycle)
	if err != nil {
		return nil, h.rowError(d, err)
	}
	switch {
	case rr.ReaderID != "" && rr.ReaderID != h.opt.Reader:
		return nil, h.fail(d, interchange.GReaderID, "抄表员编号%s与导入的抄表员%s不符", rr.ReaderID, h.opt.Reader)
	case rr.SeqNo != "" && !seqDigits(rr.SeqNo):
		return nil, h.fail(d, interchange.GSeqNo, "%q不是抄表序号(应为10至12位数字)", rr.SeqNo)
	}
	rr.ReaderID = h.opt.Reader
	return &rr, nil
}

// seqDigits reports whether s can be a 抄表序号: 10 to 12 digits, the
// lengths of the four layouts (domain.SeqNo).
func seqDigits(s string) bool {
	if len(s) < 10 || len(s) > 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func blankCells(c cells, cols []int) bool {
	for _, col := range cols {
		if c.Value(col) != "" {
			return false
		}
	}
	return true
}

// apply stores a row's reading as a new version, unless one of the
// household's versions for the cycle already says the same: importing a
// file again, or a file that repeats part of an earlier one, changes
// nothing (DESIGN §5.9).
func (h *readingHandler) apply(tx store.Tx, d *decoded) (outcome, error) {
	rr, ok := d.rec.(*interchange.ReadingRow)
	if !ok {
		return skipped, nil
	}
	id := rr.CustomerID
	h.seqs[id] = append(h.seqs[id], seqCell{seq: rr.SeqNo, line: d.line})
	versions, err := tx.ReadingVersions(id, h.opt.Cycle)
	if err != nil {
		return 0, err
	}
	for i := range versions {
		if domain.SameReading(versions[i].Reading, rr.Reading) {
			return unchanged, nil
		}
	}
	why := WhyImport
	if h.returned[id] {
		why = WhyReread
	}
	stored, _, err := tx.AppendReading(domain.ReadingVersion{Reading: rr.Reading, Source: h.opt.Source,
		DeviceID: h.opt.DeviceID, ClockSkew: h.opt.ClockSkew,
		RecordedAt: h.opt.Now(), RecordedBy: h.opt.Actor, Why: why})
	if err != nil || stored.Version == 1 {
		return created, err
	}
	return updated, h.audit(tx, "reading.version", id, d, versions[len(versions)-1], stored)
}

// finish validates the reader's current readings of the cycle against the
// route and brings the stored anomalies up to date.
func (h *readingHandler) finish(tx store.Tx) error {
	route, err := loadRoute(tx, h.opt.Reader, h.opt.Cycle)
	if err != nil {
		return err
	}
	all, err := tx.ReadingsOf(h.opt.Cycle, h.opt.Reader)
	if err != nil {
		return err
	}
	cur := current(all)
	readings := make([]domain.Reading, len(cur))
	for i := range cur {
		readings[i] = cur[i].Reading
	}
	f := &findings{cycle: h.opt.Cycle, reader: h.opt.Reader, now: h.opt.Now(), found: map[store.AnomalyKey]store.Anomaly{}}
	f.addResults(vee.Batch(route, readings, h.params), cur)
	f.checkSeqs(route, h.seqs)
	return h.reconcile(tx, f)
}

// current picks, from a reader's versions of a cycle (by household, oldest
// first), the ones validation judges: every imported version of a household
// since the latest version that replaced the ones before it (any Why but
// WhyImport).
// Versions are distinct (apply appends none that a version already says),
// so a household with two is one read twice with different results.
func current(all []domain.ReadingVersion) []domain.ReadingVersion {
	out := make([]domain.ReadingVersion, 0, len(all))
	for lo := 0; lo < len(all); {
		hi, from := lo+1, lo
		for hi < len(all) && all[hi].CustomerID == all[lo].CustomerID {
			hi++
		}
		for i := lo; i < hi; i++ {
			if all[i].Why != WhyImport {
				from = i
			}
		}
		out = append(out, all[from:hi]...)
		lo = hi
	}
	return out
}

// loadRoute is the reader's route for the cycle as validation needs it:
// each household with its history, IC purchases and meter exchanges.
func loadRoute(tx store.ReadTx, reader string, cycle domain.Month) ([]vee.Household, error) {
	cs, err := tx.Route(reader, cycle)
	if err != nil {
		return nil, err
	}
	route := make([]vee.Household, len(cs))
	for i := range cs {
		h := &route[i]
		h.Customer = cs[i]
		var err1, err2, err3 error
		h.History, err1 = tx.History(cs[i].ID)
		h.Purchases, err2 = tx.Purchases(cs[i].ID)
		h.Changes, err3 = tx.MeterChanges(cs[i].ID)
		if err := firstErr(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("route of %s: household %s: %w", reader, cs[i].ID, err)
		}
	}
	return route, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
