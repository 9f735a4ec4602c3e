package masterdata

import (
	"errors"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
)

// expectedRowBytes is about the size of a customers row, to size maps ahead.
const expectedRowBytes = 200

type customerHandler struct {
	*run
	today time.Time
	lines map[string]int // 用户编号 → the line that had it, to name duplicates
}

func newCustomerHandler(u *run) handler {
	_, size := u.r.Progress()
	rows := min(size/expectedRowBytes, 20_000_000) // sized once: growing a map of millions is dear
	return &customerHandler{run: u, today: domain.DayOf(u.opt.Now()), lines: make(map[string]int, rows)}
}

func (h *customerHandler) decode(row *tabular.Row) (any, error) {
	c, err := interchange.DecodeCustomer(row, h.today)
	if err != nil {
		return nil, h.rowError(row, err)
	}
	return &c, nil
}

func (h *customerHandler) apply(tx store.Tx, d *decoded) (outcome, error) {
	c := d.rec.(*domain.Customer)
	if line, dup := h.lines[c.ID]; dup {
		return 0, h.fail(d, interchange.CCustomerID, "用户编号%s重复: 第%d行已有该用户", c.ID, line)
	}
	h.lines[c.ID] = d.line
	before, changed, err := tx.PutCustomer(c)
	var conflict *store.SeqConflictError
	if errors.As(err, &conflict) {
		if line, ok := h.lines[conflict.Owner]; ok {
			return 0, h.fail(d, interchange.CSeqNo, "抄表序号%s重复: 第%d行的用户%s已用", conflict.Seq, line, conflict.Owner)
		}
		return 0, h.fail(d, interchange.CSeqNo, "%s", conflict.Error())
	}
	if err != nil {
		return 0, err
	}
	out := outcomeOf(before, changed)
	if out == updated {
		err = h.audit(tx, "customer.update", c.ID, d, before, c)
	}
	return out, err
}
