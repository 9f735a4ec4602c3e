package device

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/internal/ptytest"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// A city of 2,000 households, whose reader R001's cycle readings the
// generator wrote with labelled anomalies.
const (
	testHouseholds = 2000
	testReader     = "R001"
)

// dockDay is when the city's master files are imported; the host docks on
// the real clock, as a reviewer decides on it.
var dockDay = time.Date(2026, 2, 2, 9, 0, 0, 0, domain.Local)

type testCity struct {
	db   *bolt.DB
	host *Host
	acc  *access.Service
	city *fixtures.City
	dir  string // the city's files
}

// newCity generates a city, imports its master files into a real bbolt
// store and makes a Host over it that lives at dockDay.
func newCity(t *testing.T) *testCity {
	t.Helper()
	city, err := fixtures.Generate(fixtures.Options{Households: testHouseholds, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := city.Write(dir); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	now := func() time.Time { return dockDay }
	for _, kind := range masterdata.Kinds() {
		if _, err := masterdata.Import(db, masterdata.Options{Kind: kind, Path: filepath.Join(dir, string(kind)+".csv"), Now: now}); err != nil {
			t.Fatalf("importing %s: %v", kind, err)
		}
	}
	acc := access.New(db, access.DefaultOptions(), now)
	log := &ptytest.Buffer{}
	host, err := NewHost(db, acc, Options{SpoolDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the host's log:\n%s", tail(log.String(), 6000))
		}
	})
	return &testCity{db: db, host: host, acc: acc, city: city, dir: dir}
}

// readingsFile is the generator's readings file of reader for the cycle.
func (c *testCity) readingsFile(reader string) string {
	return filepath.Join(c.dir, "readings", c.city.Cycle.String(), reader+".csv")
}

func (c *testCity) route(t *testing.T, reader string, m domain.Month) []domain.Customer {
	t.Helper()
	var route []domain.Customer
	if err := c.db.View(func(tx store.ReadTx) error {
		var err error
		route, err = tx.Route(reader, m)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return route
}

func (c *testCity) versions(t *testing.T, reader string) []domain.ReadingVersion {
	t.Helper()
	var vs []domain.ReadingVersion
	if err := c.db.View(func(tx store.ReadTx) error {
		var err error
		vs, err = tx.ReadingsOf(c.city.Cycle, reader)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return vs
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func itoa(n int) string { return strconv.Itoa(n) }
