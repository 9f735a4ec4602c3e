package domain

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// HistoryReading is a past reading the CIS holds for a household (the history
// file of DESIGN §6): the register value on a date.
type HistoryReading struct {
	CustomerID string
	Date       time.Time // 抄表日期 (a date)
	ValueM3    float64   // 读数
}

// ICPurchase is one IC-card top-up: the volume bought, in m³ [003:815].
type ICPurchase struct {
	CustomerID string
	At         time.Time // 购气时间
	VolumeM3   float64   // 购气量
	N          int       // 0 for the first purchase at this instant, 1 for a second, …
}

// MeterChange is a meter exchange the CIS recorded: the old meter's final
// reading and the new meter's start [003:1409].
type MeterChange struct {
	CustomerID string
	At         time.Time // 换表时间
	OldFinalM3 float64   // 表实际读数
	NewStartM3 float64   // 新表读数
	Model      string    // 燃气表型号
	DialDigits int       // 表盘位数 of the new meter
}

// Validate checks the values of a history reading.
func (h HistoryReading) Validate() error {
	return checkVolume("读数", h.ValueM3)
}

// Validate checks the values of a purchase.
func (p ICPurchase) Validate() error {
	if p.VolumeM3 <= 0 {
		return &FieldError{Field: "购气量", Reason: fmt.Sprintf("应大于0,实为%g", p.VolumeM3)}
	}
	return checkVolume("购气量", p.VolumeM3)
}

// Validate checks the values of a meter change.
func (c MeterChange) Validate() error {
	if err := checkVolume("表实际读数", c.OldFinalM3); err != nil {
		return err
	}
	if err := checkVolume("新表读数", c.NewStartM3); err != nil {
		return err
	}
	m := Meter{Kind: KindRead, State: StateGasOn, BaseM3: c.NewStartM3, DialDigits: c.DialDigits}
	if err := m.Validate(); err != nil {
		return err
	}
	return nil
}

func checkVolume(field string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return &FieldError{Field: field, Reason: "不是有效数字"}
	case v < 0:
		return &FieldError{Field: field, Reason: fmt.Sprintf("不能为负数,实为%g", v)}
	}
	return nil
}

// Flag is a mark the reader sets on a reading (标记, DESIGN §6).
type Flag uint8

// Reading flags.
const (
	FlagEstimated    Flag = 1 << iota // 估抄
	FlagUnauthorized                  // 私自点火
	FlagBroken                        // 表坏
	FlagNobodyHome                    // 无人
	FlagDoorClosed                    // 门闭
)

var flagNames = []struct {
	f    Flag
	name string
}{{FlagEstimated, "估抄"}, {FlagUnauthorized, "私自点火"}, {FlagBroken, "表坏"}, {FlagNobodyHome, "无人"}, {FlagDoorClosed, "门闭"}}

// ParseFlags reads "估抄|门闭".
func ParseFlags(s string) (Flag, error) {
	var f Flag
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		found := false
		for _, n := range flagNames {
			if n.name == part {
				f |= n.f
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("未知标记%q(应为估抄、私自点火、表坏、无人或门闭)", part)
		}
	}
	return f, nil
}

func (f Flag) String() string {
	var parts []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// Source says how a reading reached the server.
type Source string

// Reading sources.
const (
	FromHandheld Source = "handheld" // the device protocol
	FromYMODEM   Source = "ymodem"   // a generic handheld's file
	FromFile     Source = "file"     // meter-sync import --kind readings
	FromCounter  Source = "counter"  // typed at the cash desk [003:803]
	FromNetwork  Source = "network"  // pushed by a networked handheld over the sync API
)

// Reading is what a reader recorded for a household in a cycle.
type Reading struct {
	CustomerID  string
	Cycle       Month
	ValueM3     float64   // 本次读数
	ReadAt      time.Time // 抄表时间, as the handheld recorded it
	ReaderID    string    // 抄表员编号
	Flags       Flag
	ICRemaining *float64 // IC剩余量, IC meters only
	ICUsed      *float64 // IC用气量
	Remark      string   // 备注
}

// ReadingVersion is one version of a household's reading for a cycle.
// Versions are appended, never edited (DESIGN §5.10; corrections keep the
// original, as the paper rule's double strike-through does [003:2353]).
type ReadingVersion struct {
	Reading
	Version    int           // 1, 2, …
	Source     Source        // how it came
	DeviceID   string        // the handheld, when docked
	ClockSkew  time.Duration // handheld clock − server clock at the dock
	RecordedAt time.Time     // when the server stored it
	RecordedBy string        // the account or device that stored it
	Why        string        // why this version exists ("导入", "重抄", "更正: …")
}

// SameReading reports whether two readings say the same thing, so that
// importing the same readings again changes nothing (DESIGN §5.9).
func SameReading(a, b Reading) bool {
	return a.CustomerID == b.CustomerID && a.Cycle == b.Cycle && a.ValueM3 == b.ValueM3 &&
		a.ReadAt.Equal(b.ReadAt) && a.ReaderID == b.ReaderID && a.Flags == b.Flags &&
		sameOpt(a.ICRemaining, b.ICRemaining) && sameOpt(a.ICUsed, b.ICUsed) && a.Remark == b.Remark
}

func sameOpt(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// NextVersion decides what appending r to a household's versions (oldest
// first) does: nothing when the latest version already says the same, else a
// new version numbered after the latest.
func NextVersion(versions []ReadingVersion, r Reading) (next int, changed bool) {
	if n := len(versions); n > 0 {
		if SameReading(versions[n-1].Reading, r) {
			return versions[n-1].Version, false
		}
		return versions[n-1].Version + 1, true
	}
	return 1, true
}

// Validate checks the values of a reading.
func (r Reading) Validate() error {
	if err := checkVolume("本次读数", r.ValueM3); err != nil {
		return err
	}
	for _, v := range []struct {
		field string
		p     *float64
	}{{"IC剩余量", r.ICRemaining}, {"IC用气量", r.ICUsed}} {
		if v.p != nil {
			if err := checkVolume(v.field, *v.p); err != nil {
				return err
			}
		}
	}
	if r.ReadAt.IsZero() {
		return &FieldError{Field: "抄表时间", Reason: "不能为空"}
	}
	return nil
}
