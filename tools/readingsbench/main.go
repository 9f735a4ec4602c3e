// Command readingsbench measures the readings import end to end (read and
// decode every row, store each reading version, validate each reader's
// readings of the cycle against the route with package vee, store the
// anomalies) against the store's physical limit for the same writes, in one
// run on one machine. Its output is the table in BENCHMARKS.md.
//
//	go run ./tools/readingsbench --households 1000000 --dir /tmp/city1m
//	go run ./tools/readingsbench --households 1000000 --dir /tmp/city1m --reuse
//
// It generates the city with the fixtures package (or reuses --dir's files,
// and the store of master data a previous run left there), imports the
// master files, then, from a copy of that store each time, imports every
// reader's readings file of the cycle through masterdata.Import, the same
// path as `meter-sync import --kind readings`: one transaction per file.
// It then writes the reading versions and anomalies the import stored to a
// fresh store with bare batched puts (bolt.RawLoadReadings) and reports
// both rates and their ratio, and imports every file once more to show that
// nothing changes (and how fast that is found).
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
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/tools/internal/machine"
	"meter-sync/vee"
)

// runs is how often each measurement is repeated; the best run counts, for
// the import and for the raw puts alike (the disk's write-back makes single
// runs noisy).
const runs = 3

func main() {
	households := flag.Int("households", 1_000_000, "households in the generated city")
	dir := flag.String("dir", "", "folder for the city files and the stores (default a temporary one)")
	reuse := flag.Bool("reuse", false, "reuse --dir's city files and master store instead of making them")
	seed := flag.Uint64("seed", 1, "city seed")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the import runs to `FILE`")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "readingsbench")
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
	master := filepath.Join(*dir, "master.db")
	if _, err := os.Stat(master); !*reuse || err != nil {
		importMaster(*dir, master)
	}
	files := readingsFiles(*dir, cycle)
	debug.SetGCPercent(400) // as meter-sync import does
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	rate, rows, db := measureImport(*dir, master, files, cycle)
	pprof.StopCPUProfile()
	again := measureReimport(db, files, cycle)
	vs, as := stored(db, files, cycle)
	check(db.Close())
	raw, batch := measureRaw(*dir, vs, as)
	rawVersions, vBatch := measureRaw(*dir, vs, nil)
	fmt.Printf("| readings import end to end (masterdata.Import, %d files, %d rows, %d versions, %d anomalies) | %.0f readings/s |\n",
		len(files), rows, len(vs), len(as), rate)
	fmt.Printf("| raw bbolt batched put of what the import writes: versions + reading index + anomalies (best batch %d) | %.0f readings/s |\n", batch, raw)
	fmt.Printf("| ratio import / raw | %.2f |\n", rate/raw)
	fmt.Printf("| raw bbolt batched put of the versions and reading index alone (best batch %d) | %.0f readings/s |\n", vBatch, rawVersions)
	fmt.Printf("| ratio import / raw versions alone | %.2f |\n", rate/rawVersions)
	fmt.Printf("| the same files imported again (nothing changes) | %.0f readings/s |\n", again)
}

// importMaster imports the city's master files into a new store at path.
func importMaster(dir, path string) {
	os.Remove(path)
	db, err := bolt.Open(path, nil)
	check(err)
	defer db.Close()
	debug.SetGCPercent(400)
	for _, kind := range masterdata.Kinds() {
		res, err := masterdata.Import(db, masterdata.Options{Kind: kind, Path: filepath.Join(dir, string(kind)+".csv")})
		check(err)
		fmt.Printf("master: %s, %d rows in %s\n", kind, res.Rows, res.Duration.Round(time.Millisecond))
	}
	debug.SetGCPercent(100)
}

// readerFile is one reader's readings file.
type readerFile struct {
	reader, path string
}

func readingsFiles(dir string, cycle domain.Month) []readerFile {
	paths, err := filepath.Glob(filepath.Join(dir, "readings", cycle.String(), "*.csv"))
	check(err)
	slices.Sort(paths)
	var out []readerFile
	for _, p := range paths {
		out = append(out, readerFile{strings.TrimSuffix(filepath.Base(p), ".csv"), p})
	}
	if len(out) == 0 {
		log.Fatalf("no readings files under %s", filepath.Join(dir, "readings", cycle.String()))
	}
	return out
}

// measureImport imports every reader's file into a fresh copy of the master
// store, runs times; it returns the best rate, the rows of a run and the
// store of the last run.
func measureImport(dir, master string, files []readerFile, cycle domain.Month) (float64, int, *bolt.DB) {
	best, rows := 0.0, 0
	var db *bolt.DB
	p := vee.DefaultParams() // the configuration's defaults, as meter-sync import has them
	for i := 0; i < runs; i++ {
		if db != nil {
			check(db.Close())
		}
		path := filepath.Join(dir, "readings.db")
		copyFile(master, path)
		var err error
		db, err = bolt.Open(path, nil)
		check(err)
		runtime.GC() // the copy's and the last run's garbage are not this run's
		rows = 0
		anomalies := 0
		start := time.Now()
		for _, f := range files {
			res, err := masterdata.Import(db, masterdata.Options{Kind: interchange.Readings, Path: f.path,
				Reader: f.reader, Cycle: cycle, Validation: &p})
			check(err)
			rows += res.Rows
			for _, n := range res.Anomalies {
				anomalies += n
			}
		}
		took := time.Since(start)
		rate := float64(rows) / took.Seconds()
		fmt.Printf("import run %d: %d rows of %d readers in %s, %d anomalies: %.0f readings/s\n",
			i+1, rows, len(files), took.Round(time.Millisecond), anomalies, rate)
		best = max(best, rate)
	}
	return best, rows, db
}

// measureReimport imports every file again into db, which holds them
// already, and checks that nothing changes; it returns the rate.
func measureReimport(db store.Store, files []readerFile, cycle domain.Month) float64 {
	p := vee.DefaultParams()
	rows := 0
	start := time.Now()
	for _, f := range files {
		res, err := masterdata.Import(db, masterdata.Options{Kind: interchange.Readings, Path: f.path,
			Reader: f.reader, Cycle: cycle, Validation: &p})
		check(err)
		if res.Created+res.Updated != 0 || res.AnomalyChanges.Changed() {
			log.Fatalf("re-import of %s changed the store: %+v", f.path, res)
		}
		rows += res.Rows
	}
	took := time.Since(start)
	fmt.Printf("re-import: %d rows in %s, nothing changed\n", rows, took.Round(time.Millisecond))
	return float64(rows) / took.Seconds()
}

// stored reads back what the import wrote: every reading version of the
// readers' files, and every anomaly of the cycle.
func stored(db store.Store, files []readerFile, cycle domain.Month) ([]domain.ReadingVersion, []store.Anomaly) {
	var vs []domain.ReadingVersion
	var as []store.Anomaly
	check(db.View(func(tx store.ReadTx) error {
		for _, f := range files {
			got, err := tx.ReadingsOf(cycle, f.reader)
			if err != nil {
				return err
			}
			vs = append(vs, got...)
		}
		var err error
		as, err = tx.AnomaliesOfCycle(cycle)
		return err
	}))
	return vs, as
}

// measureRaw puts vs and as in batches of the size of a reader's file, of
// 10,000 and of everything; it returns the best rate in versions per second
// and its batch.
func measureRaw(dir string, vs []domain.ReadingVersion, as []store.Anomaly) (float64, int) {
	best, bestBatch := 0.0, 0
	for _, batch := range []int{1500, 10_000, len(vs)} {
		for i := 0; i < runs; i++ {
			path := filepath.Join(dir, "raw.db")
			os.Remove(path)
			took, err := bolt.RawLoadReadings(path, vs, as, batch)
			check(err)
			rate := float64(len(vs)) / took.Seconds()
			fmt.Printf("raw put (anomalies %v), batches of %d versions, run %d: %.0f versions/s\n", as != nil, batch, i+1, rate)
			if rate > best {
				best, bestBatch = rate, batch
			}
			os.Remove(path)
		}
	}
	return best, bestBatch
}

func copyFile(from, to string) {
	in, err := os.Open(from)
	check(err)
	defer in.Close()
	out, err := os.Create(to)
	check(err)
	_, err = io.Copy(out, in)
	check(err)
	check(out.Sync())
	check(out.Close())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
