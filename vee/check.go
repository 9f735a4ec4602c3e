package vee

import (
	"slices"

	"meter-sync/domain"
)

// Check validates one reading of a household in the route. The reading is
// judged against the household's history before its cycle (r.Cycle); the
// anomalies come in a fixed order: the read time, the flags, the value, the
// use, the IC balance.
func Check(h *Household, r domain.Reading, p Params) Result {
	hist := history(h, r.Cycle)
	in := &input{h: h, r: r, hist: hist, prev: h.Customer.Meter.BaseM3, p: p}
	if n := len(hist); n > 0 {
		in.prev, in.prevAt = hist[n-1].ValueM3, hist[n-1].Date
	}
	res := Result{Reading: r}
	add := func(a *Anomaly) {
		if a != nil {
			a.CustomerID = h.Customer.ID
			res.Anomalies = append(res.Anomalies, *a)
		}
	}
	add(ruleWindow(in))
	add(ruleEstimated(in))
	bad := in.valueReasons()
	badIC := in.icReasons()
	add(ruleInvalid(in, append(bad, badIC...)))
	if len(bad) > 0 {
		add(ruleUnauthorized(in, false))
	} else {
		in.s = measure(h, in.prev, in.prevAt, r.ValueM3, r.ReadAt, p.RolloverMarginFraction)
		res.ConsumptionM3 = in.s.use
		add(ruleNegative(in))
		add(ruleRollover(in))
		add(ruleUnauthorized(in, in.s.use > 0))
		add(ruleZeroStreak(in))
		add(ruleLarge(in))
	}
	if len(badIC) == 0 {
		add(ruleIC(in))
	}
	return res
}

// Batch validates a reader's readings for a cycle against the route, the
// households the reader was to read: Check for each reading, DUPLICATE for
// a household read twice with different values, and UNKNOWN for a reading
// of a household not in the route. A household with little history of its
// own, and no PeerBaselineM3 given, is compared with the median baseline of
// the route's households of its estate and building type (DESIGN §5.1).
// The results are in the order of readings.
func Batch(route []Household, readings []domain.Reading, p Params) []Result {
	index := make(map[string]int, len(route))
	for i := range route {
		index[route[i].Customer.ID] = i
	}
	medians := map[domain.Month]map[peer]float64{}
	out := make([]Result, len(readings))
	for k, r := range readings {
		i, ok := index[r.CustomerID]
		if !ok {
			out[k] = Result{Reading: r, Anomalies: []Anomaly{unknown(r)}}
			continue
		}
		h := route[i]
		if h.PeerBaselineM3 == 0 {
			if medians[r.Cycle] == nil {
				medians[r.Cycle] = peerMedians(route, r.Cycle, p)
			}
			h.PeerBaselineM3 = medians[r.Cycle][peerOf(&h.Customer)]
		}
		out[k] = Check(&h, r, p)
	}
	markDuplicates(out)
	return out
}

// unknown is 未知用户: a reading of a household that is not in the reader's
// route for the cycle (DESIGN §5.2), whether no such household exists, it
// belongs to the other month group (单月/双月 [003:1205]) or to another
// reader's book, or its meter is not read.
func unknown(r domain.Reading) Anomaly {
	return Anomaly{CustomerID: r.CustomerID, Code: CodeUnknown,
		Evidence: []Fact{fact("用户编号", r.CustomerID), fact("抄表员", r.ReaderID), fact("抄表周期", r.Cycle.String()),
			fact("本次读数", num(r.ValueM3)), fact("抄表时间", when(r.ReadAt)),
			fact("原因", "不在该抄表员本周期的抄表路线")},
		Suggest: "核对用户编号和抄表册:用户不存在、属另一单双月、另一抄表员的抄表册,或表不在抄;退回抄表员核实",
		Source:  "DESIGN §5.2, §5.4; [003:1205, 1219]"}
}

// markDuplicates adds 重复抄表 to every reading of a household read more
// than once in the batch with different values (DESIGN §5.2). The same
// value read twice is the same reading (an import repeated, DESIGN §5.9).
func markDuplicates(results []Result) {
	byCustomer := map[string][]int{}
	for k := range results {
		id := results[k].Reading.CustomerID
		byCustomer[id] = append(byCustomer[id], k)
	}
	for id, ks := range byCustomer {
		if len(ks) < 2 || !differ(results, ks) {
			continue
		}
		ev := make([]Fact, 0, len(ks))
		for _, k := range ks {
			r := results[k].Reading
			ev = append(ev, fact("本次读数", num(r.ValueM3)+" ("+when(r.ReadAt)+")"))
		}
		for _, k := range ks {
			results[k].Anomalies = append(results[k].Anomalies, Anomaly{CustomerID: id, Code: CodeDuplicate,
				Evidence: slices.Clone(ev),
				Suggest:  "同一周期有不同读数:确认以哪次为准,必要时退回抄表员重抄",
				Source:   "DESIGN §5.2; [003:1219]"})
		}
	}
}

// differ reports whether the readings at ks have more than one value.
func differ(results []Result, ks []int) bool {
	for _, k := range ks[1:] {
		if results[k].Reading.ValueM3 != results[ks[0]].Reading.ValueM3 {
			return true
		}
	}
	return false
}

// Missed lists, in route order, the route's households with no reading: 漏抄
// (DESIGN §5.2) at commit time. Readers may not miss a read [003:2345]; the
// household goes back to its reader.
func Missed(route []Household, readings []domain.Reading) []Anomaly {
	read := make(map[string]bool, len(readings))
	for _, r := range readings {
		read[r.CustomerID] = true
	}
	var out []Anomaly
	for i := range route {
		c := &route[i].Customer
		if read[c.ID] {
			continue
		}
		out = append(out, Anomaly{CustomerID: c.ID, Code: CodeMissed,
			Evidence: []Fact{fact("用户编号", c.ID), fact("抄表序号", c.Seq.String()), fact("用户地址", c.Address),
				fact("表状态", c.Meter.State.String())},
			Suggest: "路线内无抄表记录:退回抄表员补抄",
			Source:  "DESIGN §5.2; [003:1219, 2345]"})
	}
	return out
}
