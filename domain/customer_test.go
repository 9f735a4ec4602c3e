package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
)

// day is a calendar date at local midnight, the way dates are stored.
func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, domain.Local)
}

func mustSeq(t *testing.T, s string, a domain.AreaType, b domain.BuildingType) domain.SeqNo {
	t.Helper()
	n, err := domain.ParseSeqNo(s, a, b)
	if err != nil {
		t.Fatalf("ParseSeqNo(%q, %v, %v): %v", s, a, b, err)
	}
	return n
}

// entryDay is the day of data entry in the customer tests.
var entryDay = day(2024, time.May, 20)

// validCustomer is a 抄表 household paying cash, in old-area 多层 book 0012,
// building 03, unit 2, room 301, that breaks none of the rules.
func validCustomer(t *testing.T) domain.Customer {
	return domain.Customer{
		ID:      "C0001",
		Name:    "张三",
		Address: "幸福小区3幢2单元301室",
		Estate:  "幸福小区",
		Pay:     domain.PayCash,
		Seq:     mustSeq(t, "0012032301", domain.AreaOld, domain.BuildingLowRise),
		Group:   domain.OddMonths,
		Meter: domain.Meter{Kind: domain.KindRead, State: domain.StateGasOn,
			BaseM3: 0, DialDigits: domain.DefaultDialDigits},
		Nature:     domain.ApplySingle,
		AppliedOn:  day(2024, time.May, 20),
		InvoicedOn: day(2024, time.May, 20),
	}
}

// icCustomer is a valid IC-card household paying by 充值.
func icCustomer(c *domain.Customer) {
	c.Meter.Kind = domain.KindIC
	c.Pay = domain.PayTopUp
}

func withBank(c *domain.Customer) {
	c.BankCard, c.BankName, c.CardHolder = "6222020200001234567", "工行", "张三"
}

// broken names a broken rule by its field and rule number.
type broken struct{ Field, Rule string }

func brokenRules(err error) []broken {
	var out []broken
	for _, fe := range domain.Fields(err) {
		out = append(out, broken{fe.Field, fe.Rule})
	}
	return out
}

func TestValidateCustomerRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *domain.Customer)
		today  time.Time // entryDay when zero
		want   []broken  // every rule broken, in the order ValidateCustomer checks them; nil = valid
	}{
		{name: "valid 抄表 cash household", change: func(c *domain.Customer) {}},

		// ⑴ [003:683]
		{name: "⑴ IC卡 pays 充值", change: icCustomer},
		{name: "⑴ IC卡 paying 现金", change: func(c *domain.Customer) { icCustomer(c); c.Pay = domain.PayCash },
			want: []broken{{"缴费方式", "⑴"}}},
		{name: "⑴ IC卡 with no payment method", change: func(c *domain.Customer) { icCustomer(c); c.Pay = "" },
			want: []broken{{"缴费方式", "⑴"}}},
		{name: "⑴ 抄表 paying 充值", change: func(c *domain.Customer) { c.Pay = domain.PayTopUp },
			want: []broken{{"缴费方式", "⑴"}}},
		{name: "⑴ 抄表 paying 煤气票", change: func(c *domain.Customer) { c.Pay = domain.PayGasTicket }},

		// ⑵ [003:685]
		{name: "⑵ name 用户 when there is none", change: func(c *domain.Customer) { c.Name = "用户" }},
		{name: "⑵ empty name", change: func(c *domain.Customer) { c.Name = "" },
			want: []broken{{"用户姓名", "⑵"}}},
		{name: "⑵ ASCII space in name", change: func(c *domain.Customer) { c.Name = "张 三" },
			want: []broken{{"用户姓名", "⑵"}}},
		{name: "⑵ full-width space in name", change: func(c *domain.Customer) { c.Name = "张\u3000三" },
			want: []broken{{"用户姓名", "⑵"}}},
		{name: "⑵ trailing space in name", change: func(c *domain.Customer) { c.Name = "张三 " },
			want: []broken{{"用户姓名", "⑵"}}},
		{name: "⑵ tab in name", change: func(c *domain.Customer) { c.Name = "张\t三" },
			want: []broken{{"用户姓名", "⑵"}}},

		// ⑶ [003:687]
		{name: "⑶ Chinese unit numeral", change: func(c *domain.Customer) { c.Address = "幸福小区三幢二单元301室" }},
		{name: "⑶ unit written with a leading zero", change: func(c *domain.Customer) { c.Address = "幸福小区3幢02单元301室" }},
		{name: "⑶ address names another unit", change: func(c *domain.Customer) { c.Address = "幸福小区3幢3单元301室" },
			want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ address names no unit", change: func(c *domain.Customer) { c.Address = "幸福小区3幢301室" },
			want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ address names another unit in Chinese", change: func(c *domain.Customer) { c.Address = "幸福小区三幢五单元301室" },
			want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ unit 12 is not unit 2", change: func(c *domain.Customer) { c.Address = "幸福小区3幢12单元301室" },
			want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ unit 11 is not unit 1", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "0012031301", domain.AreaOld, domain.BuildingLowRise)
			c.Address = "幸福小区3幢11单元301室"
		}, want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ unit 十一 is not unit 一", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "0012031301", domain.AreaOld, domain.BuildingLowRise)
			c.Address = "幸福小区三幢十一单元301室"
		}, want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ unit 101 is not unit 01", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "00120301301", domain.AreaNew, domain.BuildingLowRise)
			c.Address = "幸福小区3幢101单元301室"
		}, want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ unit 十 for unit 10", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "00120310301", domain.AreaNew, domain.BuildingLowRise)
			c.Address = "幸福小区三幢十单元301室"
		}},
		{name: "⑶ new-area two-digit unit", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "001203121502", domain.AreaNew, domain.BuildingHighRise)
			c.Address = "锦绣花园3幢12单元1502室"
		}},
		{name: "⑶ new-area unit 2 written 02 on a high-rise", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "001203021502", domain.AreaNew, domain.BuildingHighRise)
			c.Address = "锦绣花园3幢02单元1502室"
		}},
		{name: "⑶ new-area address names another unit", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "001203121502", domain.AreaNew, domain.BuildingHighRise)
			c.Address = "锦绣花园3幢11单元1502室"
		}, want: []broken{{"用户地址", "⑶"}}},
		{name: "⑶ old-area villa needs no unit", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "0012071001", domain.AreaOld, domain.BuildingVilla)
			c.Address = "翠湖山庄7号"
		}},
		{name: "⑶ new-area villa needs no unit", change: func(c *domain.Customer) {
			c.Seq = mustSeq(t, "00120701001", domain.AreaNew, domain.BuildingVilla)
			c.Address = "翠湖山庄7号"
		}},

		// ⑷ [003:689], on IC households so that ⑸/⑹ stay out of it
		{name: "⑷ all three bank fields", change: func(c *domain.Customer) { icCustomer(c); withBank(c) }},
		{name: "⑷ card number only", change: func(c *domain.Customer) { icCustomer(c); c.BankCard = "6222020200001234567" },
			want: []broken{{"银行名称", "⑷"}}},
		{name: "⑷ bank name missing", change: func(c *domain.Customer) { icCustomer(c); withBank(c); c.BankName = "" },
			want: []broken{{"银行名称", "⑷"}}},
		{name: "⑷ holder missing", change: func(c *domain.Customer) { icCustomer(c); withBank(c); c.CardHolder = "" },
			want: []broken{{"持卡人", "⑷"}}},
		{name: "⑷ card number missing", change: func(c *domain.Customer) { icCustomer(c); withBank(c); c.BankCard = "" },
			want: []broken{{"银行卡号", "⑷"}}},

		// ⑸ [003:691]
		{name: "⑸ 抄表 银行代缴 with bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayBankDebit; withBank(c) }},
		{name: "⑸ 抄表 银行托收 with bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayBankCollect; withBank(c) }},
		{name: "⑸ 抄表 银行代缴 without bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayBankDebit },
			want: []broken{{"银行卡号", "⑸"}}},
		{name: "⑸ 抄表 银行托收 without bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayBankCollect },
			want: []broken{{"银行卡号", "⑸"}}},
		{name: "⑸ 抄表 银行代缴 missing the holder breaks ⑷ and ⑸",
			change: func(c *domain.Customer) { c.Pay = domain.PayBankDebit; withBank(c); c.CardHolder = "" },
			want:   []broken{{"持卡人", "⑷"}, {"持卡人", "⑸"}}},

		// ⑹ [003:693]
		{name: "⑹ 抄表 现金 without bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayCash }},
		{name: "⑹ 抄表 现金 with bank fields", change: func(c *domain.Customer) { withBank(c) },
			want: []broken{{"银行卡号", "⑹"}}},
		{name: "⑹ 抄表 优惠券 with bank fields", change: func(c *domain.Customer) { c.Pay = domain.PayCoupon; withBank(c) },
			want: []broken{{"银行卡号", "⑹"}}},
		{name: "⑹ 抄表 现金 with a partial trio breaks ⑷ and ⑹",
			change: func(c *domain.Customer) { c.BankName = "工行" },
			want:   []broken{{"银行卡号", "⑷"}, {"银行卡号", "⑹"}}},
		{name: "⑹ does not apply to an IC卡 household", change: func(c *domain.Customer) { icCustomer(c); withBank(c) }},

		// ⑺ [003:695]
		{name: "⑺ SMS number with carrier", change: func(c *domain.Customer) { c.SMSNumber, c.SMSCarrier = "13800000000", "移动" }},
		{name: "⑺ carrier without number", change: func(c *domain.Customer) { c.SMSCarrier = "移动" }},
		{name: "⑺ SMS number without carrier", change: func(c *domain.Customer) { c.SMSNumber = "13800000000" },
			want: []broken{{"短信公司", "⑺"}}},

		// ⑻ [003:697]
		{name: "⑻ 集体 invoice dated from the invoice", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, day(2023, time.November, 3)
		}},
		{name: "⑻ 集体 invoice lost: 2002-01-01", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, domain.LostInvoiceDate
		}},
		{name: "⑻ 集体 lost invoice date is 2002-01-01", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, day(2002, time.January, 1)
		}},
		{name: "⑻ 集体 invoice dated the day of entry", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, entryDay
		}, want: []broken{{"开票日期", "⑻"}}},
		{name: "⑻ 集体 invoice dated the day of entry, entry time of day", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, entryDay
		}, today: entryDay.Add(15*time.Hour + 30*time.Minute), want: []broken{{"开票日期", "⑻"}}},
		{name: "⑻ 集体 invoice dated the local day of entry, entry clock in UTC", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, entryDay
		}, // 2024-05-19 20:00 UTC is 2024-05-20 04:00 in UTC+8: the entry day
			today: time.Date(2024, time.May, 19, 20, 0, 0, 0, time.UTC), want: []broken{{"开票日期", "⑻"}}},
		{name: "⑻ 集体 invoice the day before entry, entry clock in UTC", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplyCollective, day(2024, time.May, 19)
		}, today: time.Date(2024, time.May, 19, 20, 0, 0, 0, time.UTC)},
		{name: "⑻ 散户 invoice dated the day of entry", change: func(c *domain.Customer) {
			c.Nature, c.InvoicedOn = domain.ApplySingle, entryDay
		}},

		// ⑼ [003:699]
		{name: "⑼ invoice before application", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = day(2024, time.May, 1), day(2024, time.May, 2)
		}},
		{name: "⑼ invoice on the application day", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = day(2024, time.May, 2), day(2024, time.May, 2)
		}},
		{name: "⑼ invoice later in the day of application", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = day(2024, time.May, 2).Add(16*time.Hour), day(2024, time.May, 2).Add(9*time.Hour)
		}},
		{name: "⑼ invoice after application", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = day(2024, time.May, 3), day(2024, time.May, 2)
		}, want: []broken{{"开票日期", "⑼"}}},
		{name: "⑼ lost invoice date before application", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = domain.LostInvoiceDate, day(2024, time.May, 2)
		}},
		{name: "⑼ lost invoice of an application before 2002 (the sentinel of ⑻ wins)", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = domain.LostInvoiceDate, day(1999, time.April, 1)
		}},
		{name: "⑼ unknown application date", change: func(c *domain.Customer) {
			c.InvoicedOn, c.AppliedOn = day(2024, time.May, 3), time.Time{}
		}},

		// field shapes outside ⑴-⑼
		{name: "empty customer number", change: func(c *domain.Customer) { c.ID = "" },
			want: []broken{{"用户编号", ""}}},
		{name: "customer number with a separator", change: func(c *domain.Customer) { c.ID = "C/0001" },
			want: []broken{{"用户编号", ""}}},
		{name: "customer number too long", change: func(c *domain.Customer) { c.ID = strings.Repeat("9", 33) },
			want: []broken{{"用户编号", ""}}},
		{name: "no month group", change: func(c *domain.Customer) { c.Group = 0 },
			want: []broken{{"单双月", ""}}},
		{name: "even month group", change: func(c *domain.Customer) { c.Group = domain.EvenMonths }},
		{name: "sequence number out of its layout", change: func(c *domain.Customer) { c.Seq.Room = 1000 },
			want: []broken{{"抄表序号", ""}}},
		{name: "bad meter", change: func(c *domain.Customer) { c.Meter.DialDigits = 0 },
			want: []broken{{"表盘位数", ""}}},

		// several at once
		{name: "every broken rule is reported", change: func(c *domain.Customer) {
			c.Pay = domain.PayTopUp
			c.Name = "张 三"
			c.Address = "幸福小区3幢301室"
			c.BankCard = "6222020200001234567"
			c.SMSNumber = "13800000000"
			c.Nature, c.InvoicedOn, c.AppliedOn = domain.ApplyCollective, entryDay, day(2024, time.May, 1)
		}, want: []broken{
			{"缴费方式", "⑴"}, {"用户姓名", "⑵"}, {"用户地址", "⑶"}, {"银行名称", "⑷"},
			{"银行卡号", "⑹"}, {"短信公司", "⑺"}, {"开票日期", "⑻"}, {"开票日期", "⑼"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCustomer(t)
			tt.change(&c)
			today := tt.today
			if today.IsZero() {
				today = entryDay
			}
			err := domain.ValidateCustomer(&c, today)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateCustomer = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateCustomer = nil, want %v", tt.want)
			}
			if got := brokenRules(err); !slices.Equal(got, tt.want) {
				t.Errorf("broken rules = %v, want %v\nerror: %v", got, tt.want, err)
			}
		})
	}
}

// TestValidateCustomerCitesSource checks that each registration rule's message
// cites its rule and its line in the source, and mirrors its wording.
func TestValidateCustomerCitesSource(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *domain.Customer)
		rule   string
		source string
		words  string // a phrase of the source wording [003:683-699]
	}{
		{"⑴ IC卡", func(c *domain.Customer) { c.Meter.Kind = domain.KindIC }, "⑴", "[003:683]", "缴费方式应选择充值"},
		{"⑴ 抄表", func(c *domain.Customer) { c.Pay = domain.PayTopUp }, "⑴", "[003:683]", "不应选择充值"},
		{"⑵", func(c *domain.Customer) { c.Name = "张 三" }, "⑵", "[003:685]", "用户姓名不得出现空格"},
		{"⑵ empty", func(c *domain.Customer) { c.Name = "" }, "⑵", "[003:685]", "可用“用户”表示"},
		{"⑶", func(c *domain.Customer) { c.Address = "幸福小区3幢301室" }, "⑶", "[003:687]", "正确录入单元"},
		{"⑷", func(c *domain.Customer) { c.Meter.Kind, c.Pay, c.BankCard = domain.KindIC, domain.PayTopUp, "1" }, "⑷", "[003:689]", "则其他2项必须填写"},
		{"⑸", func(c *domain.Customer) { c.Pay = domain.PayBankCollect }, "⑸", "[003:691]", "不应为空"},
		{"⑹", func(c *domain.Customer) { withBank(c) }, "⑹", "[003:693]", "应为空"},
		{"⑺", func(c *domain.Customer) { c.SMSNumber = "13800000000" }, "⑺", "[003:695]", "“短信公司”选项必须填写"},
		{"⑻", func(c *domain.Customer) { c.Nature = domain.ApplyCollective }, "⑻", "[003:697]", "2002年1月1日"},
		{"⑼", func(c *domain.Customer) { c.AppliedOn = day(2024, time.May, 1) }, "⑼", "[003:699]", "应小于或等于报装日期"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCustomer(t)
			tt.change(&c)
			err := domain.ValidateCustomer(&c, entryDay)
			fields := domain.Fields(err)
			if len(fields) != 1 {
				t.Fatalf("got %d field errors (%v), want 1", len(fields), err)
			}
			fe := fields[0]
			if fe.Rule != tt.rule || fe.Source != tt.source {
				t.Errorf("Rule, Source = %q, %q; want %q, %q", fe.Rule, fe.Source, tt.rule, tt.source)
			}
			msg := err.Error()
			for _, want := range []string{"规则" + tt.rule, tt.source, tt.words, fe.Field} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestValidateCustomerInvoiceMessageDates(t *testing.T) {
	c := validCustomer(t)
	c.InvoicedOn, c.AppliedOn = day(2024, time.May, 3), day(2024, time.May, 2)
	err := domain.ValidateCustomer(&c, entryDay)
	for _, want := range []string{"2024-05-03", "2024-05-02"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name the date %s", err, want)
		}
	}
}

func TestValidateCustomerUnitMessage(t *testing.T) {
	c := validCustomer(t)
	c.Address = "幸福小区3幢3单元301室"
	err := domain.ValidateCustomer(&c, entryDay)
	if err == nil || !strings.Contains(err.Error(), "2单元") || !strings.Contains(err.Error(), c.Address) {
		t.Errorf("error %v should name the address and the sequence number's unit 2", err)
	}
}

func TestFieldErrorError(t *testing.T) {
	tests := []struct {
		name string
		err  domain.FieldError
		want string
	}{
		{"rule and source", domain.FieldError{Field: "短信公司", Reason: "必须填写", Rule: "⑺", Source: "[003:695]"}, "短信公司: 必须填写 (规则⑺ [003:695])"},
		{"source only", domain.FieldError{Field: "抄表序号", Reason: "太长", Source: "[003:1563]"}, "抄表序号: 太长 ([003:1563])"},
		{"rule only", domain.FieldError{Field: "用户姓名", Reason: "有空格", Rule: "⑵"}, "用户姓名: 有空格 (规则⑵)"},
		{"neither", domain.FieldError{Field: "单双月", Reason: "应为单月或双月"}, "单双月: 应为单月或双月"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFields(t *testing.T) {
	a := &domain.FieldError{Field: "a"}
	b := &domain.FieldError{Field: "b"}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"nil", nil, nil},
		{"single", a, []string{"a"}},
		{"wrapped", fmt.Errorf("row 3: %w", a), []string{"a"}},
		{"joined", errors.Join(a, b), []string{"a", "b"}},
		{"joined with a plain error", errors.Join(a, errors.New("plain"), b), []string{"a", "b"}},
		{"plain", errors.New("plain"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, fe := range domain.Fields(tt.err) {
				got = append(got, fe.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Fields = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCustomerBook(t *testing.T) {
	c := validCustomer(t)
	if got := c.Book(); got != "0012" {
		t.Errorf("Book() = %q, want 0012", got)
	}
}

func TestParsePayMethod(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.PayMethod
		wantErr bool
	}{
		{"充值", "充值", domain.PayTopUp, false},
		{"现金", "现金", domain.PayCash, false},
		{"银行代缴", "银行代缴", domain.PayBankDebit, false},
		{"银行托收", "银行托收", domain.PayBankCollect, false},
		{"煤气票", "煤气票", domain.PayGasTicket, false},
		{"煤气票 as in the source", "煤气票(优惠券或提货券)", domain.PayGasTicket, false},
		{"燃气票 as in reports", "燃气票(优惠券/提货券)", domain.PayGasTicket, false},
		{"优惠券", "优惠券", domain.PayCoupon, false},
		{"提货券", "提货券", domain.PayVoucher, false},
		{"surrounding spaces", "  现金\t", domain.PayCash, false},
		{"empty", "", "", true},
		{"unknown", "支付宝", "", true},
		{"bank without kind", "银行", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParsePayMethod(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParsePayMethod(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "缴费方式") {
				t.Errorf("error %q should name 缴费方式", err)
			}
		})
	}
}

func TestPayMethodsRoundTrip(t *testing.T) {
	methods := domain.PayMethods()
	if len(methods) != 7 {
		t.Errorf("PayMethods() has %d methods, want 7 [003:683-865]", len(methods))
	}
	for _, p := range methods {
		t.Run(string(p), func(t *testing.T) {
			got, err := domain.ParsePayMethod(string(p))
			if err != nil || got != p {
				t.Errorf("ParsePayMethod(%q) = %q, %v", p, got, err)
			}
		})
	}
}

func TestPayMethodIsBank(t *testing.T) {
	tests := []struct {
		name string
		p    domain.PayMethod
		want bool
	}{
		{"银行代缴", domain.PayBankDebit, true},
		{"银行托收", domain.PayBankCollect, true},
		{"现金", domain.PayCash, false},
		{"充值", domain.PayTopUp, false},
		{"煤气票", domain.PayGasTicket, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.IsBank(); got != tt.want {
				t.Errorf("%q.IsBank() = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestParseMeterKind(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.MeterKind
		wantErr bool
	}{
		{"IC卡", "IC卡", domain.KindIC, false},
		{"ic卡 lower case", "ic卡", domain.KindIC, false},
		{"IC", "IC", domain.KindIC, false},
		{"抄表", "抄表", domain.KindRead, false},
		{"普通表", "普通表", domain.KindRead, false},
		{"read", "Read", domain.KindRead, false},
		{"spaces", " 抄表 ", domain.KindRead, false},
		{"empty", "", 0, true},
		{"公建", "公建", 0, true},
		{"流量表 is not a customer type", "流量表", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseMeterKind(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseMeterKind(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, err := domain.ParseMeterKind(got.String()); err != nil || back != got {
					t.Errorf("ParseMeterKind(%q) = %v, %v; want %v", got.String(), back, err, got)
				}
			}
		})
	}
}

func TestMeterKindString(t *testing.T) {
	tests := []struct {
		name string
		k    domain.MeterKind
		want string
	}{
		{"read", domain.KindRead, "抄表"},
		{"IC", domain.KindIC, "IC卡"},
		{"unknown", 9, "未知(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMonthGroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    domain.MonthGroup
		wantErr bool
	}{
		{"单月", "单月", domain.OddMonths, false},
		{"单", "单", domain.OddMonths, false},
		{"odd", "ODD", domain.OddMonths, false},
		{"1", "1", domain.OddMonths, false},
		{"双月", "双月", domain.EvenMonths, false},
		{"双", "双", domain.EvenMonths, false},
		{"even", "even", domain.EvenMonths, false},
		{"2", "2", domain.EvenMonths, false},
		{"spaces", " 双月 ", domain.EvenMonths, false},
		{"empty", "", 0, true},
		{"每月", "每月", 0, true},
		{"3", "3", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseMonthGroup(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseMonthGroup(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, err := domain.ParseMonthGroup(got.String()); err != nil || back != got {
					t.Errorf("ParseMonthGroup(%q) = %v, %v; want %v", got.String(), back, err, got)
				}
			}
		})
	}
}

func TestMonthGroupString(t *testing.T) {
	tests := []struct {
		name string
		g    domain.MonthGroup
		want string
	}{
		{"odd", domain.OddMonths, "单月"},
		{"even", domain.EvenMonths, "双月"},
		{"none", 0, "未知(0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestValidateCustomerUnitNumbers checks rule ⑶ [003:687] for every pair of
// sequence-number unit and address unit: an address names the unit of its
// 抄表序号 and no other, whether written 5, 05 or 五.
func TestValidateCustomerUnitNumbers(t *testing.T) {
	chinese := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	type writing struct {
		name   string
		format func(unit int) (string, bool)
	}
	writings := []writing{
		{"arabic", func(u int) (string, bool) { return fmt.Sprint(u), true }},
		{"two digits", func(u int) (string, bool) { return fmt.Sprintf("%02d", u), true }},
		{"chinese", func(u int) (string, bool) {
			if u >= len(chinese) {
				return "", false
			}
			return chinese[u], true
		}},
	}
	for _, w := range writings {
		t.Run(w.name, func(t *testing.T) {
			for seqUnit := range 100 {
				for addrUnit := range 100 {
					written, ok := w.format(addrUnit)
					if !ok {
						continue
					}
					c := validCustomer(t)
					c.Seq = domain.SeqNo{Area: domain.AreaNew, Building: domain.BuildingLowRise, Book: 12, Block: 3, Unit: seqUnit, Room: 301}
					c.Address = "幸福小区3幢" + written + "单元301室"
					err := domain.ValidateCustomer(&c, entryDay)
					if broke := err != nil; broke != (seqUnit != addrUnit) {
						t.Fatalf("unit %d, address %q: ValidateCustomer = %v", seqUnit, c.Address, err)
					}
				}
			}
		})
	}
}

func TestUnitInAddressReadsChineseTens(t *testing.T) {
	for _, tc := range []struct {
		addr string
		unit int
		want bool
	}{
		{"江滨花园3幢十一单元1101室", 11, true},
		{"江滨花园3幢二十单元101室", 20, true},
		{"江滨花园3幢二十三单元101室", 23, true},
		{"江滨花园3幢十一单元1101室", 1, false},
		{"江滨花园3幢十单元101室", 10, true},
		{"江滨花园十1幢2单元", 2, true},
	} {
		c := domain.Customer{Address: tc.addr, Seq: domain.SeqNo{Area: domain.AreaNew, Building: domain.BuildingHighRise, Unit: tc.unit}}
		err := domain.ValidateCustomer(&c, time.Time{})
		got := true
		for _, fe := range domain.Fields(err) {
			if fe.Rule == "⑶" {
				got = false
			}
		}
		if got != tc.want {
			t.Errorf("address %q, unit %d: accepted %v, want %v", tc.addr, tc.unit, got, tc.want)
		}
	}
}
