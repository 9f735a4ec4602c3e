package device

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"meter-sync/domain"
	"meter-sync/masterdata"
	"meter-sync/review"
	"meter-sync/store"
)

// Reconciliation is the route export's three counts (DOMAIN §2.2 steps 3
// and 6, [003:1205, 1211]): what the system holds, what the reader expects
// and what the handheld's 抄表统计 shows after loading; and, when they
// differ, which households explain it.
type Reconciliation struct {
	Reader   string       `json:"reader"`
	Cycle    domain.Month `json:"cycle"`
	System   int          `json:"system"`   // households in the route
	Expected int          `json:"expected"` // the reader's count; -1 when none was given
	Handheld int          `json:"handheld"` // the handheld's 抄表统计 total; -1 before loading
	// Previous is the month the route is compared with to explain a
	// difference: the last month of the same group (单月/双月), two before.
	Previous domain.Month `json:"previous"`
	// Added are households in the route that were not in the previous
	// one (new ignitions, books moved to the reader); Removed the reverse,
	// each with why it left.
	Added   []Household `json:"added,omitempty"`
	Removed []Household `json:"removed,omitempty"`
}

// Household names one household in an explanation.
type Household struct {
	ID      string `json:"id"`      // 用户编号
	Seq     string `json:"seq"`     // 抄表序号
	Address string `json:"address"` // 用户地址
	Why     string `json:"why,omitempty"`
}

// Agrees reports whether every count given matches the system's.
func (r *Reconciliation) Agrees() bool {
	return (r.Expected < 0 || r.Expected == r.System) && (r.Handheld < 0 || r.Handheld == r.System)
}

// Explain says, in Chinese for the docking screen, whether the counts
// agree and, when they do not, what differs and the households that
// explain it ("如抄表用户总计有误差需查明原因" [003:1205]).
func (r *Reconciliation) Explain() string {
	s := fmt.Sprintf("抄表员%s %s: 系统应抄%d户", r.Reader, r.Cycle, r.System)
	if r.Expected >= 0 {
		s += fmt.Sprintf(", 抄表员核对%d户", r.Expected)
	}
	if r.Handheld >= 0 {
		s += fmt.Sprintf(", 抄表机抄表统计%d户", r.Handheld)
	}
	if r.Agrees() {
		return s + ", 数量一致"
	}
	s += "; 数量不符"
	if r.Handheld >= 0 && r.Handheld != r.System {
		s += fmt.Sprintf("; 抄表机少装%d户, 请重新导出", r.System-r.Handheld)
	}
	if r.Expected >= 0 && r.Expected != r.System {
		if len(r.Added)+len(r.Removed) == 0 {
			s += fmt.Sprintf("; 与上次同组抄表月%s的路线相同(%d户), 系统无增减, 请与抄表员核对其数量", r.Previous, r.System)
		} else {
			s += fmt.Sprintf("; 与上次同组抄表月%s相比新增%d户, 减少%d户", r.Previous, len(r.Added), len(r.Removed))
			s += listHouseholds(" 新增:", r.Added) + listHouseholds(" 减少:", r.Removed)
		}
	}
	return s
}

func listHouseholds(title string, hs []Household) string {
	if len(hs) == 0 {
		return ""
	}
	s := title
	for i, h := range hs {
		if i == 20 {
			return s + fmt.Sprintf(" …共%d户", len(hs))
		}
		s += " " + h.ID
		if h.Why != "" {
			s += "(" + h.Why + ")"
		}
	}
	return s
}

// reconcile compares a reader's route with the one walked in the last
// month of the same group.
func reconcile(tx store.ReadTx, reader string, cycle domain.Month, route []domain.Customer, expected int) (Reconciliation, error) {
	prevMonth := cycle.Add(-2) // 单月/双月: every household is read every two months (DESIGN §5.4)
	r := Reconciliation{Reader: reader, Cycle: cycle, System: len(route), Expected: expected, Handheld: -1, Previous: prevMonth}
	prev, err := tx.Route(reader, prevMonth)
	if err != nil {
		return r, err
	}
	now := idsOf(route)
	before := idsOf(prev)
	for i := range route {
		if !before[route[i].ID] {
			r.Added = append(r.Added, householdOf(&route[i], ""))
		}
	}
	for i := range prev {
		if !now[prev[i].ID] {
			why, err := whyLeft(tx, reader, cycle, prev[i].ID)
			if err != nil {
				return r, err
			}
			r.Removed = append(r.Removed, householdOf(&prev[i], why))
		}
	}
	return r, nil
}

// whyLeft says why a household of the previous route is not in this one,
// from what the store holds of it now.
func whyLeft(tx store.ReadTx, reader string, cycle domain.Month, id string) (string, error) {
	c, err := tx.Customer(id)
	if err != nil {
		return "", err
	}
	if !domain.InRoute(&c, cycle) {
		return "表状态" + string(c.Meter.State), nil
	}
	as, err := tx.Assignments()
	if err != nil {
		return "", err
	}
	if other := domain.ReaderOf(as, c.Book(), cycle); other != reader {
		return "抄表册" + c.Book() + "已划归" + other, nil
	}
	return "", nil
}

func idsOf(cs []domain.Customer) map[string]bool {
	m := make(map[string]bool, len(cs))
	for i := range cs {
		m[cs[i].ID] = true
	}
	return m
}

func householdOf(c *domain.Customer, why string) Household {
	return Household{ID: c.ID, Seq: c.Seq.String(), Address: c.Address, Why: why}
}

// routeFile is a reader's route for a cycle as the bytes of a route file
// (interchange route schema), and its reconciliation with the previous one.
func (h *Host) routeFile(reader string, cycle domain.Month, expected int, encoding string) ([]byte, Reconciliation, error) {
	var data []byte
	var rec Reconciliation
	err := h.st.View(func(tx store.ReadTx) error {
		if _, err := tx.Reader(reader); err != nil {
			return fmt.Errorf("抄表员%s: %w", reader, err)
		}
		route, err := tx.Route(reader, cycle)
		if err != nil {
			return err
		}
		if rec, err = reconcile(tx, reader, cycle, route, expected); err != nil {
			return err
		}
		data, err = h.writeRoute(tx, reader, cycle, route, encoding)
		return err
	})
	return data, rec, err
}

// rereadFile is the route file of the households of reader's cycle that a
// reviewer returned for a re-read (退回重抄) and that have not been read
// since: they go back to the same reader's handheld ([003:1219]).
func (h *Host) rereadFile(reader string, cycle domain.Month, encoding string) ([]byte, []string, error) {
	var data []byte
	var ids []string
	err := h.st.View(func(tx store.ReadTx) error {
		households, _, err := pendingRereads(tx, reader, cycle)
		if err != nil || len(households) == 0 {
			return err
		}
		for i := range households {
			ids = append(ids, households[i].ID)
		}
		data, err = h.writeRoute(tx, reader, cycle, households, encoding)
		return err
	})
	return data, ids, err
}

// pendingRereads lists, in walking order, the households whose anomaly a
// reviewer returned for a re-read after their latest reading was stored,
// and by household the reviewer's reason.
func pendingRereads(tx store.ReadTx, reader string, cycle domain.Month) ([]domain.Customer, map[string]string, error) {
	as, err := tx.Anomalies(cycle, reader)
	if err != nil {
		return nil, nil, err
	}
	var out []domain.Customer
	why := map[string]string{}
	for i := range as {
		a := &as[i]
		if _, listed := why[a.CustomerID]; listed || a.Status != store.AnomalyReturned || len(a.Decisions) == 0 {
			continue
		}
		vs, err := tx.ReadingVersions(a.CustomerID, cycle)
		if err != nil {
			return nil, nil, err
		}
		var lastRead time.Time
		if n := len(vs); n > 0 {
			lastRead = vs[n-1].RecordedAt
		}
		if review.Pending(a, lastRead) {
			continue // read again since it was returned: the reviewers have it
		}
		returned := a.Decisions[len(a.Decisions)-1]
		c, err := tx.Customer(a.CustomerID)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
		why[c.ID] = returned.Why
	}
	domain.SortRoute(out)
	return out, why, nil
}

// writeRoute renders households as a route file in the spool and reads it
// back: the one writer of route files is masterdata's.
func (h *Host) writeRoute(tx store.ReadTx, reader string, cycle domain.Month, households []domain.Customer, encoding string) ([]byte, error) {
	f, err := os.CreateTemp(h.opt.SpoolDir, "route-*.csv")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	opt := masterdata.ExportOptions{Reader: reader, Cycle: cycle, Path: path, Encoding: encoding}
	if _, err := masterdata.WriteRouteFile(tx, opt, households); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Clean(path))
}
