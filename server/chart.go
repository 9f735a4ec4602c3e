package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/review"
	"meter-sync/store"
	"meter-sync/vee"
)

// The household page's consumption chart: an inline SVG drawn here, on the
// server (DESIGN §4: no script draws it). Months run along x, m³ per month
// along y; each point is the use between two history readings, the
// current reading is a highlighted point, and the baseline a dashed line
// when the anomaly's evidence names it. Only layout is computed here: the
// uses are package review's (Household.Use) and validation's
// (Anomaly.ConsumptionM3).

// Chart geometry, in SVG user units.
const (
	chartW, chartH           = 640.0, 220.0
	chartLeft, chartRight    = 52.0, 16.0
	chartTop, chartBottom    = 14.0, 30.0
	maxXTicks                = 8
	evidenceBaseline         = "基准(月)"
	evidenceMonthsBetween    = "间隔月数"
	chartTitleFormat         = "%s至%s 用气 %s m³,月均 %s m³"
	chartCurrentTitleFormat  = "本次抄表 %s:用气 %s m³,月均 %s m³"
	chartBaselineTitleFormat = "基准 %s m³/月"
)

// chartPoint is one point as drawn.
type chartPoint struct {
	X, Y  string
	Title string // what a pointer over it shows
}

// chartTick is one labelled tick of an axis.
type chartTick struct {
	At    string // x for the x axis, y for the y axis
	Label string
}

// chartView is the chart as the template draws it.
type chartView struct {
	W, H, Left, Right, Top, Bottom string // the plot area's edges
	Line                           string // the polyline of the history
	Points                         []chartPoint
	Current                        *chartPoint
	BaselineY, BaselineTitle       string // "" without a baseline
	XTicks, YTicks                 []chartTick
	Empty                          bool // nothing to draw
}

// datum is a value at a time, before layout.
type datum struct {
	at    time.Time
	value float64
	title string
}

// consumptionChart lays out h's history of use, the current reading's use
// and the baseline its anomalies name.
func consumptionChart(h *review.Household) chartView {
	var ds []datum
	for _, u := range h.Use {
		ds = append(ds, datum{at: u.To, value: u.PerMonth, title: fmt.Sprintf(chartTitleFormat,
			u.From.Format(time.DateOnly), u.To.Format(time.DateOnly), num(u.M3), num(u.PerMonth))})
	}
	cur, hasCur := currentUse(h)
	base, hasBase := evidenceNumber(h.Anomalies, evidenceBaseline)
	if len(ds) == 0 && !hasCur {
		return chartView{Empty: true}
	}
	all := append([]datum(nil), ds...)
	if hasCur {
		all = append(all, cur)
	}
	xs := newTimeScale(all)
	ys := newValueScale(all, base, hasBase)
	v := chartView{W: f1(chartW), H: f1(chartH), Left: f1(chartLeft), Right: f1(chartW - chartRight),
		Top: f1(chartTop), Bottom: f1(chartH - chartBottom), XTicks: xs.ticks(), YTicks: ys.ticks()}
	var line []string
	for _, d := range ds {
		p := chartPoint{X: f1(xs.at(d.at)), Y: f1(ys.at(d.value)), Title: d.title}
		v.Points = append(v.Points, p)
		line = append(line, p.X+","+p.Y)
	}
	v.Line = strings.Join(line, " ")
	if hasCur {
		v.Current = &chartPoint{X: f1(xs.at(cur.at)), Y: f1(ys.at(cur.value)), Title: cur.title}
	}
	if hasBase {
		v.BaselineY, v.BaselineTitle = f1(ys.at(base)), fmt.Sprintf(chartBaselineTitleFormat, num(base))
	}
	return v
}

// currentUse is the current reading's use per month: the use validation
// measured on the newest reading version an anomaly was raised on, over
// the months between the last history reading and the read (the rule's
// own 间隔月数 when its evidence gives it).
func currentUse(h *review.Household) (datum, bool) {
	var a *store.Anomaly
	for i := range h.Anomalies {
		if x := &h.Anomalies[i]; x.ReadingVersion > 0 && (a == nil || x.ReadingVersion > a.ReadingVersion) {
			a = x
		}
	}
	if a == nil || len(h.Versions) == 0 {
		return datum{}, false
	}
	read := h.Versions[len(h.Versions)-1].Reading
	for _, v := range h.Versions {
		if v.Version == a.ReadingVersion {
			read = v.Reading
		}
	}
	months, ok := evidenceNumber([]store.Anomaly{*a}, evidenceMonthsBetween)
	if !ok && len(h.History) > 0 {
		months = vee.MonthsBetween(h.History[len(h.History)-1].Date, read.ReadAt)
	}
	if months <= 0 {
		return datum{}, false
	}
	per := a.ConsumptionM3 / months
	return datum{at: read.ReadAt, value: per, title: fmt.Sprintf(chartCurrentTitleFormat,
		read.ReadAt.In(domain.Local).Format(time.DateOnly), num(a.ConsumptionM3), num(per))}, true
}

// evidenceNumber is the first number the anomalies' evidence gives under name.
func evidenceNumber(as []store.Anomaly, name string) (float64, bool) {
	for _, a := range as {
		for _, f := range a.Evidence {
			if f.Name != name {
				continue
			}
			if n, err := strconv.ParseFloat(strings.TrimSpace(f.Value), 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
				return n, true
			}
		}
	}
	return 0, false
}

// timeScale maps times onto the plot's width.
type timeScale struct{ from, to time.Time }

func newTimeScale(ds []datum) timeScale {
	s := timeScale{from: ds[0].at, to: ds[0].at}
	for _, d := range ds {
		if d.at.Before(s.from) {
			s.from = d.at
		}
		if d.at.After(s.to) {
			s.to = d.at
		}
	}
	// A month either side, so that the first and last points sit inside.
	s.from, s.to = s.from.AddDate(0, -1, 0), s.to.AddDate(0, 1, 0)
	return s
}

func (s timeScale) at(t time.Time) float64 {
	span := s.to.Sub(s.from).Seconds()
	return chartLeft + (chartW-chartLeft-chartRight)*t.Sub(s.from).Seconds()/span
}

// ticks labels month starts, every step months so that at most maxXTicks show.
func (s timeScale) ticks() []chartTick {
	first := domain.MonthOf(s.from).Add(1)
	last := domain.MonthOf(s.to)
	n := int(last-first) + 1
	step := max(1, (n+maxXTicks-1)/maxXTicks)
	var out []chartTick
	for m := first; m <= last; m = m.Add(step) {
		out = append(out, chartTick{At: f1(s.at(m.Start())), Label: m.String()})
	}
	return out
}

// valueScale maps m³ onto the plot's height, from a round floor to a round top.
type valueScale struct{ lo, hi, step float64 }

func newValueScale(ds []datum, base float64, hasBase bool) valueScale {
	lo, hi := 0.0, 1.0
	for _, d := range ds {
		lo, hi = math.Min(lo, d.value), math.Max(hi, d.value)
	}
	if hasBase {
		hi = math.Max(hi, base)
	}
	step := niceStep((hi - lo) / 4)
	return valueScale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi*1.05/step) * step, step: step}
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (s valueScale) at(v float64) float64 {
	return chartH - chartBottom - (chartH-chartTop-chartBottom)*(v-s.lo)/(s.hi-s.lo)
}

func (s valueScale) ticks() []chartTick {
	var out []chartTick
	for v := s.lo; v <= s.hi+s.step/2; v += s.step {
		out = append(out, chartTick{At: f1(s.at(v)), Label: num(v)})
	}
	return out
}

// f1 writes a coordinate with one decimal.
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// num writes a volume as staff read it: at most two decimals, no trailing zeros.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
