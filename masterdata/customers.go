package masterdata

import (
	"errors"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/tabular"
)

type customerApplier struct {
	*run
	today time.Time
	lines map[string]int // 用户编号 → the line that had it, to name duplicates
}

func newCustomerApplier(u *run) applier {
	return &customerApplier{run: u, today: domain.DayOf(u.opt.Now()), lines: map[string]int{}}
}

func (a *customerApplier) apply(tx store.Tx, row *tabular.Row) (outcome, error) {
	c, err := interchange.DecodeCustomer(row, a.today)
	if err != nil {
		return 0, a.rowError(row, err)
	}
	if line, dup := a.lines[c.ID]; dup {
		return 0, a.r.Errorf(row, interchange.CCustomerID, "用户编号%s重复: 第%d行已有该用户", c.ID, line)
	}
	a.lines[c.ID] = row.Line()
	before, changed, err := tx.PutCustomer(&c)
	var conflict *store.SeqConflictError
	if errors.As(err, &conflict) {
		if line, ok := a.lines[conflict.Owner]; ok {
			return 0, a.r.Errorf(row, interchange.CSeqNo, "抄表序号%s重复: 第%d行的用户%s已用", conflict.Seq, line, conflict.Owner)
		}
		return 0, a.r.Errorf(row, interchange.CSeqNo, "%s", conflict.Error())
	}
	switch {
	case err != nil:
		return 0, err
	case !changed:
		return unchanged, nil
	case before == nil:
		return created, nil
	}
	return updated, a.audit(tx, "customer.update", c.ID, row, before, &c)
}
