package vee

import (
	"math"
	"strconv"
	"time"

	"meter-sync/domain"
)

// num writes a volume or a reading to the hundredth, without trailing zeros.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r := math.Round(v*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func itoa(n int) string { return strconv.Itoa(n) }

// when writes an instant in local time, to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return "无"
	}
	return t.In(domain.Local).Format("2006-01-02 15:04:05")
}

// day writes a date.
func day(t time.Time) string {
	if t.IsZero() {
		return "无"
	}
	return t.In(domain.Local).Format(domain.DateLayout)
}

// fact is a Fact.
func fact(name, value string) Fact { return Fact{Name: name, Value: value} }
