package domain_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"meter-sync/domain"
)

// noState is a household not registered yet.
const noState domain.MeterState = 0

// allStates is every state a business may start from, the empty one included.
var allStates = []domain.MeterState{noState, domain.StateApplied, domain.StateUnused,
	domain.StateInstalled, domain.StateGasOn, domain.StateSealed, domain.StateRemoved}

// allowed maps each state a business may start from to the state it leaves.
type allowed map[domain.MeterState]domain.MeterState

// fittedUnchanged is a business on a fitted meter (装表/通气/封表) that keeps
// its state.
var fittedUnchanged = allowed{
	domain.StateInstalled: domain.StateInstalled,
	domain.StateGasOn:     domain.StateGasOn,
	domain.StateSealed:    domain.StateSealed,
}

// wantTransitions is the meter-state machine written out from DOMAIN §1.4 and
// DESIGN §5.6, independently of the code's table. Businesses are spelled as
// their Chinese names so that a renamed constant shows up here.
var wantTransitions = map[domain.Business]allowed{
	"报装":   {noState: domain.StateApplied},                                                           // (none) → 报装 [003:645-661]
	"改为报装": {domain.StateUnused: domain.StateApplied},                                                // 未用 → 报装 [003:709]
	"统一装表": {domain.StateApplied: domain.StateInstalled},                                             // 报装 → 装表 [003:709-723]
	"安装":   {domain.StateApplied: domain.StateInstalled, domain.StateRemoved: domain.StateInstalled}, // [003:1359-1377]
	"改装":   fittedUnchanged,                                                                          // [003:1379]
	"点火":   {domain.StateInstalled: domain.StateGasOn},                                               // 装表 → 通气 [003:885, 1485]
	"二次点火": {domain.StateGasOn: domain.StateGasOn},                                                   // must be 通气 [003:905]
	"封表": {domain.StateGasOn: domain.StateSealed, // 通气 → 封表 [003:1427]
		domain.StateInstalled: domain.StateSealed}, // 私自点火 on 装表 [003:929-931]
	"启封": {domain.StateSealed: domain.StateGasOn}, // [003:1443]
	"拆表": {domain.StateInstalled: domain.StateRemoved, domain.StateGasOn: domain.StateRemoved,
		domain.StateSealed: domain.StateRemoved}, // [003:1427]
	"校表":      {domain.StateGasOn: domain.StateGasOn}, // [003:1009]
	"换表":      fittedUnchanged,                        // [003:1409]
	"统一换表":    fittedUnchanged,                        // [003:1283]
	"更换调压器":   fittedUnchanged,                        // [003:1313]
	"换波纹管/其它": fittedUnchanged,                        // [003:1033]
	"隐患整改":    fittedUnchanged,                        // [003:1493]
}

func TestBusinessesListed(t *testing.T) {
	var want []domain.Business
	for b := range wantTransitions {
		want = append(want, b)
	}
	got := slices.Clone(domain.Businesses())
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Businesses() = %v, want %v", got, want)
	}
}

func stateName(s domain.MeterState) string {
	if s == noState {
		return "无"
	}
	return s.String()
}

// TestApply checks every (state × business) pair against wantTransitions.
func TestApply(t *testing.T) {
	for _, b := range domain.Businesses() {
		for _, from := range allStates {
			to, ok := wantTransitions[b][from]
			verdict := "forbidden"
			if ok {
				verdict = "→ " + to.String()
			}
			t.Run(string(b)+" from "+stateName(from)+" "+verdict, func(t *testing.T) {
				got, err := domain.Apply(from, b)
				if ok {
					if err != nil || got != to {
						t.Fatalf("Apply(%s, %s) = %v, %v; want %v", stateName(from), b, got, err, to)
					}
					return
				}
				var te *domain.TransitionError
				if !errors.As(err, &te) {
					t.Fatalf("Apply(%s, %s) = %v, %v; want a *TransitionError", stateName(from), b, got, err)
				}
				if te.Business != b || te.From != from {
					t.Errorf("TransitionError{Business: %q, From: %v}, want %q, %v", te.Business, te.From, b, from)
				}
				msg := err.Error()
				for _, want := range []string{string(b), "表状态为" + stateName(from), "[003:"} {
					if !strings.Contains(msg, want) {
						t.Errorf("message %q does not contain %q", msg, want)
					}
				}
			})
		}
	}
}

func TestApplyUnknown(t *testing.T) {
	tests := []struct {
		name string
		from domain.MeterState
		b    domain.Business
	}{
		{"unknown business", domain.StateGasOn, "过户"},
		{"empty business", domain.StateGasOn, ""},
		{"unknown state", 99, "点火"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := domain.Apply(tt.from, tt.b); err == nil {
				t.Errorf("Apply(%v, %q) = %v, nil; want an error", tt.from, tt.b, got)
			}
		})
	}
}

func TestApplyUnknownBusinessIsNotATransitionError(t *testing.T) {
	_, err := domain.Apply(domain.StateGasOn, "过户")
	var te *domain.TransitionError
	if err == nil || errors.As(err, &te) || !strings.Contains(err.Error(), "过户") {
		t.Errorf("Apply(通气, 过户) = %v; want a plain error naming the business", err)
	}
}

func TestMeterStateOnRoute(t *testing.T) {
	// fitted meters are walked, so that 私自点火 on 装表 [003:923] and opened
	// seals are found; no meter or a removed one is not.
	want := map[domain.MeterState]bool{
		noState: false, domain.StateApplied: false, domain.StateUnused: false,
		domain.StateInstalled: true, domain.StateGasOn: true, domain.StateSealed: true,
		domain.StateRemoved: false,
	}
	for _, s := range allStates {
		t.Run(stateName(s), func(t *testing.T) {
			if got := s.OnRoute(); got != want[s] {
				t.Errorf("%v.OnRoute() = %v, want %v", s, got, want[s])
			}
		})
	}
}

func TestParseMeterState(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.MeterState
		wantErr bool
	}{
		{"报装", "报装", domain.StateApplied, false},
		{"未用", "未用", domain.StateUnused, false},
		{"装表", "装表", domain.StateInstalled, false},
		{"通气", "通气", domain.StateGasOn, false},
		{"封表", "封表", domain.StateSealed, false},
		{"拆表", "拆表", domain.StateRemoved, false},
		{"spaces", " 通气\t", domain.StateGasOn, false},
		{"empty", "", 0, true},
		{"a business is not a state", "点火", 0, true},
		{"unknown", "停用", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseMeterState(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseMeterState(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "表状态") {
				t.Errorf("error %q should name 表状态", err)
			}
		})
	}
}

func TestMeterStates(t *testing.T) {
	want := []string{"报装", "未用", "装表", "通气", "封表", "拆表"}
	var got []string
	for _, s := range domain.MeterStates() {
		got = append(got, s.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("MeterStates() = %v, want %v", got, want)
	}
}

func TestMeterStateStringUnknown(t *testing.T) {
	tests := []struct {
		name string
		s    domain.MeterState
		want string
	}{
		{"zero", 0, "未知(0)"},
		{"past the end", 7, "未知(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMeterValidate(t *testing.T) {
	ok := domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, BaseM3: 123.4, DialDigits: 5}
	tests := []struct {
		name      string
		change    func(m *domain.Meter)
		wantField string // "" = valid
	}{
		{"valid", func(m *domain.Meter) {}, ""},
		{"IC meter", func(m *domain.Meter) { m.Kind = domain.KindIC }, ""},
		{"3-digit dial", func(m *domain.Meter) { m.DialDigits, m.BaseM3 = 3, 999 }, ""},
		{"9-digit dial", func(m *domain.Meter) { m.DialDigits, m.BaseM3 = 9, 999999999 }, ""},
		{"base zero", func(m *domain.Meter) { m.BaseM3 = 0 }, ""},
		{"base just under the wrap", func(m *domain.Meter) { m.BaseM3 = 99999.9 }, ""},
		{"no kind", func(m *domain.Meter) { m.Kind = 0 }, "用户类型"},
		{"unknown kind", func(m *domain.Meter) { m.Kind = 3 }, "用户类型"},
		{"no state", func(m *domain.Meter) { m.State = 0 }, "表状态"},
		{"unknown state", func(m *domain.Meter) { m.State = 7 }, "表状态"},
		{"no dial digits", func(m *domain.Meter) { m.DialDigits = 0 }, "表盘位数"},
		{"2-digit dial", func(m *domain.Meter) { m.DialDigits = 2 }, "表盘位数"},
		{"10-digit dial", func(m *domain.Meter) { m.DialDigits = 10 }, "表盘位数"},
		{"negative base", func(m *domain.Meter) { m.BaseM3 = -1 }, "表底数"},
		{"base at the wrap", func(m *domain.Meter) { m.BaseM3 = 100000 }, "表底数"},
		{"base beyond a 3-digit dial", func(m *domain.Meter) { m.DialDigits, m.BaseM3 = 3, 1000 }, "表底数"},
		{"base NaN", func(m *domain.Meter) { m.BaseM3 = math.NaN() }, "表底数"},
		{"base +Inf", func(m *domain.Meter) { m.BaseM3 = math.Inf(1) }, "表底数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.change(&m)
			err := m.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want a FieldError on %s", err, tt.wantField)
			}
		})
	}
}

func TestMeterValidateMessages(t *testing.T) {
	tests := []struct {
		name string
		m    domain.Meter
		want string
	}{
		{"dial", domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, DialDigits: 12}, "实为12"},
		{"negative", domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, DialDigits: 5, BaseM3: -2.5}, "-2.5"},
		{"beyond", domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, DialDigits: 4, BaseM3: 12345}, "4位表盘"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.m.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want a message containing %q", err, tt.want)
			}
		})
	}
}

func TestMeterCapacity(t *testing.T) {
	tests := []struct {
		name   string
		digits int
		want   float64
	}{
		{"3", 3, 1e3},
		{"default", domain.DefaultDialDigits, 1e5},
		{"9", 9, 1e9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (domain.Meter{DialDigits: tt.digits}).Capacity(); got != tt.want {
				t.Errorf("Capacity() = %g, want %g", got, tt.want)
			}
		})
	}
}
