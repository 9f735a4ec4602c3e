package domain_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.Flag
		out     string // String() of the result
		wantErr string // in the error; "" = no error
	}{
		{name: "none", in: "", want: 0, out: ""},
		{name: "估抄", in: "估抄", want: domain.FlagEstimated, out: "估抄"},
		{name: "私自点火", in: "私自点火", want: domain.FlagUnauthorized, out: "私自点火"},
		{name: "表坏", in: "表坏", want: domain.FlagBroken, out: "表坏"},
		{name: "无人", in: "无人", want: domain.FlagNobodyHome, out: "无人"},
		{name: "门闭", in: "门闭", want: domain.FlagDoorClosed, out: "门闭"},
		{name: "two", in: "估抄|门闭", want: domain.FlagEstimated | domain.FlagDoorClosed, out: "估抄|门闭"},
		{name: "out of order", in: "门闭|估抄", want: domain.FlagEstimated | domain.FlagDoorClosed, out: "估抄|门闭"},
		{name: "spaces", in: " 无人 | 表坏 ", want: domain.FlagNobodyHome | domain.FlagBroken, out: "表坏|无人"},
		{name: "full-width spaces", in: "\u3000无人\u3000", want: domain.FlagNobodyHome, out: "无人"},
		{name: "repeated", in: "估抄|估抄", want: domain.FlagEstimated, out: "估抄"},
		{name: "empty parts", in: "|估抄||", want: domain.FlagEstimated, out: "估抄"},
		{name: "all", in: "门闭|无人|表坏|私自点火|估抄",
			want: domain.FlagEstimated | domain.FlagUnauthorized | domain.FlagBroken | domain.FlagNobodyHome | domain.FlagDoorClosed,
			out:  "估抄|私自点火|表坏|无人|门闭"},
		{name: "unknown", in: "漏抄", wantErr: "漏抄"},
		{name: "unknown among known", in: "估抄|代抄", wantErr: "代抄"},
		{name: "other separator", in: "估抄,门闭", wantErr: "估抄,门闭"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseFlags(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFlags(%q) = %v, %v; want an error naming %q", tt.in, got, err, tt.wantErr)
				}
				if got != 0 {
					t.Errorf("ParseFlags(%q) = %v with an error, want 0", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFlags(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.out {
				t.Errorf("String() = %q, want %q", s, tt.out)
			}
		})
	}
}

func TestFlagsRoundTrip(t *testing.T) {
	all := domain.FlagEstimated | domain.FlagUnauthorized | domain.FlagBroken | domain.FlagNobodyHome | domain.FlagDoorClosed
	for f := domain.Flag(0); f <= all; f++ {
		t.Run(f.String(), func(t *testing.T) {
			back, err := domain.ParseFlags(f.String())
			if err != nil || back != f {
				t.Errorf("ParseFlags(%q) = %v, %v; want %v", f.String(), back, err, f)
			}
		})
	}
}

func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"", "估抄", "估抄|门闭", "门闭|估抄", " 无人 | 表坏 ", "估抄||", "漏抄", "估抄|代抄",
		"|", "\u3000无人", "估", "估抄估抄", "\xff|估抄", "私自点火|表坏|无人|门闭|估抄"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := domain.ParseFlags(s)
		if err != nil {
			return
		}
		back, err := domain.ParseFlags(fl.String())
		if err != nil || back != fl {
			t.Fatalf("ParseFlags(%q) = %v; ParseFlags(%q) = %v, %v", s, fl, fl.String(), back, err)
		}
		if again := back.String(); again != fl.String() {
			t.Fatalf("String() not canonical: %q then %q", fl.String(), again)
		}
	})
}

func ptr(v float64) *float64 { return &v }

var readAt = time.Date(2024, time.May, 3, 9, 30, 0, 0, domain.Local)

func baseReading() domain.Reading {
	return domain.Reading{
		CustomerID: "C0001",
		Cycle:      domain.MonthOf(readAt),
		ValueM3:    1234.5,
		ReadAt:     readAt,
		ReaderID:   "R-王",
		Flags:      domain.FlagEstimated,
		Remark:     "",
	}
}

func TestSameReading(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *domain.Reading)
		want   bool
	}{
		{"identical", func(r *domain.Reading) {}, true},
		{"same instant in UTC", func(r *domain.Reading) { r.ReadAt = readAt.UTC() }, true},
		{"customer", func(r *domain.Reading) { r.CustomerID = "C0002" }, false},
		{"cycle", func(r *domain.Reading) { r.Cycle++ }, false},
		{"value", func(r *domain.Reading) { r.ValueM3 = 1234.6 }, false},
		{"time", func(r *domain.Reading) { r.ReadAt = readAt.Add(time.Second) }, false},
		{"reader", func(r *domain.Reading) { r.ReaderID = "R-李" }, false},
		{"flags", func(r *domain.Reading) { r.Flags = 0 }, false},
		{"remark", func(r *domain.Reading) { r.Remark = "狗凶" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := baseReading(), baseReading()
			tt.change(&b)
			if got := domain.SameReading(a, b); got != tt.want {
				t.Errorf("SameReading(a, b) = %v, want %v", got, tt.want)
			}
			if got := domain.SameReading(b, a); got != tt.want {
				t.Errorf("SameReading(b, a) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSameReadingIC(t *testing.T) {
	tests := []struct {
		name        string
		aRem, aUsed *float64
		bRem, bUsed *float64
		want        bool
	}{
		{"both nil", nil, nil, nil, nil, true},
		{"equal values behind different pointers", ptr(12.5), ptr(30), ptr(12.5), ptr(30), true},
		{"remaining nil vs value", nil, ptr(30), ptr(12.5), ptr(30), false},
		{"used nil vs value", ptr(12.5), nil, ptr(12.5), ptr(30), false},
		{"nil vs zero", nil, nil, ptr(0), ptr(0), false},
		{"remaining differs", ptr(12.5), ptr(30), ptr(12.4), ptr(30), false},
		{"used differs", ptr(12.5), ptr(30), ptr(12.5), ptr(31), false},
		{"remaining and used swapped", ptr(12.5), ptr(30), ptr(30), ptr(12.5), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := baseReading(), baseReading()
			a.ICRemaining, a.ICUsed = tt.aRem, tt.aUsed
			b.ICRemaining, b.ICUsed = tt.bRem, tt.bUsed
			if got := domain.SameReading(a, b); got != tt.want {
				t.Errorf("SameReading(a, b) = %v, want %v", got, tt.want)
			}
			if got := domain.SameReading(b, a); got != tt.want {
				t.Errorf("SameReading(b, a) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextVersion(t *testing.T) {
	r1 := baseReading()
	r2 := baseReading()
	r2.ValueM3 = 1240
	v := func(n int, r domain.Reading) domain.ReadingVersion {
		return domain.ReadingVersion{Reading: r, Version: n, Source: domain.FromHandheld}
	}
	tests := []struct {
		name        string
		versions    []domain.ReadingVersion
		r           domain.Reading
		wantNext    int
		wantChanged bool
	}{
		{"first", nil, r1, 1, true},
		{"same again", []domain.ReadingVersion{v(1, r1)}, r1, 1, false},
		{"changed", []domain.ReadingVersion{v(1, r1)}, r2, 2, true},
		{"same as the latest of two", []domain.ReadingVersion{v(1, r1), v(2, r2)}, r2, 2, false},
		{"back to an older version is a new version", []domain.ReadingVersion{v(1, r1), v(2, r2)}, r1, 3, true},
		{"numbered after the latest", []domain.ReadingVersion{v(1, r1), v(7, r2)}, r1, 8, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, changed := domain.NextVersion(tt.versions, tt.r)
			if next != tt.wantNext || changed != tt.wantChanged {
				t.Errorf("NextVersion = %d, %v; want %d, %v", next, changed, tt.wantNext, tt.wantChanged)
			}
		})
	}
}

func TestReadingValidate(t *testing.T) {
	tests := []struct {
		name      string
		change    func(r *domain.Reading)
		wantField string // "" = valid
	}{
		{"valid", func(r *domain.Reading) {}, ""},
		{"zero reading", func(r *domain.Reading) { r.ValueM3 = 0 }, ""},
		{"IC values", func(r *domain.Reading) { r.ICRemaining, r.ICUsed = ptr(0), ptr(12) }, ""},
		{"negative", func(r *domain.Reading) { r.ValueM3 = -1 }, "本次读数"},
		{"NaN", func(r *domain.Reading) { r.ValueM3 = math.NaN() }, "本次读数"},
		{"+Inf", func(r *domain.Reading) { r.ValueM3 = math.Inf(1) }, "本次读数"},
		{"negative IC remaining", func(r *domain.Reading) { r.ICRemaining = ptr(-0.5) }, "IC剩余量"},
		{"NaN IC used", func(r *domain.Reading) { r.ICUsed = ptr(math.NaN()) }, "IC用气量"},
		{"no time", func(r *domain.Reading) { r.ReadAt = time.Time{} }, "抄表时间"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseReading()
			tt.change(&r)
			assertField(t, r.Validate(), tt.wantField)
		})
	}
}

// assertField checks that err is nil when field is "", else a *FieldError on field.
func assertField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("Validate() = %v, want a FieldError on %s", err, field)
	}
}

func TestHistoryReadingValidate(t *testing.T) {
	tests := []struct {
		name      string
		v         float64
		wantField string
	}{
		{"valid", 321, ""},
		{"zero", 0, ""},
		{"negative", -3, "读数"},
		{"NaN", math.NaN(), "读数"},
		{"-Inf", math.Inf(-1), "读数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.HistoryReading{CustomerID: "C0001", Date: day(2024, time.March, 2), ValueM3: tt.v}
			assertField(t, h.Validate(), tt.wantField)
		})
	}
}

func TestICPurchaseValidate(t *testing.T) {
	tests := []struct {
		name      string
		v         float64
		wantField string
	}{
		{"valid", 50, ""},
		{"zero", 0, "购气量"},
		{"negative", -10, "购气量"},
		{"NaN", math.NaN(), "购气量"},
		{"+Inf", math.Inf(1), "购气量"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.ICPurchase{CustomerID: "C0001", At: readAt, VolumeM3: tt.v}
			assertField(t, p.Validate(), tt.wantField)
		})
	}
}

func TestMeterChangeValidate(t *testing.T) {
	ok := domain.MeterChange{CustomerID: "C0001", At: readAt, OldFinalM3: 4567.8, NewStartM3: 0, Model: "G2.5", DialDigits: 5}
	tests := []struct {
		name      string
		change    func(c *domain.MeterChange)
		wantField string
	}{
		{"valid", func(c *domain.MeterChange) {}, ""},
		{"new meter with a base", func(c *domain.MeterChange) { c.NewStartM3 = 12.3 }, ""},
		{"negative old final", func(c *domain.MeterChange) { c.OldFinalM3 = -1 }, "表实际读数"},
		{"NaN old final", func(c *domain.MeterChange) { c.OldFinalM3 = math.NaN() }, "表实际读数"},
		{"negative new start", func(c *domain.MeterChange) { c.NewStartM3 = -1 }, "新表读数"},
		{"new start beyond the dial", func(c *domain.MeterChange) { c.DialDigits, c.NewStartM3 = 4, 10000 }, "表底数"},
		{"no dial digits", func(c *domain.MeterChange) { c.DialDigits = 0 }, "表盘位数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			assertField(t, c.Validate(), tt.wantField)
		})
	}
}
