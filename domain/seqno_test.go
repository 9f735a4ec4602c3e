package domain_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"meter-sync/domain"
)

const (
	old   = domain.AreaOld
	new_  = domain.AreaNew
	low   = domain.BuildingLowRise
	high  = domain.BuildingHighRise
	villa = domain.BuildingVilla
)

func TestParseSeqNo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		area domain.AreaType
		bldg domain.BuildingType
		want domain.SeqNo
	}{
		// [003:1563] book 4, building 2, unit 1, room 3
		{"old 多层, 10 digits", "0012032301", old, low,
			domain.SeqNo{Area: old, Building: low, Book: 12, Block: 3, Unit: 2, Room: 301}},
		// [003:1565] book 4, building 2, unit 1, room 4 left-padded
		{"old 高层, 11 digits", "00120320502", old, high,
			domain.SeqNo{Area: old, Building: high, Book: 12, Block: 3, Unit: 2, Room: 502}},
		{"old 高层, 4-digit room", "12340511203", old, high,
			domain.SeqNo{Area: old, Building: high, Book: 1234, Block: 5, Unit: 1, Room: 1203}},
		// [003:1569] book 4, building 2, unit 2, room 3
		{"new 多层, 11 digits", "00120302301", new_, low,
			domain.SeqNo{Area: new_, Building: low, Book: 12, Block: 3, Unit: 2, Room: 301}},
		// [003:1571-1573] book 4, building 2, unit 2, room 4 left-padded
		{"new 高层, 12 digits", "001203121502", new_, high,
			domain.SeqNo{Area: new_, Building: high, Book: 12, Block: 3, Unit: 12, Room: 1502}},
		{"new 高层, padded room", "987699010801", new_, high,
			domain.SeqNo{Area: new_, Building: high, Book: 9876, Block: 99, Unit: 1, Room: 801}},
		// DESIGN §5.5: villas use the 多层 layout, villa number as building
		{"old villa", "0012071001", old, villa,
			domain.SeqNo{Area: old, Building: villa, Book: 12, Block: 7, Unit: 1, Room: 1}},
		{"new villa", "00124201001", new_, villa,
			domain.SeqNo{Area: new_, Building: villa, Book: 12, Block: 42, Unit: 1, Room: 1}},
		{"all zeros", "0000000000", old, low, domain.SeqNo{Area: old, Building: low}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseSeqNo(tt.in, tt.area, tt.bldg)
			if err != nil {
				t.Fatalf("ParseSeqNo(%q) = %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseSeqNo(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
			if b := got.BookID(); b != tt.in[:4] {
				t.Errorf("BookID() = %q, want %q", b, tt.in[:4])
			}
		})
	}
}

func TestParseSeqNoErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		area domain.AreaType
		bldg domain.BuildingType
		want []string // all in the message
	}{
		{"11 digits on old 多层", "00120302301", old, low, []string{"老区域多层", "应为10位,实为11位"}},
		{"10 digits on old 高层", "0012032301", old, high, []string{"老区域高层", "应为11位,实为10位"}},
		{"12 digits on new 多层", "001203121502", new_, low, []string{"新区域多层", "应为11位,实为12位"}},
		{"11 digits on new 高层", "00120302301", new_, high, []string{"新区域高层", "应为12位,实为11位"}},
		{"11 digits on old villa", "00120701001", old, villa, []string{"老区域别墅", "应为10位,实为11位"}},
		{"empty", "", old, low, []string{"应为10位,实为0位"}},
		{"truncated", "00120", new_, high, []string{"应为12位,实为5位"}},
		{"letter", "00120a2301", old, low, []string{"第6位不是数字"}},
		{"space", "0012 32301", old, low, []string{"第5位不是数字"}},
		{"sign", "-012032301", old, low, []string{"第1位不是数字"}},
		{"full-width digits", "００１２０３２３０１", old, low, []string{"第1位不是数字"}},
		{"one full-width digit", "001203230１", old, low, []string{"第10位不是数字"}},
		{"Chinese", "一二三四五六七八九十", old, low, []string{"第1位不是数字"}},
		{"villa unit 2", "0012072001", old, villa, []string{"别墅"}},
		{"villa room 002", "0012071002", old, villa, []string{"别墅"}},
		{"new villa unit 10", "00120710001", new_, villa, []string{"别墅"}},
		{"unknown area", "0012032301", 0, low, []string{"区域类型"}},
		{"unknown building", "0012032301", old, 0, []string{"楼型"}},
		{"area out of range", "0012032301", 9, low, []string{"区域类型"}},
		{"building out of range", "0012032301", old, 4, []string{"楼型"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseSeqNo(tt.in, tt.area, tt.bldg)
			if err == nil {
				t.Fatalf("ParseSeqNo(%q, %v, %v) = %+v, want an error", tt.in, tt.area, tt.bldg, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSeqNoValidate(t *testing.T) {
	tests := []struct {
		name string
		n    domain.SeqNo
		want string // in the message; "" = valid
	}{
		{"old 多层 at its limits", domain.SeqNo{Area: old, Building: low, Book: 9999, Block: 99, Unit: 9, Room: 999}, ""},
		{"new 高层 at its limits", domain.SeqNo{Area: new_, Building: high, Book: 9999, Block: 99, Unit: 99, Room: 9999}, ""},
		{"negative book", domain.SeqNo{Area: old, Building: low, Book: -1}, "抄表册号-1"},
		{"book of 5 digits", domain.SeqNo{Area: old, Building: low, Book: 10000}, "抄表册号10000超出4位"},
		{"negative building", domain.SeqNo{Area: old, Building: low, Block: -1}, "幢数-1"},
		{"building of 3 digits", domain.SeqNo{Area: new_, Building: high, Block: 100}, "幢数100超出2位"},
		{"old-area unit of 2 digits", domain.SeqNo{Area: old, Building: low, Unit: 10}, "单元号10超出1位"},
		{"old-area high-rise unit of 2 digits", domain.SeqNo{Area: old, Building: high, Unit: 12}, "单元号12超出1位"},
		{"new-area unit of 3 digits", domain.SeqNo{Area: new_, Building: low, Unit: 100}, "单元号100超出2位"},
		{"negative unit", domain.SeqNo{Area: new_, Building: low, Unit: -1}, "单元号-1"},
		{"多层 room of 4 digits", domain.SeqNo{Area: old, Building: low, Room: 1000}, "房号1000超出3位"},
		{"高层 room of 5 digits", domain.SeqNo{Area: new_, Building: high, Room: 10000}, "房号10000超出4位"},
		{"negative room", domain.SeqNo{Area: old, Building: high, Room: -5}, "房号-5"},
		{"no area", domain.SeqNo{Building: low}, "区域类型"},
		{"no building", domain.SeqNo{Area: old}, "楼型"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.n.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSeqNoStringUnknownLayout(t *testing.T) {
	if got := (domain.SeqNo{Book: 12}).String(); got != "?" {
		t.Errorf("String() of a number with no layout = %q, want ?", got)
	}
}

func TestSeqNoSortKey(t *testing.T) {
	tests := []struct {
		name string
		in   string
		area domain.AreaType
		bldg domain.BuildingType
		want string
	}{
		{"old 多层", "0012032301", old, low, "001203020301"},
		{"old 高层", "00120320502", old, high, "001203020502"},
		{"new 多层", "00120302301", new_, low, "001203020301"},
		{"new 高层", "001203121502", new_, high, "001203121502"},
		{"old villa", "0012071001", old, villa, "001207010001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := mustSeq(t, tt.in, tt.area, tt.bldg).SortKey()
			if got := string(k[:]); got != tt.want {
				t.Errorf("SortKey() = %s, want %s", got, tt.want)
			}
			if string(k[:4]) != tt.in[:4] {
				t.Errorf("SortKey() %s does not start with the book %s", k, tt.in[:4])
			}
		})
	}
}

// TestSeqNoSortKeyOrder checks the walking order book → building → unit →
// room across the four layouts (DESIGN §5.4).
func TestSeqNoSortKeyOrder(t *testing.T) {
	type num struct {
		s    string
		area domain.AreaType
		bldg domain.BuildingType
	}
	walk := []num{ // in walking order
		{"0011991999", old, low},     // old book 0011, last building: before any of book 0012
		{"001201001001", new_, high}, // new book 0012, building 01 unit 01 room 1001
		{"00120101002", old, high},   // building 01, unit 1, room 1002
		{"00120102101", new_, low},   // building 01, unit 2
		{"00120201001", new_, villa}, // building 02 (a villa), unit 01
		{"0012031099", old, low},     // building 03, unit 1, room 99
		{"0012031101", old, low},     // room 101
		{"00120310999", old, high},   // room 999 before 1000
		{"00120311000", old, high},   // room 1000
		{"00120312101", old, high},   // unit 2
		{"00120310101", new_, low},   // unit 10 after unit 2
		{"0013010101", old, low},     // book 0013: old area after new-area book 0012
		{"99999999999", new_, low},   // the last
	}
	var want []domain.SeqNo
	for _, n := range walk {
		want = append(want, mustSeq(t, n.s, n.area, n.bldg))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		got := slices.Clone(want)
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		slices.SortStableFunc(got, func(a, b domain.SeqNo) int {
			ka, kb := a.SortKey(), b.SortKey()
			return strings.Compare(string(ka[:]), string(kb[:]))
		})
		if !slices.Equal(got, want) {
			var gs []string
			for _, n := range got {
				gs = append(gs, n.String())
			}
			t.Fatalf("shuffle %d: sorted by SortKey = %v, want the order of the table", i, gs)
		}
	}
}

func TestParseAreaType(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.AreaType
		wantErr bool
	}{
		{"老区域", "老区域", old, false},
		{"老", "老", old, false},
		{"old", "OLD", old, false},
		{"新区域", " 新区域 ", new_, false},
		{"新", "新", new_, false},
		{"new", "new", new_, false},
		{"empty", "", 0, true},
		{"unknown", "中区域", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseAreaType(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseAreaType(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, err := domain.ParseAreaType(got.String()); err != nil || back != got {
					t.Errorf("ParseAreaType(%q) = %v, %v", got.String(), back, err)
				}
			}
		})
	}
}

func TestParseBuildingType(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.BuildingType
		wantErr bool
	}{
		{"多层", "多层", low, false},
		{"low", "Low", low, false},
		{"lowrise", "lowrise", low, false},
		{"高层", "高层", high, false},
		{"high", "high", high, false},
		{"highrise", "HighRise", high, false},
		{"别墅", " 别墅", villa, false},
		{"villa", "villa", villa, false},
		{"empty", "", 0, true},
		{"unknown", "小高层", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseBuildingType(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseBuildingType(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, err := domain.ParseBuildingType(got.String()); err != nil || back != got {
					t.Errorf("ParseBuildingType(%q) = %v, %v", got.String(), back, err)
				}
			}
		})
	}
}

func TestAreaBuildingStringUnknown(t *testing.T) {
	if got := domain.AreaType(0).String(); got != "未知(0)" {
		t.Errorf("AreaType(0).String() = %q", got)
	}
	if got := domain.BuildingType(5).String(); got != "未知(5)" {
		t.Errorf("BuildingType(5).String() = %q", got)
	}
}

func TestValidBookID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"four digits", "0012", true},
		{"all nines", "9999", true},
		{"three digits", "012", false},
		{"five digits", "00123", false},
		{"letter", "00a2", false},
		{"empty", "", false},
		{"full-width", "００１２", false},
		{"sign", "-012", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ValidBookID(tt.in); got != tt.want {
				t.Errorf("ValidBookID(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseSeqNo: ParseSeqNo never panics; whatever it accepts is valid for
// the stored layout and formats back to exactly the input.
func FuzzParseSeqNo(f *testing.F) {
	for _, s := range []struct {
		s    string
		a, b uint8
	}{
		{"0012032301", 1, 1}, {"00120320502", 1, 2}, {"00120302301", 2, 1}, {"001203121502", 2, 2},
		{"0012071001", 1, 3}, {"00120701001", 2, 3},
		{"001203230", 1, 1}, {"0012", 2, 2}, {"", 1, 1}, // truncated
		{"00120323011", 1, 1}, {"0012031215021", 2, 2}, {strings.Repeat("9", 64), 2, 2}, // oversized
		{"００１２０３２３０１", 1, 1}, {"00120３2301", 1, 1}, {"一二三四五六七八九十", 1, 1}, {"\xff\xfe0012032", 1, 1}, // non-ASCII
		{"0012072001", 1, 3}, {"0012032301", 0, 1}, {"0012032301", 1, 0}, {"0012032301", 255, 255},
		{"-012032301", 1, 1}, {"+012032301", 1, 1},
	} {
		f.Add(s.s, s.a, s.b)
	}
	f.Fuzz(func(t *testing.T, s string, a, b uint8) {
		area, bldg := domain.AreaType(a), domain.BuildingType(b)
		n, err := domain.ParseSeqNo(s, area, bldg)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseSeqNo(%q, %d, %d): empty error", s, a, b)
			}
			return
		}
		if n.Area != area || n.Building != bldg {
			t.Fatalf("ParseSeqNo(%q, %d, %d) = %+v: area or building changed", s, a, b, n)
		}
		if got := n.String(); got != s {
			t.Fatalf("ParseSeqNo(%q, %d, %d).String() = %q", s, a, b, got)
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("ParseSeqNo(%q, %d, %d) = %+v, which does not validate: %v", s, a, b, n, err)
		}
		again, err := domain.ParseSeqNo(n.String(), area, bldg)
		if err != nil || again != n {
			t.Fatalf("reparse of %q = %+v, %v; want %+v", n.String(), again, err, n)
		}
		k := n.SortKey()
		if string(k[:4]) != n.BookID() || !domain.ValidBookID(n.BookID()) {
			t.Fatalf("SortKey %s / BookID %s disagree for %q", k, n.BookID(), s)
		}
		for _, c := range k {
			if c < '0' || c > '9' {
				t.Fatalf("SortKey %q of %q is not all digits", k, s)
			}
		}
	})
}
