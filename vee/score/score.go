// Package score measures package vee against the ground truth of a city
// that package fixtures generated: for each code, what the labels say, what
// vee flagged and how far the two agree, and whether the traps (readings
// that look like an anomaly and are not) were flagged as what they resemble.
// tools/veescore prints it; vee's tests hold it to full agreement.
package score

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/vee"
)

// Key is one code raised for one household on one reader's readings.
type Key struct {
	Customer string
	Reader   string
	Code     vee.Code
}

func (k Key) String() string { return fmt.Sprintf("%s %s/%s", k.Code, k.Reader, k.Customer) }

// Route is one reader's route for the city's cycle and what the reader
// brought back.
type Route struct {
	ReaderID   string
	Households []vee.Household
	Readings   []domain.Reading
}

// Routes builds each reader's route from the city: the households of the
// books the reader holds that are read in the cycle (domain.InRoute), in
// walking order, each with its history, IC purchases and meter exchanges.
func Routes(c *fixtures.City) []Route {
	routes := make([]Route, len(c.Readers))
	holder := map[string]int{}
	for r, rd := range c.Readers {
		routes[r].ReaderID = rd.Reader.ID
		for _, b := range rd.Books {
			holder[b] = r
		}
	}
	at := map[string]*vee.Household{}
	for i := range c.Customers {
		cu := &c.Customers[i]
		if r, ok := holder[cu.Book()]; ok && domain.InRoute(cu, c.Cycle) {
			routes[r].Households = append(routes[r].Households, vee.Household{Customer: *cu})
		}
	}
	for r := range routes {
		for i := range routes[r].Households {
			h := &routes[r].Households[i]
			at[h.Customer.ID] = h
		}
	}
	attach(c, at)
	for r, rr := range c.Readings {
		for _, row := range rr.Rows {
			routes[r].Readings = append(routes[r].Readings, row.Reading)
		}
	}
	return routes
}

// attach gives each household of the routes its runs of the city's
// history, purchases and exchanges, which are in customer order.
func attach(c *fixtures.City, at map[string]*vee.Household) {
	runs(c.History, func(r domain.HistoryReading) string { return r.CustomerID }, func(id string, s []domain.HistoryReading) {
		if h := at[id]; h != nil {
			h.History = s
		}
	})
	runs(c.Purchases, func(p domain.ICPurchase) string { return p.CustomerID }, func(id string, s []domain.ICPurchase) {
		if h := at[id]; h != nil {
			h.Purchases = s
		}
	})
	runs(c.MeterChanges, func(m domain.MeterChange) string { return m.CustomerID }, func(id string, s []domain.MeterChange) {
		if h := at[id]; h != nil {
			h.Changes = s
		}
	})
}

// runs calls fn with each run of consecutive elements of one customer.
func runs[T any](s []T, id func(T) string, fn func(string, []T)) {
	for lo := 0; lo < len(s); {
		hi := lo + 1
		for hi < len(s) && id(s[hi]) == id(s[lo]) {
			hi++
		}
		fn(id(s[lo]), s[lo:hi:hi])
		lo = hi
	}
}

// Tally is one code's agreement with the labels.
type Tally struct {
	Labelled, Flagged, Hits int
}

// Precision is the share of flags that are labelled; 1 with no flags.
func (t Tally) Precision() float64 { return ratio(t.Hits, t.Flagged) }

// Recall is the share of labels that are flagged; 1 with no labels.
func (t Tally) Recall() float64 { return ratio(t.Hits, t.Labelled) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Trap is one kind of trap label and how often it was flagged as the code
// it resembles (which must be never).
type Trap struct {
	Name      string   // the trap label's code, e.g. fixtures.TrapRollover
	Resembles vee.Code // the code it must not be flagged as
	Labelled  int
	Flagged   []Key
}

// traps are the fixtures' traps and the codes they look like (fixtures.go).
var traps = []struct {
	name      string
	resembles vee.Code
}{
	{fixtures.TrapRollover, vee.CodeNegative},
	{fixtures.TrapMeterExchange, vee.CodeNegative},
	{fixtures.TrapWinterBoiler, vee.CodeLargeVolume},
	{fixtures.TrapTopUpAfterRead, vee.CodeICMismatch},
}

// Report is what Run found.
type Report struct {
	Cycle      domain.Month
	Households int // in the routes
	Readings   int
	Tallies    map[vee.Code]*Tally
	Traps      []Trap
	Unlabelled []Key         // flagged, not labelled
	Unflagged  []Key         // labelled, not flagged
	Elapsed    time.Duration // Batch and Missed over every route
}

// Run validates every reader's readings of the city with vee (Batch, then
// Missed at commit) and compares the codes raised with the labels. A
// ROLLOVER trap label is the truth for the code ROLLOVER, which is right
// for it.
func Run(c *fixtures.City, p vee.Params) Report {
	routes := Routes(c)
	rep := Report{Cycle: c.Cycle, Tallies: map[vee.Code]*Tally{}}
	flagged := map[Key]bool{}
	start := time.Now()
	for _, rt := range routes {
		for _, res := range vee.Batch(rt.Households, rt.Readings, p) {
			for _, a := range res.Anomalies {
				flagged[Key{a.CustomerID, rt.ReaderID, a.Code}] = true
			}
		}
		for _, a := range vee.Missed(rt.Households, rt.Readings) {
			flagged[Key{a.CustomerID, rt.ReaderID, a.Code}] = true
		}
	}
	rep.Elapsed = time.Since(start)
	for _, rt := range routes {
		rep.Households += len(rt.Households)
		rep.Readings += len(rt.Readings)
	}
	labelled, trapped := truth(c)
	rep.compare(flagged, labelled)
	rep.trapLines(flagged, trapped)
	return rep
}

// truth is the labels as keys: the codes a correct validator raises, and
// the traps by name.
func truth(c *fixtures.City) (map[Key]bool, map[string][]Key) {
	labelled, trapped := map[Key]bool{}, map[string][]Key{}
	for _, l := range c.Labels {
		k := Key{l.CustomerID, l.ReaderID, vee.Code(l.Code)}
		if l.Kind == interchange.LabelTrap {
			trapped[l.Code] = append(trapped[l.Code], k)
			if l.Code != fixtures.TrapRollover {
				continue
			}
		}
		labelled[k] = true
	}
	return labelled, trapped
}

func (rep *Report) tally(c vee.Code) *Tally {
	t := rep.Tallies[c]
	if t == nil {
		t = &Tally{}
		rep.Tallies[c] = t
	}
	return t
}

func (rep *Report) compare(flagged, labelled map[Key]bool) {
	for _, c := range vee.Codes() {
		rep.tally(c)
	}
	for k := range labelled {
		rep.tally(k.Code).Labelled++
		if !flagged[k] {
			rep.Unflagged = append(rep.Unflagged, k)
		}
	}
	for k := range flagged {
		t := rep.tally(k.Code)
		t.Flagged++
		if labelled[k] {
			t.Hits++
		} else {
			rep.Unlabelled = append(rep.Unlabelled, k)
		}
	}
	byKey := func(a, b Key) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(rep.Unflagged, byKey)
	slices.SortFunc(rep.Unlabelled, byKey)
}

func (rep *Report) trapLines(flagged map[Key]bool, trapped map[string][]Key) {
	for _, tr := range traps {
		line := Trap{Name: tr.name, Resembles: tr.resembles, Labelled: len(trapped[tr.name])}
		for _, k := range trapped[tr.name] {
			if as := (Key{k.Customer, k.Reader, tr.resembles}); flagged[as] {
				line.Flagged = append(line.Flagged, as)
			}
		}
		rep.Traps = append(rep.Traps, line)
	}
}

// Markdown is the report as tables.
func (rep *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cycle %s: %d households in the routes, %d readings\n\n", rep.Cycle, rep.Households, rep.Readings)
	b.WriteString("| code | 中文 | labelled | flagged | true positives | precision | recall |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	for _, c := range vee.Codes() {
		t := rep.Tallies[c]
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s |\n", c, c.Chinese(), t.Labelled, t.Flagged, t.Hits,
			share(t.Hits, t.Flagged), share(t.Hits, t.Labelled))
	}
	b.WriteString("\n| trap | labelled | flagged as | count (must be 0) |\n|---|---:|---|---:|\n")
	for _, tr := range rep.Traps {
		fmt.Fprintf(&b, "| %s | %d | %s | %d |\n", tr.Name, tr.Labelled, tr.Resembles, len(tr.Flagged))
	}
	secs := rep.Elapsed.Seconds()
	fmt.Fprintf(&b, "\nvalidated %d readings (Batch + Missed over %d households) in %s: %.0f readings/s\n",
		rep.Readings, rep.Households, rep.Elapsed.Round(time.Millisecond), float64(rep.Readings)/secs)
	return b.String()
}

// share writes a/b to three places, or "—" when b is 0.
func share(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}
