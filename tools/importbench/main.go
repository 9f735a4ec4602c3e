// Command importbench measures the customer import against the store's
// physical limit, in one run on one machine, and the route query on the
// imported store. Its output is the table in BENCHMARKS.md.
//
//	go run ./tools/importbench --households 1000000 --dir /tmp/city
//
// It generates the city with the fixtures package (or reuses --dir's
// customers.csv with --reuse), imports customers.csv through the same path as
// `meter-sync import`, then writes the same records to a fresh store with
// bare batched puts (bolt.RawLoad), and reports both rates and their ratio.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/tabular"
	"meter-sync/tools/internal/machine"
)

func main() {
	households := flag.Int("households", 1_000_000, "households in the generated city")
	dir := flag.String("dir", "", "folder for the city files and the stores (default a temporary one)")
	reuse := flag.Bool("reuse", false, "reuse --dir's city files instead of generating them")
	seed := flag.Uint64("seed", 1, "city seed")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "importbench")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	fmt.Printf("machine: %s, %d cores, %s\n", cmp.Or(machine.CPUModel(), runtime.GOARCH), runtime.NumCPU(), runtime.Version())
	cycle := fixtures.DefaultCycle
	if !*reuse {
		start := time.Now()
		city, err := fixtures.Generate(fixtures.Options{Households: *households, Seed: *seed})
		check(err)
		_, err = city.Write(*dir)
		check(err)
		cycle = city.Cycle
		fmt.Printf("fixtures: %d households generated and written in %s\n", len(city.Customers), time.Since(start).Round(time.Millisecond))
	}
	csv := filepath.Join(*dir, "customers.csv")
	importRate, db := measureImport(*dir, csv)
	defer db.Close()
	cs := readCustomers(csv)
	readerOf := booksReader(db)
	rawRate, batch := measureRaw(*dir, cs, readerOf, true)
	rawRecords, recBatch := measureRaw(*dir, cs, readerOf, false)
	fmt.Printf("| customer import (masterdata.Import, one transaction) | %.0f rows/s |\n", importRate)
	fmt.Printf("| raw bbolt batched put of what the import writes: record + route-index entry (best batch %d) | %.0f rows/s |\n", batch, rawRate)
	fmt.Printf("| ratio import / raw | %.2f |\n", importRate/rawRate)
	fmt.Printf("| raw bbolt batched put of the customer records alone (best batch %d) | %.0f rows/s |\n", recBatch, rawRecords)
	fmt.Printf("| ratio import / raw records alone | %.2f |\n", importRate/rawRecords)
	measureRoutes(db, cycle)
}

// runs is how often each measurement is repeated; the best run counts, for
// the import and for the raw puts alike (the disk's write-back makes single
// runs noisy).
const runs = 3

func measureImport(dir, csv string) (float64, *bolt.DB) {
	debug.SetGCPercent(400) // as meter-sync import does
	best := 0.0
	var db *bolt.DB
	for i := 0; i < runs; i++ {
		if db != nil {
			db.Close()
		}
		path := filepath.Join(dir, "import.db")
		os.Remove(path)
		var err error
		db, err = bolt.Open(path, nil)
		check(err)
		check(importReaders(db, dir)) // the order the README gives
		start := time.Now()
		res, err := masterdata.Import(db, masterdata.Options{Kind: interchange.Customers, Path: csv})
		check(err)
		rate := float64(res.Rows) / time.Since(start).Seconds()
		fmt.Printf("import run %d: %.0f rows/s\n", i+1, rate)
		best = max(best, rate)
	}
	return best, db
}

// importReaders imports the readers, who own the route books.
func importReaders(db store.Store, dir string) error {
	_, err := masterdata.Import(db, masterdata.Options{Kind: interchange.Readers, Path: filepath.Join(dir, "readers.csv")})
	return err
}

// booksReader maps each route book to its reader, as the store has them.
func booksReader(db store.Store) func(string) string {
	var as []domain.Assignment
	check(db.View(func(tx store.ReadTx) error {
		var err error
		as, err = tx.Assignments()
		return err
	}))
	byBook := map[string]string{}
	for _, a := range as {
		byBook[a.Book] = a.Reader
	}
	return func(book string) string { return byBook[book] }
}

func measureRaw(dir string, cs []domain.Customer, readerOf func(string) string, index bool) (float64, int) {
	best, bestBatch := 0.0, 0
	for _, batch := range []int{10_000, 100_000, len(cs)} {
		for i := 0; i < runs; i++ {
			path := filepath.Join(dir, "raw.db")
			os.Remove(path)
			took, err := bolt.RawLoad(path, cs, readerOf, index, batch)
			check(err)
			rate := float64(len(cs)) / took.Seconds()
			fmt.Printf("raw put (route index %v), batches of %d rows, run %d: %.0f rows/s\n", index, batch, i+1, rate)
			if rate > best {
				best, bestBatch = rate, batch
			}
			os.Remove(path)
		}
	}
	return best, bestBatch
}

func readCustomers(csv string) []domain.Customer {
	r, err := tabular.Open(csv, interchange.CustomerSchema, tabular.Options{})
	check(err)
	defer r.Close()
	var cs []domain.Customer
	for {
		row, err := r.Next()
		if err == io.EOF {
			return cs
		}
		check(err)
		c, err := interchange.DecodeCustomer(row, time.Now())
		check(err)
		cs = append(cs, c)
	}
}

func measureRoutes(db store.Store, m domain.Month) {
	var readers []domain.Reader
	check(db.View(func(tx store.ReadTx) error {
		var err error
		readers, err = tx.Readers()
		return err
	}))
	debug.SetGCPercent(100)
	runtime.GC() // the raw runs' garbage is not the route's
	var took []time.Duration
	largest := 0
	for _, r := range slices.Concat(readers, readers, readers) {
		start := time.Now()
		var n int
		check(db.View(func(tx store.ReadTx) error {
			route, err := tx.Route(r.ID, m)
			n = len(route)
			return err
		}))
		took = append(took, time.Since(start))
		largest = max(largest, n)
	}
	slices.Sort(took)
	fmt.Printf("| route of one reader for %s (%d readers, up to %d households each, 3 passes): p50 | %.2f ms |\n",
		m, len(readers), largest, ms(took[len(took)/2]))
	fmt.Printf("| route: p99 | %.2f ms |\n", ms(took[len(took)*99/100]))
	fmt.Printf("| route: max | %.2f ms |\n", ms(took[len(took)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
