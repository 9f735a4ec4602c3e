package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PayMethod is 缴费方式 [003:683, 801, 851, 865, 1079-1081].
type PayMethod string

// Payment methods named in the sources.
const (
	PayTopUp       PayMethod = "充值"   // IC-card top-up
	PayCash        PayMethod = "现金"   // [003:801]
	PayBankDebit   PayMethod = "银行代缴" // [003:691]
	PayBankCollect PayMethod = "银行托收" // [003:691]
	PayGasTicket   PayMethod = "煤气票"  // [003:851]
	PayCoupon      PayMethod = "优惠券"  // [003:865]
	PayVoucher     PayMethod = "提货券"  // [003:865]
)

// PayMethods lists the known payment methods.
func PayMethods() []PayMethod {
	return []PayMethod{PayTopUp, PayCash, PayBankDebit, PayBankCollect, PayGasTicket, PayCoupon, PayVoucher}
}

// ParsePayMethod reads a known payment method.
func ParsePayMethod(s string) (PayMethod, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "煤气票") || strings.HasPrefix(s, "燃气票") { // "煤气票(优惠券或提货券)" [003:851, 1157]
		return PayGasTicket, nil
	}
	for _, p := range PayMethods() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("未知缴费方式%q", s)
}

// IsBank reports whether p is a bank debit (银行代缴/银行托收).
func (p PayMethod) IsBank() bool { return p == PayBankDebit || p == PayBankCollect }

// MonthGroup is the odd/even reading group (单月/双月) [003:1205]: every
// household is read every two months, in odd or in even months (DESIGN §5.4).
type MonthGroup uint8

// Month groups.
const (
	OddMonths  MonthGroup = 1 // 单月
	EvenMonths MonthGroup = 2 // 双月
)

func (g MonthGroup) String() string {
	return nameOr(map[MonthGroup]string{OddMonths: "单月", EvenMonths: "双月"}[g], int(g))
}

// ParseMonthGroup reads 单月/双月 (or odd/even).
func ParseMonthGroup(s string) (MonthGroup, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "单月", "单", "odd", "1":
		return OddMonths, nil
	case "双月", "双", "even", "2":
		return EvenMonths, nil
	}
	return 0, fmt.Errorf("单双月应为单月或双月,实为%q", s)
}

// ApplyNature is 报装性质 [003:665-667].
type ApplyNature string

// Application natures.
const (
	ApplyCollective ApplyNature = "集体" // fee paid in bulk, e.g. by the developer
	ApplySingle     ApplyNature = "散户" // fee paid at the hall
)

// LostInvoiceDate is the date entered when an application-fee invoice is lost
// [003:697, 771, 723].
var LostInvoiceDate = time.Date(2002, 1, 1, 0, 0, 0, 0, Local)

// Customer is a household (普通用户) with its meter, as in the 普通用户登记
// window and the CIS customers file (DESIGN §6).
type Customer struct {
	ID       string // 用户编号
	Name     string // 用户姓名
	Address  string // 用户地址
	Estate   string // 小区
	Area     string // 区域
	Hall     string // 归属营业厅
	Pay      PayMethod
	Seq      SeqNo // 抄表序号, with its area and building type
	Group    MonthGroup
	Meter    Meter
	Contract bool   // 供气合同 on file
	FeePaid  bool   // 报装费 paid
	Phone    string // 联系电话

	BankCard   string // 银行卡号
	BankName   string // 银行名称
	CardHolder string // 持卡人
	SMSNumber  string // 短信号码
	SMSCarrier string // 短信公司

	Nature     ApplyNature // 报装性质
	AppliedOn  time.Time   // 报装日期 (a date; zero when unknown)
	InvoicedOn time.Time   // 开票日期 (a date; zero when unknown)
}

// Book is the household's route book (抄表册), the first 4 digits of its 抄表序号.
func (c *Customer) Book() string { return c.Seq.BookID() }

// FieldError is a rule broken by one field; the message mirrors the wording of
// the source so that staff recognise it.
type FieldError struct {
	Field  string // the field's Chinese name, as on the screen and in file headers
	Reason string
	Rule   string // "⑴".."⑼" for the registration rules, else ""
	Source string // "[003:683]"
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Rule != "" || e.Source != "" {
		b.WriteString(" (")
		if e.Rule != "" {
			b.WriteString("规则" + e.Rule)
			if e.Source != "" {
				b.WriteString(" ")
			}
		}
		b.WriteString(e.Source)
		b.WriteString(")")
	}
	return b.String()
}

// Fields returns every *FieldError inside err (as joined by errors.Join).
func Fields(err error) []*FieldError {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var out []*FieldError
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, fe)
		}
	}
	return out
}

// ValidateCustomer checks a customer record whenever one is created or changed
// (by import, at the counter, or by a technician on site) against the rules
// ⑴-⑼ of the 普通用户登记 window [003:681-701] and the shape of its fields.
// today is the day of data entry (rule ⑻). It returns every broken rule, joined.
func ValidateCustomer(c *Customer, today time.Time) error {
	var errs []error
	add := func(e *FieldError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	add(checkID(c.ID))
	add(rulePayMethodByKind(c))
	add(ruleName(c.Name))
	add(ruleUnitInAddress(c))
	add(ruleBankTrio(c))
	add(ruleBankByPayMethod(c))
	add(ruleSMS(c))
	add(ruleCollectiveInvoice(c, today))
	add(ruleInvoiceBeforeApply(c))
	if c.Group != OddMonths && c.Group != EvenMonths {
		add(&FieldError{Field: "单双月", Reason: "应为单月或双月"})
	}
	if err := c.Seq.Validate(); err != nil {
		add(&FieldError{Field: "抄表序号", Reason: err.Error(), Source: "[003:1559-1575]"})
	}
	if err := c.Meter.Validate(); err != nil {
		var fe *FieldError
		errors.As(err, &fe)
		add(fe)
	}
	return errors.Join(errs...)
}

func checkID(id string) *FieldError {
	switch {
	case id == "":
		return &FieldError{Field: "用户编号", Reason: "不能为空"}
	case len(id) > 32 || strings.ContainsAny(id, " \t\r\n|/\\"):
		return &FieldError{Field: "用户编号", Reason: fmt.Sprintf("%q不是有效的用户编号(最多32个字符,不含空格和分隔符)", id)}
	}
	return nil
}

// ⑴ IC卡 pays by 充值; 抄表 never does [003:683].
func rulePayMethodByKind(c *Customer) *FieldError {
	const src = "[003:683]"
	switch {
	case c.Meter.Kind == KindIC && c.Pay != PayTopUp:
		return &FieldError{Field: "缴费方式", Reason: "当用户类型为IC卡时,缴费方式应选择充值", Rule: "⑴", Source: src}
	case c.Meter.Kind == KindRead && c.Pay == PayTopUp:
		return &FieldError{Field: "缴费方式", Reason: "当用户类型为抄表时,缴费方式不应选择充值", Rule: "⑴", Source: src}
	}
	return nil
}

// ⑵ no spaces in the name; no name is written 用户 [003:685].
func ruleName(name string) *FieldError {
	const src = "[003:685]"
	switch {
	case name == "":
		return &FieldError{Field: "用户姓名", Reason: "用户姓名若无,可用“用户”表示", Rule: "⑵", Source: src}
	case strings.ContainsFunc(name, isSpace):
		return &FieldError{Field: "用户姓名", Reason: fmt.Sprintf("用户姓名不得出现空格: %q", name), Rule: "⑵", Source: src}
	}
	return nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\u3000' || r == '\t' }

// ⑶ the unit must be recorded correctly in the address [003:687]: for a building
// with units, the address names the unit of its 抄表序号. Villas have no units.
func ruleUnitInAddress(c *Customer) *FieldError {
	if c.Seq.Building == BuildingVilla || c.Seq.Area == 0 || c.Address == "" {
		return nil
	}
	if unitInAddress(c.Address, c.Seq.Unit) {
		return nil
	}
	return &FieldError{Field: "用户地址",
		Reason: fmt.Sprintf("应正确录入单元: 地址%q未写明抄表序号中的%d单元", c.Address, c.Seq.Unit),
		Rule:   "⑶", Source: "[003:687]"}
}

// unitInAddress reports whether some "N单元" in addr names unit, N written in
// Arabic digits ("2单元", "02单元") or Chinese numerals ("二单元", "十一单元").
func unitInAddress(addr string, unit int) bool {
	for rest := addr; ; {
		i := strings.Index(rest, "单元")
		if i < 0 {
			return false
		}
		if n, ok := numeralBefore(rest[:i]); ok && n == unit {
			return true
		}
		rest = rest[i+len("单元"):]
	}
}

// numeralBefore reads the number written at the very end of s.
func numeralBefore(s string) (int, bool) {
	start := len(s)
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:start])
		if !isNumeral(r) {
			break
		}
		start -= size
	}
	digits := s[start:]
	if digits == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(digits); err == nil {
		return n, true
	}
	return chineseNumber(digits)
}

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// chineseNumber reads 一 … 九十九: [tens]十[ones] or a lone digit.
func chineseNumber(s string) (int, bool) {
	tens, ones, seenTen := 0, 0, false
	for _, r := range s {
		switch d, isDigit := cnDigit[r]; {
		case r == '十' && !seenTen:
			seenTen = true
			tens = max(ones, 1) // "十一" is 11, "二十" is 20
			ones = 0
		case isDigit && ones == 0:
			ones = d
		default:
			return 0, false
		}
	}
	return tens*10 + ones, true
}

func isNumeral(r rune) bool {
	_, cn := cnDigit[r]
	return r >= '0' && r <= '9' || r == '十' || cn
}

func bankFilled(c *Customer) (n int) {
	for _, f := range []string{c.BankCard, c.BankName, c.CardHolder} {
		if f != "" {
			n++
		}
	}
	return n
}

// ⑷ the bank card, bank and holder are filled together [003:689].
func ruleBankTrio(c *Customer) *FieldError {
	if n := bankFilled(c); n == 0 || n == 3 {
		return nil
	}
	return &FieldError{Field: missingBankField(c),
		Reason: "如“银行卡号/银行名称/持卡人”3项选项有一项不为空,则其他2项必须填写", Rule: "⑷", Source: "[003:689]"}
}

func missingBankField(c *Customer) string {
	switch {
	case c.BankCard == "":
		return "银行卡号"
	case c.BankName == "":
		return "银行名称"
	}
	return "持卡人"
}

// ⑸ and ⑹: for a 抄表 household, bank fields are filled exactly when it pays by
// bank [003:691-693].
func ruleBankByPayMethod(c *Customer) *FieldError {
	if c.Meter.Kind != KindRead {
		return nil
	}
	n := bankFilled(c)
	switch {
	case c.Pay.IsBank() && n < 3:
		return &FieldError{Field: missingBankField(c),
			Reason: "用户类型为抄表、缴费方式为银行代缴/银行托收时,银行卡号/银行名称/持卡人不应为空", Rule: "⑸", Source: "[003:691]"}
	case !c.Pay.IsBank() && n > 0:
		return &FieldError{Field: "银行卡号",
			Reason: "用户类型为抄表、缴费方式不是银行代缴/银行托收时,银行卡号/银行名称/持卡人应为空", Rule: "⑹", Source: "[003:693]"}
	}
	return nil
}

// ⑺ an SMS number needs its carrier [003:695].
func ruleSMS(c *Customer) *FieldError {
	if c.SMSNumber != "" && c.SMSCarrier == "" {
		return &FieldError{Field: "短信公司", Reason: "如填写“短信号码”选项,则“短信公司”选项必须填写", Rule: "⑺", Source: "[003:695]"}
	}
	return nil
}

// ⑻ a collective application's invoice date is the invoice's own, never the
// day of entry; a lost invoice is dated 2002-01-01 [003:697].
func ruleCollectiveInvoice(c *Customer, today time.Time) *FieldError {
	if c.Nature != ApplyCollective || c.InvoicedOn.IsZero() || today.IsZero() {
		return nil
	}
	if sameDay(c.InvoicedOn, today) {
		return &FieldError{Field: "开票日期",
			Reason: "报装性质为集体时,开票日期不应选择信息输入的当天日期,应选择发票上的开票日期;发票丢失统一选择2002年1月1日",
			Rule:   "⑻", Source: "[003:697]"}
	}
	return nil
}

// ⑼ invoice date ≤ application date [003:699]. A lost invoice is dated
// 2002-01-01 whatever the application's date [003:697]: for an application
// before 2002 the two rules cannot both hold, and the sentinel, which only
// says "invoice lost", is not held to ⑼.
func ruleInvoiceBeforeApply(c *Customer) *FieldError {
	if c.InvoicedOn.IsZero() || c.AppliedOn.IsZero() || !DayOf(c.InvoicedOn).After(DayOf(c.AppliedOn)) {
		return nil
	}
	if DayOf(c.InvoicedOn).Equal(DayOf(LostInvoiceDate)) {
		return nil
	}
	return &FieldError{Field: "开票日期",
		Reason: fmt.Sprintf("开票日期(%s)应小于或等于报装日期(%s)", c.InvoicedOn.Format(DateLayout), c.AppliedOn.Format(DateLayout)),
		Rule:   "⑼", Source: "[003:699]"}
}

// DateLayout is how dates are written in files and messages.
const DateLayout = "2006-01-02"

// sameDay reports whether a and b fall on the same local calendar day.
func sameDay(a, b time.Time) bool { return DayOf(a).Equal(DayOf(b)) }
