package vee

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/config"
	"meter-sync/domain"
)

func TestCodes(t *testing.T) {
	tests := []struct {
		code     Code
		chinese  string
		blocking bool
	}{
		{CodeLargeVolume, "大额方数", true}, {CodeICMismatch, "IC卡余量不符", true}, {CodeUnauthorizedUse, "私自点火", true},
		{CodeNegative, "读数倒退", true}, {CodeRollover, "表盘翻转", false}, {CodeZeroStreak, "连续零用量", false},
		{CodeOutOfWindow, "抄表日期异常", true}, {CodeDuplicate, "重复抄表", true}, {CodeUnknown, "未知用户", true},
		{CodeEstimated, "估抄", false}, {CodeMissed, "漏抄", true}, {CodeInvalid, "读数无效", true},
		{Code("SOMETHING_NEW"), "SOMETHING_NEW", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if got := tt.code.Chinese(); got != tt.chinese {
				t.Errorf("Chinese() = %q, want %q", got, tt.chinese)
			}
			if got := tt.code.Blocking(); got != tt.blocking {
				t.Errorf("Blocking() = %v, want %v", got, tt.blocking)
			}
		})
	}
	all := Codes()
	if len(all) != 12 || len(all) != len(slices.Compact(slices.Clone(all))) {
		t.Errorf("Codes() = %v", all)
	}
	if want := []Code{"LARGE_VOLUME", "IC_MISMATCH", "UNAUTHORIZED_USE", "NEGATIVE", "ROLLOVER", "ZERO_STREAK",
		"OUT_OF_WINDOW", "DUPLICATE", "UNKNOWN", "ESTIMATED", "MISSED"}; !slices.Equal(all[:11], want) {
		t.Errorf("DESIGN §5.2's codes are %v, want %v", all[:11], want)
	}
}

func TestParamsFrom(t *testing.T) {
	c := config.Default()
	c.Validation.LargeVolumeFactor, c.Validation.ICToleranceM3 = 4, 0.5
	c.Clock.MaxSkew.Duration, c.Cycle.MonthsPerCycle = 5*time.Second, 1
	p := ParamsFrom(c.Validation, c.Clock, c.Cycle)
	want := Params{LargeVolumeFactor: 4, LargeVolumeMinM3PerMonth: 30, LargeVolumeCapM3PerCycle: 500, BaselineMonths: 6,
		MinHistoryMonths: 3, ICToleranceM3: 0.5, ZeroStreakMonths: 3, RolloverMarginFraction: 0.1,
		MonthsPerCycle: 1, MaxSkew: 5 * time.Second}
	if p != want {
		t.Errorf("ParamsFrom = %+v\nwant %+v", p, want)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd", []float64{14, 10, 12}, 12},
		{"even", []float64{10, 20, 12, 14}, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median = %g, want %g", got, tt.want)
			}
		})
	}
}

// newcomer was ignited in the autumn: one reading of history, too little
// for a baseline of its own.
func newcomer(id string) Household {
	h := Household{Customer: customer(id, jan)}
	h.History = []domain.HistoryReading{{CustomerID: id, Date: local(2025, time.November, 10, 0, 0), ValueM3: 40}}
	return h
}

func TestPeerBaseline(t *testing.T) {
	peers := func(uses ...float64) []Household {
		var hs []Household
		for i, u := range uses {
			hs = append(hs, household("33000001"+string(rune('0'+i))+"0", jan, 500, flat(u)))
		}
		return hs
	}
	elsewhere := household("3300000190", jan, 500, flat(2))
	elsewhere.Customer.Estate = "锦园小区"
	highRise := household("3300000191", jan, 500, flat(2))
	highRise.Customer.Seq.Building = domain.BuildingHighRise
	n := newcomer("3300000100")
	r := reading(n, jan, 100)
	tests := []struct {
		name   string
		route  []Household
		large  bool
		source string
	}{
		{"neighbours use 10-14 m³ a month", append(peers(10, 12, 14), n, elsewhere, highRise), true, "同小区同楼型中位数"},
		{"neighbours use 20-30 m³ a month", append(peers(20, 25, 30), n), false, ""},
		{"no neighbours: the floor and the cap only", []Household{n, elsewhere, highRise}, true, "无"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Batch(tt.route, []domain.Reading{r}, DefaultParams())
			if len(res) != 1 || res[0].Has(CodeLargeVolume) != tt.large {
				t.Fatalf("LARGE_VOLUME %v, want %v: %+v", res[0].Has(CodeLargeVolume), tt.large, res)
			}
			if tt.large && !strings.HasPrefix(evidence(anomaly(t, res[0], CodeLargeVolume), "基准来源"), tt.source) {
				t.Errorf("基准来源 %q, want %q", evidence(anomaly(t, res[0], CodeLargeVolume), "基准来源"), tt.source)
			}
		})
	}
	t.Run("Check with the median given", func(t *testing.T) {
		given := n
		given.PeerBaselineM3 = 25
		if res := Check(&given, r, DefaultParams()); res.Has(CodeLargeVolume) {
			t.Errorf("flagged against a median of 25 m³ a month: %+v", res.Anomalies)
		}
	})
}

func TestBatch(t *testing.T) {
	a := household("3300000201", jan, 1000, flat(12))
	b := household("3300000202", jan, 2000, flat(12))
	route := []Household{a, b}
	ra, rb := reading(a, jan, 24), reading(b, jan, 24)
	reread := ra
	reread.ValueM3, reread.ReadAt, reread.Remark = ra.ValueM3+3, ra.ReadAt.Add(2*time.Hour), "重抄"
	stranger := domain.Reading{CustomerID: "3300090202", Cycle: jan, ValueM3: 4512, ReadAt: ra.ReadAt.Add(time.Minute), ReaderID: "R001", Remark: "手工录入"}
	tests := []struct {
		name     string
		readings []domain.Reading
		want     [][]Code
	}{
		{"clean", []domain.Reading{ra, rb}, [][]Code{nil, nil}},
		{"two different readings of one household", []domain.Reading{ra, rb, reread},
			[][]Code{{CodeDuplicate}, nil, {CodeDuplicate}}},
		{"the same reading imported twice", []domain.Reading{ra, rb, ra}, [][]Code{nil, nil, nil}},
		{"a household not in the route", []domain.Reading{ra, stranger, rb}, [][]Code{nil, {CodeUnknown}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Batch(route, tt.readings, DefaultParams())
			if len(got) != len(tt.readings) {
				t.Fatalf("%d results for %d readings", len(got), len(tt.readings))
			}
			for k := range got {
				if !slices.Equal(codes(got[k]), tt.want[k]) {
					t.Errorf("reading %d: %v, want %v", k, codes(got[k]), tt.want[k])
				}
				if got[k].Reading != tt.readings[k] {
					t.Errorf("result %d is of another reading", k)
				}
			}
		})
	}
	t.Run("duplicate evidence names both readings", func(t *testing.T) {
		got := Batch(route, []domain.Reading{ra, reread}, DefaultParams())
		d := anomaly(t, got[1], CodeDuplicate)
		if len(d.Evidence) != 2 || !strings.HasPrefix(d.Evidence[0].Value, "1168 (") || !strings.HasPrefix(d.Evidence[1].Value, "1171 (") {
			t.Errorf("evidence %v", d.Evidence)
		}
	})
}

func TestMissed(t *testing.T) {
	var route []Household
	for _, id := range []string{"3300000301", "3300000302", "3300000303", "3300000304"} {
		route = append(route, household(id, jan, 100, flat(10)))
	}
	read := func(ids ...int) []domain.Reading {
		var rs []domain.Reading
		for _, i := range ids {
			rs = append(rs, reading(route[i], jan, 20))
		}
		return rs
	}
	tests := []struct {
		name     string
		readings []domain.Reading
		want     []string
	}{
		{"all read", read(0, 1, 2, 3), nil},
		{"two missed, in route order", read(2, 0), []string{"3300000302", "3300000304"}},
		{"a reading out of its window still counts as read", func() []domain.Reading {
			rs := read(0, 1, 2, 3)
			rs[1].ReadAt = local(2000, time.January, 1, 0, 5)
			return rs
		}(), nil},
		{"none read", nil, []string{"3300000301", "3300000302", "3300000303", "3300000304"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range Missed(route, tt.readings) {
				if a.Code != CodeMissed || evidence(a, "抄表序号") == "" || a.Suggest == "" {
					t.Errorf("anomaly %+v", a)
				}
				got = append(got, a.CustomerID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("missed %v, want %v", got, tt.want)
			}
		})
	}
}

// TestUnsortedInput checks that a household's records in any order give
// the same result as in time order.
func TestUnsortedInput(t *testing.T) {
	h := household("3300000401", jan, 1376, flat(12))
	h.Changes = []domain.MeterChange{
		{CustomerID: h.Customer.ID, At: local(2026, time.January, 5, 9, 40), OldFinalM3: 1540, NewStartM3: 2, DialDigits: 5},
		{CustomerID: h.Customer.ID, At: local(2019, time.May, 5, 9, 40), OldFinalM3: 4000, NewStartM3: 0, DialDigits: 5},
	}
	r := reading(h, jan, 0)
	r.ValueM3 = 15
	sorted := Check(&h, r, DefaultParams())
	shuffled := h
	shuffled.History = slices.Clone(h.History)
	slices.Reverse(shuffled.History)
	got := Check(&shuffled, r, DefaultParams())
	if got.ConsumptionM3 != 33 || sorted.ConsumptionM3 != 33 || len(got.Anomalies) != 0 {
		t.Errorf("consumption %g (sorted %g), anomalies %v", got.ConsumptionM3, sorted.ConsumptionM3, codes(got))
	}
}

// FuzzCheck feeds Check readings of any value and time: it must not panic,
// must keep the reading, and must report an impossible value, never drop it.
func FuzzCheck(f *testing.F) {
	f.Add(1168.0, 132.0, 168.0, int64(1768184220), uint8(5))
	f.Add(9.0, 0.0, 0.0, int64(946656720), uint8(4))
	f.Add(123456.0, -1.0, 5.0, int64(-62135596800), uint8(5))
	f.Add(math.Inf(1), math.NaN(), 0.0, int64(4102444800), uint8(9))
	f.Fuzz(func(t *testing.T, value, remaining, used float64, unix int64, digits uint8) {
		h := icHousehold("3300000501", domain.StateGasOn)
		h.Customer.Meter.DialDigits = int(digits % 12)
		r := domain.Reading{CustomerID: h.Customer.ID, Cycle: jan, ValueM3: value, ReadAt: time.Unix(unix, 0),
			ICRemaining: &remaining, ICUsed: &used}
		p := DefaultParams()
		p.Now = local(2026, time.February, 7, 0, 0)
		res := Check(&h, r, p)
		if !domain.SameReading(res.Reading, r) && !math.IsNaN(value) && !math.IsNaN(remaining) && !math.IsNaN(used) {
			t.Fatalf("result of another reading: %+v", res.Reading)
		}
		impossible := math.IsNaN(value) || math.IsInf(value, 0) || value < 0 || value >= meterCapacity(h.Customer.Meter)
		if impossible && !res.Has(CodeInvalid) {
			t.Fatalf("value %g on %d digits not reported: %v", value, h.Customer.Meter.DialDigits, codes(res))
		}
		if math.IsNaN(res.ConsumptionM3) || math.IsInf(res.ConsumptionM3, 0) {
			t.Fatalf("consumption %g", res.ConsumptionM3)
		}
		for _, a := range res.Anomalies {
			if len(a.Evidence) == 0 || a.Suggest == "" {
				t.Fatalf("anomaly without evidence: %+v", a)
			}
		}
	})
}
