//go:build unix

package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/device"
	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// householdsPerReader is the fixtures generator's share of a city per
// reader (one reader per 2,000-4,000 households, at least two readers);
// every household is read every other month, so a reader's route for a
// month is about half of its households.
const householdsPerReader = 3000

// city is the generated city imported into a temporary store, and the
// route the benchmark sends.
type city struct {
	db     *bolt.DB
	acc    *access.Service
	cycle  domain.Month
	size   int    // households in the city
	reader string // whose route is sent
	route  int    // households in it
	csv    []byte // the route as `meter-sync export-route` writes it (UTF-8 with a BOM), for ZMODEM
	plain  []byte // the same without the BOM: the bytes the dock sends
}

// citySize is a city in which some reader's route comes near want: two
// readers sharing 4 × want households when that keeps two readers, else
// a city of many readers to pick from (their routes reach about 1,900).
func citySize(want int) int {
	if 4*want < householdsPerReader*5/2 {
		return max(4*want, 40)
	}
	return max(40*want, 60_000)
}

// importDay is when the master files are imported, as the device tests do:
// the day after the generated cycle.
func importDay(cycle domain.Month) time.Time { return cycle.Add(1).Start().Add(33 * time.Hour) }

// makeCity generates a city, imports its master files through
// masterdata.Import into a bbolt store in dir, and picks the reader whose
// route for the cycle is closest to want households.
func makeCity(dir string, want int, seed uint64) (*city, error) {
	size := citySize(want)
	gen, err := fixtures.Generate(fixtures.Options{Households: size, Seed: seed})
	if err != nil {
		return nil, err
	}
	files := filepath.Join(dir, "city")
	if _, err := gen.Write(files); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, "meter-sync.db"), nil)
	if err != nil {
		return nil, err
	}
	c := &city{db: db, cycle: gen.Cycle, size: size}
	now := func() time.Time { return importDay(gen.Cycle) }
	for _, kind := range masterdata.Kinds() {
		if _, err := masterdata.Import(db, masterdata.Options{Kind: kind, Path: filepath.Join(files, string(kind)+".csv"), Now: now}); err != nil {
			db.Close()
			return nil, fmt.Errorf("importing %s: %w", kind, err)
		}
	}
	c.acc = access.New(db, access.DefaultOptions(), now)
	if err := c.pickReader(want); err != nil {
		db.Close()
		return nil, err
	}
	if c.csv, err = c.export(dir, "utf-8"); err == nil {
		c.plain, err = c.export(dir, "utf-8-nobom")
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// pickReader chooses the reader whose route is closest to want.
func (c *city) pickReader(want int) error {
	return c.db.View(func(tx store.ReadTx) error {
		readers, err := tx.Readers()
		if err != nil {
			return err
		}
		best := math.MaxInt
		for _, r := range readers {
			route, err := tx.Route(r.ID, c.cycle)
			if err != nil {
				return err
			}
			if d := abs(len(route) - want); d < best {
				best, c.reader, c.route = d, r.ID, len(route)
			}
		}
		if c.reader == "" {
			return fmt.Errorf("the city has no readers")
		}
		return nil
	})
}

// export writes the route as `meter-sync export-route --encoding enc`
// does, and returns its bytes.
func (c *city) export(dir, enc string) ([]byte, error) {
	path := filepath.Join(dir, "route-"+enc+".csv")
	if _, err := masterdata.ExportRoute(c.db, masterdata.ExportOptions{Reader: c.reader, Cycle: c.cycle, Path: path, Encoding: enc}); err != nil {
		return nil, fmt.Errorf("exporting the route: %w", err)
	}
	return os.ReadFile(path)
}

// pair pairs handheld id with the route's reader and returns its key.
func (c *city) pair(id string) (string, error) {
	d, err := c.acc.PairDevice(access.Actor{ID: "dockbench", Role: account.RoleClerk}, id, "dockbench "+id, c.reader)
	if err != nil {
		return "", fmt.Errorf("pairing %s: %w", id, err)
	}
	return d.KeyText(), nil
}

// host is a docking host over the city's store.
func (c *city) host(spool string, baud int, plain bool) (*device.Host, error) {
	return device.NewHost(c.db, c.acc, device.Options{SpoolDir: spool, DisableCompression: plain,
		Link: linkConfig(baud)})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
