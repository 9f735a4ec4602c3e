package orders

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
)

// Limits on free text, in characters.
const (
	maxRequirement = 500
	maxNote        = 500
)

// NewOrder is an order accepted by the back office or the CIS.
type NewOrder struct {
	CustomerID string `json:"customer_id"`
	Business   string `json:"business"`
	// Priority is 业务级别; "" is 等待安排.
	Priority string `json:"priority,omitempty"`
	// Requirement is the 用户对…要求 text [003:657, 713, 947, 1015, 1039].
	Requirement string `json:"requirement,omitempty"`
	// Appointment is the day agreed with the customer; required with 按照约定,
	// and then the due day.
	Appointment time.Time `json:"appointment,omitzero"`
	// ExternalRef is the CIS's reference; a create repeated with the same one
	// returns the order made the first time.
	ExternalRef string `json:"external_ref,omitempty"`
}

// Change is an office action on one order, made against the version the
// actor saw.
type Change struct {
	OrderID string `json:"-"`
	Version int    `json:"version"`
	// Technician is the 施工人员 to dispatch or reassign to.
	Technician string `json:"technician,omitempty"`
	// Note is the 派工备注 of a dispatch, the 业务顺延备注 of a postponement,
	// the reason of a reassignment, void or cancellation.
	Note string `json:"note,omitempty"`
	// Due is the agreed day of a postponement.
	Due time.Time `json:"due,omitzero"`
}

// ConflictError is returned when an order changed since the version the
// actor saw; Current is the order as stored. It matches store.ErrConflict.
type ConflictError struct {
	Current store.Order
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("派工单%s已被他人修改(当前版本%d,状态%s),请刷新后再操作", e.Current.ID, e.Current.Version, e.Current.Status)
}

// Is makes errors.Is(err, store.ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == store.ErrConflict }

// CreateOrder accepts an order (受理) from the back office or the CIS,
// waiting for dispatch (待派工), with its commitment window's due day. The
// household must exist and its meter must allow the business
// (domain.Apply, e.g. 点火 needs 装表 [003:885]). It is audited.
func (p Policy) CreateOrder(tx store.Tx, by Actor, n NewOrder, origin string, now time.Time) (store.Order, error) {
	if !by.Account.Can(account.PermImport) && !by.Account.Can(account.PermDispatch) {
		return store.Order{}, refuse("", "permission", "无受理业务的权限", "")
	}
	if n.ExternalRef != "" {
		if o, ok, err := byExternalRef(tx, n.ExternalRef); err != nil || ok {
			return o, err
		}
	}
	o, err := p.newOrder(tx, by, n, origin, now)
	if err != nil {
		return o, err
	}
	return create(tx, by, o, now, "受理")
}

// newOrder checks an acceptance's fields and the household's meter state,
// and builds the order.
func (p Policy) newOrder(tx store.ReadTx, by Actor, n NewOrder, origin string, now time.Time) (store.Order, error) {
	var probs []store.ReceiptProblem
	add := func(path, rule, msg, src string) {
		probs = append(probs, store.ReceiptProblem{Path: path, Rule: rule, Message: msg, Source: src})
	}
	cust, err := tx.Customer(n.CustomerID)
	if errors.Is(err, store.ErrNotFound) {
		add("customer_id", "exists", fmt.Sprintf("用户%q不存在", n.CustomerID), "")
	} else if err != nil {
		return store.Order{}, err
	}
	if _, ok := SpecOf(domain.Business(n.Business)); !ok {
		add("business", "vocabulary", fmt.Sprintf("业务类型%q不是派工业务(应为%s)", n.Business, typeList()), "DOMAIN §4.3")
	}
	prio := n.Priority
	if prio == "" {
		prio = defaultPriority
	}
	if !slices.Contains(Priorities(), prio) {
		add("priority", "vocabulary", fmt.Sprintf("业务级别%q应为等待安排、按照约定、尽快安排或加急安排", n.Priority), "[003:659]")
	}
	if utf8.RuneCountInString(n.Requirement) > maxRequirement {
		add("requirement", "length", fmt.Sprintf("用户要求不能超过%d字", maxRequirement), "")
	}
	if prio == PriorityAgreed && n.Appointment.IsZero() {
		add("appointment", "required", "业务级别为按照约定时须填写约定日期", "[003:659]")
	}
	if !n.Appointment.IsZero() && domain.DayOf(n.Appointment).Before(domain.DayOf(now)) {
		add("appointment", "past", "约定日期不能早于今天", "")
	}
	if len(n.ExternalRef) > 64 {
		add("external_ref", "length", "外部编号不能超过64个字符", "")
	}
	if len(probs) > 0 {
		return store.Order{}, &Error{Problems: probs}
	}
	o := store.Order{CustomerID: n.CustomerID, Business: n.Business, Priority: prio, Requirement: strings.TrimSpace(n.Requirement),
		Status: store.OrderPending, Origin: origin, ExternalRef: n.ExternalRef, CreatedBy: by.Account.ID,
		Role: string(by.Account.Role), CreatedAt: now, Due: p.DueDate(domain.Business(n.Business), now)}
	if !n.Appointment.IsZero() {
		o.Appointment = domain.DayOf(n.Appointment)
		if prio == PriorityAgreed {
			o.Due = o.Appointment // the window excludes the customer's own appointment (DOMAIN §4.3)
		}
	}
	if _, err := domain.Apply(cust.Meter.State, domain.Business(n.Business)); err != nil {
		var te *domain.TransitionError
		if errors.As(err, &te) {
			return o, refuse("business", "meter_state", te.Error(), "")
		}
		return o, err
	}
	return o, nil
}

func typeList() string {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, string(s.Business))
	}
	return strings.Join(names, "、")
}

func byExternalRef(tx store.ReadTx, ref string) (store.Order, bool, error) {
	all, err := tx.Orders(store.OrderQuery{})
	if err != nil {
		return store.Order{}, false, err
	}
	for _, o := range all {
		if o.ExternalRef == ref {
			return o, true, nil
		}
	}
	return store.Order{}, false, nil
}

func create(tx store.Tx, by Actor, o store.Order, now time.Time, note string) (store.Order, error) {
	stored, err := tx.CreateOrder(o)
	if err != nil {
		return stored, err
	}
	return stored, audit(tx, by, now, "order.create", stored.ID, nil, stored, note)
}

// Dispatch sends a pending order (待派工, or 待重新派工 after an unfinished
// receipt) to a technician with an optional 派工备注. Only accounts with the
// dispatch permission may ("只有有派工权限的营业员才能派工" [003:1383]).
func (p Policy) Dispatch(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error) {
	return change(tx, by, c, now, action{kind: "dispatch", perm: account.PermDispatch, permMsg: "无派工权限", source: "[003:1383]",
		from: []string{store.OrderPending, store.OrderReturned}, apply: func(o *store.Order, ev *store.OrderEvent) error {
			if err := checkTechnician(tx, c.Technician); err != nil {
				return err
			}
			if err := checkNote("note", "派工备注", c.Note, false); err != nil {
				return err
			}
			ev.From, ev.To, ev.Note = o.Technician, c.Technician, c.Note
			o.Technician, o.DispatchNote, o.DispatchedAt, o.Status = c.Technician, c.Note, now, store.OrderDispatched
			return nil
		}})
}

// Reassign moves a dispatched order to another technician, e.g. when the
// first cannot carry it out [003:1553-1557]; the reason is required and the
// earlier technician stays in the history. Team leaders may (PermPostpone).
func (p Policy) Reassign(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error) {
	return change(tx, by, c, now, action{kind: "reassign", perm: account.PermPostpone, permMsg: "只有班组长可以改派", source: "[003:1553-1557]",
		from: []string{store.OrderDispatched}, apply: func(o *store.Order, ev *store.OrderEvent) error {
			if err := checkTechnician(tx, c.Technician); err != nil {
				return err
			}
			if c.Technician == o.Technician {
				return refuse("technician", "same", "改派须换一位施工人员", "")
			}
			if err := checkNote("note", "改派原因", c.Note, true); err != nil {
				return err
			}
			ev.From, ev.To, ev.Note = o.Technician, c.Technician, c.Note
			o.Technician, o.DispatchedAt = c.Technician, now
			return nil
		}})
}

// Postpone records a 业务顺延备注 with the day agreed with the customer,
// which becomes the order's due day: entered by the team leader when the
// agreed time is beyond the commitment window [003:1545-1547].
func (p Policy) Postpone(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error) {
	return change(tx, by, c, now, action{kind: "postpone", perm: account.PermPostpone, permMsg: "只有班组长可以录入业务顺延备注", source: "[003:1547]",
		from: []string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, apply: func(o *store.Order, ev *store.OrderEvent) error {
			if err := checkNote("note", "业务顺延备注", c.Note, true); err != nil {
				return err
			}
			if c.Due.IsZero() {
				return refuse("due", "required", "业务顺延须填写与用户约定的日期", "[003:1547]")
			}
			due := domain.DayOf(c.Due)
			if due.Before(domain.DayOf(now)) {
				return refuse("due", "past", "顺延日期不能早于今天", "")
			}
			ev.From, ev.To, ev.Note = dayString(o.Due), dayString(due), c.Note
			o.Due, o.PostponeNote = due, c.Note
			return nil
		}})
}

// Void (作废) ends an open order that must not be carried out, e.g. an
// installation or ignition whose building is not accepted or not supplied
// (楼栋未经验收/未通气 [003:1551]); the reason is required. Team leaders
// may (PermPostpone).
func (p Policy) Void(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error) {
	return change(tx, by, c, now, action{kind: "void", perm: account.PermPostpone, permMsg: "只有班组长(营业厅主任)可以作废业务", source: "[003:1551]",
		from: []string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, apply: func(o *store.Order, ev *store.OrderEvent) error {
			if err := checkNote("note", "作废原因", c.Note, true); err != nil {
				return err
			}
			ev.From, ev.To, ev.Note = o.Status, store.OrderVoided, c.Note
			o.Status, o.ClosedBy, o.ClosedAt, o.CloseReason = store.OrderVoided, by.Account.ID, now, c.Note
			return nil
		}})
}

// Cancel unchecks 业务有效: the business is cancelled to wait for the
// customer's call, with the remark [003:1531-1537]. The technician asks,
// the clerk enters it [003:1531]: accounts that dispatch or postpone may.
func (p Policy) Cancel(tx store.Tx, by Actor, c Change, now time.Time) (store.Order, error) {
	perm := account.PermDispatch
	if !by.Account.Can(perm) {
		perm = account.PermPostpone
	}
	return change(tx, by, c, now, action{kind: "cancel", perm: perm, permMsg: "无取消业务的权限", source: "[003:1531]",
		from: []string{store.OrderPending, store.OrderDispatched, store.OrderReturned}, apply: func(o *store.Order, ev *store.OrderEvent) error {
			if err := checkNote("note", "取消原因(现场备注)", c.Note, true); err != nil {
				return err
			}
			ev.From, ev.To, ev.Note = o.Status, store.OrderCancelled, c.Note
			o.Status, o.ClosedBy, o.ClosedAt, o.CloseReason = store.OrderCancelled, by.Account.ID, now, "业务有效取消: "+c.Note
			return nil
		}})
}

// action is one office action: who may, from which statuses, what it does.
type action struct {
	kind    string
	perm    account.Permission
	permMsg string
	source  string
	from    []string
	apply   func(o *store.Order, ev *store.OrderEvent) error
}

// EventNames are the Chinese names of the order events (store.OrderEvent.Kind).
var EventNames = map[string]string{"dispatch": "派工", "reassign": "改派", "postpone": "业务顺延", "void": "作废", "cancel": "取消业务",
	"receipt": "回执"}

func change(tx store.Tx, by Actor, c Change, now time.Time, a action) (store.Order, error) {
	if !by.Account.Can(a.perm) {
		return store.Order{}, refuse("", "permission", a.permMsg, a.source)
	}
	o, err := tx.Order(c.OrderID)
	if err != nil {
		return o, err
	}
	if c.Version != o.Version {
		return o, &ConflictError{Current: o}
	}
	if !slices.Contains(a.from, o.Status) {
		return o, refuse("status", "transition", fmt.Sprintf("派工单%s状态为%s,不能%s", o.ID, o.Status, EventNames[a.kind]), a.source)
	}
	before := o
	before.History = slices.Clone(o.History)
	ev := store.OrderEvent{Kind: a.kind, At: now, By: by.Account.ID, Role: string(by.Account.Role), Device: by.Device, BaseVersion: c.Version}
	if err := a.apply(&o, &ev); err != nil {
		return before, err
	}
	o.History = append(o.History, ev)
	stored, err := tx.PutOrder(o)
	if errors.Is(err, store.ErrConflict) {
		return before, &ConflictError{Current: before}
	} else if err != nil {
		return stored, err
	}
	return stored, audit(tx, by, now, "order."+a.kind, o.ID, before, stored, fmt.Sprintf("基于版本%d; %s", c.Version, EventNames[a.kind]))
}

// checkTechnician: a dispatch names an enabled technician account's 施工人员 id.
func checkTechnician(tx store.ReadTx, id string) error {
	if strings.TrimSpace(id) == "" {
		return refuse("technician", "required", "须选择施工人员", "[003:1297]")
	}
	accts, err := tx.Accounts()
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.Role == account.RoleTechnician && !a.Disabled && (Actor{Account: a}).Technician() == id {
			return nil
		}
	}
	return refuse("technician", "exists", fmt.Sprintf("施工人员%q不存在或已停用", id), "")
}

// Technicians lists the 施工人员 ids of the enabled technician accounts, with
// their names.
func Technicians(tx store.ReadTx) ([][2]string, error) {
	accts, err := tx.Accounts()
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, a := range accts {
		if a.Role == account.RoleTechnician && !a.Disabled {
			out = append(out, [2]string{(Actor{Account: a}).Technician(), a.Name})
		}
	}
	return out, nil
}

func checkNote(path, name, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return refuse(path, "required", "须填写"+name, "")
	case utf8.RuneCountInString(s) > maxNote:
		return refuse(path, "length", fmt.Sprintf("%s不能超过%d字", name, maxNote), "")
	}
	return nil
}

func dayString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Local).Format("2006-01-02")
}

func audit(tx store.Tx, by Actor, now time.Time, action, key string, before, after any, note string) error {
	return store.Audit(tx, store.AuditEntry{At: now, Actor: by.Account.ID, Role: string(by.Account.Role), Device: by.Device, Action: action, Key: key, Note: note},
		before, after)
}
