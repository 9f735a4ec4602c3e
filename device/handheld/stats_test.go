package handheld

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
)

func TestStatsOf(t *testing.T) {
	hh := func(seq string, read bool, f domain.Flag) Household {
		return Household{SeqNo: seq, CustomerID: "C" + seq, Read: read, Flags: f}
	}
	route := Route{RouteHeader: RouteHeader{Reader: "R001", Cycle: "2026-01"}, Households: []Household{
		hh("0101011101", true, 0), hh("0101011102", true, domain.FlagEstimated|domain.FlagDoorClosed),
		hh("0101011103", false, 0), hh("0102011101", true, domain.FlagUnauthorized), hh("0102011102", false, 0),
	}}
	tests := []struct {
		name    string
		route   Route
		rereads []Household
		pending []Reading
		want    Stats
	}{
		{"nothing loaded", Route{}, nil, nil, Stats{}},
		{"a route half read", route, []Household{hh("0101011101", true, 0), hh("0101011103", false, 0)},
			[]Reading{{ID: 1}, {ID: 2, OffRoute: true}},
			Stats{Reader: "R001", Cycle: "2026-01", Due: 5, Read: 3, Unread: 2, Estimated: 1, Rereads: 2, RereadsDone: 1, Added: 1,
				Books: []BookStats{{"0101", 3, 2, 1, 1}, {"0102", 2, 1, 1, 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatsOf(tt.route, tt.rereads, tt.pending); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("StatsOf =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestStatsFromStore(t *testing.T) {
	s := newStore(t)
	if st, err := s.Stats(); err != nil || st.Due != 0 {
		t.Fatalf("stats of an empty handheld = %+v, %v", st, err)
	}
	loadRoute(t, s, cityRoute(t, 40))
	record(t, s, reading("C00001", 120, 1, domain.FlagEstimated))
	record(t, s, reading("C00040", 620, 2, 0))
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := []BookStats{{"0101", 21, 1, 20, 1}, {"0102", 19, 1, 18, 0}}
	if st.Due != 40 || st.Read != 2 || st.Unread != 38 || st.Estimated != 1 || !reflect.DeepEqual(st.Books, want) {
		t.Errorf("stats = %+v", st)
	}
}

func TestRenderStats(t *testing.T) {
	st := Stats{Reader: "R001", Cycle: "2026-01", Due: 5, Read: 3, Unread: 2, Estimated: 1, Rereads: 2, RereadsDone: 1, Added: 1,
		Books: []BookStats{{"0101", 3, 2, 1, 1}, {"0102", 2, 1, 1, 0}}}
	var b strings.Builder
	if err := RenderStats(&b, st); err != nil {
		t.Fatal(err)
	}
	want := `【抄表统计】
抄表员 R001  周期 2026-01
应抄         5户
已抄         3户
未抄         2户
估抄         1户
重抄         2户(已抄1户)
新增户       1户
抄表册   应抄   已抄   未抄   估抄
0101        3      2      1      1
0102        2      1      1      0
`
	if b.String() != want {
		t.Errorf("抄表统计 screen:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestRenderManage(t *testing.T) {
	loaded := time.Date(2025, 12, 31, 16, 0, 0, 0, domain.Local)
	tests := []struct {
		name string
		sum  Summary
		want []string
	}{
		{"new handheld", Summary{Clock: t0}, []string{"抄表机编号  未配对", "本机时钟    2026-01-05 09:00:00\n", "抄表路线    未装载",
			"待上传读数  0条", "未完成传输  无"}},
		{"loaded, clock fast, transfer cut", Summary{DeviceID: "HH-0001", Clock: t0, Offset: 3 * time.Hour,
			Route: &RouteHeader{Reader: "R001", Cycle: "2026-01", LoadedAt: loaded}, Households: 120, Rereads: 2, RereadsLeft: 1,
			Pending: 80, Partials: []PartialInfo{{"readings-7", 4096}}},
			[]string{"抄表机编号  HH-0001", "(比系统时间快3h0m0s)", "抄表员      R001", "抄表周期    2026-01",
				"路线用户    120户(装载于2025-12-31 16:00:00)", "重抄任务    2户,未抄1户", "待上传读数  80条", "未完成传输  readings-7 已收发4096字节"}},
		{"clock slow", Summary{Clock: t0, Offset: -90 * time.Minute}, []string{"(比系统时间慢1h30m0s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := RenderManage(&b, tt.sum); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("数据管理 screen lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestSummary(t *testing.T) {
	s := newStore(t)
	key, _ := ParseKey(keyHex)
	if err := s.SetIdentity("HH-0001", key); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClockOffset(time.Hour); err != nil {
		t.Fatal(err)
	}
	loadRoute(t, s, cityRoute(t, 7))
	record(t, s, reading("C00001", 120, 1, 0))
	if _, err := s.PutPartial("r1", 0, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if sum.DeviceID != "HH-0001" || !sum.Clock.Equal(t0.Add(time.Hour)) || sum.Route == nil || sum.Route.Reader != "R001" ||
		!sum.Route.LoadedAt.Equal(t0.Add(time.Hour)) || sum.Households != 7 || sum.Pending != 1 || len(sum.Partials) != 1 {
		t.Errorf("summary = %+v", sum)
	}
}
