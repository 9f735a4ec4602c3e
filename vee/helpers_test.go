package vee

import (
	"math"
	"slices"
	"testing"
	"time"

	"meter-sync/domain"
)

// Cycles the tests read in: January (odd months, heating season) and June
// (even months).
var (
	jan = domain.Month(2026*12 + 0)
	jun = domain.Month(2026*12 + 5)
)

func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, domain.Local)
}

// usage is a household's use in each calendar month, m³.
type usage func(time.Month) float64

func flat(v float64) usage { return func(time.Month) float64 { return v } }

// boiler heats with a 壁挂炉: 120 m³ in December to February, 48 in November
// and March, 12 otherwise.
func boiler(m time.Month) float64 {
	switch m {
	case time.December, time.January, time.February:
		return 120
	case time.November, time.March:
		return 48
	}
	return 12
}

// customer is an established household of the cycle's month group with a
// 5-digit read meter that is 通气, its contract on file and its fee paid.
func customer(id string, cycle domain.Month) domain.Customer {
	return domain.Customer{ID: id, Name: "王芳", Estate: "黄龙小区", Address: "鹿城区黄龙小区3幢1单元301室",
		Seq:   domain.SeqNo{Area: domain.AreaOld, Building: domain.BuildingLowRise, Book: 1201, Block: 3, Unit: 1, Room: 301},
		Group: cycle.Group(), Pay: domain.PayCash, Contract: true, FeePaid: true,
		Meter: domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, Model: "J2.5", DialDigits: 5}}
}

// household is read on the 10th of every second month in the 14 months
// before cycle, its register starting at start and moving by use.
func household(id string, cycle domain.Month, start float64, use usage) Household {
	h := Household{Customer: customer(id, cycle)}
	capacity := h.Customer.Meter.Capacity()
	v := start
	for m := cycle.Add(-14); m < cycle; m = m.Add(2) {
		if m > cycle.Add(-14) {
			v += use(m.Add(-2).Calendar()) + use(m.Add(-1).Calendar())
		}
		h.History = append(h.History, domain.HistoryReading{CustomerID: id, Date: local(m.Year(), m.Calendar(), 10, 0, 0),
			ValueM3: math.Mod(v, capacity)})
	}
	return h
}

// last is the household's previous reading.
func last(h Household) float64 { return h.History[len(h.History)-1].ValueM3 }

// reading is h's reading in cycle on the 12th at 10:17: the previous
// reading plus use, wrapped at the dial's top.
func reading(h Household, cycle domain.Month, use float64) domain.Reading {
	v := h.Customer.Meter.BaseM3 + use
	if len(h.History) > 0 {
		v = last(h) + use
	}
	return domain.Reading{CustomerID: h.Customer.ID, Cycle: cycle, ValueM3: math.Mod(v, h.Customer.Meter.Capacity()),
		ReadAt: local(cycle.Year(), cycle.Calendar(), 12, 10, 17), ReaderID: "R001"}
}

// codes lists the codes of a result's anomalies.
func codes(r Result) []Code {
	var out []Code
	for _, a := range r.Anomalies {
		out = append(out, a.Code)
	}
	return out
}

// anomaly returns the result's anomaly of code c.
func anomaly(t *testing.T, r Result, c Code) Anomaly {
	t.Helper()
	i := slices.IndexFunc(r.Anomalies, func(a Anomaly) bool { return a.Code == c })
	if i < 0 {
		t.Fatalf("no %s in %v", c, codes(r))
	}
	return r.Anomalies[i]
}

// evidence is an anomaly's fact called name, or "" when it has none.
func evidence(a Anomaly, name string) string {
	for _, f := range a.Evidence {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func ptr(v float64) *float64 { return &v }
