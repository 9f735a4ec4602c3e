package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// MeterKind is the customer (meter) type, 用户类型 [003:683].
type MeterKind uint8

// Meter kinds.
const (
	KindRead MeterKind = iota + 1 // 抄表: an ordinary meter read by a reader
	KindIC                        // IC卡: a prepaid IC-card meter
)

func (k MeterKind) String() string {
	return nameOr(map[MeterKind]string{KindRead: "抄表", KindIC: "IC卡"}[k], int(k))
}

// ParseMeterKind reads IC卡/抄表 (or ic/read).
func ParseMeterKind(s string) (MeterKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "抄表", "read", "普通表":
		return KindRead, nil
	case "ic卡", "ic":
		return KindIC, nil
	}
	return 0, fmt.Errorf("用户类型应为IC卡或抄表,实为%q", s)
}

// MeterState is 表状态. The sources name 报装, 未用, 装表 and 通气
// [003:709, 885, 905]; the sealed and removed states are only "相应的表状态"
// [003:1427], and we name them 封表 and 拆表 (DESIGN §5.6).
type MeterState uint8

// Meter states.
const (
	StateApplied   MeterState = iota + 1 // 报装: applied, no meter yet
	StateUnused                          // 未用
	StateInstalled                       // 装表: fitted, not ignited
	StateGasOn                           // 通气: ignited, in use
	StateSealed                          // 封表
	StateRemoved                         // 拆表
)

var stateNames = []string{StateApplied: "报装", StateUnused: "未用", StateInstalled: "装表",
	StateGasOn: "通气", StateSealed: "封表", StateRemoved: "拆表"}

func (s MeterState) String() string {
	if int(s) < len(stateNames) && s > 0 {
		return stateNames[s]
	}
	return nameOr("", int(s))
}

// MeterStates lists every state in order.
func MeterStates() []MeterState {
	return []MeterState{StateApplied, StateUnused, StateInstalled, StateGasOn, StateSealed, StateRemoved}
}

// ParseMeterState reads a state by its Chinese name.
func ParseMeterState(s string) (MeterState, error) {
	s = strings.TrimSpace(s)
	for _, st := range MeterStates() {
		if st.String() == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("表状态应为报装、未用、装表、通气、封表或拆表,实为%q", s)
}

// OnRoute reports whether a meter in this state is walked by the reader: every
// fitted meter, so that a reader can find a 装表 household using gas (私自点火,
// [003:923]) or a sealed one that was opened. Households with no meter (报装,
// 未用) or a removed one are not read.
func (s MeterState) OnRoute() bool {
	return s == StateInstalled || s == StateGasOn || s == StateSealed
}

// Business is a kind of business (业务) that changes a meter or a household:
// the work-order types of DOMAIN §4.3 and the office actions around them.
type Business string

// Businesses. The work-order types are those of DOMAIN §4.3.
const (
	BizRegister       Business = "报装"      // registration in 普通用户登记 [003:645]
	BizResetToApplied Business = "改为报装"    // clerk sets 未用 back to 报装 before 统一装表 [003:709]
	BizBulkInstall    Business = "统一装表"    // 统一装表数据保存 [003:709-723]
	BizInstall        Business = "安装"      // [003:1359-1377]
	BizModify         Business = "改装"      // [003:1379-1397]
	BizIgnite         Business = "点火"      // [003:881-899, 1485]
	BizReignite       Business = "二次点火"    // [003:901-919]
	BizSeal           Business = "封表"      // [003:935-961, 1427]
	BizUnseal         Business = "启封"      // [003:963-997, 1443]
	BizRemove         Business = "拆表"      // [003:1415-1429]
	BizTest           Business = "校表"      // [003:999-1031]
	BizExchange       Business = "换表"      // [003:1399-1413]
	BizBulkExchange   Business = "统一换表"    // [003:1283-1311]
	BizRegulator      Business = "更换调压器"   // [003:1313-1341]
	BizHose           Business = "换波纹管/其它" // [003:1033-1057]
	BizRectify        Business = "隐患整改"    // [003:1493-1509]
)

// transition says which states a business may start from and where it leaves
// the meter; to == 0 keeps the state.
type transition struct {
	from []MeterState
	to   MeterState
	why  string // the source, shown in a refusal
}

var fitted = []MeterState{StateInstalled, StateGasOn, StateSealed}

// transitions is the meter-state machine, one row per business (DOMAIN §1.4).
var transitions = map[Business]transition{
	BizRegister:       {from: nil, to: StateApplied, why: "报装建档 [003:645]"},
	BizResetToApplied: {from: []MeterState{StateUnused}, to: StateApplied, why: "如表状态是未用,先将表状态改为报装 [003:709]"},
	BizBulkInstall:    {from: []MeterState{StateApplied}, to: StateInstalled, why: "统一装表数据保存须为报装 [003:709]"},
	BizInstall:        {from: []MeterState{StateApplied, StateRemoved}, to: StateInstalled, why: "安装须已报装 [003:1359]"},
	BizModify:         {from: fitted, why: "改装须已装表 [003:1379]"},
	BizIgnite:         {from: []MeterState{StateInstalled}, to: StateGasOn, why: "点火业务受理须表状态为装表 [003:885]"},
	BizReignite:       {from: []MeterState{StateGasOn}, why: "二次点火须表状态为通气 [003:905]"},
	// A 装表 meter used without ignition (私自点火) whose owner will not pay is
	// sealed as well [003:929-931].
	BizSeal:         {from: []MeterState{StateGasOn, StateInstalled}, to: StateSealed, why: "封表须为通气或私自点火的装表 [003:1427, 931]"},
	BizUnseal:       {from: []MeterState{StateSealed}, to: StateGasOn, why: "启封须已封表 [003:1443]"},
	BizRemove:       {from: fitted, to: StateRemoved, why: "拆表须已装表 [003:1427]"},
	BizTest:         {from: []MeterState{StateGasOn}, why: "校表须为通气 [003:1009]"},
	BizExchange:     {from: fitted, why: "换表须已装表 [003:1409]"},
	BizBulkExchange: {from: fitted, why: "统一换表须已装表 [003:1283]"},
	BizRegulator:    {from: fitted, why: "更换调压器须已装表 [003:1313]"},
	BizHose:         {from: fitted, why: "换波纹管须已装表 [003:1033]"},
	BizRectify:      {from: fitted, why: "隐患整改须已装表 [003:1493]"},
}

// Businesses lists every business the state machine knows, in a stable order.
func Businesses() []Business {
	return []Business{BizRegister, BizResetToApplied, BizBulkInstall, BizInstall, BizModify,
		BizIgnite, BizReignite, BizSeal, BizUnseal, BizRemove, BizTest, BizExchange,
		BizBulkExchange, BizRegulator, BizHose, BizRectify}
}

// TransitionError is returned when a business is not allowed in a meter state.
type TransitionError struct {
	Business Business
	From     MeterState // 0 when the household has no state yet
	Rule     string
}

func (e *TransitionError) Error() string {
	from := "无"
	if e.From != 0 {
		from = e.From.String()
	}
	return fmt.Sprintf("表状态为%s时不能办理%s: %s", from, e.Business, e.Rule)
}

// Apply returns the state a meter in state from is left in once business b is
// done (for a receipt: once it is 合格). from is 0 for a household not yet
// registered. A forbidden business is a *TransitionError.
func Apply(from MeterState, b Business) (MeterState, error) {
	t, ok := transitions[b]
	if !ok {
		return 0, fmt.Errorf("未知业务%q", b)
	}
	allowed := from == 0 && t.from == nil || from != 0 && slices.Contains(t.from, from)
	if !allowed {
		return 0, &TransitionError{Business: b, From: from, Rule: t.why}
	}
	if t.to == 0 {
		return from, nil
	}
	return t.to, nil
}

// Meter is the meter fitted at a household (一户一表) as the CIS knows it.
type Meter struct {
	Kind       MeterKind
	State      MeterState
	Model      string  // 燃气表型号
	BaseM3     float64 // 表底数: the register when it was fitted
	DialDigits int     // integer digits of the register; it wraps at 10^DialDigits
}

// DefaultDialDigits is the register size when the CIS does not say (DESIGN §6).
const DefaultDialDigits = 5

// Capacity is the register's wrap point in m³ (10^DialDigits).
func (m Meter) Capacity() float64 { return float64(pow10(m.DialDigits)) }

// Validate checks the meter's own fields.
func (m Meter) Validate() error {
	switch {
	case m.Kind != KindRead && m.Kind != KindIC:
		return &FieldError{Field: "用户类型", Reason: "应为IC卡或抄表"}
	case m.State < StateApplied || m.State > StateRemoved:
		return &FieldError{Field: "表状态", Reason: "未知表状态"}
	case m.DialDigits < 3 || m.DialDigits > 9:
		return &FieldError{Field: "表盘位数", Reason: fmt.Sprintf("应为3到9位,实为%d", m.DialDigits)}
	case math.IsNaN(m.BaseM3) || math.IsInf(m.BaseM3, 0):
		return &FieldError{Field: "表底数", Reason: "不是有效数字"}
	case m.BaseM3 < 0:
		return &FieldError{Field: "表底数", Reason: fmt.Sprintf("不能为负数,实为%g", m.BaseM3)}
	case m.BaseM3 >= m.Capacity():
		return &FieldError{Field: "表底数", Reason: fmt.Sprintf("%g超出%d位表盘", m.BaseM3, m.DialDigits)}
	}
	return nil
}
