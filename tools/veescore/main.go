// Command veescore scores reading validation (package vee) against a
// generated city's ground truth: per anomaly code, how many readings the
// labels mark, how many vee flags, the true positives, precision and recall;
// whether any trap was flagged as the code it resembles; and how fast all
// readings were validated.
//
//	go run ./tools/veescore --households 100000 --seed 1 --cycle 2026-01
//
// The city is generated in memory (fixtures.Generate); each reader's route
// is the households of the books the reader holds that are read in the
// cycle; vee validates each reader's readings against it (Batch) and lists
// the route's unread households (Missed), with the thresholds of
// config.Default and the clock a week after the cycle's month.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/vee"
	"meter-sync/vee/score"
)

func main() {
	households := flag.Int("households", 100_000, "households in the generated city")
	seed := flag.Uint64("seed", 1, "city seed")
	cycleFlag := flag.String("cycle", fixtures.DefaultCycle.String(), "reading month, YYYY-MM")
	flag.Parse()
	cycle, err := domain.ParseMonth(*cycleFlag)
	if err != nil {
		fail(err)
	}
	start := time.Now()
	city, err := fixtures.Generate(fixtures.Options{Households: *households, Seed: *seed, Cycle: cycle})
	if err != nil {
		fail(err)
	}
	fmt.Printf("city: %d households, seed %d, cycle %s, generated in %s (%s, %d CPUs)\n\n",
		len(city.Customers), *seed, city.Cycle, time.Since(start).Round(time.Millisecond), runtime.Version(), runtime.NumCPU())
	p := vee.DefaultParams()
	p.Now = city.Cycle.End().AddDate(0, 0, 7)
	rep := score.Run(city, p)
	fmt.Print(rep.Markdown())
	for _, c := range vee.Codes() {
		if t := rep.Tallies[c]; t.Precision() < 0.95 || t.Recall() < 0.95 {
			fmt.Printf("\nbelow 0.95: %s\n", c)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "veescore:", err)
	os.Exit(1)
}
