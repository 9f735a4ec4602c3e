package vee

import (
	"time"

	"meter-sync/config"
)

// Params are the thresholds of validation and the time it runs at. Build
// them with ParamsFrom; every threshold is a configuration key (DESIGN §5).
type Params struct {
	// LargeVolumeFactor × baseline × months is one of the two bars a
	// consumption must clear to be 大额方数 (DESIGN §5.1, [003:843]).
	LargeVolumeFactor float64
	// LargeVolumeMinM3PerMonth × months is the other (DESIGN §5.1).
	LargeVolumeMinM3PerMonth float64
	// LargeVolumeCapM3PerCycle flags any cycle's consumption above it.
	LargeVolumeCapM3PerCycle float64
	// BaselineMonths of latest history give a household's average use.
	BaselineMonths int
	// MinHistoryMonths: with less history a household is compared with the
	// median of its estate and building type.
	MinHistoryMonths int
	// ICToleranceM3 is the largest |purchased − (remaining + used)| that
	// is not IC卡余量不符.
	ICToleranceM3 float64
	// ZeroStreakMonths of an unmoving register are 连续零用量.
	ZeroStreakMonths int
	// RolloverMarginFraction: a reading below the previous one is a dial
	// wrap only if the previous was within this fraction of the top.
	RolloverMarginFraction float64
	// MonthsPerCycle is the cycle's length, used when the months between
	// two reads cannot be measured (DESIGN §5.4).
	MonthsPerCycle int
	// MaxSkew is the clock difference tolerated before a read time later
	// than Now is in the future (DESIGN §5.8).
	MaxSkew time.Duration
	// Now is the server's clock at validation, the reference for read
	// times (DESIGN §5.8, [003:1197]); zero skips the check for reads in
	// the future.
	Now time.Time
}

// ParamsFrom takes the thresholds from the configuration. Now is left zero:
// set it to the server's clock.
func ParamsFrom(v config.Validation, clock config.Clock, cycle config.Cycle) Params {
	return Params{
		LargeVolumeFactor:        v.LargeVolumeFactor,
		LargeVolumeMinM3PerMonth: v.LargeVolumeMinM3PerMonth,
		LargeVolumeCapM3PerCycle: v.LargeVolumeCapM3PerCycle,
		BaselineMonths:           v.BaselineMonths,
		MinHistoryMonths:         v.MinHistoryMonths,
		ICToleranceM3:            v.ICToleranceM3,
		ZeroStreakMonths:         v.ZeroStreakMonths,
		RolloverMarginFraction:   v.RolloverMarginFraction,
		MonthsPerCycle:           cycle.MonthsPerCycle,
		MaxSkew:                  clock.MaxSkew.Duration,
	}
}

// DefaultParams are ParamsFrom the configuration's defaults.
func DefaultParams() Params {
	c := config.Default()
	return ParamsFrom(c.Validation, c.Clock, c.Cycle)
}
