package masterdata

import (
	"fmt"
	"os"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// ExportOptions describe one route file.
type ExportOptions struct {
	Reader   string       // 抄表员编号
	Cycle    domain.Month // the month the route is read in
	Path     string       // .csv or .xlsx
	Encoding string       // CSV only: "" (UTF-8 with BOM, as Excel wants), "utf-8-nobom" or "gbk"
	// Now is the export's clock (default time.Now): an IC meter's row shows
	// what was bought up to then, or to the cycle's end if earlier.
	Now func() time.Time
}

// ExportResult says what an export wrote.
type ExportResult struct {
	File       string
	Households int
}

// ExportRoute writes a reader's whole route for a cycle as a route file
// (interchange.RouteSchema), for a file-based handheld; filled in, it comes
// back through Import as a readings file.
func ExportRoute(st store.Store, opt ExportOptions) (ExportResult, error) {
	var res ExportResult
	err := st.View(func(tx store.ReadTx) error {
		if _, err := tx.Reader(opt.Reader); err != nil {
			return err
		}
		route, err := tx.Route(opt.Reader, opt.Cycle)
		if err != nil {
			return err
		}
		res, err = WriteRouteFile(tx, opt, route)
		return err
	})
	return res, err
}

// WriteRouteFile writes households, in the order given, as the reader's
// route file: ExportRoute gives the whole route; a re-read (退回重抄) gives
// only the households returned to the reader. Each row shows the reading
// the reader compares with (routeRow).
func WriteRouteFile(tx store.ReadTx, opt ExportOptions, households []domain.Customer) (ExportResult, error) {
	res := ExportResult{File: opt.Path}
	w, err := tabular.Create(opt.Path, interchange.Headers(interchange.RouteSchema), tabular.WriteOptions{Encoding: opt.Encoding})
	if err != nil {
		return res, err
	}
	for i := range households {
		row, err := RouteRow(tx, opt, &households[i])
		if err == nil {
			err = w.Write(interchange.EncodeRoute(row))
		}
		if err != nil {
			w.Close()
			os.Remove(opt.Path)
			return res, fmt.Errorf("masterdata: route file %s: household %s: %w", opt.Path, households[i].ID, err)
		}
		res.Households++
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("masterdata: route file %s: %w", opt.Path, err)
	}
	return res, nil
}

// RouteRow is household c's row of opt's route file: the previous reading
// is the last one before the cycle, or the start of a meter fitted since
// (新表读数), or, with neither, the meter's base (表底数). A networked
// handheld gets the same rows over the sync API.
func RouteRow(tx store.ReadTx, opt ExportOptions, c *domain.Customer) (interchange.RouteRow, error) {
	row := interchange.RouteRow{Customer: c, PrevM3: c.Meter.BaseM3, ReaderID: opt.Reader}
	hist, err := tx.History(c.ID)
	if err != nil {
		return row, err
	}
	changes, err := tx.MeterChanges(c.ID)
	if err != nil {
		return row, err
	}
	start := opt.Cycle.Start()
	for _, h := range hist {
		if h.Date.Before(start) {
			row.PrevM3, row.PrevDate = h.ValueM3, h.Date
		}
	}
	for _, ch := range changes {
		if ch.At.After(row.PrevDate) && ch.At.Before(opt.Cycle.End()) {
			row.PrevM3, row.PrevDate = ch.NewStartM3, domain.DayOf(ch.At)
		}
	}
	if c.Meter.Kind == domain.KindIC {
		bought, err := tx.Purchases(c.ID)
		if err != nil {
			return row, err
		}
		sum, _ := vee.Purchased(&vee.Household{Purchases: bought, Changes: changes}, purchaseCutoff(opt))
		row.ICPurchasedM3 = &sum
	}
	return row, nil
}

// purchaseCutoff is the instant up to which an IC meter's purchases are
// shown: the export, or the end of the cycle when the route of a past
// month is written again.
func purchaseCutoff(opt ExportOptions) time.Time {
	now := time.Now()
	if opt.Now != nil {
		now = opt.Now()
	}
	if end := opt.Cycle.End(); end.Before(now) {
		return end
	}
	return now
}
