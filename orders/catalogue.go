package orders

import (
	"slices"

	"meter-sync/domain"
)

// Receipt outcomes (回执结果) [003:1365, 1387, 1473, 1515, 1525].
const (
	Pass       = "合格"    // the default on save
	Done       = "完成"    // an installer-done 进户管改装 [003:1387]
	Unfinished = "未完成"   // needs a 现场备注 [003:1367]
	Failed     = "不合格"   //
	Impossible = "无法实施"  // needs a 现场备注 [003:1475, 1555]
	Cancel     = "取消该业务" // needs a 现场备注 [003:1525, 1529]
)

// VariantInletPipe marks a 改装 receipt for an inlet-pipe modification done
// by the installer, entered after the fact as 完成 [003:1381-1387].
const VariantInletPipe = "进户管改装"

// Priorities (业务级别) [003:659].
const (
	PriorityWait    = "等待安排"
	PriorityAgreed  = "按照约定"
	PrioritySoon    = "尽快安排"
	PriorityUrgent  = "加急安排"
	defaultPriority = PriorityWait
)

// Priorities lists the four levels, least urgent first.
func Priorities() []string {
	return []string{PriorityWait, PriorityAgreed, PrioritySoon, PriorityUrgent}
}

// Times a receipt carries (DOMAIN §4.4; all four accepted, DESIGN §5.11).
type timeField uint8

const (
	tArrived timeField = 1 << iota // 到场时间
	tStarted                       // 实施时间
	tEnded                         // 实施结束时间
	tLeft                          // 离开时间
)

// Spec is what the sources say of one business type (DOMAIN §4.3).
type Spec struct {
	Business domain.Business
	// Family is the dispatch family: 安改装 or 换拆启封校 [003:1297, 1325],
	// 点火 or 其它 where the sources name none.
	Family string
	// Outcomes are the receipt outcomes the type's receipt window offers.
	Outcomes []string
	// times are the times a worked receipt must carry.
	times timeField
	// AfterTheFact: the work is done before the paperwork, so a receipt may
	// come with no prior order and create it [003:1291, 1319, 1381].
	AfterTheFact bool
	// Signature: the customer's signature is checked on the sheet [003:1287, 1317].
	Signature bool
	// Photo: installation photos are kept on the photo server [003:1343-1357].
	Photo bool
	// Source cites the catalogue row.
	Source string
}

var (
	outPassFail      = []string{Pass, Unfinished, Failed, Cancel}
	outPassOnly      = []string{Pass, Unfinished, Cancel} // "未完成或不合格" → 未完成 (DOMAIN §7.13)
	outWithNotDoable = []string{Pass, Unfinished, Impossible, Failed, Cancel}
)

// specs is the catalogue, one row per work-order business (DOMAIN §4.3).
var specs = []Spec{
	{Business: domain.BizInstall, Family: "安改装", Outcomes: outPassFail, times: tArrived | tEnded, Photo: true, Source: "[003:1359-1377]"},
	{Business: domain.BizModify, Family: "安改装", Outcomes: []string{Pass, Done, Unfinished, Failed, Cancel}, times: tArrived | tEnded, AfterTheFact: true, Source: "[003:1379-1397]"},
	{Business: domain.BizIgnite, Family: "点火", Outcomes: outWithNotDoable, times: tArrived | tEnded, Source: "[003:1469-1491]"},
	{Business: domain.BizReignite, Family: "点火", Outcomes: outWithNotDoable, times: tArrived | tEnded, Source: "[003:901-919]"},
	{Business: domain.BizSeal, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tEnded, Source: "[003:1415-1429]"},
	{Business: domain.BizUnseal, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tEnded, Source: "[003:1431-1447]"},
	{Business: domain.BizRemove, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tEnded, Source: "[003:1415-1429]"},
	{Business: domain.BizTest, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tEnded, Source: "[003:1449-1467]"},
	{Business: domain.BizExchange, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tEnded, Source: "[003:1399-1413]"},
	{Business: domain.BizBulkExchange, Family: "换拆启封校", Outcomes: outPassOnly, times: tArrived | tStarted | tLeft, AfterTheFact: true, Signature: true, Source: "[003:1283-1311]"},
	{Business: domain.BizRegulator, Family: "安改装", Outcomes: outPassFail, times: tArrived | tLeft, AfterTheFact: true, Signature: true, Source: "[003:1313-1341]"},
	{Business: domain.BizHose, Family: "其它", Outcomes: outWithNotDoable, times: tArrived | tEnded, Source: "[003:1511-1519]"},
	{Business: domain.BizRectify, Family: "其它", Outcomes: []string{Pass, Unfinished, Cancel}, times: tArrived | tEnded, Source: "[003:1493-1509]"},
}

// SpecOf returns the catalogue row of a work-order business.
func SpecOf(b domain.Business) (Spec, bool) {
	for _, s := range specs {
		if s.Business == b {
			return s, true
		}
	}
	return Spec{}, false
}

// Types lists every work-order business type in catalogue order.
func Types() []domain.Business {
	out := make([]domain.Business, len(specs))
	for i, s := range specs {
		out[i] = s.Business
	}
	return out
}

// Allows reports whether the type's receipt offers outcome o.
func (s Spec) Allows(o string) bool { return slices.Contains(s.Outcomes, o) }

// remarkRequired: 现场备注 is mandatory for these outcomes [003:1367, 1475, 1525, 1529, 1555].
func remarkRequired(outcome string) bool {
	return outcome == Unfinished || outcome == Impossible || outcome == Cancel
}

// completes reports whether an accepted receipt with this outcome completes
// the business and drives its meter-state transition.
func completes(outcome string) bool { return outcome == Pass || outcome == Done }

// worked reports whether the outcome says the technician worked on site, so
// the type's times are required. 无法实施 and cancellations may be decided
// without a visit (the technician is off [003:1555], the customer cannot be
// reached [003:1529]).
func worked(outcome string) bool { return outcome != Impossible && outcome != Cancel }
