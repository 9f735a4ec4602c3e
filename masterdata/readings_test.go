package masterdata

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// A city of 2,000 households: its reader R001 has every code of DESIGN
// §5.2 the generator plants but MISSED (found at commit), and a ROLLOVER
// and a meter exchange among the traps.
const (
	testHouseholds = 2000
	testReader     = "R001"
)

// cityStore generates a city, writes its files under a temporary folder and
// imports its master files; it returns the store, the city and the folder.
func cityStore(t *testing.T) (store.Store, *fixtures.City, string) {
	t.Helper()
	city, err := fixtures.Generate(fixtures.Options{Households: testHouseholds, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := city.Write(dir); err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	for _, kind := range Kinds() {
		if _, err := importFile(t, db, kind, filepath.Join(dir, string(kind)+".csv"), false); err != nil {
			t.Fatalf("importing %s: %v", kind, err)
		}
	}
	return db, city, dir
}

func readingsFile(dir string, city *fixtures.City, reader string) string {
	return filepath.Join(dir, "readings", city.Cycle.String(), reader+".csv")
}

func importReadings(t *testing.T, db store.Store, path, reader string, cycle domain.Month) (Result, error) {
	t.Helper()
	return Import(db, Options{Kind: interchange.Readings, Path: path, Reader: reader, Cycle: cycle,
		Now: func() time.Time { return importDay }})
}

// labelled is what a correct validator raises for reader at import, as
// "用户编号 CODE": the labels of kind anomaly but MISSED, which is found at
// commit, and the ROLLOVER traps, where ROLLOVER (info) is right (package
// vee/score reads the labels the same way).
func labelled(city *fixtures.City, reader string) []string {
	var out []string
	for _, l := range city.Labels {
		if l.ReaderID != reader || l.Code == string(vee.CodeMissed) ||
			(l.Kind == interchange.LabelTrap && l.Code != fixtures.TrapRollover) {
			continue
		}
		out = append(out, l.CustomerID+" "+l.Code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func storedAnomalies(t *testing.T, db store.Store, cycle domain.Month, reader string) []store.Anomaly {
	t.Helper()
	var as []store.Anomaly
	if err := db.View(func(tx store.ReadTx) error {
		var err error
		as, err = tx.Anomalies(cycle, reader)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return as
}

func anomalyKeys(as []store.Anomaly) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.CustomerID + " " + a.Code
	}
	slices.Sort(out)
	return out
}

func TestReadingsImportFindsTheLabelledAnomalies(t *testing.T) {
	db, city, dir := cityStore(t)
	path := readingsFile(dir, city, testReader)
	res, err := importReadings(t, db, path, testReader, city.Cycle)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows == 0 || res.Created+res.Updated != res.Rows || res.Updated == 0 {
		t.Errorf("first import: %+v; want every row stored, the DUPLICATE second readings as second versions", res)
	}
	got := storedAnomalies(t, db, city.Cycle, testReader)
	if g, w := anomalyKeys(got), labelled(city, testReader); !slices.Equal(g, w) {
		t.Fatalf("stored anomalies differ from the labels:\n got %v\nwant %v", g, w)
	}
	codes := map[string]bool{}
	for _, a := range got {
		codes[a.Code] = true
		if a.Status != store.AnomalyOpen || a.Version != 1 || len(a.Evidence) == 0 || a.Suggest == "" ||
			a.Blocking != vee.Code(a.Code).Blocking() || !a.DetectedAt.Equal(importDay) {
			t.Errorf("anomaly %+v: want open, version 1, with evidence and a suggestion", a)
		}
		if a.ReadingVersion == 0 {
			t.Errorf("anomaly %s %s names no reading version", a.CustomerID, a.Code)
		}
	}
	for _, c := range []vee.Code{vee.CodeLargeVolume, vee.CodeICMismatch, vee.CodeUnauthorizedUse, vee.CodeNegative,
		vee.CodeRollover, vee.CodeZeroStreak, vee.CodeOutOfWindow, vee.CodeDuplicate, vee.CodeUnknown, vee.CodeEstimated} {
		if !codes[string(c)] || res.Anomalies[string(c)] == 0 {
			t.Errorf("no %s among the anomalies (the test city should have one); counts %v", c, res.Anomalies)
		}
	}
	if res.AnomalyChanges.Added != len(got) {
		t.Errorf("AnomalyChanges = %+v, want %d added", res.AnomalyChanges, len(got))
	}

	again, err := importReadings(t, db, path, testReader, city.Cycle)
	if err != nil || again.Unchanged != again.Rows || again.AnomalyChanges != (AnomalyChanges{}) {
		t.Fatalf("re-import: %+v, %v; want every row unchanged and no anomaly touched", again, err)
	}
	after := storedAnomalies(t, db, city.Cycle, testReader)
	for i := range after {
		if after[i].Version != 1 || !after[i].SameFinding(&got[i]) {
			t.Errorf("after the re-import: %+v, was %+v", after[i], got[i])
		}
	}
	var audit []store.AuditEntry
	db.View(func(tx store.ReadTx) error {
		audit, err = tx.SearchAudit(store.AuditQuery{Action: "import.readings"})
		return err
	})
	if len(audit) != 1 || audit[0].Key != testReader || !strings.Contains(audit[0].Note, "anomalies added") {
		t.Errorf("audit of the imports = %+v, want one entry for the first", audit)
	}
}

// TestPartialFilesAreValidatedAsAWhole imports a reader's file in two halves
// and finds what the whole file gives.
func TestPartialFilesAreValidatedAsAWhole(t *testing.T) {
	db, city, _ := cityStore(t)
	whole, _, wholeDir := cityStore(t)
	if _, err := importReadings(t, whole, readingsFile(wholeDir, city, testReader), testReader, city.Cycle); err != nil {
		t.Fatal(err)
	}
	rows := city.Readings[0].Rows
	half := len(rows) / 2
	for i, part := range [][]interchange.ReadingRow{rows[:half], rows[half:]} {
		path := writeRows(t, fmt.Sprintf("part%d.csv", i), interchange.Readings, tabular.WriteOptions{}, encodeReadings(part)...)
		if _, err := importReadings(t, db, path, testReader, city.Cycle); err != nil {
			t.Fatal(err)
		}
	}
	got, want := storedAnomalies(t, db, city.Cycle, testReader), storedAnomalies(t, whole, city.Cycle, testReader)
	if len(got) != len(want) {
		t.Fatalf("two halves give %d anomalies, the whole file %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].SameFinding(&want[i]) {
			t.Errorf("two halves:\n%+v\nthe whole file:\n%+v", got[i], want[i])
		}
	}
}

func encodeReadings(rows []interchange.ReadingRow) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = interchange.EncodeReading(r)
	}
	return out
}

func TestReadingRowErrors(t *testing.T) {
	db, city, _ := cityStore(t)
	good := interchange.EncodeReading(city.Readings[0].Rows[0])
	tests := []struct {
		name   string
		col    int
		value  string
		column string
		reason string
	}{
		{"another reader's row", interchange.GReaderID, "R002", "抄表员编号", "与导入的抄表员R001不符"},
		{"not a 抄表序号", interchange.GSeqNo, "12-01", "抄表序号", "不是抄表序号"},
		{"no reading", interchange.GReading, "", "本次读数", "不能为空"},
		{"not a number", interchange.GReading, "一百", "本次读数", "不是数字"},
		{"no read time", interchange.GReadAt, "", "抄表时间", "不能为空"},
		{"unknown flag", interchange.GFlags, "狗", "标记", "未知标记"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := slices.Clone(good)
			bad[tc.col] = tc.value
			path := writeRows(t, "bad.csv", interchange.Readings, tabular.WriteOptions{}, good, bad)
			res, err := importReadings(t, db, path, testReader, city.Cycle)
			if !errors.Is(err, ErrBadRows) || res.Rejected != 1 {
				t.Fatalf("import: %+v, %v; want one bad row", res, err)
			}
			if e := res.Errors[0]; e.Line != 3 || e.Column != tc.column || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("error %q at line %d column %q; want line 3 column %s, %q", e, e.Line, e.Column, tc.column, tc.reason)
			}
			if as := storedAnomalies(t, db, city.Cycle, testReader); len(as) != 0 {
				t.Errorf("a refused file left %d anomalies", len(as))
			}
		})
	}
}

func TestReadingsOptions(t *testing.T) {
	db, city, dir := cityStore(t)
	path := readingsFile(dir, city, testReader)
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"no reader", Options{Kind: interchange.Readings, Path: path, Cycle: city.Cycle}, "needs its reader"},
		{"no cycle", Options{Kind: interchange.Readings, Path: path, Reader: testReader}, "needs its reader"},
		{"reader for customers", Options{Kind: interchange.Customers, Path: path, Reader: testReader}, "not customers"},
		{"cycle for history", Options{Kind: interchange.History, Path: path, Cycle: city.Cycle}, "not history"},
		{"unknown reader", Options{Kind: interchange.Readings, Path: path, Reader: "R999", Cycle: city.Cycle}, "R999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Import(db, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// routeHousehold returns the i-th row of the reader's file that names a
// household of the route, and the route.
func routeHousehold(t *testing.T, db store.Store, city *fixtures.City, i int) (interchange.ReadingRow, []domain.Customer) {
	t.Helper()
	var route []domain.Customer
	db.View(func(tx store.ReadTx) error {
		var err error
		route, err = tx.Route(testReader, city.Cycle)
		return err
	})
	in := map[string]bool{}
	for _, c := range route {
		in[c.ID] = true
	}
	for _, r := range city.Readings[0].Rows {
		if in[r.CustomerID] && r.SeqNo != "" {
			if i == 0 {
				return r, route
			}
			i--
		}
	}
	t.Fatal("no such row")
	return interchange.ReadingRow{}, nil
}

// TestSeqMismatchIsAnAnomaly: a row whose 抄表序号 is another household's
// is stored and raises UNKNOWN with both numbers; only a row of that
// household can clear it.
func TestSeqMismatchIsAnAnomaly(t *testing.T) {
	db, city, _ := cityStore(t)
	row, _ := routeHousehold(t, db, city, 10)
	other, _ := routeHousehold(t, db, city, 11)
	swapped := row
	swapped.SeqNo = other.SeqNo
	key := store.AnomalyKey{Cycle: city.Cycle, ReaderID: testReader, CustomerID: row.CustomerID, Code: string(vee.CodeUnknown)}
	path := writeRows(t, "swapped.csv", interchange.Readings, tabular.WriteOptions{}, interchange.EncodeReading(swapped))
	if res, err := importReadings(t, db, path, testReader, city.Cycle); err != nil || res.Created != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	a := anomalyAt(t, db, key)
	ev := fmt.Sprint(a.Evidence)
	if a.Source != SeqCheckSource || !strings.Contains(ev, other.SeqNo) || !strings.Contains(ev, row.SeqNo) ||
		!strings.Contains(ev, other.CustomerID) || a.ReadingVersion != 1 || !a.Blocking {
		t.Fatalf("抄表序号 anomaly = %+v", a)
	}
	elsewhere := writeRows(t, "other.csv", interchange.Readings, tabular.WriteOptions{}, interchange.EncodeReading(other))
	if res, err := importReadings(t, db, elsewhere, testReader, city.Cycle); err != nil || res.AnomalyChanges.Removed != 0 {
		t.Fatalf("a file without the household: %+v, %v; want the anomaly kept", res, err)
	}
	anomalyAt(t, db, key)
	fixed := writeRows(t, "fixed.csv", interchange.Readings, tabular.WriteOptions{}, interchange.EncodeReading(row))
	res, err := importReadings(t, db, fixed, testReader, city.Cycle)
	if err != nil || res.Unchanged != 1 || res.AnomalyChanges.Removed != 1 {
		t.Fatalf("the row again with its own 抄表序号: %+v, %v; want the reading unchanged, the anomaly removed", res, err)
	}
}

func anomalyAt(t *testing.T, db store.Store, k store.AnomalyKey) store.Anomaly {
	t.Helper()
	var a store.Anomaly
	if err := db.View(func(tx store.ReadTx) error {
		var err error
		a, err = tx.Anomaly(k)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReviewedHouseholds: a reviewer's decisions survive later imports; a
// household returned for a re-read gets the re-read as a version that
// replaces the reading before (no DUPLICATE); an open anomaly on a reading
// that a correction replaced is removed.
func TestReviewedHouseholds(t *testing.T) {
	db, city, dir := cityStore(t)
	path := readingsFile(dir, city, testReader)
	if _, err := importReadings(t, db, path, testReader, city.Cycle); err != nil {
		t.Fatal(err)
	}
	found := map[string]store.Anomaly{}
	for _, a := range storedAnomalies(t, db, city.Cycle, testReader) {
		found[a.Code] = a
	}
	large, negative, estimated := found[string(vee.CodeLargeVolume)], found[string(vee.CodeNegative)], found[string(vee.CodeEstimated)]
	large.Status = store.AnomalyConfirmed
	large.Decisions = append(large.Decisions, store.Decision{By: "clerk1", Role: "clerk", At: importDay, Action: "confirm", Why: "用户确认"})
	negative.Status = store.AnomalyReturned
	negative.Decisions = append(negative.Decisions, store.Decision{By: "clerk1", Role: "clerk", At: importDay, Action: "reread", Why: "读数倒退"})
	if err := db.Update(func(tx store.Tx) error {
		_, err1 := tx.PutAnomaly(large)
		_, err2 := tx.PutAnomaly(negative)
		return errors.Join(err1, err2)
	}); err != nil {
		t.Fatal(err)
	}

	// The reader re-reads the returned household: a sound value.
	reread := soundReread(t, db, city, negative.CustomerID)
	res, err := importReadings(t, db, writeRows(t, "reread.csv", interchange.Readings, tabular.WriteOptions{}, interchange.EncodeReading(reread)),
		testReader, city.Cycle)
	if err != nil || res.Updated != 1 || res.AnomalyChanges.Kept != 2 || res.AnomalyChanges.Added != 0 {
		t.Fatalf("re-read import: %+v, %v; want a second version, both decisions kept, nothing added (no DUPLICATE)", res, err)
	}
	vs := readingVersions(t, db, negative.CustomerID, city.Cycle)
	if len(vs) != 2 || vs[1].Why != WhyReread {
		t.Errorf("versions after the re-read: %+v, want the re-read as version 2, %s", vs, WhyReread)
	}
	for k, want := range map[store.AnomalyKey]string{large.Key(): store.AnomalyConfirmed, negative.Key(): store.AnomalyReturned} {
		if got := anomalyAt(t, db, k); got.Status != want || got.Version != 2 || len(got.Decisions) != 1 {
			t.Errorf("decided anomaly after imports: %+v, want %s as it was", got, want)
		}
	}

	// A correction (as the review will append it) replaces the estimated reading.
	corrected := readingVersions(t, db, estimated.CustomerID, city.Cycle)[0]
	corrected.Flags, corrected.Remark, corrected.Why = 0, "", "更正: 实抄"
	if err := db.Update(func(tx store.Tx) error { _, _, err := tx.AppendReading(corrected); return err }); err != nil {
		t.Fatal(err)
	}
	res, err = importReadings(t, db, path, testReader, city.Cycle)
	if err != nil || res.Unchanged != res.Rows || res.AnomalyChanges.Removed != 1 || res.AnomalyChanges.Added != 0 {
		t.Errorf("import after the correction: %+v, %v; want the ESTIMATED removed and nothing else", res, err)
	}
	if as := storedAnomalies(t, db, city.Cycle, testReader); slices.ContainsFunc(as, func(a store.Anomaly) bool { return a.Key() == estimated.Key() }) {
		t.Errorf("the corrected household still has its ESTIMATED anomaly")
	}
}

// soundReread is a re-read of household id that validation finds nothing
// in: ten m³ over its last reading, the IC card agreeing.
func soundReread(t *testing.T, db store.Store, city *fixtures.City, id string) interchange.ReadingRow {
	t.Helper()
	var row interchange.ReadingRow
	for _, r := range city.Readings[0].Rows {
		if r.CustomerID == id {
			row = r
		}
	}
	var hist []domain.HistoryReading
	db.View(func(tx store.ReadTx) error { hist, _ = tx.History(id); return nil })
	delta := hist[len(hist)-1].ValueM3 + 10 - row.ValueM3
	row.ValueM3 += delta
	if row.ICUsed != nil { // used up by delta, remaining down by delta
		used, left := *row.ICUsed+delta, *row.ICRemaining-delta
		row.ICUsed, row.ICRemaining = &used, &left
	}
	row.Remark = "重抄"
	return row
}

func readingVersions(t *testing.T, db store.Store, id string, cycle domain.Month) []domain.ReadingVersion {
	t.Helper()
	var vs []domain.ReadingVersion
	if err := db.View(func(tx store.ReadTx) error {
		var err error
		vs, err = tx.ReadingVersions(id, cycle)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestRouteFileRoundTrip exports a reader's route, fills it as a handheld
// does from the reader's readings, leaving the households not read blank,
// and imports it back as readings.
func TestRouteFileRoundTrip(t *testing.T) {
	for _, name := range []string{"route.xlsx", "route.csv"} {
		t.Run(name, func(t *testing.T) {
			db, city, _ := cityStore(t)
			path := filepath.Join(t.TempDir(), name)
			res, err := ExportRoute(db, ExportOptions{Reader: testReader, Cycle: city.Cycle, Path: path, Encoding: "gbk"})
			_, route := routeHousehold(t, db, city, 0)
			if err != nil || res.Households != len(route) {
				t.Fatalf("export: %+v, %v; want the %d households of the route", res, err, len(route))
			}
			read := map[string]interchange.ReadingRow{}
			for _, r := range city.Readings[0].Rows {
				if _, seen := read[r.CustomerID]; !seen {
					read[r.CustomerID] = r
				}
			}
			rows := readRoute(t, path)
			filled := 0
			for i, row := range rows {
				if row[interchange.RtCustomerID] != route[i].ID || row[interchange.RtReaderID] != testReader {
					t.Fatalf("route row %d = %q, want household %s pre-filled with %s", i, row, route[i].ID, testReader)
				}
				if r, ok := read[route[i].ID]; ok {
					filled++
					enc := interchange.EncodeReading(r)
					for g, rt := range map[int]int{interchange.GReading: interchange.RtReading, interchange.GReadAt: interchange.RtReadAt,
						interchange.GFlags: interchange.RtFlags, interchange.GICRemaining: interchange.RtICRemaining,
						interchange.GICUsed: interchange.RtICUsed, interchange.GRemark: interchange.RtRemark} {
						row[rt] = enc[g]
					}
				}
			}
			back := filepath.Join(t.TempDir(), "filled"+filepath.Ext(name))
			writeTable(t, back, interchange.Headers(interchange.RouteSchema), rows)
			got, err := importReadings(t, db, back, testReader, city.Cycle)
			if err != nil || got.Created != filled || got.Skipped != len(route)-filled || got.Skipped == 0 {
				t.Fatalf("import of the filled route: %+v, %v; want %d readings and %d households not read", got, err, filled, len(route)-filled)
			}
			for id, r := range map[string]interchange.ReadingRow{route[0].ID: read[route[0].ID]} {
				vs := readingVersions(t, db, id, city.Cycle)
				if len(vs) != 1 || !domain.SameReading(vs[0].Reading, r.Reading) {
					t.Errorf("household %s: stored %+v, read %+v", id, vs, r.Reading)
				}
			}
		})
	}
}

func readRoute(t *testing.T, path string) [][]string {
	t.Helper()
	r, err := tabular.Open(path, interchange.RouteSchema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(interchange.RouteSchema))
		for i := range cells {
			cells[i] = row.Value(i)
		}
		rows = append(rows, cells)
	}
}

func writeTable(t *testing.T, path string, headers []string, rows [][]string) {
	t.Helper()
	w, err := tabular.Create(path, headers, tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRouteRowShowsThePreviousReading(t *testing.T) {
	db, city, _ := cityStore(t)
	_, route := routeHousehold(t, db, city, 0)
	var c domain.Customer
	var hist []domain.HistoryReading
	db.View(func(tx store.ReadTx) error {
		for _, c = range route { // one whose meter was never exchanged
			if ms, _ := tx.MeterChanges(c.ID); len(ms) == 0 {
				break
			}
		}
		hist, _ = tx.History(c.ID)
		return nil
	})
	var row interchange.RouteRow
	err := db.View(func(tx store.ReadTx) error {
		var err error
		row, err = RouteRow(tx, ExportOptions{Reader: testReader, Cycle: city.Cycle}, &c)
		return err
	})
	last := hist[len(hist)-1]
	if err != nil || row.PrevM3 != last.ValueM3 || !row.PrevDate.Equal(last.Date) {
		t.Errorf("route row %+v, %v; want the last reading %+v", row, err, last)
	}
}

// TestRouteRowShowsWhatAnICMeterWasBought: an IC meter's row carries the
// purchases since it was fitted, up to the export, so that the reader's
// remaining + used can be checked against it; other meters' rows do not.
func TestRouteRowShowsWhatAnICMeterWasBought(t *testing.T) {
	db, city, _ := cityStore(t)
	_, route := routeHousehold(t, db, city, 0)
	export := city.Cycle.Start().Add(-24 * time.Hour)
	checked := 0
	err := db.View(func(tx store.ReadTx) error {
		for i := range route {
			c := &route[i]
			row, err := RouteRow(tx, ExportOptions{Reader: testReader, Cycle: city.Cycle, Now: func() time.Time { return export }}, c)
			if err != nil {
				return err
			}
			if c.Meter.Kind != domain.KindIC {
				if row.ICPurchasedM3 != nil {
					t.Errorf("%s: a %s meter's row shows purchases", c.ID, c.Meter.Kind)
				}
				continue
			}
			ps, _ := tx.Purchases(c.ID)
			ms, _ := tx.MeterChanges(c.ID)
			var fitted time.Time // the last exchange before the export [003:1411]
			for _, m := range ms {
				if m.At.Before(export) {
					fitted = m.At
				}
			}
			want := 0.0
			for _, p := range ps {
				if !p.At.Before(fitted) && p.At.Before(export) {
					want += p.VolumeM3
				}
			}
			if row.ICPurchasedM3 == nil || math.Abs(*row.ICPurchasedM3-want) > 1e-9 {
				t.Errorf("%s: purchased %v, want %v", c.ID, row.ICPurchasedM3, want)
			}
			checked++
		}
		return nil
	})
	if err != nil || checked == 0 {
		t.Fatalf("checked %d IC meters: %v", checked, err)
	}
}

// TestRereadStillWrongReopens: a household returned for a re-read whose new
// reading still goes backwards is open again for the reviewers, with their
// earlier decision and why it came back.
func TestRereadStillWrongReopens(t *testing.T) {
	db, city, dir := cityStore(t)
	if _, err := importReadings(t, db, readingsFile(dir, city, testReader), testReader, city.Cycle); err != nil {
		t.Fatal(err)
	}
	var negative store.Anomaly
	for _, a := range storedAnomalies(t, db, city.Cycle, testReader) {
		if a.Code == string(vee.CodeNegative) {
			negative = a
		}
	}
	negative.Status = store.AnomalyReturned
	negative.Decisions = append(negative.Decisions, store.Decision{By: "reviewer1", Role: "reviewer", At: importDay, Action: "reread", Why: "读数倒退"})
	if err := db.Update(func(tx store.Tx) error { _, err := tx.PutAnomaly(negative); return err }); err != nil {
		t.Fatal(err)
	}
	again := readingVersions(t, db, negative.CustomerID, city.Cycle)[0].Reading
	again.ValueM3-- // read again, and lower still
	again.ReadAt = again.ReadAt.Add(time.Hour)
	row := interchange.ReadingRow{Reading: again}
	res, err := importReadings(t, db, writeRows(t, "reread.csv", interchange.Readings, tabular.WriteOptions{}, interchange.EncodeReading(row)),
		testReader, city.Cycle)
	if err != nil || res.Updated != 1 || res.AnomalyChanges.Updated != 1 {
		t.Fatalf("re-read import: %+v, %v", res, err)
	}
	got := anomalyAt(t, db, negative.Key())
	if got.Status != store.AnomalyOpen || len(got.Decisions) != 2 || got.Decisions[1].Action != "reopen" || got.ReadingVersion != 2 {
		t.Errorf("after a re-read still going backwards: %+v; want it open again on version 2, the return kept and a reopen", got)
	}
}
