package handheld

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/tabular"
)

// maxRouteErrors is how many bad rows a refused route file reports.
const maxRouteErrors = 20

// Household is one household the handheld is to read: a row of the route
// file, or of a re-read file, and whether it has been read this cycle.
type Household struct {
	SeqNo      string    // 抄表序号; its first 4 digits are the route book
	CustomerID string    // 用户编号
	Name       string    // 用户姓名
	Address    string    // 用户地址
	MeterKind  string    // 用户类型: 抄表 or IC卡
	MeterState string    // 表状态
	PrevM3     float64   // 上次读数
	PrevDate   time.Time // 上次抄表日期, zero when none
	ReaderID   string    // 抄表员编号
	// ICRemaining and ICUsed are the IC meter's last survey, when the file
	// carries one: remaining + used is what the household bought.
	ICRemaining, ICUsed *float64
	// ICPurchased is what the server says was bought for an IC meter since
	// it was fitted (IC累计购气量); nil when the file does not say.
	ICPurchased *float64
	Remark      string // 备注, e.g. why it is to be read again

	Read  bool        // a reading was taken this cycle (for a re-read: since it was returned)
	Flags domain.Flag // the flags of that reading
}

// Book returns the route book (抄表册): the first 4 digits of 抄表序号.
func (h Household) Book() string {
	if len(h.SeqNo) < 4 {
		return h.SeqNo
	}
	return h.SeqNo[:4]
}

// IC reports whether the household has an IC-card meter.
func (h Household) IC() bool {
	k, err := domain.ParseMeterKind(h.MeterKind)
	return err == nil && k == domain.KindIC
}

// RouteHeader says which route is loaded.
type RouteHeader struct {
	Reader   string    // 抄表员编号
	Cycle    string    // YYYY-MM
	LoadedAt time.Time // on the handheld's clock
}

// Route is the loaded route: its header and its households in walking
// order.
type Route struct {
	RouteHeader
	Households []Household
}

// LoadRoute replaces the loaded route with reader's route for cycle, given
// as the UTF-8 CSV bytes of a route file, and returns how many households it
// has. Re-reads of another route or cycle are dropped; readings taken are
// never dropped. A file with a bad row loads nothing, and the error locates
// every bad row ("route.csv:LINE: column 上次读数: reason").
func (s *Store) LoadRoute(reader, cycle string, routeCSV []byte) (int, error) {
	if reader == "" {
		return 0, errors.New("handheld: load route: no reader given")
	}
	m, err := domain.ParseMonth(cycle)
	if err != nil {
		return 0, fmt.Errorf("handheld: load route: cycle %q: %v", cycle, err)
	}
	hs, err := parseHouseholds("route.csv", routeCSV, reader)
	if err != nil {
		return 0, fmt.Errorf("handheld: load route: %w", err)
	}
	now, err := s.Now()
	if err != nil {
		return 0, err
	}
	h := RouteHeader{Reader: reader, Cycle: m.String(), LoadedAt: now}
	err = s.update(func(tx *bolt.Tx) error {
		old, err := routeHeaderIn(tx)
		if err != nil {
			return err
		}
		if old == nil || old.Reader != h.Reader || old.Cycle != h.Cycle {
			if err := emptyBucket(tx, bucketRereads); err != nil {
				return err
			}
		}
		return putRoute(tx, h, hs)
	})
	return len(hs), err
}

// putRoute replaces the route buckets' contents.
func putRoute(tx *bolt.Tx, h RouteHeader, hs []Household) error {
	for _, name := range [][]byte{bucketRoute, bucketRouteIdx} {
		if err := emptyBucket(tx, name); err != nil {
			return err
		}
	}
	rb, ib := tx.Bucket(bucketRoute), tx.Bucket(bucketRouteIdx)
	for i, hh := range hs {
		if err := putJSON(rb, u32(uint32(i)), hh); err != nil {
			return err
		}
		if err := ib.Put([]byte(hh.CustomerID), u32(uint32(i))); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bucketMeta), metaRoute, h)
}

func emptyBucket(tx *bolt.Tx, name []byte) error {
	if err := tx.DeleteBucket(name); err != nil {
		return err
	}
	_, err := tx.CreateBucket(name)
	return err
}

func routeHeaderIn(tx *bolt.Tx) (*RouteHeader, error) {
	v := tx.Bucket(bucketMeta).Get(metaRoute)
	if v == nil {
		return nil, nil
	}
	var h RouteHeader
	if err := getJSON(v, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// AddRereads adds the households of a re-read file (route file columns) to
// the re-read tasks and returns how many it had; a household already there is
// replaced, to be read again. It needs a loaded route: re-reads belong to its
// cycle.
func (s *Store) AddRereads(csv []byte) (int, error) {
	h, err := s.routeHeader()
	if err != nil {
		return 0, err
	}
	if h == nil {
		return 0, ErrNoRoute
	}
	hs, err := parseHouseholds("rereads.csv", csv, h.Reader)
	if err != nil {
		return 0, fmt.Errorf("handheld: add re-reads: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRereads)
		for _, hh := range hs {
			if err := putJSON(b, []byte(hh.CustomerID), hh); err != nil {
				return err
			}
		}
		return nil
	})
	return len(hs), err
}

func (s *Store) routeHeader() (*RouteHeader, error) {
	var h *RouteHeader
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		h, err = routeHeaderIn(tx)
		return err
	})
	return h, err
}

// Route returns the loaded route, or ErrNoRoute.
func (s *Store) Route() (Route, error) {
	var r Route
	err := s.db.View(func(tx *bolt.Tx) error {
		h, err := routeHeaderIn(tx)
		if err != nil {
			return err
		}
		if h == nil {
			return ErrNoRoute
		}
		r.RouteHeader = *h
		r.Households, err = householdsIn(tx.Bucket(bucketRoute))
		return err
	})
	return r, err
}

// Rereads returns the re-read tasks in walking order (by 抄表序号), done or
// not.
func (s *Store) Rereads() ([]Household, error) {
	var hs []Household
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		hs, err = householdsIn(tx.Bucket(bucketRereads))
		return err
	})
	slices.SortStableFunc(hs, func(a, b Household) int {
		return cmp.Or(strings.Compare(a.SeqNo, b.SeqNo), strings.Compare(a.CustomerID, b.CustomerID))
	})
	return hs, err
}

func householdsIn(b *bolt.Bucket) ([]Household, error) {
	var hs []Household
	err := b.ForEach(func(_, v []byte) error {
		var h Household
		if err := getJSON(v, &h); err != nil {
			return err
		}
		hs = append(hs, h)
		return nil
	})
	return hs, err
}

// parseHouseholds reads the rows of a route (or re-read) file for reader.
// Every bad row is reported, up to maxRouteErrors.
func parseHouseholds(name string, data []byte, reader string) ([]Household, error) {
	r, err := tabular.NewCSV(bytes.NewReader(data), name, int64(len(data)), interchange.RouteSchema, tabular.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var hs []Household
	seen := map[string]int{}
	err = readRows(r, func(row *tabular.Row) []error {
		h, errs := decodeHousehold(r, row, reader)
		if line, dup := seen[h.CustomerID]; dup && h.CustomerID != "" {
			errs = append(errs, r.Errorf(row, interchange.RtCustomerID, "用户编号%s重复(第%d行已有)", h.CustomerID, line))
		}
		seen[h.CustomerID] = row.Line()
		hs = append(hs, h)
		return errs
	})
	if err != nil {
		return nil, err
	}
	return hs, nil
}

// readRows calls decode on every row of r until the file ends or
// maxRouteErrors bad rows were found, and returns the located errors of
// every bad row joined: a file with a bad row is refused whole.
func readRows(r *tabular.Reader, decode func(*tabular.Row) []error) error {
	var errs []error
	for len(errs) < maxRouteErrors {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var te *tabular.Error
		if errors.As(err, &te) {
			errs = append(errs, err)
			continue
		} else if err != nil {
			return err
		}
		errs = append(errs, decode(row)...)
	}
	return errors.Join(errs...)
}

// decodeHousehold reads one route row; its errors are located in the file.
func decodeHousehold(r *tabular.Reader, row *tabular.Row, reader string) (Household, []error) {
	v := row.Value
	h := Household{SeqNo: v(interchange.RtSeqNo), CustomerID: v(interchange.RtCustomerID), Name: v(interchange.RtName),
		Address: v(interchange.RtAddress), MeterKind: v(interchange.RtMeterKind), MeterState: v(interchange.RtMeterState),
		ReaderID: v(interchange.RtReaderID), Remark: v(interchange.RtRemark)}
	var errs []error
	fail := func(col int, format string, args ...any) { errs = append(errs, r.Errorf(row, col, format, args...)) }
	if h.CustomerID == "" {
		fail(interchange.RtCustomerID, "不能为空")
	}
	if !validSeqNo(h.SeqNo) {
		fail(interchange.RtSeqNo, "%q不是抄表序号(应为数字,前4位为抄表册号)", h.SeqNo)
	}
	if h.MeterKind != "" {
		if _, err := domain.ParseMeterKind(h.MeterKind); err != nil {
			fail(interchange.RtMeterKind, "%v", err)
		}
	}
	if h.ReaderID == "" {
		h.ReaderID = reader
	} else if h.ReaderID != reader {
		fail(interchange.RtReaderID, "抄表员%s的行出现在抄表员%s的路线中", h.ReaderID, reader)
	}
	h.PrevM3 = number(v(interchange.RtPrevReading), interchange.RtPrevReading, fail)
	if s := v(interchange.RtPrevReadDate); s != "" {
		if t, err := interchange.ParseTime(s); err != nil {
			fail(interchange.RtPrevReadDate, "%v", err)
		} else {
			h.PrevDate = domain.DayOf(t) // a date, however the file wrote it
		}
	}
	h.ICRemaining = optNumber(v(interchange.RtICRemaining), interchange.RtICRemaining, fail)
	h.ICUsed = optNumber(v(interchange.RtICUsed), interchange.RtICUsed, fail)
	h.ICPurchased = optNumber(v(interchange.RtICPurchased), interchange.RtICPurchased, fail)
	return h, errs
}

// validSeqNo reports whether s can be a 抄表序号: digits, the first 4 a
// route book. Its full layout depends on the area and building, which a
// route file does not carry; the server checked it when it made the file.
func validSeqNo(s string) bool {
	if len(s) < 4 || !domain.ValidBookID(s[:4]) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func number(s string, col int, fail func(int, string, ...any)) float64 {
	p := optNumber(s, col, fail)
	if p == nil {
		return 0
	}
	return *p
}

func optNumber(s string, col int, fail func(int, string, ...any)) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != f || f > 1e12 {
		fail(col, "%q不是有效的读数", s)
		return nil
	}
	return &f
}
