package interchange

import (
	"math"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
)

// cells is a row given as its values, for tests.
type cells []string

func (c cells) Value(col int) string {
	if col < len(c) {
		return strings.TrimSpace(c[col])
	}
	return ""
}

var entryDay = time.Date(2026, 11, 24, 0, 0, 0, 0, domain.Local)

func validCustomer() domain.Customer {
	d := time.Date(2024, 5, 6, 0, 0, 0, 0, domain.Local)
	return domain.Customer{ID: "3300000001", Name: "陈静", Address: "鹿城区江滨花园3幢2单元301室", Estate: "江滨花园",
		Area: "鹿城区", Hall: "车站营业厅", Pay: domain.PayBankDebit, Group: domain.EvenMonths,
		Seq:      domain.SeqNo{Area: domain.AreaOld, Building: domain.BuildingLowRise, Book: 1201, Block: 3, Unit: 2, Room: 301},
		Meter:    domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn, Model: "G2.5", BaseM3: 12.5, DialDigits: 5},
		Contract: true, FeePaid: true, Phone: "13800000000", BankCard: "6222", BankName: "工行", CardHolder: "陈静",
		Nature: domain.ApplySingle, AppliedOn: d, InvoicedOn: d}
}

func TestCustomerRoundTrip(t *testing.T) {
	c := validCustomer()
	got, err := DecodeCustomer(cells(EncodeCustomer(&c)), entryDay)
	if err != nil {
		t.Fatal(err)
	}
	if EncodeCustomer(&got)[CSeqNo] != "1201032301" || got.Seq != c.Seq || got.Meter != c.Meter || !got.AppliedOn.Equal(c.AppliedOn) {
		t.Errorf("round trip: got %+v, want %+v", got, c)
	}
}

func TestCustomerCellErrors(t *testing.T) {
	tests := []struct {
		name   string
		col    int
		value  string
		reason string
	}{
		{"missing id", CCustomerID, "", "不能为空"},
		{"unknown state", CMeterState, "停用", "表状态"},
		{"unknown kind", CMeterKind, "智能表", "用户类型"},
		{"bad area type", CAreaType, "中区域", "区域类型"},
		{"seq too long for an old multi-storey", CSeqNo, "12010302301", "应为10位,实为11位"},
		{"negative base", CBaseReading, "-1", "不能为负数"},
		{"NaN base", CBaseReading, "NaN", "不是数字"},
		{"not a number", CBaseReading, "12,5", "不是数字"},
		{"dial digits", CDialDigits, "12", "应为3到9位"},
		{"group", CMonthGroup, "三月", "单双月"},
		{"contract", CContract, "也许", "应为有或无"},
		{"date", CAppliedOn, "2024-02-30", "不是有效的日期"},
		{"nature", CApplyNature, "团购", "集体或散户"},
		{"rule ⑵ via the domain", CName, "陈 静", "规则⑵"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validCustomer()
			row := EncodeCustomer(&c)
			row[tc.col] = tc.value
			_, err := DecodeCustomer(cells(row), entryDay)
			re, ok := err.(RowError)
			if !ok || len(re) == 0 {
				t.Fatalf("err = %v, want a RowError", err)
			}
			if re[0].Col != tc.col || !strings.Contains(re[0].Reason, tc.reason) {
				t.Errorf("first error %+v, want column %d (%s) containing %q", re[0], tc.col, CustomerSchema[tc.col].Header, tc.reason)
			}
		})
	}
}

func TestOtherKindsRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 10, 9, 30, 0, 0, domain.Local)
	rem, used := 12.5, 30.0
	h := domain.HistoryReading{CustomerID: "c1", Date: domain.DayOf(at), ValueM3: 1234.5}
	if got, err := DecodeHistory(cells(EncodeHistory(h))); err != nil || got != h {
		t.Errorf("history: %+v %v", got, err)
	}
	p := domain.ICPurchase{CustomerID: "c1", At: at, VolumeM3: 50}
	if got, err := DecodePurchase(cells(EncodePurchase(p))); err != nil || !got.At.Equal(p.At) || got.VolumeM3 != 50 {
		t.Errorf("purchase: %+v %v", got, err)
	}
	mc := domain.MeterChange{CustomerID: "c1", At: at, OldFinalM3: 99, NewStartM3: 1, Model: "G4", DialDigits: 4}
	if got, err := DecodeMeterChange(cells(EncodeMeterChange(mc))); err != nil || !got.At.Equal(at) || got.DialDigits != 4 || got.OldFinalM3 != 99 {
		t.Errorf("meter change: %+v %v", got, err)
	}
	jan, _ := domain.ParseMonth("2026-01")
	r := ReadingRow{SeqNo: "1201032301", Reading: domain.Reading{CustomerID: "c1", Cycle: jan, ValueM3: 140, ReadAt: at,
		ReaderID: "R001", Flags: domain.FlagEstimated | domain.FlagDoorClosed, ICRemaining: &rem, ICUsed: &used, Remark: "门闭"}}
	if got, err := DecodeReading(cells(EncodeReading(r)), jan); err != nil || !domain.SameReading(got.Reading, r.Reading) || got.SeqNo != r.SeqNo {
		t.Errorf("reading: %+v %v", got, err)
	}
	from := jan
	rr := ReaderRow{Reader: domain.Reader{ID: "R001", Name: "林嘉华"}, Books: []string{"0101", "0102"}, From: &from}
	if got, err := DecodeReader(cells(EncodeReader(rr))); err != nil || len(got.Books) != 2 || *got.From != jan {
		t.Errorf("reader: %+v %v", got, err)
	}
	l := Label{CustomerID: "c1", ReaderID: "R001", Cycle: jan, Code: "LARGE_VOLUME", Kind: LabelAnomaly, Note: "x"}
	if got, err := DecodeLabel(cells(EncodeLabel(l))); err != nil || got != l {
		t.Errorf("label: %+v %v", got, err)
	}
}

func TestReaderBooksMustBeFourDigits(t *testing.T) {
	_, err := DecodeReader(cells{"R1", "王五", "0101 12a4"})
	if re, ok := err.(RowError); !ok || re[0].Col != RBooks || !strings.Contains(re[0].Reason, "12a4") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-10", time.Date(2026, 1, 10, 0, 0, 0, 0, domain.Local)},
		{"2026-01-10 09:30:00", time.Date(2026, 1, 10, 9, 30, 0, 0, domain.Local)},
		{"2026-01-10T09:30:00+08:00", time.Date(2026, 1, 10, 9, 30, 0, 0, domain.Local)},
		{"2026-01-10T01:30:00Z", time.Date(2026, 1, 10, 9, 30, 0, 0, domain.Local)},
		{"2026/1/5", time.Date(2026, 1, 5, 0, 0, 0, 0, domain.Local)},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"2026-02-30", "2026-13-01", "yesterday", "2026-1-1x"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

// FuzzDecodeCustomer feeds arbitrary cells to the customer decoder: it never
// panics, and whatever it accepts encodes to a row that decodes to the same
// customer.
func FuzzDecodeCustomer(f *testing.F) {
	c := validCustomer()
	f.Add(strings.Join(EncodeCustomer(&c), "\x1f"))
	ic := c
	ic.Meter.Kind, ic.Pay, ic.BankCard, ic.BankName, ic.CardHolder = domain.KindIC, domain.PayTopUp, "", "", ""
	f.Add(strings.Join(EncodeCustomer(&ic), "\x1f"))
	f.Add("1\x1f用户\x1f1单元\x1f\x1f\x1f\x1fIC卡\x1f充值\x1f12340110001\x1f新区域\x1f多层\x1f通气")
	f.Add("")
	f.Fuzz(func(t *testing.T, joined string) {
		row := cells(strings.Split(joined, "\x1f"))
		got, err := DecodeCustomer(row, entryDay)
		if err != nil {
			if _, ok := err.(RowError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		again, err := DecodeCustomer(cells(EncodeCustomer(&got)), entryDay)
		if err != nil {
			t.Fatalf("re-decoding an accepted customer: %v\nrow %q", err, EncodeCustomer(&got))
		}
		if a, b := EncodeCustomer(&got), EncodeCustomer(&again); strings.Join(a, "|") != strings.Join(b, "|") {
			t.Fatalf("round trip differs:\n%q\n%q", a, b)
		}
	})
}

// FuzzDecodeReading does the same for readings rows.
func FuzzDecodeReading(f *testing.F) {
	f.Add("1201032301\x1fc1\x1f140.5\x1f2026-01-10T09:30:00+08:00\x1fR001\x1f估抄|门闭\x1f12\x1f30\x1f备注")
	f.Add("\x1fc1\x1f-1\x1fnow")
	f.Fuzz(func(t *testing.T, joined string) {
		jan, _ := domain.ParseMonth("2026-01")
		got, err := DecodeReading(cells(strings.Split(joined, "\x1f")), jan)
		if err != nil {
			return
		}
		if got.ValueM3 < 0 || math.IsNaN(got.ValueM3) {
			t.Fatalf("accepted reading %v", got.ValueM3)
		}
		again, err := DecodeReading(cells(EncodeReading(got)), jan)
		if err != nil || !domain.SameReading(again.Reading, got.Reading) {
			t.Fatalf("round trip: %+v / %+v, %v", got, again, err)
		}
	})
}
