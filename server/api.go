package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
	"meter-sync/store"
)

// healthJSON answers GET /healthz.
type healthJSON struct {
	Status    string `json:"status"`
	Customers int    `json:"customers"`
	Error     string `json:"error,omitempty"`
}

// readerJSON is a reader and the route books held in a month.
type readerJSON struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Books []string `json:"books"`
}

// routeJSON is a reader's route for a month.
type routeJSON struct {
	Reader     readerJSON      `json:"reader"`
	Cycle      string          `json:"cycle"`
	Group      string          `json:"group"`
	Count      int             `json:"count"`
	Households []householdJSON `json:"households"`
}

// householdJSON is one stop of a route.
type householdJSON struct {
	SeqNo      string `json:"seq_no"`
	CustomerID string `json:"customer_id"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	MeterKind  string `json:"meter_kind"`
	MeterState string `json:"meter_state"`
}

// customerJSON is a household as the API shows it: the customers file's
// fields under their English aliases (DESIGN §6), enumerations in the file's
// Chinese values. Personal fields (phone, bank card, SMS number) are left
// out until accounts with roles exist.
type customerJSON struct {
	CustomerID   string  `json:"customer_id"`
	Name         string  `json:"name"`
	Address      string  `json:"address"`
	Estate       string  `json:"estate"`
	Area         string  `json:"area"`
	Hall         string  `json:"hall"`
	MeterKind    string  `json:"meter_kind"`
	PayMethod    string  `json:"pay_method"`
	SeqNo        string  `json:"seq_no"`
	AreaType     string  `json:"area_type"`
	BuildingType string  `json:"building_type"`
	MeterState   string  `json:"meter_state"`
	MeterModel   string  `json:"meter_model"`
	BaseReading  float64 `json:"base_reading"`
	DialDigits   int     `json:"dial_digits"`
	MonthGroup   string  `json:"month_group"`
	Contract     bool    `json:"contract"`
	FeePaid      bool    `json:"fee_paid"`
}

func newCustomerJSON(c *domain.Customer) customerJSON {
	return customerJSON{
		CustomerID: c.ID, Name: c.Name, Address: c.Address,
		Estate: c.Estate, Area: c.Area, Hall: c.Hall,
		MeterKind: c.Meter.Kind.String(), PayMethod: string(c.Pay),
		SeqNo: c.Seq.String(), AreaType: c.Seq.Area.String(), BuildingType: c.Seq.Building.String(),
		MeterState: c.Meter.State.String(), MeterModel: c.Meter.Model,
		BaseReading: c.Meter.BaseM3, DialDigits: c.Meter.DialDigits,
		MonthGroup: c.Group.String(), Contract: c.Contract, FeePaid: c.FeePaid,
	}
}

func newReaderJSON(r domain.Reader, books []string) readerJSON {
	if books == nil {
		books = []string{}
	}
	return readerJSON{ID: r.ID, Name: r.Name, Books: books}
}

func (s *Server) healthz(c echo.Context) error {
	n, err := store.CountCustomers(s.opt.Store)
	if err != nil {
		s.log.Error("health check: store not readable", "err", err)
		return c.JSON(http.StatusServiceUnavailable, healthJSON{Status: "unavailable", Error: "store not readable"})
	}
	return c.JSON(http.StatusOK, healthJSON{Status: "ok", Customers: n})
}

func (s *Server) apiReaders(c echo.Context) error {
	m := s.thisMonth()
	out := []readerJSON{}
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		rs, as, err := readersAndAssignments(tx)
		for _, r := range rs {
			out = append(out, newReaderJSON(r, domain.BooksOf(as, r.ID, m)))
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiRoute(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	m, err := s.cycleParam(c)
	if err != nil {
		return err
	}
	rt, err := s.loadRoute(id, m)
	if err != nil {
		return err
	}
	out := routeJSON{Reader: newReaderJSON(rt.Reader, rt.Books), Cycle: m.String(), Group: m.Group().String(),
		Count: len(rt.Households), Households: make([]householdJSON, len(rt.Households))}
	for i, h := range rt.Households {
		out.Households[i] = householdJSON{SeqNo: h.Seq.String(), CustomerID: h.ID, Name: h.Name,
			Address: h.Address, MeterKind: h.Meter.Kind.String(), MeterState: h.Meter.State.String()}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCustomer(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var cu domain.Customer
	err = s.opt.Store.View(func(tx store.ReadTx) error {
		cu, err = tx.Customer(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("customer", "用户", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newCustomerJSON(&cu))
}

// readerRoute is a reader's route for a month, as the page and the API show it.
type readerRoute struct {
	Reader     domain.Reader
	Books      []string // held in the month
	Households []domain.Customer
}

// loadRoute reads reader id's route for month m in one transaction; an
// unknown reader is a 404.
func (s *Server) loadRoute(id string, m domain.Month) (readerRoute, error) {
	var rt readerRoute
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		var err error
		rt.Reader, err = tx.Reader(id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("reader", "抄表员", id)
		}
		if err != nil {
			return err
		}
		as, err := tx.Assignments()
		if err != nil {
			return err
		}
		rt.Books = domain.BooksOf(as, id, m)
		rt.Households, err = tx.Route(id, m)
		return err
	})
	return rt, err
}

func readersAndAssignments(tx store.ReadTx) ([]domain.Reader, []domain.Assignment, error) {
	rs, err := tx.Readers()
	if err != nil {
		return nil, nil, err
	}
	as, err := tx.Assignments()
	return rs, as, err
}
