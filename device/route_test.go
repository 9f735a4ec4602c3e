package device

import (
	"strings"
	"testing"

	"meter-sync/domain"
)

func TestReconciliationExplain(t *testing.T) {
	m, _ := domain.ParseMonth("2026-03")
	added := []Household{{ID: "3300000001", Why: ""}}
	removed := []Household{{ID: "3300000002", Why: "表状态拆表"}, {ID: "3300000003", Why: "抄表册3301已划归R002"}}
	tests := []struct {
		name string
		r    Reconciliation
		want []string
		not  []string
	}{
		{"all agree", Reconciliation{System: 10, Expected: 10, Handheld: 10}, []string{"数量一致"}, []string{"不符"}},
		{"no counts to compare", Reconciliation{System: 10, Expected: -1, Handheld: -1}, []string{"数量一致"}, nil},
		{"reader's count explained", Reconciliation{System: 9, Expected: 10, Handheld: 9, Added: added, Removed: removed},
			[]string{"数量不符", "新增1户", "减少2户", "3300000002(表状态拆表)", "3301已划归R002"}, []string{"少装"}},
		{"reader's count the system cannot explain", Reconciliation{System: 10, Expected: 12, Handheld: 10},
			[]string{"路线相同(10户)", "请与抄表员核对"}, nil},
		{"handheld short", Reconciliation{System: 10, Expected: -1, Handheld: 8}, []string{"抄表机少装2户"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Reader, tt.r.Cycle, tt.r.Previous = "R001", m, m.Add(-2)
			got := tt.r.Explain()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("%q says %q", got, w)
				}
			}
		})
	}
}
