package masterdata

import (
	"errors"
	"slices"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
)

// knownCustomers checks that rows name households the store has; files of
// history or purchases come sorted by household, so the last answer is kept.
type knownCustomers struct {
	last string
}

func (k *knownCustomers) check(u *run, tx store.Tx, d *decoded, id string, col int) error {
	if id == k.last {
		return nil
	}
	if _, err := tx.Customer(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return u.fail(d, col, "用户编号%s不存在(请先导入customers)", id)
		}
		return err
	}
	k.last = id
	return nil
}

// outcomeOf classifies a put by what it returned.
func outcomeOf[T any](before *T, changed bool) outcome {
	switch {
	case !changed:
		return unchanged
	case before == nil:
		return created
	}
	return updated
}

// putter is the part of a per-household kind that differs: how a record is
// decoded, whom it belongs to, and how it is put.
type putter[T any] struct {
	*run
	known     knownCustomers
	action    string // audit action of an update
	idCol     int
	decodeRow func(v interchange.Values) (T, error)
	owner     func(T) string
	put       func(tx store.Tx, rec T, d *decoded) (*T, bool, error)
}

func (p *putter[T]) decode(d *decoded) (any, error) {
	rec, err := p.decodeRow(d.cells)
	if err != nil {
		return nil, p.rowError(d, err)
	}
	return rec, nil
}

func (p *putter[T]) apply(tx store.Tx, d *decoded) (outcome, error) {
	rec := d.rec.(T)
	if err := p.known.check(p.run, tx, d, p.owner(rec), p.idCol); err != nil {
		return 0, err
	}
	before, changed, err := p.put(tx, rec, d)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		err = p.audit(tx, p.action, p.owner(rec), d, before, rec)
	}
	return out, err
}

func newHistoryHandler(u *run) handler {
	return &putter[domain.HistoryReading]{run: u, action: "history.update", idCol: interchange.HCustomerID,
		decodeRow: interchange.DecodeHistory,
		owner:     func(h domain.HistoryReading) string { return h.CustomerID },
		put: func(tx store.Tx, h domain.HistoryReading, _ *decoded) (*domain.HistoryReading, bool, error) {
			return tx.PutHistory(h)
		}}
}

func newMeterChangeHandler(u *run) handler {
	return &putter[domain.MeterChange]{run: u, action: "meter_change.update", idCol: interchange.MCustomerID,
		decodeRow: interchange.DecodeMeterChange,
		owner:     func(c domain.MeterChange) string { return c.CustomerID },
		put: func(tx store.Tx, c domain.MeterChange, _ *decoded) (*domain.MeterChange, bool, error) {
			return tx.PutMeterChange(c)
		}}
}

// purchaseAt names the purchases of one household at one instant.
type purchaseAt struct {
	id string
	at int64
}

func newPurchaseHandler(u *run) handler {
	// Purchases of one household at one instant are numbered in file order,
	// so that two top-ups in the same second are both kept and a re-import
	// finds them at the same keys.
	seen := map[purchaseAt]int{}
	return &putter[domain.ICPurchase]{run: u, action: "ic_purchase.update", idCol: interchange.PCustomerID,
		decodeRow: interchange.DecodePurchase,
		owner:     func(p domain.ICPurchase) string { return p.CustomerID },
		put: func(tx store.Tx, p domain.ICPurchase, _ *decoded) (*domain.ICPurchase, bool, error) {
			k := purchaseAt{p.CustomerID, p.At.UnixNano()}
			p.N = seen[k]
			seen[k]++
			return tx.PutPurchase(p)
		}}
}

// readerHandler stores readers and gives them the books listed. A book not
// yet assigned is the reader's from the start; a book that changes hands is
// the new reader's from 生效月份, or from the month of the import (a
// rotation, kept in the assignment history). Books a file no longer lists
// stay where they are.
type readerHandler struct {
	*run
	owner map[string]int // book → line that listed it
	this  domain.Month
}

func newReaderHandler(u *run) handler {
	return &readerHandler{run: u, owner: map[string]int{}, this: domain.MonthOf(u.opt.Now())}
}

func (h *readerHandler) decode(d *decoded) (any, error) {
	rr, err := interchange.DecodeReader(d.cells)
	if err != nil {
		return nil, h.rowError(d, err)
	}
	return rr, nil
}

func (h *readerHandler) apply(tx store.Tx, d *decoded) (outcome, error) {
	rr := d.rec.(interchange.ReaderRow)
	for _, b := range rr.Books {
		if line, dup := h.owner[b]; dup {
			return 0, h.fail(d, interchange.RBooks, "抄表册%s重复: 第%d行已分配", b, line)
		}
	}
	for _, b := range rr.Books {
		h.owner[b] = d.line
	}
	before, changed, err := tx.PutReader(rr.Reader)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		if err := h.audit(tx, "reader.update", rr.Reader.ID, d, before, rr.Reader); err != nil {
			return 0, err
		}
	}
	moved, err := h.assign(tx, rr, d)
	if moved && out == unchanged {
		out = updated
	}
	return out, err
}

func (h *readerHandler) assign(tx store.Tx, rr interchange.ReaderRow, d *decoded) (bool, error) {
	as, err := tx.Assignments()
	if err != nil {
		return false, err
	}
	moved := false
	for _, b := range rr.Books {
		latest, held := domain.LatestAssignment(as, b)
		holder, from := latest.Reader, h.this
		if !held {
			from = 0 // a book's first reader holds it from the start
		}
		if rr.From != nil {
			from = *rr.From
		}
		if held && holder == rr.Reader.ID {
			continue
		}
		next := domain.Assignment{Book: b, Reader: rr.Reader.ID, From: from}
		if _, err := tx.Assign(next); err != nil {
			return false, err
		}
		moved = true
		if held {
			if err := h.audit(tx, "book.assign", b, d, map[string]string{"reader": holder},
				map[string]any{"reader": rr.Reader.ID, "from": from.String()}); err != nil {
				return false, err
			}
		}
		as = slices.Concat(as, []domain.Assignment{next})
	}
	return moved, nil
}
