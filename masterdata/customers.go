package masterdata

import (
	"errors"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
)

// expectedRowBytes is about the size of a customers row, to size maps ahead.
const expectedRowBytes = 200

type customerHandler struct {
	*run
	today time.Time
	// lines maps 用户编号 to the line that had it, to name duplicates. Only
	// decode (one goroutine, in file order) touches it: a map of millions
	// is too dear for the transaction's goroutine.
	lines map[string]int32
}

func newCustomerHandler(u *run) handler {
	_, size := u.r.Progress()
	rows := min(size/expectedRowBytes, 20_000_000) // sized once: growing a map of millions is dear
	return &customerHandler{run: u, today: domain.DayOf(u.opt.Now()), lines: make(map[string]int32, rows)}
}

func (h *customerHandler) decode(d *decoded) (any, error) {
	c, err := interchange.DecodeCustomer(d.cells, h.today)
	if err != nil {
		return nil, h.rowError(d, err)
	}
	if line, dup := h.lines[c.ID]; dup {
		return nil, h.fail(d, interchange.CCustomerID, "用户编号%s重复: 第%d行已有该用户", c.ID, line)
	}
	h.lines[c.ID] = int32(d.line)
	return &c, nil
}

func (h *customerHandler) apply(tx store.Tx, d *decoded) (outcome, error) {
	c := d.rec.(*domain.Customer)
	before, changed, err := tx.PutCustomer(c)
	var conflict *store.SeqConflictError
	if errors.As(err, &conflict) {
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
