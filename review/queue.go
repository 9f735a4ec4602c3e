package review

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// Sort orders of the queue. Ties are broken by household, then code, so
// that a page boundary never moves.
const (
	SortHousehold   = "household"   // 用户编号 (the default)
	SortCode        = "code"        // anomaly code
	SortStatus      = "status"      // open, confirmed, returned
	SortConsumption = "consumption" // the use measured on the reading
	SortDetected    = "detected"    // when validation found it
)

// Severities of Query.Severity.
const (
	SeverityBlocking = "blocking" // holds the commit back until reviewed (DESIGN §5.2)
	SeverityInfo     = "info"
)

// StatusPending is a Query status that selects the anomalies waiting for a
// decision (Pending): open, or returned and read again since.
const StatusPending = "pending"

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// ErrBadQuery is matched by errors for a query that cannot be run: an
// unknown sort or severity, a cursor that does not decode.
var ErrBadQuery = errors.New("review: bad query")

// Query selects and orders a page of one reader's anomalies of one cycle.
// Empty filters match everything.
type Query struct {
	Cycle    domain.Month
	Reader   string
	Codes    []string // any of these codes
	Statuses []string // any of store.AnomalyOpen/Confirmed/Returned, or StatusPending
	Severity string   // "", SeverityBlocking or SeverityInfo
	Customer string   // one household (用户编号)
	Sort     string   // one of the Sort constants; "" is SortHousehold
	Desc     bool
	After    string // the cursor of the page before (Page.Next); "" starts at the top
	Limit    int    // 0 is DefaultLimit; above MaxLimit is MaxLimit
}

// Page is one page of the queue.
type Page struct {
	Items []store.Anomaly
	// Next is the cursor of the following page, "" on the last.
	Next string
	// Total is how many anomalies match the filters, on every page.
	Total int
	// ByCode and ByStatus count the reader's whole cycle, unfiltered, for the
	// filter controls.
	ByCode   map[string]int
	ByStatus map[string]int
}

// Queue reads a reader's anomalies of a cycle (one range scan) and returns
// the page q asks for.
func Queue(rt store.ReadTx, q Query) (Page, error) {
	as, err := rt.Anomalies(q.Cycle, q.Reader)
	if err != nil {
		return Page{}, err
	}
	var read map[string]time.Time
	if wantsPending(q.Statuses) {
		if read, err = lastRecorded(rt, q.Cycle, q.Reader); err != nil {
			return Page{}, err
		}
	}
	return Select(as, read, q)
}

func wantsPending(statuses []string) bool { return slices.Contains(statuses, StatusPending) }

// Select is Queue on anomalies already read: pure. read holds, by
// household, when its newest reading version was stored; it is needed only
// to filter by StatusPending.
func Select(as []store.Anomaly, read map[string]time.Time, q Query) (Page, error) {
	less, err := comparer(q.Sort, q.Desc)
	if err != nil {
		return Page{}, err
	}
	if q.Severity != "" && q.Severity != SeverityBlocking && q.Severity != SeverityInfo {
		return Page{}, fmt.Errorf("%w: severity %q (want %s or %s)", ErrBadQuery, q.Severity, SeverityBlocking, SeverityInfo)
	}
	var after *store.Anomaly
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	p := Page{ByCode: map[string]int{}, ByStatus: map[string]int{}}
	// Pointers are sorted, not the records: an anomaly is a large struct,
	// and a page of a big cycle sorts thousands of them.
	var sel []*store.Anomaly
	for i := range as {
		a := &as[i]
		p.ByCode[a.Code]++
		p.ByStatus[a.Status]++
		if !matches(a, read, &q) {
			continue
		}
		p.Total++
		if after == nil || less(a, after) > 0 {
			sel = append(sel, a)
		}
	}
	slices.SortFunc(sel, less)
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	if len(sel) > limit {
		sel = sel[:limit]
		p.Next = encodeCursor(sel[limit-1])
	}
	p.Items = make([]store.Anomaly, len(sel))
	for i, a := range sel {
		p.Items[i] = *a
	}
	return p, nil
}

func matches(a *store.Anomaly, read map[string]time.Time, q *Query) bool {
	switch {
	case len(q.Codes) > 0 && !slices.Contains(q.Codes, a.Code):
		return false
	case q.Customer != "" && a.CustomerID != q.Customer:
		return false
	case q.Severity == SeverityBlocking && !a.Blocking, q.Severity == SeverityInfo && a.Blocking:
		return false
	case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, a.Status):
		return wantsPending(q.Statuses) && Pending(a, read[a.CustomerID])
	}
	return true
}

// comparer orders anomalies by the sort key, then household and code.
func comparer(sort string, desc bool) (func(a, b *store.Anomaly) int, error) {
	var primary func(a, b *store.Anomaly) int
	switch sort {
	case "", SortHousehold:
		primary = func(a, b *store.Anomaly) int { return 0 }
	case SortCode:
		primary = func(a, b *store.Anomaly) int { return strings.Compare(a.Code, b.Code) }
	case SortStatus:
		primary = func(a, b *store.Anomaly) int { return strings.Compare(a.Status, b.Status) }
	case SortConsumption:
		primary = func(a, b *store.Anomaly) int { return cmp.Compare(a.ConsumptionM3, b.ConsumptionM3) }
	case SortDetected:
		primary = func(a, b *store.Anomaly) int { return a.DetectedAt.Compare(b.DetectedAt) }
	default:
		return nil, fmt.Errorf("%w: sort %q", ErrBadQuery, sort)
	}
	return func(a, b *store.Anomaly) int {
		c := cmp.Or(primary(a, b), strings.Compare(a.CustomerID, b.CustomerID), strings.Compare(a.Code, b.Code))
		if desc {
			return -c
		}
		return c
	}, nil
}

// cursor is the position of a page's last item: every field a sort looks at.
type cursor struct {
	C string    `json:"c"`
	K string    `json:"k"`
	S string    `json:"s,omitempty"`
	U float64   `json:"u,omitempty"`
	D time.Time `json:"d,omitzero"`
}

func encodeCursor(a *store.Anomaly) string {
	b, _ := json.Marshal(cursor{C: a.CustomerID, K: a.Code, S: a.Status, U: a.ConsumptionM3, D: a.DetectedAt})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (store.Anomaly, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return store.Anomaly{}, fmt.Errorf("%w: cursor %q", ErrBadQuery, s)
	}
	return store.Anomaly{CustomerID: c.C, Code: c.K, Status: c.S, ConsumptionM3: c.U, DetectedAt: c.D}, nil
}

// lastRecorded maps each household the reader brought back in the cycle to
// when its newest reading version was stored.
func lastRecorded(rt store.ReadTx, cycle domain.Month, reader string) (map[string]time.Time, error) {
	vs, err := rt.ReadingsOf(cycle, reader)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(vs))
	for i := range vs {
		if t := vs[i].RecordedAt; t.After(out[vs[i].CustomerID]) {
			out[vs[i].CustomerID] = t
		}
	}
	return out, nil
}

// Pending reports whether a waits for a reviewer's decision: it is open,
// or it was returned for a re-read and the household was read again since
// (lastRead is when its newest reading version was stored).
func Pending(a *store.Anomaly, lastRead time.Time) bool {
	switch a.Status {
	case store.AnomalyOpen:
		return true
	case store.AnomalyReturned:
		return rereadSince(a, lastRead)
	}
	return false
}

// Unresolved reports whether a holds its reader's commit back: a blocking
// anomaly that is open, or returned and not yet read again (DESIGN §5.2;
// [003:1219]: commit when everything is confirmed). A returned anomaly whose
// household was read again is resolved: the re-read was validated afresh.
func Unresolved(a *store.Anomaly, lastRead time.Time) bool {
	if !a.Blocking {
		return false
	}
	switch a.Status {
	case store.AnomalyOpen:
		return true
	case store.AnomalyReturned:
		return !rereadSince(a, lastRead)
	}
	return false
}

// rereadSince reports whether a reading was stored after a's latest
// decision (the return), as device.pendingRereads decides what to send.
func rereadSince(a *store.Anomaly, lastRead time.Time) bool {
	if len(a.Decisions) == 0 {
		return false
	}
	return lastRead.After(a.Decisions[len(a.Decisions)-1].At)
}
