package sync

import (
	"errors"
	"slices"

	"meter-sync/domain"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
)

// InScope reports whether order o is on technician tech's tablet: dispatched
// to them and waiting for their work.
func InScope(o *store.Order, tech string) bool {
	return tech != "" && o.Technician == tech && o.Status == store.OrderDispatched
}

// removalReason says why an order that was tech's is not any more.
func removalReason(o *store.Order, tech string) string {
	switch {
	case o.Status == store.OrderVoided:
		return syncwire.RemovedVoided
	case o.Status == store.OrderCancelled:
		return syncwire.RemovedCancelled
	case o.Technician != tech:
		return syncwire.RemovedReassigned
	case o.Status == store.OrderCompleted:
		return syncwire.RemovedCompleted
	case o.Status == store.OrderReturned:
		return syncwire.RemovedReturned
	}
	return syncwire.RemovedWithdrawn
}

// Pull reads one page of the caller's changes after cursor: every order of
// their scope that changed, as it is now, with its household; every order
// that left the scope as a removal. The page is one read transaction.
func (s *Service) Pull(c Caller, cursor string, limit int) (syncwire.ChangesPage, error) {
	now := s.now()
	skew := skewOf(c.DeviceTime, now)
	page := syncwire.ChangesPage{ServerTime: now, SkewMs: skew.Milliseconds(),
		Orders: []syncwire.Order{}, Customers: []syncwire.Customer{}, Removed: []syncwire.Removal{}}
	scope := c.scope()
	cur, err := syncwire.DecodeCursor(scope, cursor)
	if err != nil {
		return page, err
	}
	if limit <= 0 || limit > syncwire.MaxPageLimit {
		limit = syncwire.DefaultLimit
	}
	if err := s.noteDevice(c, skew, now); err != nil {
		return page, err
	}
	err = s.opt.Store.View(func(tx store.ReadTx) error {
		head, horizon, err := tx.ChangeHead(scope)
		if err != nil {
			return err
		}
		if cur.Seq > head || cur.Seq != 0 && cur.Seq < horizon {
			return ErrResync
		}
		changes, err := tx.Changes(scope, cur.Seq, limit+1)
		if err != nil {
			return err
		}
		if len(changes) > limit {
			changes, page.More = changes[:limit], true
		}
		if len(changes) > 0 {
			cur.Seq = changes[len(changes)-1].Seq
		}
		return fillPage(tx, scope, changes, &page)
	})
	page.Cursor = syncwire.EncodeCursor(scope, cur)
	return page, err
}

// fillPage resolves a page's changes to the records as they are in tx.
func fillPage(tx store.ReadTx, scope string, changes []store.Change, page *syncwire.ChangesPage) error {
	var custs []string
	need := func(id string) {
		if !slices.Contains(custs, id) {
			custs = append(custs, id)
		}
	}
	for _, ch := range changes {
		switch ch.Kind {
		case store.ChangeOrder:
			o, err := tx.Order(ch.Key)
			if errors.Is(err, store.ErrNotFound) {
				page.Removed = append(page.Removed, syncwire.Removal{OrderID: ch.Key, Reason: syncwire.RemovedWithdrawn})
				continue
			} else if err != nil {
				return err
			}
			if !InScope(&o, scope) {
				page.Removed = append(page.Removed, syncwire.Removal{OrderID: o.ID, Reason: removalReason(&o, scope)})
				continue
			}
			page.Orders = append(page.Orders, WireOrder(&o))
			need(o.CustomerID)
		case store.ChangeCustomer:
			holders, err := tx.HoldersOf(ch.Key)
			if err != nil {
				return err
			}
			if slices.Contains(holders, scope) {
				need(ch.Key)
			}
		}
	}
	for _, id := range custs {
		c, err := tx.Customer(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		page.Customers = append(page.Customers, WireCustomer(&c))
	}
	return nil
}

// WireOrder is an order as a tablet sees it: no history, no other
// technician's name.
func WireOrder(o *store.Order) syncwire.Order {
	return syncwire.Order{ID: o.ID, Version: o.Version, CustomerID: o.CustomerID, Business: o.Business,
		Priority: o.Priority, Requirement: o.Requirement, Status: o.Status, DispatchNote: o.DispatchNote,
		PostponeNote: o.PostponeNote, Appointment: o.Appointment, Due: o.Due, CreatedAt: o.CreatedAt,
		DispatchedAt: o.DispatchedAt, Outcome: o.Outcome}
}

// WireCustomer is a household as a technician needs it on site.
func WireCustomer(c *domain.Customer) syncwire.Customer {
	return syncwire.Customer{ID: c.ID, Name: c.Name, Address: c.Address, Estate: c.Estate, Phone: c.Phone,
		PayMethod: string(c.Pay), SeqNo: c.Seq.String(), Contract: c.Contract, FeePaid: c.FeePaid,
		Meter: syncwire.Meter{Kind: c.Meter.Kind.String(), State: c.Meter.State.String(), Model: c.Meter.Model,
			BaseM3: c.Meter.BaseM3, DialDigits: c.Meter.DialDigits}}
}
