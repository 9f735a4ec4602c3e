package masterdata

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// SeqCheckSource is the Source of the anomaly a readings row raises when its
// 抄表序号 is not its household's.
const SeqCheckSource = "DESIGN §5.5, §6: 抄表序号核对"

// findings are the anomalies validation found on one reader's cycle, as
// records to store.
type findings struct {
	cycle  domain.Month
	reader string
	now    time.Time
	found  map[store.AnomalyKey]store.Anomaly
	latest map[string]latestRead // by 用户编号: the newest version judged
}

// latestRead is the newest version of a household's reading that was
// validated, and the use measured on it.
type latestRead struct {
	version int
	use     float64
}

// addResults turns vee's results, one per version in cur, into records.
// When several versions of a household raise one code, the newest one's
// record stands (cur holds each household's versions oldest first).
func (f *findings) addResults(results []vee.Result, cur []domain.ReadingVersion) {
	f.latest = make(map[string]latestRead, len(cur))
	for k := range results {
		res, v := &results[k], cur[k]
		f.latest[v.CustomerID] = latestRead{v.Version, res.ConsumptionM3}
		for _, a := range res.Anomalies {
			rec := f.record(a.CustomerID, a.Code, a.Evidence, a.Suggest, a.Source)
			rec.Order = orderOf(a.Order)
			rec.ConsumptionM3, rec.ReadingVersion = res.ConsumptionM3, v.Version
			f.found[rec.Key()] = rec
		}
	}
}

// record is an open anomaly found now.
func (f *findings) record(customer string, code vee.Code, evidence []vee.Fact, suggest, source string) store.Anomaly {
	facts := make([]store.Fact, len(evidence))
	for i, e := range evidence {
		facts[i] = store.Fact{Name: e.Name, Value: e.Value}
	}
	return store.Anomaly{Cycle: f.cycle, ReaderID: f.reader, CustomerID: customer, Code: string(code),
		Blocking: code.Blocking(), Evidence: facts, Suggest: suggest, Source: source,
		Status: store.AnomalyOpen, DetectedAt: f.now}
}

func orderOf(o *vee.OrderSuggestion) *store.OrderSuggestion {
	if o == nil {
		return nil
	}
	return &store.OrderSuggestion{Business: string(o.Business), Priority: string(o.Priority),
		Requirement: o.Requirement, Source: o.Source}
}

// checkSeqs compares the 抄表序号 of this file's rows with their
// households'. A row whose number is another's parses and may be right (the
// household was renumbered since the route was loaded) or may carry a
// mistyped 用户编号, so that its reading is filed under the wrong household:
// it is UNKNOWN 未知用户 with both numbers as evidence, for a reviewer to
// settle, never a rejected row (DESIGN, issue 6 item 0). Households off the
// route are UNKNOWN already.
func (f *findings) checkSeqs(route []vee.Household, seqs map[string][]seqCell) {
	var owner map[string]string // 抄表序号 → 用户编号, made at the first mismatch
	for i := range route {
		c := &route[i].Customer
		cells := seqs[c.ID]
		if len(cells) == 0 {
			continue
		}
		own := c.Seq.String()
		key := store.AnomalyKey{Cycle: f.cycle, ReaderID: f.reader, CustomerID: c.ID, Code: string(vee.CodeUnknown)}
		for _, cell := range cells {
			if cell.seq == "" || cell.seq == own {
				continue
			}
			if owner == nil {
				owner = seqOwners(route)
			}
			why := "文件中的抄表序号不是该户的:用户编号或抄表序号录错,读数可能属于另一户;或该户已重新编号"
			if other, ok := owner[cell.seq]; ok {
				why = "文件中的抄表序号属于本路线的用户" + other + ",读数可能属于该户"
			}
			rec := f.record(c.ID, vee.CodeUnknown, []vee.Fact{
				{Name: "用户编号", Value: c.ID}, {Name: "抄表序号(文件)", Value: cell.seq},
				{Name: "抄表序号(档案)", Value: own}, {Name: "行号", Value: strconv.Itoa(cell.line)},
				{Name: "原因", Value: why}},
				"核对用户编号与抄表序号,确认读数属于哪一户;不能确认时退回抄表员重抄", SeqCheckSource)
			last := f.latest[c.ID]
			rec.ReadingVersion, rec.ConsumptionM3 = last.version, last.use
			f.found[key] = rec
			break // one per household: the first row that disagrees
		}
	}
}

func seqOwners(route []vee.Household) map[string]string {
	owner := make(map[string]string, len(route))
	for i := range route {
		owner[route[i].Customer.Seq.String()] = route[i].Customer.ID
	}
	return owner
}

// reconcile brings the stored anomalies of the reader's cycle in line with
// what validation found: an open anomaly found again with the same finding
// is left alone, with another finding it is rewritten, not found any more it
// is removed; one a reviewer decided is kept as it is, even where validation
// now finds otherwise (the review settles it), except one returned for a
// re-read whose new reading raises it again, which is open again; what is
// new is added. An open
// 抄表序号 anomaly outlives a file that has no row for its household: only a
// row can raise or clear it.
func (h *readingHandler) reconcile(tx store.Tx, f *findings) error {
	stored, err := tx.Anomalies(f.cycle, f.reader)
	if err != nil {
		return err
	}
	ac := &h.res.AnomalyChanges
	h.res.Anomalies = map[string]int{}
	for _, old := range stored {
		k := old.Key()
		fresh, found := f.found[k]
		delete(f.found, k)
		switch {
		case found && reread(&old, f):
			// 退回重抄 and read again, and the new reading is still
			// anomalous: back to the reviewers, with what they decided.
			fresh.Version = old.Version
			fresh.Decisions = append(slices.Clone(old.Decisions), store.Decision{By: h.opt.Actor, At: f.now,
				Action: "reopen", Why: "重抄后仍" + vee.Code(k.Code).Chinese()})
			if _, err := tx.PutAnomaly(fresh); err != nil {
				return err
			}
			ac.Updated++
		case old.Decided():
			ac.Kept++
		case found && fresh.SameFinding(&old):
		case found:
			fresh.Version, fresh.Decisions = old.Version, old.Decisions
			if _, err := tx.PutAnomaly(fresh); err != nil {
				return err
			}
			ac.Updated++
		case old.Source == SeqCheckSource && h.seqs[old.CustomerID] == nil:
		default:
			if err := tx.DeleteAnomaly(k, old.Version); err != nil {
				return err
			}
			ac.Removed++
			continue
		}
		h.res.Anomalies[k.Code]++
	}
	for _, k := range slices.SortedFunc(maps.Keys(f.found), compareKeys) {
		if _, err := tx.PutAnomaly(f.found[k]); err != nil {
			return err
		}
		ac.Added++
		h.res.Anomalies[k.Code]++
	}
	return nil
}

// reread reports whether a's household, returned for a re-read, has been
// read again since: a newer version of its reading was validated now.
func reread(a *store.Anomaly, f *findings) bool {
	return a.Status == store.AnomalyReturned && f.latest[a.CustomerID].version > a.ReadingVersion
}

func compareKeys(a, b store.AnomalyKey) int {
	return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.Code, b.Code))
}
