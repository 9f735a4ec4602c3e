package handheld

import (
	"errors"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
)

// Stats is the 抄表统计 screen's numbers. Due (应抄) is the total the
// reader and the clerk check after a route is loaded (DOMAIN §2.2 step 6),
// and Read (已抄) what they check at the import (§2.3 step 4).
type Stats struct {
	Reader, Cycle string
	Due           int // 应抄: households on the route
	Read          int // 已抄
	Unread        int // 未抄
	Estimated     int // 估抄: read households whose reading is an estimate
	Rereads       int // 重抄: households returned for a re-read
	RereadsDone   int // re-reads read since they were returned
	Added         int // 新增户: pending readings of households not on the route
	Books         []BookStats
}

// BookStats is one route book's line of 抄表统计.
type BookStats struct {
	Book                         string // 抄表册: the first 4 digits of 抄表序号
	Due, Read, Unread, Estimated int
}

// StatsOf counts a route, its re-reads and the pending readings.
func StatsOf(route Route, rereads []Household, pending []Reading) Stats {
	st := Stats{Reader: route.Reader, Cycle: route.Cycle, Due: len(route.Households), Rereads: len(rereads)}
	books := map[string]*BookStats{}
	for _, h := range route.Households {
		b := books[h.Book()]
		if b == nil {
			b = &BookStats{Book: h.Book()}
			books[h.Book()] = b
		}
		b.Due++
		if h.Read {
			b.Read++
			if h.Flags&domain.FlagEstimated != 0 {
				b.Estimated++
			}
		}
	}
	for _, b := range books {
		b.Unread = b.Due - b.Read
		st.Read += b.Read
		st.Estimated += b.Estimated
		st.Books = append(st.Books, *b)
	}
	st.Unread = st.Due - st.Read
	slices.SortFunc(st.Books, func(a, b BookStats) int { return strings.Compare(a.Book, b.Book) })
	for _, h := range rereads {
		if h.Read {
			st.RereadsDone++
		}
	}
	for _, r := range pending {
		if r.OffRoute {
			st.Added++
		}
	}
	return st
}

// Stats counts what the handheld holds; with no route loaded everything is
// zero.
func (s *Store) Stats() (Stats, error) {
	route, rereads, pending, err := s.holdings()
	if err != nil {
		return Stats{}, err
	}
	return StatsOf(route, rereads, pending), nil
}

// holdings reads what Stats counts: the loaded route (empty when none), the
// re-reads and the pending readings.
func (s *Store) holdings() (Route, []Household, []Reading, error) {
	route, err := s.Route()
	if err != nil && !errors.Is(err, ErrNoRoute) {
		return Route{}, nil, nil, err
	}
	rereads, err := s.Rereads()
	if err != nil {
		return Route{}, nil, nil, err
	}
	pending, err := s.pending()
	return route, rereads, pending, err
}

// Summary is the 数据管理 screen's content: what the handheld holds.
type Summary struct {
	DeviceID    string // "" when not paired
	Clock       time.Time
	Offset      time.Duration // the clock minus the system clock
	Route       *RouteHeader  // nil when no route is loaded
	Households  int
	Rereads     int
	RereadsLeft int
	Pending     int // readings waiting for upload
	Partials    []PartialInfo
}

// Summary gathers the 数据管理 screen's content.
func (s *Store) Summary() (Summary, error) {
	var sum Summary
	id, err := s.Identity()
	if err != nil && !errors.Is(err, ErrNotPaired) {
		return sum, err
	}
	sum.DeviceID = id.DeviceID
	if sum.Offset, err = s.ClockOffset(); err != nil {
		return sum, err
	}
	sum.Clock = s.now().Add(sum.Offset)
	route, rereads, pending, err := s.holdings()
	if err != nil {
		return sum, err
	}
	if sum.Route, err = s.routeHeader(); err != nil {
		return sum, err
	}
	st := StatsOf(route, rereads, pending)
	sum.Households, sum.Rereads, sum.RereadsLeft = st.Due, st.Rereads, st.Rereads-st.RereadsDone
	sum.Pending = len(pending)
	sum.Partials, err = s.Partials()
	return sum, err
}
