package vee

import (
	"math"
	"slices"
	"time"

	"meter-sync/domain"
)

// daysPerMonth makes elapsed time into months: the average calendar month.
const daysPerMonth = 365.25 / 12

// MonthsBetween is the time from a to b in average calendar months, as
// the rules measure a gap between reads.
func MonthsBetween(a, b time.Time) float64 { return b.Sub(a).Hours() / 24 / daysPerMonth }

// stepKind says how the use between two reads was measured.
type stepKind uint8

const (
	forward   stepKind = iota // the register moved on, or stood still
	exchanged                 // across meter exchanges [003:1409]
	wrapped                   // across a dial wrap (表盘翻转), DESIGN §5.2
	backward                  // went back: no exchange, no plausible wrap (读数倒退)
)

// step is the use between two reads of a household and how it was measured.
type step struct {
	use      float64
	kind     stepKind
	capacity float64              // the dial's wrap point, for wrapped and backward
	crossed  []domain.MeterChange // the exchanges between the reads
}

// measure is the use between the register value a read at at and b read at
// bt. Across meter exchanges between the reads it is, exchange by exchange,
// the old meter's 表实际读数 − a + … + b − the new meter's 新表读数, as the CIS
// settles an exchange [003:1409]; any leg of it that goes back makes the
// whole step backward. A zero at means a is the current meter's base, so no
// exchange lies between.
func measure(h *Household, a float64, at time.Time, b float64, bt time.Time, margin float64) step {
	crossed := changesBetween(h.Changes, at, bt)
	if len(crossed) == 0 {
		return register(a, b, capacityAt(h, at), margin)
	}
	s := step{kind: exchanged, crossed: crossed}
	from, capacity := a, capacityAt(h, at)
	for _, ch := range crossed {
		s.join(register(from, ch.OldFinalM3, capacity, margin))
		from, capacity = ch.NewStartM3, dialCapacity(ch.DialDigits, h.Customer.Meter)
	}
	s.join(register(from, b, capacity, margin))
	return s
}

// join adds one meter's leg to an exchange step.
func (s *step) join(leg step) {
	s.use += leg.use
	if leg.kind == backward {
		s.kind, s.capacity = backward, leg.capacity
	}
}

// register is the use between two values of one register. A value below the
// previous one is a wrap only when the previous was within margin of the
// dial's top (DESIGN §5.2; Oracle MDM accepts a rollover only within a
// threshold of the register's capacity, ANCHORS.md).
func register(a, b, capacity, margin float64) step {
	switch {
	case b >= a:
		return step{use: b - a, kind: forward, capacity: capacity}
	case a >= (1-margin)*capacity:
		return step{use: capacity - a + b, kind: wrapped, capacity: capacity}
	}
	return step{use: b - a, kind: backward, capacity: capacity}
}

// changesBetween lists the exchanges after at and up to bt, in time order.
func changesBetween(changes []domain.MeterChange, at, bt time.Time) []domain.MeterChange {
	if at.IsZero() {
		return nil
	}
	var out []domain.MeterChange
	for _, ch := range changes {
		if ch.At.After(at) && !ch.At.After(bt) {
			out = append(out, ch)
		}
	}
	if !slices.IsSortedFunc(out, byChangeTime) {
		slices.SortFunc(out, byChangeTime)
	}
	return out
}

func byChangeTime(a, b domain.MeterChange) int { return a.At.Compare(b.At) }

// capacityAt is the dial capacity of the meter fitted at t: the one the
// latest exchange up to t fitted, else the household's meter (the CIS keeps
// no record of a meter before its first recorded exchange).
func capacityAt(h *Household, t time.Time) float64 {
	digits, when := 0, time.Time{}
	for _, ch := range h.Changes {
		if !ch.At.After(t) && (digits == 0 || ch.At.After(when)) {
			digits, when = ch.DialDigits, ch.At
		}
	}
	return dialCapacity(digits, h.Customer.Meter)
}

// dialCapacity is 10^digits, or m's capacity when digits is not a register
// size (an exchange recorded without 表盘位数).
func dialCapacity(digits int, m domain.Meter) float64 {
	if validDigits(digits) {
		return math.Pow10(digits)
	}
	return meterCapacity(m)
}

// meterCapacity is m's wrap point; a meter recorded without 表盘位数 has the
// default register (DESIGN §6).
func meterCapacity(m domain.Meter) float64 {
	if validDigits(m.DialDigits) {
		return m.Capacity()
	}
	return math.Pow10(domain.DefaultDialDigits)
}

// validDigits is the register sizes domain.Meter.Validate accepts.
func validDigits(d int) bool { return d >= 3 && d <= 9 }
