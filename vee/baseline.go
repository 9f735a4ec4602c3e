package vee

import (
	"math"
	"slices"
	"time"

	"meter-sync/domain"
)

// baseline is a household's expected use per month, and where it comes from.
type baseline struct {
	perMonth float64
	recent   float64 // average over the last BaselineMonths of history
	yearAgo  float64 // per month, the same cycle a year ago
	source   string  // shown as 基准来源
}

// history is the household's readings before the cycle, in time order: the
// last is the previous reading.
func history(h *Household, cycle domain.Month) []domain.HistoryReading {
	start := cycle.Start()
	hs := h.History
	if !slices.IsSortedFunc(hs, byDate) {
		hs = slices.SortedFunc(slices.Values(hs), byDate)
	}
	n, _ := slices.BinarySearchFunc(hs, start, func(r domain.HistoryReading, t time.Time) int { return r.Date.Compare(t) })
	return hs[:n]
}

func byDate(a, b domain.HistoryReading) int { return a.Date.Compare(b.Date) }

// ownBaseline is DESIGN §5.1's baseline from the household's own history:
// the larger of its average monthly use over its last BaselineMonths and its
// monthly use in the same cycle a year ago, so that a 壁挂炉 household is not
// flagged every January and the same jump in June is. ok is false when the
// history spans under MinHistoryMonths. Steps that went back (unexplained
// data) are left out.
func ownBaseline(h *Household, hist []domain.HistoryReading, cycle domain.Month, p Params) (baseline, bool) {
	n := len(hist)
	if n < 2 || int(domain.MonthOf(hist[n-1].Date)-domain.MonthOf(hist[0].Date)) < p.MinHistoryMonths {
		return baseline{}, false
	}
	from := domain.MonthOf(hist[n-1].Date).Add(-p.BaselineMonths)
	var b baseline
	var use, span float64
	for k := 1; k < n; k++ {
		s := measure(h, hist[k-1].ValueM3, hist[k-1].Date, hist[k].ValueM3, hist[k].Date, p.RolloverMarginFraction)
		m := MonthsBetween(hist[k-1].Date, hist[k].Date)
		if s.kind == backward || m <= 0 {
			continue
		}
		if domain.MonthOf(hist[k-1].Date) >= from {
			use, span = use+s.use, span+m
		}
		if domain.MonthOf(hist[k].Date) == cycle.Add(-12) {
			b.yearAgo = s.use / m
		}
	}
	if span > 0 {
		b.recent = use / span
	}
	b.perMonth, b.source = b.recent, "本户近"+itoa(p.BaselineMonths)+"个月月均"
	if b.yearAgo > b.recent {
		b.perMonth, b.source = b.yearAgo, "本户去年同期月均"
	}
	return b, true
}

// peer is an estate and building type, whose median baseline stands in for
// a household with little history (DESIGN §5.1).
type peer struct {
	estate   string
	building domain.BuildingType
}

func peerOf(c *domain.Customer) peer { return peer{c.Estate, c.Seq.Building} }

// peerMedians is the median own baseline of each estate and building type
// among households.
func peerMedians(households []Household, cycle domain.Month, p Params) map[peer]float64 {
	groups := map[peer][]float64{}
	for i := range households {
		h := &households[i]
		if b, ok := ownBaseline(h, history(h, cycle), cycle, p); ok {
			k := peerOf(&h.Customer)
			groups[k] = append(groups[k], b.perMonth)
		}
	}
	out := make(map[peer]float64, len(groups))
	for k, bs := range groups {
		out[k] = median(bs)
	}
	return out
}

// median sorts vs and returns their median.
func median(vs []float64) float64 {
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// baselineFor is the household's own baseline, else its estate and building
// type's median; none (0) when neither is known, when only the floor and the
// cap judge a large volume.
func baselineFor(h *Household, hist []domain.HistoryReading, cycle domain.Month, p Params) baseline {
	if b, ok := ownBaseline(h, hist, cycle, p); ok {
		return b
	}
	if h.PeerBaselineM3 > 0 && !math.IsNaN(h.PeerBaselineM3) {
		return baseline{perMonth: h.PeerBaselineM3, source: "同小区同楼型中位数(本户历史不足" + itoa(p.MinHistoryMonths) + "个月)"}
	}
	return baseline{source: "无(本户历史不足" + itoa(p.MinHistoryMonths) + "个月,无同小区同楼型参照)"}
}
