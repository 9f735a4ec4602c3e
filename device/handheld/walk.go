package handheld

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/tabular"
)

// FlagMix is how often a walk meets each kind of household, as a fraction of
// the households walked.
type FlagMix struct {
	Estimated    float64 // nobody home or the door closed: the reading is estimated (估抄)
	Unauthorized float64 // gas used without ignition (私自点火)
	Broken       float64 // the meter is broken (表坏): the reading stays
	Vacant       float64 // nobody lives there: no gas used
}

// DefaultMix is a month of ordinary walking.
func DefaultMix() FlagMix {
	return FlagMix{Estimated: 0.06, Unauthorized: 0.02, Broken: 0.01, Vacant: 0.05}
}

// WalkOptions control a walk. The zero value walks every unread household
// with generated readings, seed 0, starting at the handheld's clock.
type WalkOptions struct {
	Seed  uint64    // the same seed, route and start give the same readings
	Now   time.Time // when the walk starts; zero means the handheld's clock
	Mix   *FlagMix  // nil means DefaultMix
	From  string    // a readings file (.csv or .xlsx) to take the readings from instead of generating them
	Limit int       // walk at most this many households; 0 means all
}

// WalkResult counts what a walk entered.
type WalkResult struct {
	Read         int // readings entered
	Estimated    int // of which 估抄
	Unauthorized int // of which 私自点火
	Broken       int // of which 表坏
	Added        int // readings of households neither on the route nor re-reads (from a file)
	Skipped      int // households the file had no reading for
}

// Walk walks the loaded route in order, then the re-reads, visiting every
// household not yet read, and enters a reading for each: generated from the
// route's previous reading, or taken from the readings file opt.From. Every
// reading is its own transaction, as a reader saving it on the handheld.
func Walk(s *Store, opt WalkOptions) (WalkResult, error) {
	route, err := s.Route()
	if err != nil {
		return WalkResult{}, err
	}
	rereads, err := s.Rereads()
	if err != nil {
		return WalkResult{}, err
	}
	stops := walkOrder(route.Households, rereads, opt.Limit)
	if opt.From != "" {
		return walkFile(s, route, stops, opt.From)
	}
	clock, err := s.Now()
	if err != nil {
		return WalkResult{}, err
	}
	if opt.Now.IsZero() {
		opt.Now = walkStart(route.Cycle, clock)
	}
	mix := DefaultMix()
	if opt.Mix != nil {
		mix = *opt.Mix
	}
	until := clock
	if opt.Now.After(clock) { // a walk started ahead of the clock on purpose
		until = time.Time{}
	}
	g := &generator{rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)), mix: mix, at: opt.Now, until: until}
	var res WalkResult
	for _, st := range stops {
		row := g.reading(st)
		if _, err := s.Record(row); err != nil {
			return res, err
		}
		res.count(row.Flags)
	}
	return res, nil
}

// walkStart is when a walk with no start given begins: the morning of the
// cycle's first day when that is past, so that a whole route walked at once
// reads within its month and not in the future; else the handheld's clock.
func walkStart(cycle string, clock time.Time) time.Time {
	m, err := domain.ParseMonth(cycle)
	if err != nil {
		return clock
	}
	first := m.Start().Add(8 * time.Hour)
	if first.Before(clock) {
		return first
	}
	return clock
}

// walkOrder lists the unread households, route first, at most limit.
func walkOrder(route, rereads []Household, limit int) []Household {
	var stops []Household
	for _, hs := range [][]Household{route, rereads} {
		for _, h := range hs {
			if !h.Read && (limit == 0 || len(stops) < limit) {
				stops = append(stops, h)
			}
		}
	}
	return stops
}

func (r *WalkResult) count(f domain.Flag) {
	r.Read++
	if f&domain.FlagEstimated != 0 {
		r.Estimated++
	}
	if f&domain.FlagUnauthorized != 0 {
		r.Unauthorized++
	}
	if f&domain.FlagBroken != 0 {
		r.Broken++
	}
}

// generator makes plausible readings.
type generator struct {
	rng   *rand.Rand
	mix   FlagMix
	at    time.Time // the time of the next reading
	until time.Time // no reading is taken later: the handheld's clock
}

// reading is the reading of household h, taken a few minutes after the last.
func (g *generator) reading(h Household) interchange.ReadingRow {
	at := g.next()
	row := interchange.ReadingRow{SeqNo: h.SeqNo, Reading: domain.Reading{
		CustomerID: h.CustomerID, ReadAt: at, ReaderID: h.ReaderID}}
	use := g.use(h, at)
	switch p, m := g.rng.Float64(), g.mix; {
	case p < m.Estimated:
		row.Flags = domain.FlagEstimated | []domain.Flag{domain.FlagNobodyHome, domain.FlagDoorClosed}[g.rng.IntN(2)]
		use = math.Round(use) // an estimate is a round figure
	case p < m.Estimated+m.Unauthorized:
		row.Flags = domain.FlagUnauthorized
		use = math.Max(use, 1+float64(g.rng.IntN(20)))
	case p < m.Estimated+m.Unauthorized+m.Broken:
		row.Flags, row.Remark, use = domain.FlagBroken, "表不走字", 0
	case p < m.Estimated+m.Unauthorized+m.Broken+m.Vacant, h.MeterState != "" && h.MeterState != domain.StateGasOn.String():
		use = 0 // a meter not 通气 has no use unless someone lit it (私自点火)
	}
	row.ValueM3 = h.PrevM3 + use
	if h.IC() {
		row.ICRemaining, row.ICUsed = g.ic(h, use, row.ValueM3)
	}
	return row
}

// next advances the clock by a few minutes, to the next morning after work
// hours.
func (g *generator) next() time.Time {
	g.at = g.at.Add(time.Duration(60+g.rng.IntN(240)) * time.Second).Truncate(time.Second)
	if local := g.at.In(domain.Local); local.Hour() >= 18 {
		y, m, d := local.Date()
		g.at = time.Date(y, m, d+1, 8, 30, 0, 0, domain.Local)
	}
	if !g.until.IsZero() && g.at.After(g.until) {
		g.at = g.until // the rest are read now: a reading is never dated ahead
	}
	return g.at
}

// use is the gas used since the previous reading: 0.1 to 0.6 m³ a day (3 to
// 18 m³ a month, a household's cooking and hot water), in whole m³ as a
// register is read.
func (g *generator) use(h Household, at time.Time) float64 {
	days := 60.0
	if !h.PrevDate.IsZero() && at.After(h.PrevDate) {
		days = at.Sub(h.PrevDate).Hours() / 24
	}
	return math.Round(days * (0.1 + 0.5*g.rng.Float64()))
}

// ic is an IC meter's remaining and used volumes: carried on from the route's
// last survey, so that remaining + used still equals what was bought; or
// split from what the server says was bought (IC累计购气量), used being what
// the register has counted; or, with neither, plausible (used counted from
// a zero start).
func (g *generator) ic(h Household, use, value float64) (remaining, used *float64) {
	var rem, u float64
	switch {
	case h.ICRemaining != nil && h.ICUsed != nil:
		u = *h.ICUsed + use
		rem = math.Max(0, *h.ICRemaining-use)
	case h.ICPurchased != nil:
		u = math.Min(value, *h.ICPurchased)
		rem = *h.ICPurchased - u
	default:
		u = value
		rem = math.Round(float64(5+g.rng.IntN(1500))) / 10
	}
	return &rem, &u
}

// walkFile enters the readings of a readings file: the route's households in
// walking order, then the file's other rows in file order (households added
// by the reader, read before, or read twice: the last reading stands), so
// that none is dropped.
func walkFile(s *Store, route Route, stops []Household, path string) (WalkResult, error) {
	cycle, err := domain.ParseMonth(route.Cycle)
	if err != nil {
		return WalkResult{}, fmt.Errorf("handheld: walk: route cycle %q: %v", route.Cycle, err)
	}
	rows, err := readReadings(path, cycle)
	if err != nil {
		return WalkResult{}, err
	}
	byID := map[string]int{}
	for i, r := range rows {
		if _, dup := byID[r.CustomerID]; !dup {
			byID[r.CustomerID] = i
		}
	}
	var res WalkResult
	used := make([]bool, len(rows))
	for _, st := range stops {
		i, ok := byID[st.CustomerID]
		if !ok || used[i] {
			res.Skipped++
			continue
		}
		used[i] = true
		if err := res.record(s, rows[i]); err != nil {
			return res, err
		}
	}
	for i, r := range rows {
		if !used[i] {
			if err := res.record(s, r); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

func (res *WalkResult) record(s *Store, row interchange.ReadingRow) error {
	r, err := s.Record(row)
	if err != nil {
		return err
	}
	res.count(r.Flags)
	if r.OffRoute {
		res.Added++
	}
	return nil
}

// readReadings reads a readings file of cycle; a file with a bad row gives
// every bad row's location and nothing else.
func readReadings(path string, cycle domain.Month) ([]interchange.ReadingRow, error) {
	r, err := tabular.Open(path, interchange.ReadingSchema, tabular.Options{})
	if err != nil {
		return nil, fmt.Errorf("handheld: walk: %w", err)
	}
	defer r.Close()
	var rows []interchange.ReadingRow
	err = readRows(r, func(row *tabular.Row) []error {
		rr, err := interchange.DecodeReading(row, cycle)
		var re interchange.RowError
		if !errors.As(err, &re) {
			rows = append(rows, rr)
			return nil
		}
		errs := make([]error, len(re))
		for i, ce := range re {
			errs[i] = r.Errorf(row, ce.Col, "%s", ce.Reason)
		}
		return errs
	})
	if err != nil {
		return nil, fmt.Errorf("handheld: walk: %w", err)
	}
	return rows, nil
}
