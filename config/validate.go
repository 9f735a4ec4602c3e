package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"time"
)

// Validate reports every problem of c, each naming its key, as in
// "config: validation.large_volume_factor: must be > 1, got 0.5"; the
// problems are joined with errors.Join. It does no I/O: files such as
// server.tls_cert are opened by their users.
func (c Config) Validate() error {
	return c.validate("")
}

// validate is Validate with prefix (a file name and ": ", or "") put
// before each key.
func (c Config) validate(prefix string) error {
	p := &problems{prefix: prefix}
	c.Server.check(p)
	c.Store.check(p)
	c.Log.check(p)
	c.Import.check(p)
	c.Validation.check(p)
	p.positive("clock.max_skew", c.Clock.MaxSkew)
	c.Cycle.check(p)
	c.Calendar.check(p)
	c.Orders.check(p)
	p.positive("orders.receipt_time_tolerance", c.Orders.ReceiptTimeTolerance)
	p.positive("sync.removal_horizon", c.Sync.RemovalHorizon)
	c.Auth.check(p)
	return errors.Join(p.errs...)
}

// problems collects validation errors.
type problems struct {
	prefix string
	errs   []error
}

func (p *problems) add(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("config: %s%s: %s", p.prefix, key, fmt.Sprintf(format, args...)))
}

func (p *problems) positive(key string, d Duration) {
	if d.Duration <= 0 {
		p.add(key, "must be > 0, got %q", d.Duration.String())
	}
}

func (p *problems) atLeast(key string, v, least int) {
	if v < least {
		p.add(key, "must be >= %d, got %d", least, v)
	}
}

func (p *problems) oneOf(key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.add(key, "must be one of %q, got %q", allowed, v)
}

// float checks that v is finite and above low (or at low, when orEqual).
func (p *problems) float(key string, v, low float64, orEqual bool) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.add(key, "must be a finite number, got %v", v)
	case orEqual && v < low:
		p.add(key, "must be >= %v, got %v", low, v)
	case !orEqual && v <= low:
		p.add(key, "must be > %v, got %v", low, v)
	}
}

func (s Server) check(p *problems) {
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		p.add("server.addr", "must be host:port, such as \":8080\", got %q", s.Addr)
	}
	p.positive("server.read_timeout", s.ReadTimeout)
	p.positive("server.write_timeout", s.WriteTimeout)
	p.positive("server.shutdown_grace", s.ShutdownGrace)
	switch {
	case s.TLSCert != "" && s.TLSKey == "":
		p.add("server.tls_key", "must be set when server.tls_cert is")
	case s.TLSCert == "" && s.TLSKey != "":
		p.add("server.tls_cert", "must be set when server.tls_key is")
	}
}

func (s Store) check(p *problems) {
	if s.File == "" {
		p.add("store.file", "must not be empty")
	}
	p.positive("store.open_timeout", s.OpenTimeout)
}

func (l Log) check(p *problems) {
	p.oneOf("log.level", l.Level, "debug", "info", "warn", "error")
	p.oneOf("log.format", l.Format, "text", "json")
}

// SlogLevel is Level as a slog.Level; Level must have passed Validate.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (i Import) check(p *problems) {
	p.oneOf("import.encoding", i.Encoding, "auto", "utf-8", "gbk")
	p.oneOf("import.route_encoding", i.RouteEncoding, "utf-8-bom", "utf-8", "gbk")
}

func (v Validation) check(p *problems) {
	p.float("validation.large_volume_factor", v.LargeVolumeFactor, 1, false)
	p.float("validation.large_volume_min_m3_per_month", v.LargeVolumeMinM3PerMonth, 0, true)
	p.float("validation.large_volume_cap_m3_per_cycle", v.LargeVolumeCapM3PerCycle, 0, false)
	p.atLeast("validation.baseline_months", v.BaselineMonths, 1)
	p.atLeast("validation.min_history_months", v.MinHistoryMonths, 1)
	p.float("validation.ic_tolerance_m3", v.ICToleranceM3, 0, true)
	p.atLeast("validation.zero_streak_months", v.ZeroStreakMonths, 1)
	p.atLeast("validation.second_ignition_idle_months", v.SecondIgnitionIdleMonths, 1)
	const key = "validation.rollover_margin_fraction"
	p.float(key, v.RolloverMarginFraction, 0, false)
	if v.RolloverMarginFraction > 0.5 {
		p.add(key, "must be <= 0.5, got %v", v.RolloverMarginFraction)
	}
}

func (c Cycle) check(p *problems) {
	if c.MonthsPerCycle < 1 || 12%c.MonthsPerCycle != 0 {
		p.add("cycle.months_per_cycle", "must divide 12 (1, 2, 3, 4, 6 or 12), got %d", c.MonthsPerCycle)
	}
	switch start, end := c.IgnitionWindowStartDay, c.IgnitionWindowEndDay; {
	case start < 2 || start > 28:
		p.add("cycle.ignition_window_start_day", "must be a day from 2 to 28, got %d", start)
	case end != start-1:
		p.add("cycle.ignition_window_end_day",
			"must be %d, the day before cycle.ignition_window_start_day, so that windows neither overlap nor leave a gap; got %d",
			start-1, end)
	}
	if c.ExportDay != "last" {
		if d, err := strconv.Atoi(c.ExportDay); err != nil || !dayOK(d) {
			p.add("cycle.export_day", "must be \"last\" or a day from \"1\" to \"28\", got %q", c.ExportDay)
		}
	}
}

// dayOK says whether d is a day that every month has.
func dayOK(d int) bool { return d >= 1 && d <= 28 }

// ExportDayOf returns the day of year's month on which routes are exported;
// ExportDay must have passed Validate.
func (c Cycle) ExportDayOf(year int, month time.Month) int {
	if d, err := strconv.Atoi(c.ExportDay); err == nil {
		return d
	}
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (c Calendar) check(p *problems) {
	holidays := dates(p, "calendar.holidays", c.Holidays)
	workdays := dates(p, "calendar.extra_workdays", c.ExtraWorkdays)
	for i, s := range c.ExtraWorkdays {
		t, ok := workdays[s]
		if !ok {
			continue
		}
		key := fmt.Sprintf("calendar.extra_workdays[%d]", i)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			p.add(key, "must be a Saturday or Sunday, got %s, a %s", s, wd)
		}
		if _, dup := holidays[s]; dup {
			p.add(key, "%s is also in calendar.holidays", s)
		}
	}
}

// dates parses list, reporting bad and repeated dates, and returns the good
// ones by their text.
func dates(p *problems, key string, list []string) map[string]time.Time {
	m := make(map[string]time.Time, len(list))
	for i, s := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		t, err := time.Parse(DateLayout, s)
		if err != nil {
			p.add(k, "must be a date written YYYY-MM-DD, got %q", s)
			continue
		}
		if _, dup := m[s]; dup {
			p.add(k, "%s is listed twice", s)
		}
		m[s] = t
	}
	return m
}

func (o Orders) check(p *problems) {
	for _, c := range o.CommitmentDays.list() {
		p.atLeast("orders.commitment_days."+c.key, c.days, 1)
	}
}

func (a Auth) check(p *problems) {
	p.atLeast("auth.hash_memory_kib", a.HashMemoryKiB, 8*1024)
	p.atLeast("auth.hash_time", a.HashTime, 1)
	p.atLeast("auth.hash_threads", a.HashThreads, 1)
	p.positive("auth.session_lifetime", a.SessionLifetime)
	p.positive("auth.session_idle", a.SessionIdle)
	if a.TokenLifetime.Duration < 0 {
		p.add("auth.token_lifetime", "must not be negative, got %s", a.TokenLifetime.Duration)
	}
	p.atLeast("auth.max_failures", a.MaxFailures, 1)
	p.positive("auth.failure_window", a.FailureWindow)
	p.positive("auth.lockout", a.Lockout)
}
