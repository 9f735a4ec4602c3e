package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
)

func runFixtures(ctx context.Context, e *env, args []string) error {
	fs, _ := newFlags(e, "fixtures", "--households N --seed S --out DIR [--cycle YYYY-MM]")
	households := fs.Int("households", 3000, "number of households in the city")
	seed := fs.Uint64("seed", 1, "random `SEED`; the same seed gives the same bytes")
	out := fs.String("out", "", "output `DIR`ectory")
	cycleText := fs.String("cycle", "", "reading cycle `YYYY-MM` whose readings files are written (default "+fixtures.DefaultCycle.String()+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("fixtures: --out is required")
	}
	if *households < 1 {
		return fmt.Errorf("fixtures: --households must be at least 1, got %d", *households)
	}
	var cycle domain.Month
	if *cycleText != "" {
		m, err := domain.ParseMonth(*cycleText)
		if err != nil {
			return fmt.Errorf("fixtures: --cycle: %w", err)
		}
		cycle = m
	}
	start := time.Now()
	city, err := fixtures.Generate(fixtures.Options{Households: *households, Seed: *seed, Cycle: cycle})
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	files, err := city.Write(*out)
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	fmt.Fprintf(e.stdout, "city of %d households, %d readers, cycle %s: %d files in %s (%s)\n",
		len(city.Customers), len(city.Readers), city.Cycle, len(files), *out, time.Since(start).Round(time.Millisecond))
	return nil
}
