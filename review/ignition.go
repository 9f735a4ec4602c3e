package review

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// Ignition is one household that went to 通气 (gas on) at a time.
type Ignition struct {
	CustomerID string
	Estate     string
	At         time.Time
}

// EstateIgnitions is one line of the monthly ignition table [003:1277]:
// last month's ignitions, this month's new households to read, this
// month's households to read, for one estate (小区).
type EstateIgnitions struct {
	Estate string
	// Ignited counts the ignitions in the window (上月点火户数).
	Ignited int
	// New counts the households ignited in the window that are read now
	// (本月新增户数): still 通气, on a route.
	New int
	// Total counts the estate's households that are read (本月总户数): the
	// meter states a route holds (装表, 通气, 封表).
	Total int
}

// IgnitionTable is the table sent to the reader team on the 26th as the
// basis of next month's reading plan (DOMAIN §5.1, DESIGN §5.7).
type IgnitionTable struct {
	Month    domain.Month // the month whose 25th closes the window
	From, To time.Time    // [From, To): the 26th before to the 26th
	Estates  []EstateIgnitions
	Ignited  []Ignition // the households counted, by time
}

// Total is the estates' lines added up: the table's 合计 row.
func (t *IgnitionTable) Total() EstateIgnitions {
	var sum EstateIgnitions
	for _, e := range t.Estates {
		sum.Ignited += e.Ignited
		sum.New += e.New
		sum.Total += e.Total
	}
	return sum
}

// Ignitions builds the table of month m from the store: the ignitions are
// the households whose meter went to 通气 in the window, as the audit trail
// recorded the change (a customers file from the CIS that changed the
// state; receipts of 点火 orders will add theirs when tablet sync records
// them), and the totals are the households as they are now.
func Ignitions(rt store.ReadTx, m domain.Month, startDay int) (IgnitionTable, error) {
	from, to := IgnitionWindow(m, startDay)
	evs, err := auditedIgnitions(rt, from, to)
	if err != nil {
		return IgnitionTable{}, err
	}
	var cs []domain.Customer
	err = rt.ForEachCustomer(func(c *domain.Customer) error {
		if c.Meter.State.OnRoute() {
			cs = append(cs, *c)
		}
		return nil
	})
	if err != nil {
		return IgnitionTable{}, err
	}
	return TallyIgnitions(m, startDay, evs, cs), nil
}

// auditedIgnitions finds, in the audit trail, the customer updates in
// [from, to) that set the meter state to 通气 from another state.
func auditedIgnitions(rt store.ReadTx, from, to time.Time) ([]Ignition, error) {
	var out []Ignition
	q := store.AuditQuery{Action: "customer.update", From: from, To: to, Limit: 1000}
	for {
		es, err := rt.SearchAudit(q)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			var before, after domain.Customer
			if json.Unmarshal(e.Before, &before) != nil || json.Unmarshal(e.After, &after) != nil {
				continue // not a customer record: not an ignition
			}
			if after.Meter.State == domain.StateGasOn && before.Meter.State != domain.StateGasOn {
				out = append(out, Ignition{CustomerID: after.ID, Estate: after.Estate, At: e.At})
			}
		}
		if len(es) < q.Limit {
			return out, nil
		}
		q.Before = es[len(es)-1].Seq
	}
}

// TallyIgnitions is the table of month m from the ignitions and the
// households read now (meter state on a route): pure. A household ignited
// twice in the window counts once, at its last ignition; ignitions outside
// the window are left out.
func TallyIgnitions(m domain.Month, startDay int, evs []Ignition, read []domain.Customer) IgnitionTable {
	t := IgnitionTable{Month: m}
	t.From, t.To = IgnitionWindow(m, startDay)
	last := map[string]Ignition{}
	for _, e := range evs {
		if e.At.Before(t.From) || !e.At.Before(t.To) {
			continue
		}
		if was, ok := last[e.CustomerID]; !ok || e.At.After(was.At) {
			last[e.CustomerID] = e
		}
	}
	rows := map[string]*EstateIgnitions{}
	row := func(estate string) *EstateIgnitions {
		if rows[estate] == nil {
			rows[estate] = &EstateIgnitions{Estate: estate}
		}
		return rows[estate]
	}
	for _, e := range last {
		t.Ignited = append(t.Ignited, e)
		row(e.Estate).Ignited++
	}
	for i := range read {
		c := &read[i]
		row(c.Estate).Total++
		if _, ok := last[c.ID]; ok && c.Meter.State == domain.StateGasOn {
			row(c.Estate).New++
		}
	}
	for _, r := range rows {
		t.Estates = append(t.Estates, *r)
	}
	slices.SortFunc(t.Estates, func(a, b EstateIgnitions) int { return cmp.Compare(a.Estate, b.Estate) })
	slices.SortFunc(t.Ignited, func(a, b Ignition) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CustomerID, b.CustomerID))
	})
	return t
}
