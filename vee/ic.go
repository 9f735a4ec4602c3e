package vee

import (
	"fmt"
	"math"
	"time"

	"meter-sync/domain"
)

// purchaseCutoff is the instant up to which top-ups count toward what the
// meter held at the read: the read itself, as the reader saw the meter
// (DESIGN §5.2), since a top-up after the read is not in it. A read time the
// handheld's clock cannot have been right for is replaced by the end of the
// cycle (or the server's clock, if earlier), the latest the read can have
// been.
func purchaseCutoff(in *input) (time.Time, string) {
	r := in.r
	if !r.ReadAt.IsZero() && !in.future() && (in.prevAt.IsZero() || !r.ReadAt.Before(in.prevAt)) && in.beforeMeter() == "" {
		return r.ReadAt, "截至抄表时间" + when(r.ReadAt) + ",不含其后充值"
	}
	end := r.Cycle.End()
	if !in.p.Now.IsZero() && in.p.Now.Before(end) {
		end = in.p.Now
	}
	return end, "抄表时间异常,截至" + when(end)
}

// Purchased is what was bought for h's meter fitted at t: every top-up
// since the last exchange before t [003:1411], and before t. The route file
// shows it to the reader, whose meter's remaining + used must add up to it.
func Purchased(h *Household, t time.Time) (sum float64, fitted time.Time) { return purchased(h, t) }

// purchased is what was bought for the meter fitted at t: every top-up
// since the last exchange before t [003:1411], and before t.
func purchased(h *Household, t time.Time) (sum float64, fitted time.Time) {
	for _, ch := range h.Changes {
		if ch.At.Before(t) && ch.At.After(fitted) {
			fitted = ch.At
		}
	}
	for _, b := range h.Purchases {
		if !b.At.Before(fitted) && b.At.Before(t) {
			sum += b.VolumeM3
		}
	}
	return sum, fitted
}

// ruleIC is IC卡余量不符: the volume bought differs from the meter's
// remaining + used, as the reader saw them, by more than ICToleranceM3
// ("根据抄表员提供的剩余量和用气量之和,核对该户的购气量" [003:1585-1589];
// DESIGN §5.2).
func ruleIC(in *input) *Anomaly {
	r := in.r
	if in.meter().Kind != domain.KindIC || r.ICRemaining == nil || r.ICUsed == nil {
		return nil
	}
	at, basis := purchaseCutoff(in)
	bought, fitted := purchased(in.h, at)
	held := *r.ICRemaining + *r.ICUsed
	diff := bought - held
	if math.Abs(diff) <= in.p.ICToleranceM3 {
		return nil
	}
	ev := []Fact{fact("购气量", num(bought)), fact("IC剩余量", num(*r.ICRemaining)), fact("IC用气量", num(*r.ICUsed)),
		fact("剩余量+用气量", num(held)), fact("差额", num(diff)), fact("容差", num(in.p.ICToleranceM3)),
		fact("表状态", in.meter().State.String()), fact("购气统计", basis)}
	if !fitted.IsZero() {
		ev = append(ev, fact("换表后起算", when(fitted)))
	}
	a := &Anomaly{Code: CodeICMismatch, Evidence: ev, Source: "DESIGN §5.2-5.3; [003:1577-1603]"}
	a.Suggest, a.Order = icOutcome(in.meter().State, bought, *r.ICUsed, *r.ICRemaining)
	return a
}

// icOutcome is the branch of the IC survey check (IC卡表普查) for the meter's
// state (DESIGN §5.3).
func icOutcome(s domain.MeterState, bought, used, remaining float64) (string, *OrderSuggestion) {
	switch s {
	case domain.StateGasOn: // [003:1589-1591]
		return "该户IC卡表属不正常:提交换表业务,加急安排",
			&OrderSuggestion{Business: domain.BizExchange, Priority: PriorityUrgent,
				Requirement: fmt.Sprintf("该户为抄表员上门普查发现表有问题,购气量%s方,用户家实际用气量%s方,剩余量%s方,需换表",
					num(bought), num(used), num(remaining)),
				Source: "[003:1589-1591]"}
	case domain.StateInstalled: // [003:1595, 1603]; the mismatch besides is DESIGN §5.3's
		return "表状态为装表而已通气(私自通气):提交点火业务补签点火协议,加急安排;另购气量与剩余量+用气量不符,须核查",
			&OrderSuggestion{Business: domain.BizIgnite, Priority: PriorityUrgent,
				Requirement: "该户为抄表员上门普查发现已通气,需补签点火协议", Source: "[003:1603]; DESIGN §5.3"}
	}
	return "购气量与剩余量+用气量不符;表状态为" + s.String() + ",来源只规定通气、装表两种情况 [003:1581-1603],请核查", nil
}
