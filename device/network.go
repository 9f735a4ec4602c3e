package device

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	tabsync "meter-sync/sync"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// Network serves readers' networked handhelds (Android handhelds with a
// mobile network) through the tablet sync (sync.Readings): their route is
// the route file's rows, and their readings come back by the one readings
// path, as a docked handheld's do: written to the spool as a readings file,
// then imported by masterdata and validated with vee, so that a reading
// pushed and later docked by cable is stored once.
type Network struct {
	// SpoolDir is where the readings files are kept as they came (the
	// docking spool, DATA/spool). Required.
	SpoolDir string
	// Validation are the thresholds readings are checked with; nil means
	// vee.DefaultParams(). Its Now is set at each import.
	Validation *vee.Params
	// Logger gets the imports at INFO; nil discards.
	Logger *slog.Logger
}

var _ tabsync.Readings = (*Network)(nil)

// Route implements sync.Readings: the route, and the re-reads returned to
// the reader that are not in it, in walking order.
func (n *Network) Route(tx store.ReadTx, reader string, cycle domain.Month, now time.Time) ([]syncwire.Household, error) {
	route, err := tx.Route(reader, cycle)
	if err != nil {
		return nil, err
	}
	rereads, why, err := pendingRereads(tx, reader, cycle)
	if err != nil {
		return nil, err
	}
	in := idsOf(route)
	for i := range rereads {
		if !in[rereads[i].ID] {
			route = append(route, rereads[i])
		}
	}
	domain.SortRoute(route)
	opt := masterdata.ExportOptions{Reader: reader, Cycle: cycle, Now: func() time.Time { return now }}
	out := make([]syncwire.Household, 0, len(route))
	for i := range route {
		row, err := masterdata.RouteRow(tx, opt, &route[i])
		if err != nil {
			return nil, err
		}
		h := wireHousehold(row)
		h.RereadNote, h.Reread = why[h.ID]
		out = append(out, h)
	}
	return out, nil
}

// wireHousehold is a route file's row as the sync sends it.
func wireHousehold(r interchange.RouteRow) syncwire.Household {
	c := r.Customer
	return syncwire.Household{ID: c.ID, SeqNo: c.Seq.String(), Name: c.Name, Address: c.Address,
		MeterKind: c.Meter.Kind.String(), MeterState: c.Meter.State.String(), DialDigits: c.Meter.DialDigits,
		PrevM3: r.PrevM3, PrevDate: interchange.FormatDate(r.PrevDate), ICPurchasedM3: r.ICPurchasedM3}
}

// Import implements sync.Readings: the rows of the reader's route and
// re-reads become a readings file, spooled, and imported in tx with its good
// rows kept (masterdata.ImportIn); each row is answered.
func (n *Network) Import(tx store.Tx, b tabsync.ReadingBatch) ([]tabsync.ReadingOutcome, error) {
	outs := make([]tabsync.ReadingOutcome, len(b.Rows))
	mine, err := n.households(tx, b.Reader, b.Cycle)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := tabular.NewCSVWriter(&buf, interchange.Headers(interchange.ReadingSchema), tabular.WriteOptions{Encoding: tabular.EncodingUTF8NoBOM})
	if err != nil {
		return nil, err
	}
	line := 1 // the header's
	lines := map[int]int{}
	before := map[string]int{}
	for k, r := range b.Rows {
		if !mine[r.CustomerID] { // another reader's household answers as one that does not exist
			outs[k].Problem = &syncwire.Problem{Path: "customer_id", Rule: "not_found", Message: fmt.Sprintf("用户%s不存在", r.CustomerID)}
			continue
		}
		cells := cellsOf(r, b.Reader)
		if err := w.Write(cells); err != nil {
			return nil, err
		}
		line++
		lines[line] = k // a record's line is its first; a value's line breaks add lines
		line += strings.Count(strings.Join(cells, ""), "\n")
		vs, err := tx.ReadingVersions(r.CustomerID, b.Cycle)
		if err != nil {
			return nil, err
		}
		before[r.CustomerID] = len(vs)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return outs, nil
	}
	a := Arrival{Source: domain.FromNetwork, DeviceID: b.Device, Reader: b.Reader, Cycle: b.Cycle, ClockSkew: b.Skew, Actor: b.Actor}
	path, _, err := spool(n.SpoolDir, buf.Bytes(), a)
	if err != nil {
		return nil, err
	}
	opt := importOptions(path, a, func() time.Time { return b.Now }, n.Logger, n.Validation)
	opt.Partial = true
	res, err := masterdata.ImportIn(tx, opt, buf.Bytes())
	if err != nil {
		return nil, err
	}
	for _, e := range res.Errors {
		if k, ok := lines[e.Line]; ok {
			outs[k].Problem = rowProblem(e)
		}
	}
	return outs, n.answer(tx, b, lines, before, outs)
}

// households are the reader's route and re-reads for cycle.
func (n *Network) households(tx store.ReadTx, reader string, cycle domain.Month) (map[string]bool, error) {
	route, err := tx.Route(reader, cycle)
	if err != nil {
		return nil, err
	}
	rereads, _, err := pendingRereads(tx, reader, cycle)
	return idsOf(append(route, rereads...)), err
}

// rowProblem is a row error of the import as a problem of the reading's
// field.
func rowProblem(e *tabular.Error) *syncwire.Problem {
	field := ""
	for _, c := range interchange.ReadingSchema {
		if c.Header == e.Column {
			field = c.Key
		}
	}
	if field == "reading" {
		field = "value"
	}
	rule := "invalid"
	if field == "" {
		rule = "row"
	}
	return &syncwire.Problem{Path: field, Rule: rule, Message: e.Reason}
}

// answer fills the outcome of each row the import kept: the version that
// holds its reading, whether it was there before, and the household's
// anomalies of the cycle now.
func (n *Network) answer(tx store.Tx, b tabsync.ReadingBatch, lines map[int]int, before map[string]int, outs []tabsync.ReadingOutcome) error {
	as, err := tx.Anomalies(b.Cycle, b.Reader)
	if err != nil {
		return err
	}
	for _, k := range lines {
		if outs[k].Problem != nil {
			continue
		}
		r := b.Rows[k]
		rr, err := interchange.DecodeReading(readingCells(cellsOf(r, b.Reader)), b.Cycle)
		if err != nil {
			return fmt.Errorf("device: a reading the import kept does not decode: %w", err)
		}
		vs, err := tx.ReadingVersions(r.CustomerID, b.Cycle)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(vs, func(v domain.ReadingVersion) bool { return domain.SameReading(v.Reading, rr.Reading) })
		if i < 0 {
			return errors.New("device: a reading the import kept is not stored")
		}
		outs[k].Version, outs[k].Unchanged = vs[i].Version, vs[i].Version <= before[r.CustomerID]
		for _, a := range as {
			if a.CustomerID == r.CustomerID {
				outs[k].Anomalies = append(outs[k].Anomalies, syncwire.Anomaly{Code: a.Code, Blocking: a.Blocking, Suggest: a.Suggest})
			}
		}
	}
	return nil
}

// cellsOf is a pushed reading as a readings file's row, its line breaks
// as the CSV writer leaves them.
func cellsOf(r syncwire.Reading, reader string) []string {
	cells := []string{r.SeqNo, r.CustomerID, r.Value, r.ReadAt, reader, strings.Join(r.Flags, "|"), r.ICRemaining, r.ICUsed, r.Remark}
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "\r\n", "\n"), "\r", "\n")
	}
	return cells
}

// readingCells are a row's cells read as a readings file's reader reads
// them (interchange.Values).
type readingCells []string

func (c readingCells) Value(col int) string {
	if col < 0 || col >= len(c) {
		return ""
	}
	return strings.TrimSpace(c[col])
}
