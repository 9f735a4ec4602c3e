package domain_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"meter-sync/domain"
)

// mon is month for package-level tables.
func mon(s string) domain.Month {
	m, err := domain.ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func month(t *testing.T, s string) domain.Month {
	t.Helper()
	m, err := domain.ParseMonth(s)
	if err != nil {
		t.Fatalf("ParseMonth(%q): %v", s, err)
	}
	return m
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		year     int
		calendar time.Month
		out      string
		wantErr  bool
	}{
		{"January", "2024-01", 2024, time.January, "2024-01", false},
		{"December", "2023-12", 2023, time.December, "2023-12", false},
		{"spaces", " 2025-06 ", 2025, time.June, "2025-06", false},
		{"the lost-invoice year", "2002-01", 2002, time.January, "2002-01", false},
		{"month 13", "2024-13", 0, 0, "", true},
		{"month 0", "2024-00", 0, 0, "", true},
		{"slash", "2024/01", 0, 0, "", true},
		{"one-digit month", "2024-1", 0, 0, "", true},
		{"with a day", "2024-01-15", 0, 0, "", true},
		{"Chinese", "2024年1月", 0, 0, "", true},
		{"empty", "", 0, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := domain.ParseMonth(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseMonth(%q) = %v, want an error", tt.in, m)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMonth(%q): %v", tt.in, err)
			}
			if m.Year() != tt.year || m.Calendar() != tt.calendar || m.String() != tt.out {
				t.Errorf("ParseMonth(%q) = %d-%v %q; want %d-%v %q", tt.in, m.Year(), m.Calendar(), m.String(), tt.year, tt.calendar, tt.out)
			}
			if back := month(t, m.String()); back != m {
				t.Errorf("ParseMonth(%q) = %v, want %v", m.String(), back, m)
			}
		})
	}
}

func TestMonthAdd(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"next", "2024-05", 1, "2024-06"},
		{"into the next year", "2024-12", 1, "2025-01"},
		{"back into the last year", "2025-01", -1, "2024-12"},
		{"two months: the next reading of the group", "2024-11", 2, "2025-01"},
		{"a year", "2024-02", 12, "2025-02"},
		{"none", "2024-02", 0, "2024-02"},
		{"back two years", "2024-03", -25, "2022-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := month(t, tt.from).Add(tt.n).String(); got != tt.want {
				t.Errorf("%s.Add(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestMonthGroup(t *testing.T) {
	tests := []struct {
		name string
		m    string
		want domain.MonthGroup
	}{
		{"January is odd", "2024-01", domain.OddMonths},
		{"February is even", "2024-02", domain.EvenMonths},
		{"March is odd", "2024-03", domain.OddMonths},
		{"November is odd", "2024-11", domain.OddMonths},
		{"December is even", "2024-12", domain.EvenMonths},
		{"January after December is odd", "2025-01", domain.OddMonths},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := month(t, tt.m).Group(); got != tt.want {
				t.Errorf("%s.Group() = %v, want %v", tt.m, got, tt.want)
			}
		})
	}
	// DESIGN §5.4: each household is read every two months, so the groups
	// alternate month by month, across the year's end as well.
	m := month(t, "2023-01")
	for range 36 {
		if m.Group() == m.Add(1).Group() {
			t.Fatalf("%v and %v are both %v", m, m.Add(1), m.Group())
		}
		if m.Group() != m.Add(2).Group() {
			t.Fatalf("%v is %v but %v is %v", m, m.Group(), m.Add(2), m.Add(2).Group())
		}
		m = m.Add(1)
	}
}

func TestMonthStartEnd(t *testing.T) {
	m := month(t, "2024-12")
	if got, want := m.Start(), time.Date(2024, time.December, 1, 0, 0, 0, 0, domain.Local); !got.Equal(want) {
		t.Errorf("Start() = %v, want %v", got, want)
	}
	if got, want := m.End(), time.Date(2025, time.January, 1, 0, 0, 0, 0, domain.Local); !got.Equal(want) {
		t.Errorf("End() = %v, want %v", got, want)
	}
	if got, want := m.Start().UTC(), time.Date(2024, time.November, 30, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Start() in UTC = %v, want %v (months are local, UTC+8)", got, want)
	}
}

func TestMonthContains(t *testing.T) {
	tests := []struct {
		name string
		m    string
		t    time.Time
		want bool
	}{
		{"first local instant", "2024-02", time.Date(2024, time.February, 1, 0, 0, 0, 0, domain.Local), true},
		{"last local instant", "2024-02", time.Date(2024, time.February, 29, 23, 59, 59, 999999999, domain.Local), true},
		{"end is exclusive", "2024-02", time.Date(2024, time.March, 1, 0, 0, 0, 0, domain.Local), false},
		// 2024-01-31 16:00 UTC is 2024-02-01 00:00 in UTC+8
		{"UTC evening of January 31 is February", "2024-02", time.Date(2024, time.January, 31, 16, 0, 0, 0, time.UTC), true},
		{"UTC evening of January 31 is not January", "2024-01", time.Date(2024, time.January, 31, 16, 0, 0, 0, time.UTC), false},
		{"UTC afternoon of January 31 is January", "2024-01", time.Date(2024, time.January, 31, 15, 59, 59, 0, time.UTC), true},
		{"UTC New Year's Eve is the new year", "2025-01", time.Date(2024, time.December, 31, 20, 0, 0, 0, time.UTC), true},
		{"New York evening is the next local day", "2024-07", time.Date(2024, time.June, 30, 20, 0, 0, 0, time.FixedZone("EDT", -4*3600)), true},
		{"a year earlier", "2024-02", time.Date(2023, time.February, 10, 0, 0, 0, 0, domain.Local), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := month(t, tt.m).Contains(tt.t); got != tt.want {
				t.Errorf("%s.Contains(%v) = %v, want %v", tt.m, tt.t, got, tt.want)
			}
		})
	}
}

func TestMonthOf(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"local", time.Date(2024, time.March, 15, 12, 0, 0, 0, domain.Local), "2024-03"},
		{"UTC before local midnight", time.Date(2024, time.March, 31, 15, 0, 0, 0, time.UTC), "2024-03"},
		{"UTC after local midnight", time.Date(2024, time.March, 31, 16, 0, 0, 0, time.UTC), "2024-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.MonthOf(tt.t).String(); got != tt.want {
				t.Errorf("MonthOf(%v) = %s, want %s", tt.t, got, tt.want)
			}
		})
	}
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want time.Time
	}{
		{"local afternoon", time.Date(2024, time.May, 20, 15, 30, 0, 0, domain.Local), day(2024, time.May, 20)},
		{"UTC evening is the next local day", time.Date(2024, time.May, 19, 20, 0, 0, 0, time.UTC), day(2024, time.May, 20)},
		{"UTC midnight is the same local day", time.Date(2024, time.May, 20, 0, 0, 0, 0, time.UTC), day(2024, time.May, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.DayOf(tt.t)
			if !got.Equal(tt.want) || got.Location() != domain.Local {
				t.Errorf("DayOf(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

// rotation is the assignment history used by the reader tests: book 0012
// passes from 王 to 李 in 2024-03 and to 陈 in 2024-07 (planned, future in
// the months tested before it), and is left unassigned in 2024-09; 李 and 王
// swap book 0013 and 0014.
var rotation = []domain.Assignment{
	{Book: "0012", Reader: "R-王", From: mon("2024-01")},
	{Book: "0012", Reader: "R-李", From: mon("2024-03")},
	{Book: "0012", Reader: "R-陈", From: mon("2024-07")},
	{Book: "0012", Reader: "", From: mon("2024-09")},
	{Book: "0013", Reader: "R-李", From: mon("2023-11")},
	{Book: "0013", Reader: "R-王", From: mon("2024-03")},
	{Book: "0014", Reader: "R-王", From: mon("2023-11")},
	{Book: "0014", Reader: "R-李", From: mon("2024-03")},
}

// orders returns xs in several orders: reversed, and rotated by every offset
// (the offset 0 being xs as written).
func orders[T any](xs []T) [][]T {
	rev := slices.Clone(xs)
	slices.Reverse(rev)
	out := [][]T{rev}
	for i := range xs {
		out = append(out, append(slices.Clone(xs[i:]), xs[:i]...))
	}
	return out
}

func TestReaderOf(t *testing.T) {
	tests := []struct {
		name string
		book string
		m    string
		want string
	}{
		{"before any assignment", "0012", "2023-12", ""},
		{"first month of the first reader", "0012", "2024-01", "R-王"},
		{"still the first reader", "0012", "2024-02", "R-王"},
		{"rotated", "0012", "2024-03", "R-李"},
		{"the planned reader does not hold it yet", "0012", "2024-06", "R-李"},
		{"the planned reader takes over", "0012", "2024-07", "R-陈"},
		{"unassigned again", "0012", "2024-09", ""},
		{"unassigned later too", "0012", "2026-01", ""},
		{"swapped book, before", "0013", "2024-02", "R-李"},
		{"swapped book, after", "0013", "2024-03", "R-王"},
		{"unknown book", "0099", "2024-03", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, as := range orders(rotation) {
				if got := domain.ReaderOf(as, tt.book, month(t, tt.m)); got != tt.want {
					t.Fatalf("order %d: ReaderOf(%s, %s) = %q, want %q", i, tt.book, tt.m, got, tt.want)
				}
			}
		})
	}
}

func TestBooksOf(t *testing.T) {
	tests := []struct {
		name   string
		reader string
		m      string
		want   []string
	}{
		{"王 before rotation", "R-王", "2024-02", []string{"0012", "0014"}},
		{"李 before rotation", "R-李", "2024-02", []string{"0013"}},
		{"王 after rotation", "R-王", "2024-03", []string{"0013"}},
		{"李 after rotation", "R-李", "2024-03", []string{"0012", "0014"}},
		{"陈 before the planned start", "R-陈", "2024-06", nil},
		{"陈 from the planned start", "R-陈", "2024-07", []string{"0012"}},
		{"李 once 陈 took over", "R-李", "2024-07", []string{"0014"}},
		{"陈 after the book was unassigned", "R-陈", "2024-09", nil},
		{"a reader with no books", "R-赵", "2024-03", nil},
		{"nobody's books before any assignment", "R-王", "2023-01", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, as := range orders(rotation) {
				if got := domain.BooksOf(as, tt.reader, month(t, tt.m)); !slices.Equal(got, tt.want) {
					t.Fatalf("order %d: BooksOf(%s, %s) = %v, want %v", i, tt.reader, tt.m, got, tt.want)
				}
			}
		})
	}
}

func TestBooksOfListsABookOnce(t *testing.T) {
	// the same reader assigned twice to the same book lists it once
	as := []domain.Assignment{
		{Book: "0012", Reader: "R-王", From: month(t, "2024-01")},
		{Book: "0012", Reader: "R-王", From: month(t, "2024-05")},
	}
	if got := domain.BooksOf(as, "R-王", month(t, "2024-06")); !slices.Equal(got, []string{"0012"}) {
		t.Errorf("BooksOf = %v, want [0012]", got)
	}
}

func TestCheckAssignment(t *testing.T) {
	tests := []struct {
		name    string
		book    string
		wantErr bool
	}{
		{"four digits", "0012", false},
		{"three digits", "012", true},
		{"five digits", "00123", true},
		{"letters", "00ab", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckAssignment(domain.Assignment{Book: tt.book, Reader: "R-王", From: month(t, "2024-01")})
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("CheckAssignment(%q) = %v", tt.book, err)
				}
				return
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field != "抄表册" {
				t.Errorf("CheckAssignment(%q) = %v, want a FieldError on 抄表册", tt.book, err)
			}
		})
	}
}

func TestInRoute(t *testing.T) {
	odd, even := "2024-05", "2024-06"
	tests := []struct {
		name  string
		group domain.MonthGroup
		state domain.MeterState
		m     string
		want  bool
	}{
		{"单月 通气 in an odd month", domain.OddMonths, domain.StateGasOn, odd, true},
		{"单月 通气 in an even month", domain.OddMonths, domain.StateGasOn, even, false},
		{"双月 通气 in an even month", domain.EvenMonths, domain.StateGasOn, even, true},
		{"双月 通气 in an odd month", domain.EvenMonths, domain.StateGasOn, odd, false},
		{"装表 is walked (私自点火)", domain.OddMonths, domain.StateInstalled, odd, true},
		{"封表 is walked", domain.OddMonths, domain.StateSealed, odd, true},
		{"报装 has no meter", domain.OddMonths, domain.StateApplied, odd, false},
		{"未用 has no meter", domain.OddMonths, domain.StateUnused, odd, false},
		{"拆表 is removed", domain.OddMonths, domain.StateRemoved, odd, false},
		{"no group", 0, domain.StateGasOn, odd, false},
		{"no group, even month", 0, domain.StateGasOn, even, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := domain.Customer{Group: tt.group, Meter: domain.Meter{State: tt.state}}
			if got := domain.InRoute(&c, month(t, tt.m)); got != tt.want {
				t.Errorf("InRoute(%v %v, %s) = %v, want %v", tt.group, tt.state, tt.m, got, tt.want)
			}
		})
	}
}

func TestSortRoute(t *testing.T) {
	cust := func(id, seq string, a domain.AreaType, b domain.BuildingType) domain.Customer {
		return domain.Customer{ID: id, Seq: mustSeq(t, seq, a, b)}
	}
	want := []domain.Customer{ // walking order
		cust("C09", "0011991999", old, low),
		cust("C01", "001201001001", new_, high),
		cust("C07", "00120102101", new_, low),
		cust("C03", "0012031101", old, low),
		cust("C04", "0012031101", old, low), // same number: by customer number
		cust("C02", "00120311000", old, high),
		cust("C05", "00120312101", old, high),
		cust("C08", "00120310101", new_, low),
		cust("C06", "0013010101", old, low),
	}
	for i, start := range orders(want) {
		got := slices.Clone(start)
		domain.SortRoute(got)
		var ids, wantIDs []string
		for j := range got {
			ids = append(ids, got[j].ID)
			wantIDs = append(wantIDs, want[j].ID)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Fatalf("order %d: SortRoute = %v, want %v", i, ids, wantIDs)
		}
	}
}

func TestLatestAssignment(t *testing.T) {
	tests := []struct {
		name      string
		book      string
		want      domain.Assignment
		wantFound bool
	}{
		{"the latest, even planned or unassigning", "0012", domain.Assignment{Book: "0012", Reader: "", From: mon("2024-09")}, true},
		{"swapped book", "0013", domain.Assignment{Book: "0013", Reader: "R-王", From: mon("2024-03")}, true},
		{"unknown book", "0099", domain.Assignment{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, as := range orders(rotation) {
				got, found := domain.LatestAssignment(as, tt.book)
				if got != tt.want || found != tt.wantFound {
					t.Fatalf("order %d: LatestAssignment(%s) = %+v, %v; want %+v, %v", i, tt.book, got, found, tt.want, tt.wantFound)
				}
			}
		})
	}
}
