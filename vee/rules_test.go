package vee

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
)

// checkCase is one reading of one household and what Check must find.
type checkCase struct {
	name  string
	h     Household
	r     domain.Reading
	now   time.Time
	want  []Code                            // exactly these codes, in this order
	use   float64                           // the consumption, unless NaN
	facts map[Code]map[string]string        // evidence the anomaly must show
	why   map[Code]string                   // a text the evidence's 原因 must hold
	order map[Code]*OrderSuggestion         // the order suggested (nil: none)
	more  func(*testing.T, Result)          // further checks
	tweak func(*Household, *domain.Reading) // applied before Check
}

func runChecks(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			h, r := tt.h, tt.r
			if tt.tweak != nil {
				tt.tweak(&h, &r)
			}
			p := DefaultParams()
			p.Now = tt.now
			got := Check(&h, r, p)
			if !slices.Equal(codes(got), tt.want) {
				t.Fatalf("codes %v, want %v\n%+v", codes(got), tt.want, got.Anomalies)
			}
			if !math.IsNaN(tt.use) && math.Abs(got.ConsumptionM3-tt.use) > 1e-9 {
				t.Errorf("consumption %g, want %g", got.ConsumptionM3, tt.use)
			}
			if !got.Reading.ReadAt.Equal(r.ReadAt) || got.Reading.CustomerID != r.CustomerID {
				t.Errorf("result's reading %+v is not the reading checked", got.Reading)
			}
			for _, a := range got.Anomalies {
				if a.CustomerID != h.Customer.ID || len(a.Evidence) == 0 || a.Suggest == "" || a.Source == "" {
					t.Errorf("%s: anomaly without customer, evidence, suggestion or source: %+v", a.Code, a)
				}
			}
			for c, want := range tt.facts {
				a := anomaly(t, got, c)
				for name, v := range want {
					if g := evidence(a, name); g != v {
						t.Errorf("%s evidence %s = %q, want %q (all: %v)", c, name, g, v, a.Evidence)
					}
				}
			}
			for c, want := range tt.why {
				if a := anomaly(t, got, c); !strings.Contains(evidence(a, "原因"), want) {
					t.Errorf("%s reason %q, want it to say %q", c, evidence(a, "原因"), want)
				}
			}
			for c, want := range tt.order {
				checkOrder(t, anomaly(t, got, c), want)
			}
			if tt.more != nil {
				tt.more(t, got)
			}
		})
	}
}

func checkOrder(t *testing.T, a Anomaly, want *OrderSuggestion) {
	t.Helper()
	switch {
	case want == nil && a.Order != nil:
		t.Errorf("%s suggests an order %+v, want none", a.Code, *a.Order)
	case want == nil:
	case a.Order == nil:
		t.Errorf("%s suggests no order, want %+v", a.Code, *want)
	case a.Order.Business != want.Business || a.Order.Priority != want.Priority || a.Order.Requirement != want.Requirement:
		t.Errorf("%s order %+v, want %+v", a.Code, *a.Order, *want)
	}
}

var none = math.NaN() // any consumption

func TestLargeVolume(t *testing.T) {
	ordinary := household("3300000001", jan, 1000, flat(12))
	small := household("3300000002", jan, 200, flat(2))
	big := household("3300000003", jan, 5000, flat(100))
	heater := household("3300000004", jan, 3000, boiler)
	summer := household("3300000005", jun, 1000, flat(12))
	heaterJun := household("3300000006", jun, 3000, boiler)
	heaterNov := household("3300000007", jan.Add(-2), 3000, boiler)
	runChecks(t, []checkCase{
		{name: "usual use", h: ordinary, r: reading(ordinary, jan, 24), use: 24},
		{name: "a small household going from 2 to 8 m³ a month is under the floor",
			h: small, r: reading(small, jan, 16), use: 16},
		{name: "five times its baseline", h: ordinary, r: reading(ordinary, jan, 150), use: 150,
			want:  []Code{CodeLargeVolume},
			facts: map[Code]map[string]string{CodeLargeVolume: {"上次读数": "1144", "本次读数": "1294", "用气量": "150", "基准(月)": "11.98", "基准来源": "本户去年同期月均"}}},
		{name: "over the cap however large its baseline", h: big, r: reading(big, jan, 550), use: 550,
			want: []Code{CodeLargeVolume}},
		{name: "under three times a large baseline", h: big, r: reading(big, jan, 480), use: 480},
		{name: "a boiler household's usual January", h: heater, r: reading(heater, jan, boiler(time.November)+boiler(time.December)), use: 168},
		{name: "the same jump in June without heating in its last six months or a year ago",
			h: summer, r: reading(summer, jun, 168), use: 168,
			want:  []Code{CodeLargeVolume},
			facts: map[Code]map[string]string{CodeLargeVolume: {"基准来源": "本户近6个月月均"}}},
		// DESIGN §5.1's baseline is the larger of the last six months'
		// average and a year ago: before June the six months hold the
		// heating season (78 m³ a month), so 168 m³ is under 3 × 78 × 2.
		{name: "a boiler household's 168 m³ in June is under its winter-laden six-month average",
			h: heaterJun, r: reading(heaterJun, jun, 168), use: 168},
		{name: "a boiler household's 168 m³ in November, after six months without heating",
			h: heaterNov, r: reading(heaterNov, jan.Add(-2), 168), use: 168, want: []Code{CodeLargeVolume},
			facts: map[Code]map[string]string{CodeLargeVolume: {"基准(月)": "17.87", "基准来源": "本户近6个月月均"}}},
	})
}

func TestStep(t *testing.T) {
	j4 := household("3300000011", jan, 9841, flat(12)) // last read 9985 on a 4-digit dial
	j4.Customer.Meter.DialDigits, j4.Customer.Meter.Model = 4, "J1.6"
	mid4 := household("3300000012", jan, 4856, flat(12))
	mid4.Customer.Meter.DialDigits = 4
	five := household("3300000013", jan, 9841, flat(12)) // 9985 on a 5-digit dial
	top5 := household("3300000014", jan, 99846, flat(12))
	ex := household("3300000015", jan, 1376, flat(12)) // last read 1520
	ex.Customer.Meter.BaseM3 = 2
	exchange := domain.MeterChange{CustomerID: ex.Customer.ID, At: local(2026, time.January, 5, 9, 40),
		OldFinalM3: 1540, NewStartM3: 2, Model: "G2.5", DialDigits: 5}
	ex.Changes = []domain.MeterChange{exchange}
	exRead := reading(ex, jan, 0)
	exRead.ValueM3 = 15
	later := ex
	later.Changes = []domain.MeterChange{{CustomerID: ex.Customer.ID, At: local(2026, time.January, 20, 9, 0), OldFinalM3: 1548, NewStartM3: 2, DialDigits: 5}}
	below := exRead
	below.ValueM3 = 1
	runChecks(t, []checkCase{
		{name: "a 4-digit dial near 9999 rolls over", h: j4, r: reading(j4, jan, 24), use: 24,
			want:  []Code{CodeRollover},
			facts: map[Code]map[string]string{CodeRollover: {"上次读数": "9985", "本次读数": "9", "用气量": "24", "表盘容量": "10000"}}},
		{name: "a 4-digit dial far from its top goes back", h: mid4, r: reading(mid4, jan, -30), use: -30,
			want:  []Code{CodeNegative},
			facts: map[Code]map[string]string{CodeNegative: {"上次读数": "5000", "本次读数": "4970", "用气量": "-30", "翻转下限": "9000"}}},
		{name: "9985 to 9 on a 5-digit dial is no wrap", h: five, r: reading(five, jan, 0), tweak: func(_ *Household, r *domain.Reading) { r.ValueM3 = 9 },
			use: 9 - 9985, want: []Code{CodeNegative}},
		{name: "a 5-digit dial near 99999 rolls over", h: top5, r: reading(top5, jan, 24), use: 24, want: []Code{CodeRollover}},
		{name: "an exchange inside the cycle: old_final − prev + reading − new_start", h: ex, r: exRead,
			use: 1540 - 1520 + 15 - 2},
		{name: "an exchange after the read does not explain it", h: later, r: exRead, use: 15 - 1520,
			want: []Code{CodeNegative}},
		{name: "a reading below the new meter's start", h: ex, r: below, use: 1540 - 1520 + 1 - 2,
			want:  []Code{CodeNegative},
			facts: map[Code]map[string]string{CodeNegative: {"换表时间": "2026-01-05 09:40:00", "表实际读数": "1540", "新表读数": "2"}}},
		{name: "the same reading again", h: j4, r: reading(j4, jan, 0), use: 0},
	})
}

// gasOff is a meter fitted but not 通气 whose register has stood at 5 since
// before the history.
func gasOff(id string, s domain.MeterState, contract, fee bool) Household {
	h := household(id, jan, 5, flat(0))
	h.Customer.Meter.State, h.Customer.Contract, h.Customer.FeePaid = s, contract, fee
	return h
}

func TestUnauthorizedUse(t *testing.T) {
	contract := gasOff("3300000021", domain.StateInstalled, true, true)
	paid := gasOff("3300000022", domain.StateInstalled, false, true)
	unpaid := gasOff("3300000023", domain.StateInstalled, false, false)
	sealed := gasOff("3300000024", domain.StateSealed, true, true)
	on := household("3300000025", jan, 1000, flat(12))
	flag := func(h *Household, r *domain.Reading) { r.Flags = domain.FlagUnauthorized }
	runChecks(t, []checkCase{
		{name: "contract on file: enter it", h: contract, r: reading(contract, jan, 20), use: 20,
			want:  []Code{CodeUnauthorizedUse},
			facts: map[Code]map[string]string{CodeUnauthorizedUse: {"表状态": "装表", "用气量": "20", "供气合同": "有"}},
			order: map[Code]*OrderSuggestion{CodeUnauthorizedUse: nil},
			more: func(t *testing.T, r Result) {
				if s := r.Anomalies[0].Suggest; !strings.Contains(s, "补输供气合同") {
					t.Errorf("suggest %q", s)
				}
			}},
		{name: "no contract, fee paid: urgent ignition to sign the contract", h: paid, r: reading(paid, jan, 20), use: 20,
			want: []Code{CodeUnauthorizedUse},
			order: map[Code]*OrderSuggestion{CodeUnauthorizedUse: {Business: domain.BizIgnite, Priority: PriorityUrgent,
				Requirement: "私自点火,气费已收,请补签供用气合同"}}},
		{name: "fee unpaid: seal", h: unpaid, r: reading(unpaid, jan, 20), use: 20,
			want: []Code{CodeUnauthorizedUse},
			order: map[Code]*OrderSuggestion{CodeUnauthorizedUse: {Business: domain.BizSeal,
				Requirement: "私自点火,未缴报装费"}}},
		{name: "the reader's flag on an unmoved meter", h: paid, r: reading(paid, jan, 0), tweak: flag, use: 0,
			want:  []Code{CodeUnauthorizedUse, CodeZeroStreak},
			facts: map[Code]map[string]string{CodeUnauthorizedUse: {"标记": "私自点火"}}},
		{name: "a sealed meter in use", h: sealed, r: reading(sealed, jan, 12), use: 12, want: []Code{CodeUnauthorizedUse}},
		{name: "the flag on a meter that is 通气 is no anomaly", h: on, r: reading(on, jan, 24), tweak: flag, use: 24},
	})
}

// icHousehold is an IC-card household, its meter fitted before the history
// at 0, that bought 200 m³ then 100 m³.
func icHousehold(id string, s domain.MeterState) Household {
	h := household(id, jan, 0, flat(12))
	h.Customer.Meter.Kind, h.Customer.Meter.State, h.Customer.Pay = domain.KindIC, s, domain.PayTopUp
	h.Purchases = []domain.ICPurchase{
		{CustomerID: id, At: local(2024, time.September, 2, 9, 30), VolumeM3: 200},
		{CustomerID: id, At: local(2025, time.August, 4, 14, 5), VolumeM3: 100},
	}
	return h
}

// icReading is the household's January reading of 168 m³ used, with the
// remaining volume the meter showed.
func icReading(h Household, remaining float64) domain.Reading {
	r := reading(h, jan, 24)
	r.ICUsed, r.ICRemaining = ptr(r.ValueM3-h.Customer.Meter.BaseM3), ptr(remaining)
	return r
}

func TestICMismatch(t *testing.T) {
	on := icHousehold("3300000031", domain.StateGasOn)
	after := icHousehold("3300000032", domain.StateGasOn)
	after.Purchases = append(after.Purchases, domain.ICPurchase{CustomerID: after.Customer.ID, At: local(2026, time.January, 12, 15, 40), VolumeM3: 50})
	before := icHousehold("3300000033", domain.StateGasOn)
	before.Purchases = append(before.Purchases, domain.ICPurchase{CustomerID: before.Customer.ID, At: local(2026, time.January, 12, 9, 10), VolumeM3: 50})
	installed := icHousehold("3300000034", domain.StateInstalled)
	installed.Customer.Contract = false
	swapped := Household{Customer: customer("3300000035", jan)}
	swapped.Customer.Meter.Kind, swapped.Customer.Meter.BaseM3, swapped.Customer.Pay = domain.KindIC, 2, domain.PayTopUp
	swapped.Changes = []domain.MeterChange{{CustomerID: "3300000035", At: local(2025, time.March, 3, 10, 0), OldFinalM3: 190, NewStartM3: 2, DialDigits: 5}}
	swapped.Purchases = []domain.ICPurchase{
		{CustomerID: "3300000035", At: local(2024, time.September, 2, 9, 30), VolumeM3: 200},
		{CustomerID: "3300000035", At: local(2025, time.March, 3, 11, 0), VolumeM3: 100},
	}
	swappedRead := reading(swapped, jan, 58)
	swappedRead.ICUsed, swappedRead.ICRemaining = ptr(58), ptr(42)
	noIC := reading(on, jan, 24)
	runChecks(t, []checkCase{
		{name: "purchased = remaining + used", h: on, r: icReading(on, 132), use: 24},
		{name: "within the 1 m³ tolerance", h: on, r: icReading(on, 132.8), use: 24},
		{name: "a 通气 meter that disagrees: urgent exchange", h: on, r: icReading(on, 150), use: 24,
			want:  []Code{CodeICMismatch},
			facts: map[Code]map[string]string{CodeICMismatch: {"购气量": "300", "IC剩余量": "150", "IC用气量": "168", "剩余量+用气量": "318", "差额": "-18", "表状态": "通气"}},
			order: map[Code]*OrderSuggestion{CodeICMismatch: {Business: domain.BizExchange, Priority: PriorityUrgent,
				Requirement: "该户为抄表员上门普查发现表有问题,购气量300方,用户家实际用气量168方,剩余量150方,需换表"}}},
		{name: "a top-up after the read is not counted", h: after, r: icReading(after, 132), use: 24},
		{name: "a top-up before the read is", h: before, r: icReading(before, 132), use: 24, want: []Code{CodeICMismatch},
			facts: map[Code]map[string]string{CodeICMismatch: {"购气量": "350"}}},
		{name: "purchases for the meter exchanged are not counted", h: swapped, r: swappedRead, use: 58},
		{name: "a 装表 meter in use that disagrees: urgent ignition, and the mismatch", h: installed, r: icReading(installed, 100), use: 24,
			want: []Code{CodeUnauthorizedUse, CodeICMismatch},
			order: map[Code]*OrderSuggestion{
				CodeICMismatch:      {Business: domain.BizIgnite, Priority: PriorityUrgent, Requirement: "该户为抄表员上门普查发现已通气,需补签点火协议"},
				CodeUnauthorizedUse: {Business: domain.BizIgnite, Priority: PriorityUrgent, Requirement: "私自点火,气费已收,请补签供用气合同"},
			}},
		{name: "no IC values read", h: on, r: noIC, use: 24},
	})
}

// stopped is a household that used 12 m³ a month until it stopped at from.
func stopped(id string, from time.Month) Household {
	return household(id, jan, 800, func(m time.Month) float64 {
		if m >= from {
			return 0
		}
		return 12
	})
}

func TestZeroStreak(t *testing.T) {
	four := stopped("3300000041", time.September) // Sep, Nov and Jan read the same
	two := stopped("3300000042", time.November)   // Nov and Jan
	idle := gasOff("3300000043", domain.StateSealed, true, true)
	runChecks(t, []checkCase{
		{name: "unmoved for four months", h: four, r: reading(four, jan, 0), use: 0, want: []Code{CodeZeroStreak},
			facts: map[Code]map[string]string{CodeZeroStreak: {"本次读数": "896", "读数未变起始": "2025-09-10", "零用量月数": "4.09"}},
			more: func(t *testing.T, r Result) {
				if r.Blocking() {
					t.Error("ZERO_STREAK blocks")
				}
			}},
		{name: "unmoved for two months", h: two, r: reading(two, jan, 0), use: 0},
		{name: "whatever the meter's state", h: idle, r: reading(idle, jan, 0), use: 0, want: []Code{CodeZeroStreak},
			facts: map[Code]map[string]string{CodeZeroStreak: {"表状态": "封表"}}},
	})
}

func TestOutOfWindow(t *testing.T) {
	h := household("3300000051", jan, 1000, flat(12))
	at := func(t time.Time) func(*Household, *domain.Reading) {
		return func(_ *Household, r *domain.Reading) { r.ReadAt = t }
	}
	fresh := Household{Customer: customer("3300000052", jan)}
	fresh.Customer.AppliedOn = local(2026, time.January, 20, 0, 0)
	swapped := Household{Customer: customer("3300000053", jan)}
	swapped.Changes = []domain.MeterChange{{CustomerID: "3300000053", At: local(2026, time.January, 15, 10, 0), OldFinalM3: 800, NewStartM3: 0, DialDigits: 5}}
	r := reading(h, jan, 24)
	runChecks(t, []checkCase{
		{name: "an uncorrected clock", h: h, r: r, tweak: at(local(2000, time.January, 1, 0, 12)), use: 24,
			want: []Code{CodeOutOfWindow}, why: map[Code]string{CodeOutOfWindow: "不在本周期(2026-01)内"}},
		{name: "read in the next month", h: h, r: r, tweak: at(local(2026, time.February, 2, 9, 0)), use: 24,
			want: []Code{CodeOutOfWindow}},
		{name: "read the day before the cycle", h: h, r: r, tweak: at(local(2025, time.December, 31, 16, 0)), use: 24,
			want: []Code{CodeOutOfWindow}},
		{name: "in the future of the server's clock", h: h, r: r, now: local(2026, time.January, 11, 18, 0), use: 24,
			want: []Code{CodeOutOfWindow}, why: map[Code]string{CodeOutOfWindow: "晚于服务器时间2026-01-11 18:00:00"}},
		{name: "ahead of the server's clock by less than the skew", h: h, r: r, now: r.ReadAt.Add(-time.Second), use: 24},
		{name: "before the meter was fitted", h: fresh, r: reading(fresh, jan, 3), use: 3,
			want: []Code{CodeOutOfWindow}, why: map[Code]string{CodeOutOfWindow: "早于报装日期2026-01-20"}},
		{name: "before the exchange that fitted the meter", h: swapped, r: reading(swapped, jan, 3), use: 3,
			want: []Code{CodeOutOfWindow}, why: map[Code]string{CodeOutOfWindow: "早于换表时间2026-01-15 10:00:00"}},
		{name: "no read time", h: h, r: r, tweak: at(time.Time{}), use: 24,
			want: []Code{CodeOutOfWindow}, why: map[Code]string{CodeOutOfWindow: "无抄表时间"}},
	})
}

func TestEstimated(t *testing.T) {
	h := household("3300000061", jan, 1000, flat(12))
	flags := func(f domain.Flag) func(*Household, *domain.Reading) {
		return func(_ *Household, r *domain.Reading) { r.Flags, r.Remark = f, "按近期均量估抄" }
	}
	runChecks(t, []checkCase{
		{name: "estimated behind a closed door", h: h, r: reading(h, jan, 24), tweak: flags(domain.FlagEstimated | domain.FlagDoorClosed),
			use: 24, want: []Code{CodeEstimated},
			facts: map[Code]map[string]string{CodeEstimated: {"标记": "估抄|门闭", "备注": "按近期均量估抄"}},
			more: func(t *testing.T, r Result) {
				if r.Blocking() {
					t.Error("ESTIMATED blocks")
				}
			}},
		{name: "a closed door, read", h: h, r: reading(h, jan, 24), tweak: flags(domain.FlagDoorClosed), use: 24},
	})
}

func TestInvalid(t *testing.T) {
	j4 := household("3300000071", jan, 4856, flat(12)) // last read 5000
	j4.Customer.Meter.DialDigits = 4
	value := func(v float64) func(*Household, *domain.Reading) {
		return func(_ *Household, r *domain.Reading) { r.ValueM3 = v }
	}
	ic := icHousehold("3300000072", domain.StateGasOn)
	off := gasOff("3300000073", domain.StateInstalled, false, true)
	runChecks(t, []checkCase{
		{name: "beyond a 4-digit dial", h: j4, r: reading(j4, jan, 0), tweak: value(12345), use: 0,
			want: []Code{CodeInvalid}, why: map[Code]string{CodeInvalid: "本次读数12345超出表盘(4位,最大9999)"},
			more: func(t *testing.T, r Result) {
				if !r.Blocking() {
					t.Error("INVALID does not block")
				}
			}},
		{name: "not a number", h: j4, r: reading(j4, jan, 0), tweak: value(math.NaN()), use: 0,
			want: []Code{CodeInvalid}, why: map[Code]string{CodeInvalid: "不是有效数字"}},
		{name: "below zero", h: j4, r: reading(j4, jan, 0), tweak: value(-3), use: 0,
			want: []Code{CodeInvalid}, why: map[Code]string{CodeInvalid: "负数"}},
		{name: "a negative IC balance", h: ic, r: icReading(ic, -40), use: 24,
			want: []Code{CodeInvalid}, why: map[Code]string{CodeInvalid: "IC剩余量为-40"}},
		{name: "beyond the dial, flagged 私自点火", h: off, r: reading(off, jan, 0),
			tweak: func(h *Household, r *domain.Reading) { r.ValueM3, r.Flags = 250000, domain.FlagUnauthorized },
			use:   0, want: []Code{CodeInvalid, CodeUnauthorizedUse}},
	})
}
