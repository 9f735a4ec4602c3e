package review

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

// Action is what a reviewer does with an anomaly. Actions are stored in
// store.Decision.Action: the list is append-only.
type Action string

// Actions [003:1219].
const (
	// Confirm (确认): the reading stands as read. A confirmed anomaly that
	// prescribes a work order creates it. A confirmed MISSED is 未抄: the
	// household stays unread for the cycle, for the reason given.
	Confirm Action = "confirm"
	// Reread (退回重抄): back to the reader; the household goes to the
	// reader's handheld at the next dock, or into the next route file, until
	// it is read again (device.pendingRereads).
	Reread Action = "reread"
)

// Chinese is the action as the back office names it.
func (a Action) Chinese() string {
	switch a {
	case Confirm:
		return "确认"
	case Reread:
		return "退回重抄"
	}
	return string(a)
}

// ParseAction reads "confirm" or "reread" (or 确认, 退回重抄).
func ParseAction(s string) (Action, error) {
	for _, a := range []Action{Confirm, Reread} {
		if s == string(a) || s == a.Chinese() {
			return a, nil
		}
	}
	return "", fmt.Errorf("未知操作%q(应为confirm确认或reread退回重抄)", s)
}

// ErrRefused is matched (errors.Is) by every refusal of an action for what
// it asks: an anomaly already decided, a reason missing, a cycle committed,
// a permission the actor lacks. The message, in Chinese, names the
// household and the anomaly.
var ErrRefused = errors.New("review: refused")

// Refusal is an action refused for one anomaly, or for a reader's cycle
// (Code empty).
type Refusal struct {
	CustomerID string
	Code       string
	Reason     string
}

func (r *Refusal) Error() string {
	if r.CustomerID == "" {
		return r.Reason
	}
	if r.Code == "" {
		return "用户" + r.CustomerID + ": " + r.Reason
	}
	return fmt.Sprintf("用户%s %s(%s): %s", r.CustomerID, r.Code, vee.Code(r.Code).Chinese(), r.Reason)
}

// Unwrap lets errors.Is(err, ErrRefused) match.
func (r *Refusal) Unwrap() error { return ErrRefused }

func refuse(a *store.Anomaly, format string, args ...any) error {
	return &Refusal{CustomerID: a.CustomerID, Code: a.Code, Reason: fmt.Sprintf(format, args...)}
}

// Request is one decision on one anomaly.
type Request struct {
	Key store.AnomalyKey
	// Version is the anomaly's version the reviewer saw; if the anomaly has
	// changed since, the decision is refused with store.ErrConflict. 0
	// decides on whatever is stored (the CLI, which shows nothing first).
	Version int
	Action  Action
	Why     string
}

// Outcome is what one decision did.
type Outcome struct {
	Anomaly store.Anomaly // as stored after the decision
	Order   *store.Order  // the work order the confirmation created, if any
}

// may refuses an actor whose role lacks p (package account's grants).
func may(by access.Actor, p account.Permission) error {
	acc := account.Account{ID: by.ID, Role: by.Role}
	if !acc.Can(p) {
		return &Refusal{Reason: fmt.Sprintf("%s(%s)无权%s", by.ID, by.Role.Chinese(), permName(p))}
	}
	return nil
}

func permName(p account.Permission) string {
	if p == account.PermCommit {
		return "入库"
	}
	return "审核抄表数据"
}

// Decide applies the requests in one transaction: all of them or, on the
// first refusal or conflict, none.
func Decide(st store.Store, by access.Actor, now time.Time, reqs ...Request) ([]Outcome, error) {
	if err := may(by, account.PermReview); err != nil {
		return nil, err
	}
	var out []Outcome
	err := st.Update(func(tx store.Tx) error {
		out = out[:0]
		for _, r := range reqs {
			o, err := Apply(tx, by, now, r)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Selection names anomalies of one reader's cycle for a bulk decision:
// those of one household, or of some codes, or both.
type Selection struct {
	Cycle    domain.Month
	Reader   string
	Customer string   // "" is every household
	Codes    []string // empty is every code
}

// DecideBulk applies action, with why, to every pending anomaly (Pending) that
// sel names, in one transaction. Selecting nothing pending is refused.
func DecideBulk(st store.Store, by access.Actor, now time.Time, sel Selection, action Action, why string) ([]Outcome, error) {
	if err := may(by, account.PermReview); err != nil {
		return nil, err
	}
	var out []Outcome
	err := st.Update(func(tx store.Tx) error {
		out = out[:0]
		as, err := tx.Anomalies(sel.Cycle, sel.Reader)
		if err != nil {
			return err
		}
		read, err := lastRecorded(tx, sel.Cycle, sel.Reader)
		if err != nil {
			return err
		}
		for i := range as {
			a := &as[i]
			if (sel.Customer != "" && a.CustomerID != sel.Customer) || (len(sel.Codes) > 0 && !slices.Contains(sel.Codes, a.Code)) ||
				!Pending(a, read[a.CustomerID]) {
				continue
			}
			o, err := Apply(tx, by, now, Request{Key: a.Key(), Version: a.Version, Action: action, Why: why})
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		if len(out) == 0 {
			return &Refusal{CustomerID: sel.Customer, Reason: fmt.Sprintf("%s %s没有待处理的异常%s", sel.Reader, sel.Cycle, codesText(sel.Codes))}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func codesText(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	return "(" + strings.Join(codes, ",") + ")"
}

// Apply makes one decision inside tx: the anomaly's status and Decisions,
// the work order a confirmation prescribes, and the audit entries. The
// caller has checked the actor may review.
func Apply(tx store.Tx, by access.Actor, now time.Time, r Request) (Outcome, error) {
	a, err := tx.Anomaly(r.Key)
	if err != nil {
		return Outcome{}, fmt.Errorf("用户%s %s: %w", r.Key.CustomerID, r.Key.Code, err)
	}
	if r.Version != 0 && r.Version != a.Version {
		return Outcome{}, fmt.Errorf("用户%s %s(%s)已被他人处理,请刷新后重试: %w", a.CustomerID, a.Code,
			vee.Code(a.Code).Chinese(), store.ErrConflict)
	}
	if err := checkOpen(tx, &a); err != nil {
		return Outcome{}, err
	}
	vs, err := tx.ReadingVersions(a.CustomerID, a.Cycle)
	if err != nil {
		return Outcome{}, err
	}
	if err := Allowed(&a, lastOf(vs), r.Action, r.Why); err != nil {
		return Outcome{}, err
	}
	if r.Action == Reread {
		if _, err := tx.Customer(a.CustomerID); errors.Is(err, store.ErrNotFound) {
			return Outcome{}, refuse(&a, "档案中没有该户,无法退回重抄;请核对用户编号后确认")
		} else if err != nil {
			return Outcome{}, err
		}
	}
	before := a
	a.Status = statusAfter(r.Action)
	a.Decisions = append(slices.Clip(a.Decisions), store.Decision{By: by.ID, Role: string(by.Role), At: now, Action: string(r.Action), Why: r.Why})
	stored, err := tx.PutAnomaly(a)
	if err != nil {
		return Outcome{}, fmt.Errorf("用户%s %s: %w", a.CustomerID, a.Code, err)
	}
	out := Outcome{Anomaly: stored}
	if err := audit(tx, by, now, "anomaly."+string(r.Action), a.CustomerID, before, stored, r.Why); err != nil {
		return Outcome{}, err
	}
	if r.Action == Confirm && a.Order != nil {
		o, err := createOrder(tx, by, now, &stored)
		if err != nil {
			return Outcome{}, err
		}
		out.Order = &o
	}
	return out, nil
}

func statusAfter(a Action) string {
	if a == Reread {
		return store.AnomalyReturned
	}
	return store.AnomalyConfirmed
}

// checkOpen refuses a decision on a cycle already committed: what was
// committed went to the CIS as it stood.
func checkOpen(rt store.ReadTx, a *store.Anomaly) error {
	c, err := rt.CycleCommit(a.Cycle, a.ReaderID)
	switch {
	case err == nil:
		return refuse(a, "%s %s已于%s由%s入库,不能再处理", a.ReaderID, a.Cycle, c.At.In(domain.Local).Format("2006-01-02 15:04"), c.By)
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return err
}

// Allowed is the rule of what a reviewer may do with an anomaly: pure, for
// the pages to grey out what would be refused. lastRead is when the
// household's newest reading version was stored.
//
//   - open: confirm or return;
//   - returned, not yet read again: confirm only (the reviewer accepts the
//     reading without waiting), with a reason; returning again is pointless;
//   - returned and read again: confirm, or return once more;
//   - confirmed: final.
//
// A reason is required to return (the reader must know what to check) and
// to confirm a MISSED as 未抄 (DOMAIN §5.7 counts misses with their reasons
// [003:2351]).
func Allowed(a *store.Anomaly, lastRead time.Time, action Action, why string) error {
	why = strings.TrimSpace(why)
	switch action {
	case Confirm, Reread:
	default:
		return refuse(a, "未知操作%q", action)
	}
	switch {
	case a.Status == store.AnomalyConfirmed:
		return refuse(a, "已确认,不能再处理")
	case a.Status == store.AnomalyReturned && !rereadSince(a, lastRead) && action == Reread:
		return refuse(a, "已退回重抄,尚未重抄")
	case a.Status == store.AnomalyReturned && !rereadSince(a, lastRead) && why == "":
		return refuse(a, "已退回重抄、尚未重抄,不等重抄直接确认须填写原因")
	case a.Status != store.AnomalyOpen && a.Status != store.AnomalyReturned:
		return refuse(a, "状态%q不能处理", a.Status)
	case action == Reread && why == "":
		return refuse(a, "退回重抄须填写原因")
	case action == Confirm && a.Code == string(vee.CodeMissed) && why == "":
		return refuse(a, "确认未抄须填写原因")
	}
	return nil
}

func lastOf(vs []domain.ReadingVersion) time.Time {
	var t time.Time
	for i := range vs {
		if vs[i].RecordedAt.After(t) {
			t = vs[i].RecordedAt
		}
	}
	return t
}

// createOrder makes the work order a confirmed anomaly prescribes (DESIGN
// §5.3), waiting for dispatch.
func createOrder(tx store.Tx, by access.Actor, now time.Time, a *store.Anomaly) (store.Order, error) {
	key := a.Key()
	o, err := tx.CreateOrder(store.Order{CustomerID: a.CustomerID, Business: a.Order.Business, Priority: a.Order.Priority,
		Requirement: a.Order.Requirement, Status: store.OrderPending, Anomaly: &key, Source: a.Order.Source,
		CreatedBy: by.ID, Role: string(by.Role), CreatedAt: now})
	if err != nil {
		return o, fmt.Errorf("用户%s %s: 派工单: %w", a.CustomerID, a.Code, err)
	}
	return o, audit(tx, by, now, "order.create", o.ID, nil, o, "确认异常 "+a.Code+" 用户"+a.CustomerID)
}

func audit(tx store.Tx, by access.Actor, now time.Time, action, key string, before, after any, note string) error {
	return store.Audit(tx, store.AuditEntry{At: now, Actor: by.ID, Role: string(by.Role), Device: by.Device, Action: action, Key: key, Note: note},
		before, after)
}

// Orders lists the work orders q selects.
func Orders(st store.Store, q store.OrderQuery) ([]store.Order, error) {
	var out []store.Order
	err := st.View(func(rt store.ReadTx) error {
		var err error
		out, err = rt.Orders(q)
		return err
	})
	return out, err
}
