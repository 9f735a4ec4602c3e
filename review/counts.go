package review

import (
	"errors"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// Counts are a reader's cycle in numbers: the households read against the
// route (核对抄表户数 [003:1219], DOMAIN §3.13) and where the review stands.
type Counts struct {
	Cycle  domain.Month
	Reader string
	Route  int // 应抄数: households in the route
	Read   int // households of the route with a reading
	Unread int // households of the route with none (MISSED at commit)
	// OffRoute counts households read that are not in the route (UNKNOWN).
	OffRoute  int
	Estimated int // readings flagged 估抄
	Anomalies int
	ByCode    map[string]int
	ByStatus  map[string]int
	// Pending waits for a decision (Pending); Blocking holds the commit back
	// (Unresolved). The MISSED of unread households are raised at commit, so
	// they are not in these until a commit was tried.
	Pending  int
	Blocking int
	// Committed is the cycle's commit, nil before it.
	Committed *store.CycleCommit
}

// CountsOf counts a reader's cycle.
func CountsOf(rt store.ReadTx, cycle domain.Month, reader string) (Counts, error) {
	if _, err := rt.Reader(reader); err != nil {
		return Counts{}, err
	}
	cs, err := newCycleState(rt, cycle, reader)
	if err != nil {
		return Counts{}, err
	}
	n := Counts{Cycle: cycle, Reader: reader, Route: len(cs.route), ByCode: map[string]int{}, ByStatus: map[string]int{}}
	onRoute := make(map[string]bool, len(cs.route))
	for i := range cs.route {
		onRoute[cs.route[i].ID] = true
	}
	for i := range cs.latest {
		if onRoute[cs.latest[i].CustomerID] {
			n.Read++
		} else {
			n.OffRoute++
		}
		if cs.latest[i].Flags&domain.FlagEstimated != 0 {
			n.Estimated++
		}
	}
	n.Unread = n.Route - n.Read
	for i := range cs.anomalies {
		a := &cs.anomalies[i]
		n.Anomalies++
		n.ByCode[a.Code]++
		n.ByStatus[a.Status]++
		if Pending(a, cs.read[a.CustomerID]) {
			n.Pending++
		}
		if Unresolved(a, cs.read[a.CustomerID]) {
			n.Blocking++
		}
	}
	if c, err := rt.CycleCommit(cycle, reader); err == nil {
		n.Committed = &c
	} else if !errors.Is(err, store.ErrNotFound) {
		return n, err
	}
	return n, nil
}

// Household is one household of a reader's cycle as a reviewer opens it.
type Household struct {
	Customer  *domain.Customer // nil for a 用户编号 the store does not know (UNKNOWN)
	Anomalies []store.Anomaly
	Versions  []domain.ReadingVersion // this cycle's reading versions, oldest first
	// History is the household's past readings by date, for the
	// consumption chart; Use is the monthly use between them.
	History []domain.HistoryReading
	Use     []UsePoint
}

// LastRead is when the household's newest reading version of the cycle
// was stored: what Allowed, Pending and Unresolved compare decisions with.
func (h *Household) LastRead() time.Time { return lastOf(h.Versions) }

// UsePoint is the use between two readings, per month of the gap.
type UsePoint struct {
	From, To time.Time
	M3       float64 // over the whole gap
	PerMonth float64
}

// HouseholdOf reads one household of a reader's cycle.
func HouseholdOf(rt store.ReadTx, cycle domain.Month, reader, customer string) (Household, error) {
	var h Household
	if c, err := rt.Customer(customer); err == nil {
		h.Customer = &c
	} else if !errors.Is(err, store.ErrNotFound) {
		return h, err
	}
	as, err := rt.Anomalies(cycle, reader)
	if err != nil {
		return h, err
	}
	for i := range as {
		if as[i].CustomerID == customer {
			h.Anomalies = append(h.Anomalies, as[i])
		}
	}
	if h.Versions, err = rt.ReadingVersions(customer, cycle); err != nil {
		return h, err
	}
	if h.History, err = rt.History(customer); err != nil {
		return h, err
	}
	h.Use = usePoints(h.History)
	return h, nil
}

// usePoints is the use between consecutive history readings; a reading
// below the one before (a wrap or an exchange the history does not explain)
// gives no point.
func usePoints(hs []domain.HistoryReading) []UsePoint {
	var out []UsePoint
	for i := 1; i < len(hs); i++ {
		d := hs[i].ValueM3 - hs[i-1].ValueM3
		months := vee.MonthsBetween(hs[i-1].Date, hs[i].Date)
		if d < 0 || months <= 0 {
			continue
		}
		out = append(out, UsePoint{From: hs[i-1].Date, To: hs[i].Date, M3: d, PerMonth: d / months})
	}
	return out
}
