package vee

import (
	"fmt"
	"math"
	"strings"
	"time"

	"meter-sync/domain"
)

// input is one reading in the context the rules judge it in.
type input struct {
	h      *Household
	r      domain.Reading
	hist   []domain.HistoryReading // before the cycle; the last is the previous reading
	prev   float64                 // the previous reading, or the meter's base
	prevAt time.Time               // its date; zero when there is no history
	s      step                    // the use since prevAt
	p      Params
}

func (in *input) meter() domain.Meter { return in.h.Customer.Meter }

// inWindow reports whether the read time falls in the cycle's month.
func (in *input) inWindow() bool { return in.r.Cycle.Contains(in.r.ReadAt) }

// future reports whether the read time is later than the server's clock
// allows (DESIGN §5.8).
func (in *input) future() bool {
	return !in.p.Now.IsZero() && in.r.ReadAt.After(in.p.Now.Add(in.p.MaxSkew))
}

// timeReasons are the reasons the read time cannot be right, if any.
func (in *input) timeReasons() []string {
	r := in.r
	if r.ReadAt.IsZero() {
		return []string{"无抄表时间"}
	}
	var why []string
	if !in.inWindow() {
		why = append(why, "抄表时间不在本周期("+r.Cycle.String()+")内")
	}
	if in.future() {
		why = append(why, "抄表时间晚于服务器时间"+when(in.p.Now)+"(允许误差"+in.p.MaxSkew.String()+")")
	}
	if !in.prevAt.IsZero() && r.ReadAt.Before(in.prevAt) {
		why = append(why, "抄表时间早于上次抄表日期"+day(in.prevAt))
	}
	if w := in.beforeMeter(); w != "" {
		why = append(why, w)
	}
	return why
}

// beforeMeter says why the read time is before the meter was there: before
// the application (报装), or, with no reading since, before the exchange that
// fitted the present meter. The lost-invoice date 2002-01-01 [003:697, 771]
// says only that the date is unknown.
func (in *input) beforeMeter() string {
	c, t := &in.h.Customer, in.r.ReadAt
	if !c.AppliedOn.IsZero() && !c.AppliedOn.Equal(domain.LostInvoiceDate) && t.Before(c.AppliedOn) {
		return "抄表时间早于报装日期" + day(c.AppliedOn) + ",其时尚未装表"
	}
	if in.prevAt.IsZero() {
		for _, ch := range in.h.Changes {
			if t.Before(ch.At) {
				return "抄表时间早于换表时间" + when(ch.At) + ",其时现表尚未安装"
			}
		}
	}
	return ""
}

// ruleWindow is 抄表日期异常: a read time outside the cycle, or one the
// handheld's clock cannot have been right for (DESIGN §5.2): the handheld's
// date must be checked and its clock set from the PC's before every transfer
// [003:1191, 1197-1199].
func ruleWindow(in *input) *Anomaly {
	why := in.timeReasons()
	if len(why) == 0 {
		return nil
	}
	return &Anomaly{Code: CodeOutOfWindow,
		Evidence: []Fact{fact("抄表时间", when(in.r.ReadAt)), fact("抄表周期", in.r.Cycle.String()),
			fact("原因", strings.Join(why, ";"))},
		Suggest: "核对抄表机日期时间,校正时钟后退回抄表员重抄",
		Source:  "DESIGN §5.2, §5.8; [003:1191, 1197-1199, 1219]"}
}

// ruleEstimated is 估抄, info: counted in the monthly report with its reason
// [003:2351]; the clerk may waive up to 20 yuan of an estimated-read
// customer's late fee [003:809].
func ruleEstimated(in *input) *Anomaly {
	if in.r.Flags&domain.FlagEstimated == 0 {
		return nil
	}
	ev := []Fact{fact("本次读数", num(in.r.ValueM3)), fact("标记", in.r.Flags.String())}
	if in.r.Remark != "" {
		ev = append(ev, fact("备注", in.r.Remark))
	}
	return &Anomaly{Code: CodeEstimated, Evidence: ev,
		Suggest: "估抄,计入估抄数及原因",
		Source:  "DESIGN §5.2; [003:809, 2351]"}
}

// valueReasons are the reasons the reading's register value cannot be read
// off the meter: not a number, below zero, or beyond its dial.
func (in *input) valueReasons() []string {
	v := in.r.ValueM3
	switch capacity := capacityAt(in.h, in.r.ReadAt); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return []string{"本次读数不是有效数字"}
	case v < 0:
		return []string{"本次读数为负数"}
	case v >= capacity:
		return []string{fmt.Sprintf("本次读数%s超出表盘(%s位,最大%s)", num(v), num(math.Log10(capacity)), num(capacity-1))}
	}
	return nil
}

// icReasons are the reasons the IC values cannot be right.
func (in *input) icReasons() []string {
	var why []string
	for _, v := range []struct {
		name string
		p    *float64
	}{{"IC剩余量", in.r.ICRemaining}, {"IC用气量", in.r.ICUsed}} {
		if v.p != nil && (math.IsNaN(*v.p) || math.IsInf(*v.p, 0) || *v.p < 0) {
			why = append(why, v.name+"为"+num(*v.p)+",不是有效数量")
		}
	}
	return why
}

// ruleInvalid is a reading no meter can show: reported with its reason,
// never dropped, and sent back for a re-read [003:1219].
func ruleInvalid(in *input, why []string) *Anomaly {
	if len(why) == 0 {
		return nil
	}
	capacity := capacityAt(in.h, in.r.ReadAt)
	return &Anomaly{Code: CodeInvalid,
		Evidence: []Fact{fact("本次读数", num(in.r.ValueM3)), fact("表盘容量", num(capacity)),
			fact("原因", strings.Join(why, ";"))},
		Suggest: "读数不可能出现,退回抄表员重抄;如表盘位数有误,更正燃气表信息",
		Source:  "[003:1219]"}
}

// stepFacts are the readings a step was measured between.
func stepFacts(in *input) []Fact {
	ev := []Fact{fact("上次读数", num(in.prev)), fact("上次抄表日期", day(in.prevAt)),
		fact("本次读数", num(in.r.ValueM3)), fact("用气量", num(in.s.use))}
	for _, ch := range in.s.crossed {
		ev = append(ev, fact("换表时间", when(ch.At)), fact("表实际读数", num(ch.OldFinalM3)), fact("新表读数", num(ch.NewStartM3)))
	}
	return ev
}

// ruleNegative is 读数倒退: below the previous reading with no meter
// exchange between and no plausible dial wrap (DESIGN §5.2); across an
// exchange, a leg below its start (the exchange form's 表实际读数 below the
// last reading, or the reading below 新表读数) [003:1409].
func ruleNegative(in *input) *Anomaly {
	if in.s.kind != backward {
		return nil
	}
	a := &Anomaly{Code: CodeNegative, Evidence: stepFacts(in), Source: "DESIGN §5.2; [003:1219, 1409]"}
	if len(in.s.crossed) > 0 {
		a.Suggest = "读数与换表单不符:核对换表单的表实际读数和新表读数,必要时退回抄表员重抄"
		return a
	}
	a.Evidence = append(a.Evidence, fact("表盘容量", num(in.s.capacity)),
		fact("翻转下限", num((1-in.p.RolloverMarginFraction)*in.s.capacity)))
	a.Suggest = "读数低于上次,无换表记录且非表盘翻转:退回抄表员重抄;如已换表,补录换表单"
	return a
}

// ruleRollover is 表盘翻转, info: the register passed its top and started
// again; consumption is capacity − previous + reading (DESIGN §5.2).
func ruleRollover(in *input) *Anomaly {
	if in.s.kind != wrapped {
		return nil
	}
	return &Anomaly{Code: CodeRollover,
		Evidence: append(stepFacts(in), fact("表盘容量", num(in.s.capacity))),
		Suggest:  "表盘翻转,用气量按表盘容量−上次读数+本次读数计算,无需处理",
		Source:   "DESIGN §5.2"}
}

// ruleUnauthorized is 私自点火: gas used, or the reader's flag, on a meter
// that is not 通气 (DESIGN §5.2; "发现区域内未通气的用户在使用管道燃气"
// [003:923]).
func ruleUnauthorized(in *input, used bool) *Anomaly {
	c := &in.h.Customer
	flagged := in.r.Flags&domain.FlagUnauthorized != 0
	if c.Meter.State == domain.StateGasOn || !used && !flagged {
		return nil
	}
	ev := []Fact{fact("表状态", c.Meter.State.String())}
	if used {
		ev = append(ev, stepFacts(in)...)
	}
	if flagged {
		ev = append(ev, fact("标记", in.r.Flags.String()))
	}
	ev = append(ev, fact("供气合同", map[bool]string{true: "有", false: "无"}[c.Contract]),
		fact("报装费", map[bool]string{true: "已缴", false: "未缴"}[c.FeePaid]))
	a := &Anomaly{Code: CodeUnauthorizedUse, Evidence: ev, Source: "DESIGN §5.2-5.3; [003:921-933]"}
	a.Suggest, a.Order = unauthorizedOutcome(c)
	return a
}

// unauthorizedOutcome is the branch of [003:927-933] that the customer
// record points to (DESIGN §5.3).
func unauthorizedOutcome(c *domain.Customer) (string, *OrderSuggestion) {
	switch {
	case c.Contract: // ⑴ [003:927]
		return "有供气合同,属客户资料漏输:立刻补输供气合同", nil
	case c.FeePaid: // ⑵ [003:927]
		return "无供气合同,报装费已缴:按报装流程报装并虚增点火记录,先缴清气费,按已统一装表点火业务受理流程提交点火业务,加急安排",
			&OrderSuggestion{Business: domain.BizIgnite, Priority: PriorityUrgent,
				Requirement: "私自点火,气费已收,请补签供用气合同", Source: "[003:927]; DESIGN §5.3"}
	}
	// ⑶ [003:929-933]: the sources set no priority for the seal.
	return "报装费未缴:根据缴费通知单手工开具发票收取气费,不在系统虚增记录,要求缴纳报装费;只缴气费或两者均不缴的,提交封表并做好记录",
		&OrderSuggestion{Business: domain.BizSeal, Requirement: "私自点火,未缴报装费", Source: "[003:929-931]"}
}

// zeroSince is when the register started showing the reading's value: the
// earliest of the latest run of history readings equal to it, with no
// exchange between.
func zeroSince(in *input) time.Time {
	since := in.r.ReadAt
	for k := len(in.hist) - 1; k >= 0 && in.hist[k].ValueM3 == in.r.ValueM3; k-- {
		if len(changesBetween(in.h.Changes, in.hist[k].Date, since)) > 0 {
			break
		}
		since = in.hist[k].Date
	}
	return since
}

// ruleZeroStreak is 连续零用量, info: the register has not moved for
// ZeroStreakMonths or more, whatever the meter's state (DESIGN §5.2). It
// feeds 二次点火 eligibility, "超过3个月没用气" [003:905].
func ruleZeroStreak(in *input) *Anomaly {
	if in.s.kind != forward || in.s.use != 0 {
		return nil
	}
	since := zeroSince(in)
	months := MonthsBetween(since, in.r.ReadAt)
	if months < float64(in.p.ZeroStreakMonths) {
		return nil
	}
	a := &Anomaly{Code: CodeZeroStreak,
		Evidence: []Fact{fact("本次读数", num(in.r.ValueM3)), fact("读数未变起始", day(since)),
			fact("零用量月数", num(months)), fact("表状态", in.meter().State.String())},
		Suggest: "连续零用量",
		Source:  "DESIGN §5.2; [003:905]"}
	if in.meter().State == domain.StateGasOn {
		a.Suggest = "连续零用量,可作二次点火“超过3个月没用气”的依据"
	}
	return a
}

// cycleMonths is the months the consumption covers: between the reads when
// both are known and the read falls in its cycle, else the cycle's length.
func cycleMonths(in *input) float64 {
	if !in.prevAt.IsZero() && in.inWindow() && in.r.ReadAt.After(in.prevAt) {
		return MonthsBetween(in.prevAt, in.r.ReadAt)
	}
	return float64(in.p.MonthsPerCycle)
}

// ruleLarge is 大额方数 (DESIGN §5.1): the consumption exceeds both
// LargeVolumeFactor × the baseline and LargeVolumeMinM3PerMonth per month,
// or the absolute cap. The clerk confirms large volumes at import
// [003:1219]; the 3× is the gas-ticket rule's [003:843].
func ruleLarge(in *input) *Anomaly {
	if in.s.kind == backward {
		return nil
	}
	p, use, m := in.p, in.s.use, cycleMonths(in)
	b := baselineFor(in.h, in.hist, in.r.Cycle, p)
	relative, floor := p.LargeVolumeFactor*b.perMonth*m, p.LargeVolumeMinM3PerMonth*m
	if use <= p.LargeVolumeCapM3PerCycle && (use <= relative || use <= floor) {
		return nil
	}
	ev := append(stepFacts(in), fact("间隔月数", num(m)), fact("基准(月)", num(b.perMonth)), fact("基准来源", b.source),
		fact("判定线", num(math.Max(relative, floor))), fact("上限(周期)", num(p.LargeVolumeCapM3PerCycle)))
	return &Anomaly{Code: CodeLargeVolume, Evidence: ev,
		Suggest: "确认大额方数;如有疑问,退回抄表员重抄",
		Source:  "DESIGN §5.1; [003:843, 1219]"}
}
