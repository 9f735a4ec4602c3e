package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Local is the company's local time (China Standard Time, UTC+8); months and
// reading dates are reckoned in it.
var Local = time.FixedZone("CST", 8*3600)

// Month is a calendar month, the unit of reading plans: months since year 0.
type Month int

// MonthOf is the month holding t, in local time.
func MonthOf(t time.Time) Month {
	t = t.In(Local)
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("月份应为YYYY-MM,实为%q", s)
	}
	return MonthOf(t), nil
}

// Year and Month of m.
func (m Month) Year() int                 { return int(m) / 12 }
func (m Month) Calendar() time.Month      { return time.Month(int(m)%12 + 1) }
func (m Month) String() string            { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Calendar())) }
func (m Month) Add(n int) Month           { return m + Month(n) }
func (m Month) Start() time.Time          { return time.Date(m.Year(), m.Calendar(), 1, 0, 0, 0, 0, Local) }
func (m Month) End() time.Time            { return m.Add(1).Start() }
func (m Month) Contains(t time.Time) bool { return MonthOf(t) == m }

// Group is the reading group read in month m: odd calendar months read 单月
// households, even months 双月 (DESIGN §5.4).
func (m Month) Group() MonthGroup {
	if m.Calendar()%2 == 1 {
		return OddMonths
	}
	return EvenMonths
}

// Reader is a meter reader (抄表员).
type Reader struct {
	ID   string // 抄表员编号
	Name string
}

// Assignment gives route book Book to reader Reader from month From on, until
// a later assignment of the same book. Rotation appends; history is kept
// (DESIGN §5.5; readers rotate areas [003:2355]).
type Assignment struct {
	Book   string // 4-digit 抄表册号
	Reader string // "" = unassigned
	From   Month
}

// ReaderOf is the reader who holds book in month m, given that book's
// assignments (in any order); "" if nobody.
func ReaderOf(assignments []Assignment, book string, m Month) string {
	best, found := Assignment{}, false
	for _, a := range assignments {
		if a.Book == book && a.From <= m && (!found || a.From >= best.From) {
			best, found = a, true
		}
	}
	return best.Reader
}

// LatestAssignment is the book's assignment with the latest start: the one
// that holds today or is planned next.
func LatestAssignment(assignments []Assignment, book string) (Assignment, bool) {
	best, found := Assignment{}, false
	for _, a := range assignments {
		if a.Book == book && (!found || a.From >= best.From) {
			best, found = a, true
		}
	}
	return best, found
}

// BooksOf lists, sorted, the books reader holds in month m.
func BooksOf(assignments []Assignment, reader string, m Month) []string {
	var books []string
	for _, a := range assignments {
		if a.Reader == reader && !slices.Contains(books, a.Book) && ReaderOf(assignments, a.Book, m) == reader {
			books = append(books, a.Book)
		}
	}
	slices.Sort(books)
	return books
}

// CheckAssignment validates one assignment before it is stored.
func CheckAssignment(a Assignment) error {
	if !ValidBookID(a.Book) {
		return &FieldError{Field: "抄表册", Reason: fmt.Sprintf("抄表册号应为4位数字,实为%q", a.Book), Source: "[003:1563]"}
	}
	return nil
}

// InRoute reports whether household c is read in month m: its group is the
// month's and its meter is one a reader walks to (DESIGN §5.4).
func InRoute(c *Customer, m Month) bool {
	return c.Group == m.Group() && c.Meter.State.OnRoute()
}

// SortRoute orders households in walking order, book → building → unit → room.
func SortRoute(cs []Customer) {
	slices.SortFunc(cs, func(a, b Customer) int {
		ka, kb := a.Seq.SortKey(), b.Seq.SortKey()
		if c := strings.Compare(string(ka[:]), string(kb[:])); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// DayOf is the local calendar day holding t, at midnight local time.
func DayOf(t time.Time) time.Time {
	t = t.In(Local)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Local)
}
