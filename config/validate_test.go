package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},

		{"addr without port", func(c *Config) { c.Server.Addr = "localhost" }, "server.addr: must be host:port"},
		{"addr empty", func(c *Config) { c.Server.Addr = "" }, "server.addr:"},
		{"addr with host", func(c *Config) { c.Server.Addr = "127.0.0.1:9000" }, ""},
		{"read timeout zero", func(c *Config) { c.Server.ReadTimeout = Duration{} }, `server.read_timeout: must be > 0, got "0s"`},
		{"write timeout negative", func(c *Config) { c.Server.WriteTimeout = Duration{-time.Second} }, "server.write_timeout: must be > 0"},
		{"shutdown grace zero", func(c *Config) { c.Server.ShutdownGrace = Duration{} }, "server.shutdown_grace: must be > 0"},
		{"tls cert only", func(c *Config) { c.Server.TLSCert = "c.pem" }, "server.tls_key: must be set when server.tls_cert is"},
		{"tls key only", func(c *Config) { c.Server.TLSKey = "k.pem" }, "server.tls_cert: must be set when server.tls_key is"},
		{"tls both", func(c *Config) { c.Server.TLSCert, c.Server.TLSKey = "c.pem", "k.pem" }, ""},

		{"store file empty", func(c *Config) { c.Store.File = "" }, "store.file: must not be empty"},
		{"store open timeout zero", func(c *Config) { c.Store.OpenTimeout = Duration{} }, "store.open_timeout: must be > 0"},

		{"log level", func(c *Config) { c.Log.Level = "trace" }, `log.level: must be one of ["debug" "info" "warn" "error"], got "trace"`},
		{"log level case", func(c *Config) { c.Log.Level = "INFO" }, "log.level:"},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format: must be one of"},
		{"log json", func(c *Config) { c.Log.Format = "json" }, ""},

		{"import encoding", func(c *Config) { c.Import.Encoding = "latin1" }, "import.encoding: must be one of"},
		{"import gbk", func(c *Config) { c.Import.Encoding = "gbk" }, ""},
		{"route encoding", func(c *Config) { c.Import.RouteEncoding = "utf-16" }, "import.route_encoding: must be one of"},
		{"route gbk", func(c *Config) { c.Import.RouteEncoding = "gbk" }, ""},
		{"receipt tolerance", func(c *Config) { c.Orders.ReceiptTimeTolerance = Duration{} }, "orders.receipt_time_tolerance"},
		{"removal horizon", func(c *Config) { c.Sync.RemovalHorizon = Duration{-time.Hour} }, "sync.removal_horizon"},

		{"factor 1", func(c *Config) { c.Validation.LargeVolumeFactor = 1 }, "validation.large_volume_factor: must be > 1, got 1"},
		{"factor NaN", func(c *Config) { c.Validation.LargeVolumeFactor = nan() }, "validation.large_volume_factor: must be a finite number"},
		{"min m3 negative", func(c *Config) { c.Validation.LargeVolumeMinM3PerMonth = -1 }, "validation.large_volume_min_m3_per_month: must be >= 0"},
		{"min m3 zero", func(c *Config) { c.Validation.LargeVolumeMinM3PerMonth = 0 }, ""},
		{"cap zero", func(c *Config) { c.Validation.LargeVolumeCapM3PerCycle = 0 }, "validation.large_volume_cap_m3_per_cycle: must be > 0"},
		{"cap infinite", func(c *Config) { c.Validation.LargeVolumeCapM3PerCycle = inf() }, "validation.large_volume_cap_m3_per_cycle: must be a finite number"},
		{"baseline months", func(c *Config) { c.Validation.BaselineMonths = 0 }, "validation.baseline_months: must be >= 1, got 0"},
		{"min history months", func(c *Config) { c.Validation.MinHistoryMonths = 0 }, "validation.min_history_months: must be >= 1"},
		{"ic tolerance negative", func(c *Config) { c.Validation.ICToleranceM3 = -0.5 }, "validation.ic_tolerance_m3: must be >= 0"},
		{"ic tolerance zero", func(c *Config) { c.Validation.ICToleranceM3 = 0 }, ""},
		{"zero streak", func(c *Config) { c.Validation.ZeroStreakMonths = 0 }, "validation.zero_streak_months: must be >= 1"},
		{"rollover zero", func(c *Config) { c.Validation.RolloverMarginFraction = 0 }, "validation.rollover_margin_fraction: must be > 0"},
		{"rollover above half", func(c *Config) { c.Validation.RolloverMarginFraction = 0.6 }, "validation.rollover_margin_fraction: must be <= 0.5, got 0.6"},
		{"rollover half", func(c *Config) { c.Validation.RolloverMarginFraction = 0.5 }, ""},
		{"second ignition idle", func(c *Config) { c.Validation.SecondIgnitionIdleMonths = 0 }, "validation.second_ignition_idle_months: must be >= 1"},

		{"max skew zero", func(c *Config) { c.Clock.MaxSkew = Duration{} }, "clock.max_skew: must be > 0"},

		{"months per cycle 5", func(c *Config) { c.Cycle.MonthsPerCycle = 5 }, "cycle.months_per_cycle: must divide 12"},
		{"months per cycle 0", func(c *Config) { c.Cycle.MonthsPerCycle = 0 }, "cycle.months_per_cycle: must divide 12"},
		{"months per cycle 1", func(c *Config) { c.Cycle.MonthsPerCycle = 1 }, ""},
		{"window start 31", func(c *Config) { c.Cycle.IgnitionWindowStartDay = 31 }, "cycle.ignition_window_start_day: must be a day from 2 to 28, got 31"},
		{"window start 1", func(c *Config) { c.Cycle.IgnitionWindowStartDay = 1 }, "cycle.ignition_window_start_day: must be a day from 2 to 28"},
		{"window gap", func(c *Config) { c.Cycle.IgnitionWindowEndDay = 20 }, "cycle.ignition_window_end_day: must be 25, the day before"},
		{"window overlap", func(c *Config) { c.Cycle.IgnitionWindowEndDay = 27 }, "cycle.ignition_window_end_day: must be 25"},
		{"window moved", func(c *Config) { c.Cycle.IgnitionWindowStartDay, c.Cycle.IgnitionWindowEndDay = 21, 20 }, ""},
		{"export day 29", func(c *Config) { c.Cycle.ExportDay = "29" }, `cycle.export_day: must be "last" or a day from "1" to "28", got "29"`},
		{"export day word", func(c *Config) { c.Cycle.ExportDay = "first" }, "cycle.export_day:"},
		{"export day 28", func(c *Config) { c.Cycle.ExportDay = "28" }, ""},

		{"holiday not a date", func(c *Config) { c.Calendar.Holidays = []string{"2026-13-01"} }, `calendar.holidays[0]: must be a date written YYYY-MM-DD, got "2026-13-01"`},
		{"holiday short form", func(c *Config) { c.Calendar.Holidays = []string{"2026-1-1"} }, "calendar.holidays[0]: must be a date"},
		{"holiday twice", func(c *Config) { c.Calendar.Holidays = []string{"2026-01-01", "2026-01-01"} }, "calendar.holidays[1]: 2026-01-01 is listed twice"},
		{"workday not a date", func(c *Config) { c.Calendar.ExtraWorkdays = []string{"soon"} }, "calendar.extra_workdays[0]: must be a date"},
		{"workday on a weekday", func(c *Config) { c.Calendar.ExtraWorkdays = []string{"2026-01-05"} }, "calendar.extra_workdays[0]: must be a Saturday or Sunday, got 2026-01-05, a Monday"},
		{"workday also holiday", func(c *Config) { c.Calendar.ExtraWorkdays = []string{"2026-01-03"} }, "calendar.extra_workdays[0]: 2026-01-03 is also in calendar.holidays"},
		{"empty calendar", func(c *Config) { c.Calendar = Calendar{} }, ""},

		{"orders install 0", func(c *Config) { c.Orders.CommitmentDays.Install = 0 }, "orders.commitment_days.install: must be >= 1, got 0"},
		{"orders rectify missing", func(c *Config) { c.Orders.CommitmentDays.Rectify = 0 }, "orders.commitment_days.rectify: must be >= 1"},
		{"orders hose negative", func(c *Config) { c.Orders.CommitmentDays.HoseOther = -1 }, "orders.commitment_days.hose_other: must be >= 1, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no error, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), "config: "+tt.want):
				t.Errorf("error %q lacks %q", err, "config: "+tt.want)
			}
		})
	}
}

func TestValidateExactMessage(t *testing.T) {
	c := Default()
	c.Validation.LargeVolumeFactor = 0.5
	want := "config: validation.large_volume_factor: must be > 1, got 0.5"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Server.Addr = "nowhere"
	c.Log.Level = "loud"
	c.Orders.CommitmentDays.Seal = 0
	c.Calendar.Holidays = []string{"x", "y"}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 5 {
		t.Errorf("got %d problems, want 5:\n%v", len(lines), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "config: ") {
			t.Errorf("problem %q does not start with \"config: \"", l)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }
func inf() float64 { z := 0.0; return 1 / z }
