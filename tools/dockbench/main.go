//go:build unix

// Command dockbench measures docking by the device protocol against
// lrzsz's ZMODEM, in one run on one machine, over a simulated serial line
// (tools/linesim: 115,200 baud, 8N1, a 4 KiB buffer each way). Its output
// is the table in BENCHMARKS.md.
//
//	go run ./tools/dockbench --out /tmp/dockbench.md
//
// It generates a city with the fixtures package, imports it into a
// temporary bbolt store through masterdata.Import, and takes the reader
// whose route for the cycle is closest to --households. The handheld is
// the real emulator (cmd/handheld, built into a temporary folder unless
// --handheld names it) running `dock` on the far end of each line, paired
// with the store. The measures (--only picks some):
//
//	zmodem   sz sends the route CSV (what `meter-sync export-route` writes) to rz
//	export   Host.Dock exports the route: hello, auth, clock, status, route, status, bye
//	plain    the same with compression off: the link's goodput
//	ber      docks and ZMODEM at a bit error rate of 1e-5, --seeds seeds
//	pull     the cable pulled for --pull half-way through the route
//	resume   a dock cut off half-way, then docked again: where it resumes
//	many     eight handhelds docked at once through one Host, against one
//
// Each clean measure is the median of --runs runs; ratios compare
// measures made in the same run.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"meter-sync/device"
	"meter-sync/tools/internal/machine"
)

// sections are the measures in the order they run.
var sections = []struct {
	name string
	run  func(*bench) error
}{
	{"zmodem", (*bench).measureZMODEM},
	{"export", (*bench).measureExport},
	{"plain", (*bench).measurePlain},
	{"ber", (*bench).measureBER},
	{"pull", (*bench).measurePull},
	{"resume", (*bench).measureResume},
	{"many", (*bench).measureMany},
}

// config is what the flags say.
type config struct {
	baud       int // 0: unpaced
	households int // the route size wanted
	runs       int
	seeds      int
	only       []string // section names; empty for all
	pull       time.Duration
	handheld   string // the emulator; "" to build it
	citySeed   uint64
}

func main() {
	var cfg config
	var only, out string
	flag.IntVar(&cfg.baud, "baud", 115200, "the line's speed in `BAUD` (0: unpaced)")
	flag.IntVar(&cfg.households, "households", 2000, "households in the route sent, about")
	flag.IntVar(&cfg.runs, "runs", 3, "runs of each clean measure; the median counts")
	flag.IntVar(&cfg.seeds, "seeds", 5, "error patterns (line seeds) at a bit error rate of 1e-5")
	flag.StringVar(&only, "only", "", "run only these measures, comma-separated: "+sectionNames())
	flag.DurationVar(&cfg.pull, "pull", 2*time.Second, "how long the cable is out in the pull measure")
	flag.StringVar(&cfg.handheld, "handheld", "", "the handheld emulator `PATH` (default: go build meter-sync/cmd/handheld)")
	flag.Uint64Var(&cfg.citySeed, "seed", 1, "city seed")
	flag.StringVar(&out, "out", "", "also write the Markdown table to `FILE`")
	flag.Parse()
	if only != "" {
		cfg.only = strings.Split(only, ",")
	}
	table, err := run(cfg, os.Stdout)
	if err != nil {
		log.Fatalf("dockbench: %v", err)
	}
	if out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			log.Fatalf("dockbench: %v", err)
		}
	}
}

func sectionNames() string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return strings.Join(names, ",")
}

// bench is one run of the measures.
type bench struct {
	cfg      config
	dir      string
	handheld string
	city     *city
	log      io.Writer
	devices  int // handhelds paired so far

	mu    sync.Mutex
	hosts map[bool]*device.Host // by compression off

	// memos of the clean baselines, which several measures compare with
	zClean []time.Duration
	clean  map[bool][]dockRun // by compression off

	rows []string
}

// check validates cfg.
func (cfg config) check() error {
	for _, name := range cfg.only {
		if !strings.Contains(","+sectionNames()+",", ","+name+",") {
			return fmt.Errorf("--only: unknown measure %q (want some of %s)", name, sectionNames())
		}
	}
	switch {
	case cfg.baud < 0, cfg.households <= 0, cfg.runs <= 0, cfg.seeds <= 0:
		return errors.New("--baud must be ≥ 0, --households, --runs and --seeds positive")
	}
	return nil
}

// run makes the city and runs the measures, logging each run to w, and
// returns the Markdown it prints last: the machine and the table.
func run(cfg config, w io.Writer) (string, error) {
	if err := cfg.check(); err != nil {
		return "", err
	}
	b := &bench{cfg: cfg, log: w, hosts: map[bool]*device.Host{}, clean: map[bool][]dockRun{}}
	if b.selected("zmodem") {
		if err := needLrzsz(); err != nil {
			return "", err
		}
	}
	dir, err := os.MkdirTemp("", "dockbench")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	if b.handheld = cfg.handheld; b.handheld == "" {
		if b.handheld, err = buildHandheld(dir); err != nil {
			return "", err
		}
	}
	start := time.Now()
	if b.city, err = makeCity(dir, cfg.households, cfg.citySeed); err != nil {
		return "", err
	}
	defer b.city.db.Close()
	b.logf("city of %d households imported in %v; reader %s's route for %s: %d households, %d bytes",
		b.city.size, sec(time.Since(start)), b.city.reader, b.city.cycle, b.city.route, len(b.city.plain))
	b.row("route", fmt.Sprintf("reader %s, %s: %s households, %s bytes of UTF-8 CSV (city of %s households)",
		b.city.reader, b.city.cycle, thousands(b.city.route), thousands(len(b.city.plain)), thousands(b.city.size)), "")
	for _, s := range sections {
		if !b.selected(s.name) {
			continue
		}
		t := time.Now()
		if err := s.run(b); err != nil {
			return "", fmt.Errorf("%s: %w", s.name, err)
		}
		b.logf("%s done in %v", s.name, sec(time.Since(t)))
	}
	md := b.markdown()
	fmt.Fprint(w, "\n"+md)
	return md, nil
}

// selected reports whether the measure named runs.
func (b *bench) selected(name string) bool {
	return len(b.cfg.only) == 0 || slices.Contains(b.cfg.only, name)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, format+"\n", args...)
}

// row adds a line to the table.
func (b *bench) row(measure, result, goal string) {
	b.rows = append(b.rows, fmt.Sprintf("| %s | %s | %s |", measure, result, goal))
}

// markdown is the machine and the table.
func (b *bench) markdown() string {
	line := "unpaced"
	if b.cfg.baud > 0 {
		line = fmt.Sprintf("%s baud (%s B/s)", thousands(b.cfg.baud), thousands(b.cfg.baud/10))
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Machine: %s (%d cores), %s, %s/%s, %s. Line: tools/linesim, %s, 8N1, 4 KiB buffer each way.\n\n",
		cmp.Or(machine.CPUModel(), runtime.GOARCH), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, lrzszVersion(), line)
	s.WriteString("| measure | result | goal |\n|---|---|---|\n")
	for _, r := range b.rows {
		s.WriteString(r + "\n")
	}
	return s.String()
}
