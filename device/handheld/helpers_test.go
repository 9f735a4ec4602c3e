package handheld

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/tabular"
)

// t0 is the system clock of the tests' stores.
var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, domain.Local)

// newStore opens a store in a fresh file whose system clock stands at t0,
// and checks the file's consistency when the test ends.
func newStore(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "handheld.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, &Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		checkConsistent(t, s)
		s.Close()
	})
	return s
}

func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil && err != bolt.ErrDatabaseNotOpen {
		t.Error(err)
	}
}

// routeRow is a route file row with the given cells; the rest are blank.
func routeRow(seq, id, kind, state, prev, prevDate, reader string) []string {
	row := make([]string, len(interchange.RouteSchema))
	row[interchange.RtSeqNo], row[interchange.RtCustomerID] = seq, id
	row[interchange.RtName], row[interchange.RtAddress] = "用户"+id, "幸福小区1幢1单元"
	row[interchange.RtMeterKind], row[interchange.RtMeterState] = kind, state
	row[interchange.RtPrevReading], row[interchange.RtPrevReadDate] = prev, prevDate
	row[interchange.RtReaderID] = reader
	return row
}

// csvOf writes a file with schema's headers and rows.
func csvOf(t testing.TB, schema tabular.Schema, rows ...[]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := tabular.NewCSVWriter(&buf, interchange.Headers(schema), tabular.WriteOptions{})
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
	return buf.Bytes()
}

// cityRoute is a route of n households of reader R001 in books 0101 and
// 0102, every fifth an IC meter.
func cityRoute(t *testing.T, n int) []byte {
	t.Helper()
	var rows [][]string
	for i := range n {
		book := 101 + i/(n/2+1)
		kind := "抄表"
		if i%5 == 4 {
			kind = "IC卡"
		}
		rows = append(rows, routeRow(fmt.Sprintf("%04d%02d1%03d", book, 1+i/10, 101+i%10), fmt.Sprintf("C%05d", i+1),
			kind, "通气", fmt.Sprint(100+13*i), "2025-11-05", "R001"))
	}
	return csvOf(t, interchange.RouteSchema, rows...)
}

func loadRoute(t *testing.T, s *Store, csv []byte) {
	t.Helper()
	if _, err := s.LoadRoute("R001", "2026-01", csv); err != nil {
		t.Fatal(err)
	}
}

// reading is a reading of household id at t0 plus minutes.
func reading(id string, v float64, minutes int, flags domain.Flag) interchange.ReadingRow {
	return interchange.ReadingRow{Reading: domain.Reading{CustomerID: id, ValueM3: v,
		ReadAt: t0.Add(time.Duration(minutes) * time.Minute), Flags: flags}}
}

func record(t *testing.T, s *Store, r interchange.ReadingRow) Reading {
	t.Helper()
	got, err := s.Record(r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func pendingIDs(t *testing.T, s *Store) []string {
	t.Helper()
	b, err := s.PendingReadings()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range b.Readings {
		ids = append(ids, fmt.Sprintf("%s=%g", r.CustomerID, r.ValueM3))
	}
	return ids
}
