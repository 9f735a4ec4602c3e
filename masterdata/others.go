package masterdata

import (
	"errors"
	"slices"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
)

// knownCustomers checks that rows name households the store has; files of
// history or purchases come sorted by household, so the last answer is kept.
type knownCustomers struct {
	last string
}

func (k *knownCustomers) check(u *run, tx store.Tx, row *tabular.Row, id string, col int) error {
	if id == k.last {
		return nil
	}
	if _, err := tx.Customer(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return u.r.Errorf(row, col, "用户编号%s不存在(请先导入customers)", id)
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

type historyApplier struct {
	*run
	known knownCustomers
}

func newHistoryApplier(u *run) applier { return &historyApplier{run: u} }

func (a *historyApplier) apply(tx store.Tx, row *tabular.Row) (outcome, error) {
	h, err := interchange.DecodeHistory(row)
	if err != nil {
		return 0, a.rowError(row, err)
	}
	if err := a.known.check(a.run, tx, row, h.CustomerID, interchange.HCustomerID); err != nil {
		return 0, err
	}
	before, changed, err := tx.PutHistory(h)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		err = a.audit(tx, "history.update", h.CustomerID, row, before, h)
	}
	return out, err
}

type purchaseApplier struct {
	*run
	known knownCustomers
	// seen numbers purchases of one household at one instant in file order,
	// so that two top-ups in the same second are both kept and a re-import
	// finds them at the same keys.
	seen map[purchaseAt]int
}

type purchaseAt struct {
	id string
	at int64
}

func newPurchaseApplier(u *run) applier { return &purchaseApplier{run: u, seen: map[purchaseAt]int{}} }

func (a *purchaseApplier) apply(tx store.Tx, row *tabular.Row) (outcome, error) {
	p, err := interchange.DecodePurchase(row)
	if err != nil {
		return 0, a.rowError(row, err)
	}
	if err := a.known.check(a.run, tx, row, p.CustomerID, interchange.PCustomerID); err != nil {
		return 0, err
	}
	k := purchaseAt{p.CustomerID, p.At.UnixNano()}
	p.N = a.seen[k]
	a.seen[k]++
	before, changed, err := tx.PutPurchase(p)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		err = a.audit(tx, "ic_purchase.update", p.CustomerID, row, before, p)
	}
	return out, err
}

type meterChangeApplier struct {
	*run
	known knownCustomers
}

func newMeterChangeApplier(u *run) applier { return &meterChangeApplier{run: u} }

func (a *meterChangeApplier) apply(tx store.Tx, row *tabular.Row) (outcome, error) {
	c, err := interchange.DecodeMeterChange(row)
	if err != nil {
		return 0, a.rowError(row, err)
	}
	if err := a.known.check(a.run, tx, row, c.CustomerID, interchange.MCustomerID); err != nil {
		return 0, err
	}
	before, changed, err := tx.PutMeterChange(c)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		err = a.audit(tx, "meter_change.update", c.CustomerID, row, before, c)
	}
	return out, err
}

// readerApplier stores readers and gives them the books listed. A book not
// yet assigned is the reader's from the start; a book that changes hands is
// the new reader's from 生效月份, or from the month of the import (a
// rotation, kept in the assignment history). Books a file no longer lists
// stay where they are.
type readerApplier struct {
	*run
	owner map[string]int // book → line that listed it
	this  domain.Month
}

func newReaderApplier(u *run) applier {
	return &readerApplier{run: u, owner: map[string]int{}, this: domain.MonthOf(u.opt.Now())}
}

func (a *readerApplier) apply(tx store.Tx, row *tabular.Row) (outcome, error) {
	rr, err := interchange.DecodeReader(row)
	if err != nil {
		return 0, a.rowError(row, err)
	}
	for _, b := range rr.Books {
		if line, dup := a.owner[b]; dup {
			return 0, a.r.Errorf(row, interchange.RBooks, "抄表册%s重复: 第%d行已分配", b, line)
		}
	}
	for _, b := range rr.Books {
		a.owner[b] = row.Line()
	}
	before, changed, err := tx.PutReader(rr.Reader)
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		if err := a.audit(tx, "reader.update", rr.Reader.ID, row, before, rr.Reader); err != nil {
			return 0, err
		}
	}
	moved, err := a.assign(tx, rr, row)
	if moved && out == unchanged {
		out = updated
	}
	return out, err
}

func (a *readerApplier) assign(tx store.Tx, rr interchange.ReaderRow, row *tabular.Row) (bool, error) {
	as, err := tx.Assignments()
	if err != nil {
		return false, err
	}
	moved := false
	for _, b := range rr.Books {
		latest, held := domain.LatestAssignment(as, b)
		holder, from := latest.Reader, a.this
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
			if err := a.audit(tx, "book.assign", b, row, map[string]string{"reader": holder},
				map[string]any{"reader": rr.Reader.ID, "from": from.String()}); err != nil {
				return false, err
			}
		}
		as = slices.Concat(as, []domain.Assignment{next})
	}
	return moved, nil
}
