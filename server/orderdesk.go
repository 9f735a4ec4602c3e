package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/store"
)

// The work-order desk: an order's detail with its history and receipts, the
// office actions (派工, 改派, 业务顺延, 作废, 取消业务) as forms and as JSON,
// orders accepted from the back office and from the CIS, and paper receipts
// entered by a clerk. The rules are package orders'; this only parses,
// authorises (the route table) and renders.

func (s *Server) registerOrders() {
	s.addEither(http.MethodGet, "/orders/new", account.PermImport, account.PermDispatch, s.newOrderPage)
	s.addEither(http.MethodPost, "/orders", account.PermImport, account.PermDispatch, s.createOrderForm)
	s.addEither(http.MethodGet, "/orders/:id", account.PermReview, account.PermDispatch, s.orderPage)
	s.add(http.MethodPost, "/orders/:id/dispatch", account.PermDispatch, s.orderActionForm("dispatch"))
	s.add(http.MethodPost, "/orders/:id/reassign", account.PermPostpone, s.orderActionForm("reassign"))
	s.add(http.MethodPost, "/orders/:id/postpone", account.PermPostpone, s.orderActionForm("postpone"))
	s.add(http.MethodPost, "/orders/:id/void", account.PermPostpone, s.orderActionForm("void"))
	s.addEither(http.MethodPost, "/orders/:id/cancel", account.PermDispatch, account.PermPostpone, s.orderActionForm("cancel"))

	s.addEither(http.MethodPost, "/api/v1/orders", account.PermImport, account.PermDispatch, s.apiCreateOrder)
	s.addEither(http.MethodGet, "/api/v1/orders/:id", account.PermReview, account.PermDispatch, s.apiOrder)
	s.add(http.MethodPost, "/api/v1/orders/:id/dispatch", account.PermDispatch, s.apiOrderAction("dispatch"))
	s.add(http.MethodPost, "/api/v1/orders/:id/reassign", account.PermPostpone, s.apiOrderAction("reassign"))
	s.add(http.MethodPost, "/api/v1/orders/:id/postpone", account.PermPostpone, s.apiOrderAction("postpone"))
	s.add(http.MethodPost, "/api/v1/orders/:id/void", account.PermPostpone, s.apiOrderAction("void"))
	s.addEither(http.MethodPost, "/api/v1/orders/:id/cancel", account.PermDispatch, account.PermPostpone, s.apiOrderAction("cancel"))
	s.add(http.MethodPost, "/api/v1/receipts", account.PermDispatch, s.apiEnterReceipt)
}

func (s *Server) orderPolicy() orders.Policy {
	if s.opt.Orders != nil {
		return *s.opt.Orders
	}
	return orders.DefaultPolicy()
}

// orderActs are the office actions by name, as the routes name them.
var orderActs = map[string]func(orders.Policy, store.Tx, orders.Actor, orders.Change, time.Time) (store.Order, error){
	"dispatch": orders.Policy.Dispatch,
	"reassign": orders.Policy.Reassign,
	"postpone": orders.Policy.Postpone,
	"void":     orders.Policy.Void,
	"cancel":   orders.Policy.Cancel,
}

func (s *Server) actor(c echo.Context) orders.Actor {
	return orders.Actor{Account: principal(c).Account}
}

// runAction applies one office action in a transaction of its own.
func (s *Server) runAction(c echo.Context, kind string, ch orders.Change) (store.Order, error) {
	var out store.Order
	err := s.opt.Store.Update(func(tx store.Tx) error {
		var err error
		out, err = orderActs[kind](s.orderPolicy(), tx, s.actor(c), ch, s.now())
		return err
	})
	return out, err
}

// orderDetail is an order with what the desk shows of it.
type orderDetail struct {
	Order    store.Order           `json:"order"`
	Overdue  bool                  `json:"overdue"`
	Receipts []store.ReceiptRecord `json:"receipts"`
}

func (s *Server) loadOrder(id string) (orderDetail, error) {
	var d orderDetail
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		var err error
		if d.Order, err = tx.Order(id); err != nil {
			return err
		}
		d.Receipts, err = tx.Receipts(store.ReceiptQuery{OrderID: id})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return d, notFound("order", "派工单", id)
	}
	d.Overdue = orders.Overdue(&d.Order, s.now())
	return d, err
}

// problemsBody is a refusal with every problem.
type problemsBody struct {
	Error    string           `json:"error"`
	Problems []orders.Problem `json:"problems,omitempty"`
	// Order is the order as stored, when another change came first (409).
	Order *store.Order `json:"order,omitempty"`
}

// orderError answers a refused action: 409 with the current order when it
// changed since, 422 with the problems when a rule refused it, 403 for a
// permission the rules refused.
func orderError(c echo.Context, err error) error {
	var ce *orders.ConflictError
	var re *orders.Error
	switch {
	case errors.As(err, &ce):
		return c.JSON(http.StatusConflict, problemsBody{Error: ce.Error(), Order: &ce.Current})
	case errors.As(err, &re):
		code := http.StatusUnprocessableEntity
		if len(re.Problems) == 1 && re.Problems[0].Rule == "permission" {
			code = http.StatusForbidden
		}
		return c.JSON(code, problemsBody{Error: re.Error(), Problems: re.Problems})
	case errors.Is(err, store.ErrNotFound):
		return notFound("order", "派工单", c.Param("id"))
	}
	return err
}

func (s *Server) apiOrder(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.loadOrder(id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) apiCreateOrder(c echo.Context) error {
	var n orders.NewOrder
	if err := readJSONBody(c, &n); err != nil {
		return err
	}
	var o store.Order
	err := s.opt.Store.Update(func(tx store.Tx) error {
		var err error
		o, err = s.orderPolicy().CreateOrder(tx, s.actor(c), n, store.OriginCIS, s.now())
		return err
	})
	if err != nil {
		return orderError(c, err)
	}
	return c.JSON(http.StatusCreated, o)
}

func (s *Server) apiOrderAction(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		var ch orders.Change
		if err := readJSONBody(c, &ch); err != nil {
			return err
		}
		ch.OrderID = id
		o, err := s.runAction(c, kind, ch)
		if err != nil {
			return orderError(c, err)
		}
		return c.JSON(http.StatusOK, o)
	}
}

// receiptBody is a paper receipt a clerk enters, against the order version
// they saw.
type receiptBody struct {
	Receipt     orders.Receipt `json:"receipt"`
	BaseVersion int            `json:"base_version"`
}

// apiEnterReceipt enters a paper receipt (派工信息管理 → 派工单回执
// [003:1363]); tablets push theirs through the sync API. 200 with the
// outcome whatever it is: applied, rejected or conflict.
func (s *Server) apiEnterReceipt(c echo.Context) error {
	var b receiptBody
	if err := readJSONBody(c, &b); err != nil {
		return err
	}
	var out orders.Outcome
	err := s.opt.Store.Update(func(tx store.Tx) error {
		var err error
		out, err = s.orderPolicy().ApplyReceipt(tx, s.actor(c), b.Receipt, b.BaseVersion, s.now())
		return err
	})
	if err != nil {
		return orderError(c, err)
	}
	return c.JSON(http.StatusOK, out)
}

// orderPageData is the order page.
type orderPageData struct {
	layoutData
	orderDetail
	Flash, Problem           string
	Technicians              [][2]string
	CanDispatch, CanPostpone bool
	Open, Dispatched         bool
	Today                    string
	Kinds                    map[string]string
}

func (s *Server) orderPage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return s.renderOrder(c, id, http.StatusOK, c.QueryParam("done"), "")
}

func (s *Server) renderOrder(c echo.Context, id string, code int, flash, problem string) error {
	d, err := s.loadOrder(id)
	if err != nil {
		return err
	}
	d.inLocal()
	a := principal(c).Account
	data := orderPageData{layoutData: s.layout(c, "派工单"+id), orderDetail: d, Problem: problem, Kinds: orders.EventNames,
		CanDispatch: a.Can(account.PermDispatch), CanPostpone: a.Can(account.PermPostpone),
		Open: store.OrderOpen(d.Order.Status), Dispatched: d.Order.Status == store.OrderDispatched,
		Today: s.now().In(domain.Local).Format("2006-01-02")}
	if flash != "" {
		data.Flash = orders.EventNames[flash] + "已保存"
	}
	if data.CanDispatch || data.CanPostpone {
		err := s.opt.Store.View(func(tx store.ReadTx) error {
			var err error
			data.Technicians, err = orders.Technicians(tx)
			return err
		})
		if err != nil {
			return err
		}
	}
	return s.render(c, code, "order", data)
}

// inLocal puts the times the page shows in the office's zone, as every
// other page does (timeZh), whatever zone the server's machine keeps. It
// copies the slices it changes: a store may hand out its own.
func (d *orderDetail) inLocal() {
	o := &d.Order
	o.History, d.Receipts = slices.Clone(o.History), slices.Clone(d.Receipts)
	for _, t := range []*time.Time{&o.CreatedAt, &o.DispatchedAt, &o.ClosedAt, &o.Due, &o.Appointment} {
		*t = t.In(domain.Local)
	}
	for i := range o.History {
		o.History[i].At = o.History[i].At.In(domain.Local)
	}
	for i := range d.Receipts {
		r := &d.Receipts[i]
		r.At, r.ArrivedAt, r.EndedAt = r.At.In(domain.Local), r.ArrivedAt.In(domain.Local), r.EndedAt.In(domain.Local)
	}
}

func (s *Server) orderActionForm(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		f, err := postForm(c)
		if err != nil {
			return err
		}
		ch := orders.Change{OrderID: id}
		if ch.Version, err = strconv.Atoi(f.Get("version")); err != nil {
			return fieldError("version", "版本", "an integer", "应为整数")
		}
		if ch.Technician, err = formField(f, "technician", "施工人员", 64, false); err != nil {
			return err
		}
		if ch.Note, err = formField(f, "note", "备注", 2000, false); err != nil {
			return err
		}
		if due := f.Get("due"); due != "" {
			if ch.Due, err = time.ParseInLocation("2006-01-02", due, domain.Local); err != nil {
				return fieldError("due", "日期", "a date YYYY-MM-DD", "应为日期(年-月-日)")
			}
		}
		if _, err := s.runAction(c, kind, ch); err != nil {
			var ce *orders.ConflictError
			var re *orders.Error
			switch {
			case errors.As(err, &ce):
				return s.renderOrder(c, id, http.StatusConflict, "", "派工单已被他人修改,以下为最新内容,请核对后再操作。")
			case errors.As(err, &re):
				return s.renderOrder(c, id, http.StatusUnprocessableEntity, "", re.Error())
			case errors.Is(err, store.ErrNotFound):
				return notFound("order", "派工单", id)
			}
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/orders/"+url.PathEscape(id)+"?done="+kind)
	}
}

// newOrderData is the acceptance form.
type newOrderData struct {
	layoutData
	Types      []domain.Business
	Priorities []string
	Problem    string
	Form       orders.NewOrder
}

func (s *Server) newOrderPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "order_new", newOrderData{layoutData: s.layout(c, "受理业务"), Types: orders.Types(),
		Priorities: orders.Priorities(), Form: orders.NewOrder{CustomerID: c.QueryParam("customer")}})
}

func (s *Server) createOrderForm(c echo.Context) error {
	f, err := postForm(c)
	if err != nil {
		return err
	}
	var n orders.NewOrder
	for _, fl := range []struct {
		to       *string
		name, zh string
		max      int
	}{{&n.CustomerID, "customer_id", "用户编号", 64}, {&n.Business, "business", "业务类型", 64}, {&n.Priority, "priority", "业务级别", 64},
		{&n.Requirement, "requirement", "用户要求", 2000}} {
		if *fl.to, err = formField(f, fl.name, fl.zh, fl.max, false); err != nil {
			return err
		}
	}
	if a := f.Get("appointment"); a != "" {
		if n.Appointment, err = time.ParseInLocation("2006-01-02", a, domain.Local); err != nil {
			return fieldError("appointment", "约定日期", "a date YYYY-MM-DD", "应为日期(年-月-日)")
		}
	}
	var o store.Order
	err = s.opt.Store.Update(func(tx store.Tx) error {
		var err error
		o, err = s.orderPolicy().CreateOrder(tx, s.actor(c), n, store.OriginOffice, s.now())
		return err
	})
	var re *orders.Error
	if errors.As(err, &re) {
		return s.render(c, http.StatusUnprocessableEntity, "order_new", newOrderData{layoutData: s.layout(c, "受理业务"),
			Types: orders.Types(), Priorities: orders.Priorities(), Problem: re.Error(), Form: n})
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orders/"+url.PathEscape(o.ID))
}
