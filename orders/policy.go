package orders

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"meter-sync/account"
	"meter-sync/config"
	"meter-sync/domain"
	"meter-sync/store"
)

// Actor is who acts: a signed-in account (staff, the CIS's token, or a
// technician's tablet) and the device it used, if any.
type Actor struct {
	Account account.Account
	Device  string // tablet id, "" from the back office or the API
}

// Technician is the actor's 施工人员 id: the account's linked id (ReaderID,
// "for a technician: their 施工人员 id") or, when none is linked, the account id.
func (a Actor) Technician() string {
	if a.Account.ReaderID != "" {
		return a.Account.ReaderID
	}
	return a.Account.ID
}

// Policy is the configuration the rules need: the working-day calendar,
// the commitment window of each business type, and how far in the future a
// receipt's times may be.
type Policy struct {
	Calendar Calendar
	// Commitment is the window of each type in working days from the next
	// day (自次日起, DOMAIN §4.3); a type missing has no due date.
	Commitment map[domain.Business]int
	// FutureSkew is how far beyond the server's clock a receipt time may be:
	// tablets' clocks drift (DESIGN §5.8 corrects handhelds beyond 2 s; a
	// tablet is corrected by the sync with the skew it measured).
	FutureSkew time.Duration
}

// DefaultFutureSkew is Policy.FutureSkew when the configuration says none.
const DefaultFutureSkew = 5 * time.Minute

// PolicyFrom builds the policy of a configuration's [calendar] and [orders].
func PolicyFrom(c config.Config) (Policy, error) {
	cal, err := NewCalendar(c.Calendar.Holidays, c.Calendar.ExtraWorkdays)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Calendar: cal, Commitment: map[domain.Business]int{}, FutureSkew: c.Orders.ReceiptTimeTolerance.Duration}
	if p.FutureSkew <= 0 {
		p.FutureSkew = DefaultFutureSkew
	}
	for name, days := range c.Orders.CommitmentDays.ByType() {
		if days > 0 {
			p.Commitment[domain.Business(name)] = days
		}
	}
	return p, nil
}

// DefaultPolicy is the policy of the default configuration.
func DefaultPolicy() Policy {
	p, err := PolicyFrom(config.Default())
	if err != nil {
		panic(err) // the defaults are tested
	}
	return p
}

// Calendar says which days are working days: Monday to Friday, less the
// holidays, plus the weekend days that are worked (调休上班).
type Calendar struct {
	holidays map[time.Time]bool
	workdays map[time.Time]bool
}

// NewCalendar reads dates written YYYY-MM-DD.
func NewCalendar(holidays, extraWorkdays []string) (Calendar, error) {
	c := Calendar{holidays: map[time.Time]bool{}, workdays: map[time.Time]bool{}}
	for _, l := range []struct {
		in  []string
		out map[time.Time]bool
	}{{holidays, c.holidays}, {extraWorkdays, c.workdays}} {
		for _, s := range l.in {
			d, err := time.ParseInLocation(config.DateLayout, strings.TrimSpace(s), domain.Local)
			if err != nil {
				return Calendar{}, fmt.Errorf("orders: calendar date %q: %w", s, err)
			}
			l.out[d] = true
		}
	}
	return c, nil
}

// Workday reports whether t's day (in domain.Local) is a working day.
func (c Calendar) Workday(t time.Time) bool {
	d := domain.DayOf(t)
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays returns the n-th working day counted from the day after t
// ("明天起5个工作日内" [003:659]; "自次日起" [003:889]): the last day of a
// window of n working days opened on t's day. n ≤ 0 returns t's day.
func (c Calendar) AddWorkdays(t time.Time, n int) time.Time {
	d := domain.DayOf(t)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.Workday(d) {
			n--
		}
	}
	return d
}

// DueDate is the last day of business b's commitment window for an order
// accepted at t, or the zero time when the type has none.
func (p Policy) DueDate(b domain.Business, t time.Time) time.Time {
	n := p.Commitment[b]
	if n <= 0 {
		return time.Time{}
	}
	return p.Calendar.AddWorkdays(t, n)
}

// Overdue reports whether an open order is past its due day at now: the due
// day is whole, so an order due today is overdue from tomorrow 00:00.
func Overdue(o *store.Order, now time.Time) bool {
	if !store.OrderOpen(o.Status) || o.Due.IsZero() {
		return false
	}
	return !now.Before(domain.DayOf(o.Due).AddDate(0, 0, 1))
}

// ErrRejected is matched (errors.Is) by every *Error: a request refused for
// what it asks (a rule, a status, a permission), as opposed to a store failure.
var ErrRejected = errors.New("orders: request rejected")

// Error is a refused office action or order creation, with every problem.
type Error struct {
	Problems []store.ReceiptProblem
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
		if p.Source != "" {
			msgs[i] += " " + p.Source
		}
	}
	return strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *Error) Is(target error) bool { return target == ErrRejected }

// Problems returns the problems of an *Error inside err, or nil.
func Problems(err error) []store.ReceiptProblem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

func refuse(path, rule, msg, source string) *Error {
	return &Error{Problems: []store.ReceiptProblem{{Path: path, Rule: rule, Message: msg, Source: source}}}
}
