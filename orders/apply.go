package orders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
)

// ApplyReceipt validates receipt r against its order and household and, if
// it passes, applies it in tx: the order is completed (合格/完成), returned
// for another dispatch (未完成/不合格/无法实施) or cancelled (取消该业务 /
// 业务有效 unchecked); a completed business drives the meter-state
// transition (点火 合格 → 通气, 封表 → 封表, 启封 → 通气, 拆表 → 拆表, …) and
// its form data (meter fields, a 换表 as a domain.MeterChange); customer
// changes are applied. A receipt for work with no prior order (统一换表,
// 更换调压器, 进户管改装) creates its order, dispatched to the technician.
//
// by is the technician's tablet (PermSync: only their own orders; another's
// order is answered as if it did not exist) or a clerk entering a paper
// receipt (PermDispatch). baseVersion is the order version the sender saw
// (0 when it creates the order).
//
// Every receipt that names a visible order or household is appended as a
// new version (receipts are never edited, DESIGN §5.10), with its status:
//   - Applied: 已受理; Outcome.Order is the order after it.
//   - Rejected: 未通过, with every Problem; nothing else changes. The
//     sender fixes it and sends a new version.
//   - Conflict: 冲突; the office voided, cancelled or reassigned the order,
//     or another receipt completed it, since baseVersion (or a new version
//     of an accepted receipt came): the receipt is kept for the back office,
//     the order is left as the office made it, and Outcome.Order is the
//     server's. Neither side is silently lost.
//
// The same receipt sent again (same ID, same content) stores nothing and
// returns the first decision with Duplicate set. The error is for store
// failures and for an actor without permission; the caller rolls back on it.
func (p Policy) ApplyReceipt(tx store.Tx, by Actor, r Receipt, baseVersion int, now time.Time) (Outcome, error) {
	tech := by.Account.Can(account.PermSync)
	if !tech && !by.Account.Can(account.PermDispatch) {
		return Outcome{}, refuse("", "permission", "无录入回执的权限", "[003:1383]")
	}
	if tech {
		if r.Technician != "" && r.Technician != by.Technician() {
			return p.reject(tx, by, r, baseVersion, nil, now, Problem{Path: "technician", Rule: "self",
				Message: "施工人员只能录入自己的回执"})
		}
		r.Technician = by.Technician()
	}
	out, done, accepted, err := p.repeated(tx, r)
	if done || err != nil {
		return out, err
	}
	if accepted { // a correction of an accepted receipt: the office decides (DESIGN §5.10)
		o, err := tx.Order(r.OrderID)
		if err != nil {
			return Outcome{}, err
		}
		return p.keepConflict(tx, by, r, baseVersion, &o, ConflictAccepted,
			fmt.Sprintf("回执%s已受理,更正已保存,待后台处理", r.ID), now)
	}
	if r.OrderID == "" {
		return p.applyFieldFirst(tx, by, r, now)
	}
	o, err := tx.Order(r.OrderID)
	if err == nil && tech {
		var held bool // ever the technician's: the store's index (store.ChangeLog), as sync answers
		if held, err = tx.Held(r.Technician, o.ID); err == nil && !held {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{Kind: Rejected, Message: "派工单不存在", Problems: []Problem{{Path: "order_id", Rule: "exists",
			Message: fmt.Sprintf("派工单%q不存在", r.OrderID)}}}, nil
	} else if err != nil {
		return Outcome{}, err
	}
	if reason, msg := p.orderConflict(&o, r, baseVersion, tech); reason != "" {
		return p.keepConflict(tx, by, r, baseVersion, &o, reason, msg, now)
	} else if msg != "" {
		return p.reject(tx, by, r, baseVersion, &o, now, Problem{Path: "order_id", Rule: "status", Message: msg})
	}
	if r.Technician == "" {
		r.Technician = o.Technician
	}
	return p.apply(tx, by, r, baseVersion, &o, now)
}

// repeated finds r already stored: the same content again is a duplicate;
// a new version of a receipt for another order is refused; accepted says a
// new version of an accepted receipt came.
func (p Policy) repeated(tx store.Tx, r Receipt) (out Outcome, done, accepted bool, err error) {
	if r.ID == "" {
		return Outcome{}, false, false, nil
	}
	vs, err := tx.ReceiptVersions(r.ID)
	if err != nil || len(vs) == 0 {
		return Outcome{}, false, false, err
	}
	last := vs[len(vs)-1]
	if last.CustomerID != r.CustomerID || r.OrderID != "" && last.OrderID != r.OrderID {
		return Outcome{Kind: Rejected, Message: "回执编号已用于另一张派工单", Problems: []Problem{{Path: "id", Rule: "unique",
			Message: fmt.Sprintf("回执编号%s已用于用户%s的派工单%s", r.ID, last.CustomerID, last.OrderID)}}}, true, false, nil
	}
	sent := r
	if sent.OrderID == "" {
		sent.OrderID = last.OrderID
	}
	if !sameReceipt(sent, last.Receipt) {
		r.OrderID = sent.OrderID
		return Outcome{}, false, slices.ContainsFunc(vs, func(v store.ReceiptRecord) bool { return v.Status == store.ReceiptAccepted }), nil
	}
	out = Outcome{Kind: kindOf(last.Status), Receipt: last, Problems: last.Problems, Conflict: last.Conflict, Duplicate: true,
		Message: "该回执已收到"}
	if last.OrderID != "" {
		o, err := tx.Order(last.OrderID)
		if err != nil {
			return out, true, false, err
		}
		out.Order = &o
	}
	return out, true, false, nil
}

func kindOf(status string) string {
	switch status {
	case store.ReceiptAccepted:
		return Applied
	case store.ReceiptConflict:
		return Conflict
	}
	return Rejected
}

// orderConflict decides whether the order still takes this receipt. A
// refusal caused by an office change after baseVersion is a conflict
// (reason); one the sender should have known is a rejection (msg only).
func (p Policy) orderConflict(o *store.Order, r Receipt, baseVersion int, tech bool) (reason, msg string) {
	if baseVersion < 0 || baseVersion > o.Version {
		return "", fmt.Sprintf("基础版本%d无效(派工单%s当前为版本%d)", baseVersion, o.ID, o.Version)
	}
	stale := baseVersion < o.Version
	switch {
	case o.Status == store.OrderVoided:
		reason, msg = ConflictVoided, fmt.Sprintf("派工单%s已作废(%s),回执已保存,待后台处理", o.ID, o.CloseReason)
	case o.Status == store.OrderCancelled:
		reason, msg = ConflictCancelled, fmt.Sprintf("派工单%s已取消(%s),回执已保存,待后台处理", o.ID, o.CloseReason)
	case o.Status == store.OrderCompleted:
		reason, msg = ConflictCompleted, fmt.Sprintf("派工单%s已由回执完成,回执已保存,待后台处理", o.ID)
	case o.Status == store.OrderPending:
		return "", fmt.Sprintf("派工单%s尚未派工,须先派工再录入回执 [003:1291]", o.ID)
	case tech && o.Technician != r.Technician:
		reason, msg = ConflictReassigned, fmt.Sprintf("派工单%s已改派给%s,回执已保存,待后台处理", o.ID, o.Technician)
	default:
		return "", ""
	}
	if !stale && reason != ConflictCompleted {
		return "", msg // the sender saw this state and sent anyway
	}
	return reason, msg
}

func (p Policy) reject(tx store.Tx, by Actor, r Receipt, base int, o *store.Order, now time.Time, probs ...Problem) (Outcome, error) {
	rec := p.record(by, r, base, o, now)
	rec.Status, rec.Problems = store.ReceiptRejected, probs
	return p.keep(tx, by, rec, o, now, Outcome{Kind: Rejected, Problems: probs, Message: "回执未通过校验"})
}

func (p Policy) keepConflict(tx store.Tx, by Actor, r Receipt, base int, o *store.Order, reason, msg string, now time.Time) (Outcome, error) {
	rec := p.record(by, r, base, o, now)
	rec.Status, rec.Conflict = store.ReceiptConflict, reason
	return p.keep(tx, by, rec, o, now, Outcome{Kind: Conflict, Conflict: reason, Message: msg})
}

func (p Policy) record(by Actor, r Receipt, base int, o *store.Order, now time.Time) store.ReceiptRecord {
	rec := store.ReceiptRecord{Receipt: r, By: by.Account.ID, Role: string(by.Account.Role), Device: by.Device, At: now, BaseVersion: base}
	if o != nil {
		rec.OrderVersion = o.Version
	}
	return rec
}

// keep stores a receipt that was not applied, so the back office sees it,
// and lists it on its order; nothing else of the order changes. A receipt
// naming no household that exists is not stored.
func (p Policy) keep(tx store.Tx, by Actor, rec store.ReceiptRecord, o *store.Order, now time.Time, out Outcome) (Outcome, error) {
	if _, err := tx.Customer(rec.CustomerID); err != nil || o != nil && o.CustomerID != rec.CustomerID {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
		out.Order = o
		return out, nil
	}
	if o == nil {
		rec.OrderID = ""
	}
	stored, err := tx.AppendReceipt(rec)
	if err != nil {
		return out, err
	}
	out.Receipt = stored
	if o != nil {
		cur := *o
		cur.Receipts = append(slices.Clone(o.Receipts), store.ReceiptRef{ID: stored.ID, Version: stored.Version, Status: stored.Status, Outcome: stored.Outcome})
		if cur, err = tx.PutOrder(cur); err != nil {
			return out, err
		}
		out.Order = &cur
	}
	note := fmt.Sprintf("基于版本%d; %s", rec.BaseVersion, stored.Status)
	if rec.Conflict != "" {
		note += " " + rec.Conflict
	}
	return out, audit(tx, by, now, "receipt.keep", stored.ID, nil, stored, note)
}

// applyFieldFirst handles a receipt with no prior order: its type must be
// one whose work precedes the paperwork, and it creates the order,
// dispatched to the technician, before it is applied.
func (p Policy) applyFieldFirst(tx store.Tx, by Actor, r Receipt, now time.Time) (Outcome, error) {
	spec, ok := SpecOf(domain.Business(r.Business))
	if ok && (!spec.AfterTheFact || spec.Business == domain.BizModify && r.Variant != VariantInletPipe) {
		return p.reject(tx, by, r, 0, nil, now, Problem{Path: "order_id", Rule: "required", Source: "[003:1291, 1319, 1381]",
			Message: fmt.Sprintf("%s须先有派工单;只有统一换表、更换调压器和进户管改装可先施工后补单", r.Business)})
	}
	if r.Technician == "" {
		return p.reject(tx, by, r, 0, nil, now, Problem{Path: "technician", Rule: "required", Message: "补录回执须填写施工人员"})
	}
	if probs := p.validate(tx, r, nil, now); len(probs) > 0 {
		return p.reject(tx, by, r, 0, nil, now, probs...)
	}
	note := string(spec.Business)
	switch {
	case spec.Business == domain.BizRegulator:
		note = "更换调压器(拆调压器)" // [003:1319]
	case r.Variant != "":
		note = r.Variant
	}
	// "由于统一换表特殊原因,在回执录入前,先进行派工" [003:1291]: the note goes
	// in the requirement and the 派工备注 [003:1299].
	o := store.Order{CustomerID: r.CustomerID, Business: r.Business, Priority: defaultPriority, Requirement: note,
		Status: store.OrderDispatched, Origin: store.OriginField, CreatedBy: by.Account.ID, Role: string(by.Account.Role),
		CreatedAt: now, Due: p.DueDate(spec.Business, now), Technician: r.Technician, DispatchNote: note, DispatchedAt: now,
		Source: spec.Source}
	o.History = []store.OrderEvent{{Kind: "dispatch", At: now, By: by.Account.ID, Role: string(by.Account.Role), Device: by.Device,
		To: r.Technician, Note: note + "(补单)"}}
	stored, err := create(tx, by, o, now, "回执补单 "+note)
	if err != nil {
		return Outcome{}, err
	}
	r.OrderID = stored.ID
	return p.apply(tx, by, r, stored.Version, &stored, now)
}

func (p Policy) validate(tx store.ReadTx, r Receipt, o *store.Order, now time.Time) []Problem {
	ctx := Context{Order: o, Now: now, FutureSkew: p.FutureSkew}
	if c, err := tx.Customer(r.CustomerID); err == nil {
		ctx.Customer = &c
	}
	return ValidateReceipt(r, ctx)
}

// apply validates r against o and the household and applies it.
func (p Policy) apply(tx store.Tx, by Actor, r Receipt, base int, o *store.Order, now time.Time) (Outcome, error) {
	if probs := p.validate(tx, r, o, now); len(probs) > 0 {
		return p.reject(tx, by, r, base, o, now, probs...)
	}
	rec := p.record(by, r, base, o, now)
	rec.Status = store.ReceiptAccepted
	rec.OrderVersion = o.Version + 1
	stored, err := tx.AppendReceipt(rec)
	if err != nil {
		return Outcome{}, err
	}
	before := *o
	next := *o
	next.History = append(slices.Clone(o.History), store.OrderEvent{Kind: "receipt", At: now, By: by.Account.ID,
		Role: string(by.Account.Role), Device: by.Device, BaseVersion: base, From: o.Status, Note: stored.ID + " " + r.Outcome})
	next.Receipts = append(slices.Clone(o.Receipts), store.ReceiptRef{ID: stored.ID, Version: stored.Version, Status: stored.Status, Outcome: r.Outcome})
	next.Outcome = r.Outcome
	switch {
	case completes(r.Outcome):
		next.Status, next.ClosedBy, next.ClosedAt, next.CloseReason = store.OrderCompleted, by.Account.ID, now, "回执"+r.Outcome
	case r.Outcome == Cancel:
		next.Status, next.ClosedBy, next.ClosedAt, next.CloseReason = store.OrderCancelled, by.Account.ID, now, "取消该业务: "+r.Remark
	default:
		next.Status = store.OrderReturned // re-dispatch [003:1553-1557]
	}
	next.History[len(next.History)-1].To = next.Status
	saved, err := tx.PutOrder(next)
	if err != nil {
		return Outcome{}, err
	}
	if err := audit(tx, by, now, "order.receipt", o.ID, before, saved, fmt.Sprintf("基于版本%d; 回执%s v%d %s", base, stored.ID, stored.Version, r.Outcome)); err != nil {
		return Outcome{}, err
	}
	notes, err := p.applyToHousehold(tx, by, r, o.ID, now)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Kind: Applied, Receipt: stored, Order: &saved, Message: "回执已受理", Notes: notes}, nil
}

// applyToHousehold drives the meter-state transition and writes the form
// data and customer changes a receipt carries into the household.
func (p Policy) applyToHousehold(tx store.Tx, by Actor, r Receipt, orderID string, now time.Time) ([]string, error) {
	c, err := tx.Customer(r.CustomerID)
	if err != nil {
		return nil, err
	}
	after := c
	var notes []string
	if completes(r.Outcome) {
		if after.Meter.State, err = domain.Apply(c.Meter.State, domain.Business(r.Business)); err != nil {
			return nil, err // validated just before, in the same transaction
		}
		n, err := p.applyForm(tx, r, &after, now)
		if err != nil {
			return nil, err
		}
		notes = append(notes, n...)
	}
	if r.Customer != nil {
		if err := applyCustomerChange(&after, r.Customer); err != nil {
			return nil, err
		}
	}
	if reflect.DeepEqual(after, c) {
		return notes, nil
	}
	if _, _, err := tx.PutCustomer(&after); err != nil {
		return nil, err
	}
	return notes, audit(tx, by, now, "customer.update", c.ID, c, after, "派工单"+orderID+" 回执"+r.Outcome)
}

// applyForm writes a completed receipt's meter data: the meter fitted at an
// installation [003:1375], the new meter of an exchange with the exchange
// itself, so that readings reconcile across it [003:1409]; at ignition a
// model differing from the system's is a note for the clerk, who checks the
// installation photos before correcting either record [003:1489].
func (p Policy) applyForm(tx store.Tx, r Receipt, c *domain.Customer, now time.Time) ([]string, error) {
	at := workTime(r, now)
	switch domain.Business(r.Business) {
	case domain.BizInstall:
		m := r.Meter
		c.Meter.Model, c.Meter.BaseM3 = m.Model, *m.BaseM3
		if m.DialDigits != 0 {
			c.Meter.DialDigits = m.DialDigits
		}
	case domain.BizExchange, domain.BizBulkExchange:
		x := r.Exchange
		mc := domain.MeterChange{CustomerID: c.ID, At: at, OldFinalM3: *x.OldFinalM3, NewStartM3: *x.NewStartM3, Model: x.Model,
			DialDigits: x.DialDigits}
		if mc.DialDigits == 0 {
			mc.DialDigits = c.Meter.DialDigits
		}
		if err := mc.Validate(); err != nil {
			return nil, err
		}
		if _, _, err := tx.PutMeterChange(mc); err != nil {
			return nil, err
		}
		c.Meter.Model, c.Meter.BaseM3, c.Meter.DialDigits = mc.Model, mc.NewStartM3, mc.DialDigits
	case domain.BizIgnite, domain.BizReignite:
		var notes []string
		if m := r.Meter; m != nil && m.Model != "" && c.Meter.Model != "" && m.Model != c.Meter.Model {
			notes = append(notes, fmt.Sprintf("点火单燃气表型号%s与系统%s不符,请核对安装照片后更正 [003:1489]", m.Model, c.Meter.Model))
		}
		if m := r.Meter; m != nil && m.ReadingM3 != nil && c.Meter.Kind == domain.KindRead && *m.ReadingM3 != math.Round(*m.ReadingM3) {
			notes = append(notes, fmt.Sprintf("普通表点火读数%g按舍入法应为%g [003:1485]", *m.ReadingM3, math.Round(*m.ReadingM3)))
		}
		return notes, nil
	}
	return nil, nil
}

// workTime is when the work was done: the end, else the latest time given.
func workTime(r Receipt, now time.Time) time.Time {
	for _, t := range []time.Time{r.EndedAt, r.LeftAt, r.StartedAt, r.ArrivedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return now
}

// sameReceipt compares receipts as they are stored: by their JSON.
func sameReceipt(a, b Receipt) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
