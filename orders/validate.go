package orders

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"meter-sync/domain"
)

// maxVisit bounds the time from arrival to departure of one visit.
const maxVisit = 24 * time.Hour

// problems collects the rules a receipt breaks.
type problems []Problem

func (p *problems) add(path, rule, source, format string, args ...any) {
	*p = append(*p, Problem{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...), Source: source})
}

func (p *problems) required(path, name, source string) {
	p.add(path, "required", source, "须填写%s", name)
}

// ValidateReceipt returns every rule of DOMAIN §4.3-4.5 that r breaks in
// context c, none for a valid receipt. It is pure: the caller reads the
// household and the order. Receipt JSON paths name the fields.
func ValidateReceipt(r Receipt, c Context) []Problem {
	var p problems
	spec, ok := SpecOf(domain.Business(r.Business))
	p.identity(r, c, ok)
	if !ok {
		return p
	}
	outcome := p.outcome(r, spec)
	p.times(r, spec, outcome, c)
	if completes(outcome) {
		p.forms(r, spec, c)
		p.transition(r, c)
	}
	p.values(r, c)
	p.customerChange(r, c)
	return p
}

// identity: the receipt names a known household, a work-order business, and
// agrees with its order.
func (p *problems) identity(r Receipt, c Context, known bool) {
	if len(r.ID) > 64 || strings.IndexFunc(r.ID, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) >= 0 {
		p.add("id", "format", "", "回执编号应为最多64个字母、数字、横线或下划线")
	}
	switch {
	case r.CustomerID == "":
		p.required("customer_id", "用户编号", "")
	case c.Customer == nil:
		p.add("customer_id", "exists", "", "用户%q不存在", r.CustomerID)
	}
	if !known {
		p.add("business", "vocabulary", "DOMAIN §4.3", "业务类型%q不是派工业务(应为%s)", r.Business, typeList())
	}
	if o := c.Order; o != nil {
		if r.OrderID != o.ID {
			p.add("order_id", "mismatch", "", "回执的派工单号%q与派工单%s不符", r.OrderID, o.ID)
		}
		if r.CustomerID != o.CustomerID {
			p.add("customer_id", "mismatch", "", "派工单%s的用户为%s,回执为%s", o.ID, o.CustomerID, r.CustomerID)
		}
		if known && r.Business != o.Business {
			p.add("business", "mismatch", "", "派工单%s的业务为%s,回执为%s", o.ID, o.Business, r.Business)
		}
	}
	if r.Variant != "" && !(r.Variant == VariantInletPipe && r.Business == string(domain.BizModify)) {
		p.add("variant", "vocabulary", "[003:1381-1387]", "业务细分%q只能是改装的进户管改装", r.Variant)
	}
	if n := utf8.RuneCountInString(r.Remark); n > maxNote {
		p.add("remark", "length", "", "现场备注不能超过%d字", maxNote)
	}
}

// outcome checks the outcome against the type's vocabulary and the remark
// it needs, and returns it.
func (p *problems) outcome(r Receipt, spec Spec) string {
	o := r.Outcome
	switch {
	case o == "":
		p.add("outcome", "required", "[003:1365]", "须选择回执结果(合格、未完成、…)")
	case o == Failed && !spec.Allows(Failed):
		p.add("outcome", "vocabulary", "[003:1403, 1421, 1437, 1455]", "%s的回执没有不合格,未完成或不合格均记为未完成", spec.Business)
	case o == Done && r.Variant != VariantInletPipe:
		p.add("outcome", "vocabulary", "[003:1387]", "完成只用于安装队完成的进户管改装;其它业务请选合格")
	case !spec.Allows(o):
		p.add("outcome", "vocabulary", spec.Source, "%s的回执结果应为%s,实为%q", spec.Business, strings.Join(spec.Outcomes, "、"), o)
	}
	if r.BusinessValid != nil && !*r.BusinessValid && o != Cancel {
		p.add("business_valid", "cancel", "[003:1531]", "取消业务有效时回执结果应为取消该业务")
	}
	if remarkRequired(o) && strings.TrimSpace(r.Remark) == "" {
		p.add("remark", "required", "[003:1367, 1475, 1525, 1529]", "回执结果为%s时须填写现场备注", o)
	}
	return o
}

var timeNames = []struct {
	f    timeField
	path string
	name string
	get  func(r *Receipt) time.Time
}{
	{tArrived, "arrived_at", "到场时间", func(r *Receipt) time.Time { return r.ArrivedAt }},
	{tStarted, "started_at", "实施时间", func(r *Receipt) time.Time { return r.StartedAt }},
	{tEnded, "ended_at", "实施结束时间", func(r *Receipt) time.Time { return r.EndedAt }},
	{tLeft, "left_at", "离开时间", func(r *Receipt) time.Time { return r.LeftAt }},
}

// times: the times the type needs when work was done on site [003:1303,
// 1331, 1363], in order, none in the future beyond the skew tolerance, one
// visit at most a day long.
func (p *problems) times(r Receipt, spec Spec, outcome string, c Context) {
	var prev time.Time
	prevName := ""
	var first, last time.Time
	for _, tn := range timeNames {
		t := tn.get(&r)
		if t.IsZero() {
			if worked(outcome) && outcome != "" && spec.times&tn.f != 0 {
				p.add(tn.path, "required", spec.Source, "%s回执须填写%s", spec.Business, tn.name)
			}
			continue
		}
		if !c.Now.IsZero() && t.After(c.Now.Add(c.FutureSkew)) {
			p.add(tn.path, "future", "DESIGN §5.8", "%s晚于服务器时间%s", tn.name, c.Now.In(domain.Local).Format("2006-01-02 15:04"))
		}
		if !prev.IsZero() && t.Before(prev) {
			p.add(tn.path, "order", "DOMAIN §4.4", "%s不能早于%s", tn.name, prevName)
		}
		if first.IsZero() {
			first = t
		}
		prev, prevName, last = t, tn.name, t
	}
	if !first.IsZero() && last.Sub(first) > maxVisit {
		p.add("left_at", "span", "", "一次上门从到场到离开不能超过24小时")
	}
}

// forms: the per-type form data a completed receipt needs (DOMAIN §4.4).
func (p *problems) forms(r Receipt, spec Spec, c Context) {
	m := r.Meter
	if m == nil {
		m = &MeterForm{}
	}
	switch spec.Business {
	case domain.BizInstall:
		p.meterFields(m, "[003:1375]", true)
	case domain.BizIgnite, domain.BizReignite:
		p.meterFields(m, "[003:1483]", false)
		if m.ReadingM3 == nil {
			p.required("meter.reading_m3", "表读数(最新方数)", "[003:1485]")
		}
		p.cookers(r, spec.Business == domain.BizIgnite)
	case domain.BizSeal, domain.BizRemove, domain.BizUnseal:
		if r.SettleM3 == nil {
			p.required("settle_m3", "结算方数", "[003:1427, 1443]")
		}
		if spec.Business != domain.BizUnseal && strings.TrimSpace(r.Reason) == "" {
			p.required("reason", "原因", "[003:1427]")
		}
	case domain.BizTest:
		t := r.Test
		if t == nil {
			t = &TestForm{}
		}
		if t.BeforeM3 == nil {
			p.required("test.before_m3", "校表前度数", "[003:1461]")
		}
		if t.SettledM3 == nil {
			p.required("test.settled_m3", "已结算至方数", "[003:1461]")
		}
		if strings.TrimSpace(t.TempModel) == "" {
			p.required("test.temp_model", "临时表型号", "[003:1461]")
		}
		if strings.TrimSpace(t.TempMeterNo) == "" {
			p.required("test.temp_meter_no", "临时表号", "[003:1461]")
		}
	case domain.BizExchange, domain.BizBulkExchange:
		p.exchange(r, c)
	case domain.BizHose:
		if r.Hose == nil && strings.TrimSpace(r.Remark) == "" {
			p.add("hose", "required", "[003:1039, 1519]", "换波纹管须填写波纹管长度;其它业务须在现场备注中写明所做的工作")
		}
	case domain.BizRectify:
		p.rectification(r.Rectification)
	}
	if spec.Signature && !hasAttachment(r, "signature") {
		p.add("attachments", "signature", sigSource(spec.Business), "%s须有用户签字", spec.Business)
	}
	if spec.Photo && !hasAttachment(r, "photo") {
		p.add("attachments", "photo", "[003:1343-1357]", "%s须有安装照片", spec.Business)
	}
}

func sigSource(b domain.Business) string {
	if b == domain.BizBulkExchange {
		return "[003:1287]"
	}
	return "[003:1317]"
}

func (p *problems) meterFields(m *MeterForm, source string, base bool) {
	if strings.TrimSpace(m.Model) == "" {
		p.required("meter.model", "燃气表型号", source)
	}
	if strings.TrimSpace(m.Direction) == "" {
		p.required("meter.direction", "表方向", source)
	}
	if base && m.BaseM3 == nil {
		p.required("meter.base_m3", "表底数", source)
	}
}

// cookers: a cooker without flame-out protection is not given gas; the
// business is cancelled to wait for the customer's call [003:673, 1533]. A
// first ignition records the cooker [003:1485].
func (p *problems) cookers(r Receipt, needCooker bool) {
	seen := false
	for i, a := range r.Appliances {
		if a.Kind != "灶具" {
			continue
		}
		seen = true
		switch {
		case a.FlameOut == nil:
			p.add(fmt.Sprintf("appliances[%d].flame_out", i), "required", "[003:1485]", "须填写灶具是否有熄火保护装置")
		case !*a.FlameOut:
			p.add(fmt.Sprintf("appliances[%d].flame_out", i), "flame_out", "[003:673, 1533]",
				"灶具无熄火保护装置不予通气:请取消业务有效,现场备注\"该户灶具无熄火保护装置,用户需更换。等用户电话\"")
		}
	}
	if needCooker && !seen {
		p.add("appliances", "required", "[003:1485]", "点火须登记灶具(品牌、是否有熄火保护装置、启用年度)")
	}
}

// exchange: 换表单 [003:1409-1411].
func (p *problems) exchange(r Receipt, c Context) {
	x := r.Exchange
	if x == nil {
		x = &ExchangeForm{}
	}
	if x.OldFinalM3 == nil {
		p.required("exchange.old_final_m3", "表实际读数", "[003:1409]")
	}
	if x.NewStartM3 == nil {
		p.required("exchange.new_start_m3", "新表读数", "[003:1409]")
	}
	if strings.TrimSpace(x.Model) == "" {
		p.required("exchange.model", "新表燃气表型号", "[003:1411]")
	}
	if strings.TrimSpace(x.Direction) == "" {
		p.required("exchange.direction", "表方向", "[003:1411]")
	}
	if c.Customer != nil && c.Customer.Meter.Kind == domain.KindIC {
		for _, f := range []struct {
			v          *float64
			path, name string
		}{{x.ICActualM3, "exchange.ic_actual_m3", "表实际方数"}, {x.ICToppedM3, "exchange.ic_topped_m3", "充值方数"},
			{x.ICRefillM3, "exchange.ic_to_refill_m3", "需补气方数"}} {
			if f.v == nil {
				p.required(f.path, f.name+"(IC卡表)", "[003:1411]")
			}
		}
	}
}

func (p *problems) rectification(f *RectificationForm) {
	if f == nil {
		f = &RectificationForm{}
	}
	src := "[003:1499-1507]"
	if f.Year == 0 {
		p.required("rectification.year", "安检年度", src)
	}
	if f.Kind != "整改完成" {
		p.add("rectification.kind", "vocabulary", src, "整改类型应为整改完成")
	}
	if f.Date.IsZero() {
		p.required("rectification.date", "整改日期", src)
	}
	if strings.TrimSpace(f.Result) == "" {
		p.required("rectification.result", "整改结果", src)
	}
	if f.Conclusion != "通过" {
		p.add("rectification.conclusion", "vocabulary", src, "安检结论应为通过")
	}
}

// transition: the meter-state machine allows the business from the
// household's state (DOMAIN §1.4, domain.Apply).
func (p *problems) transition(r Receipt, c Context) {
	if c.Customer == nil {
		return
	}
	if _, err := domain.Apply(c.Customer.Meter.State, domain.Business(r.Business)); err != nil {
		var te *domain.TransitionError
		if errors.As(err, &te) {
			p.add("business", "meter_state", te.Rule, "%s", te.Error())
		} else {
			p.add("business", "meter_state", "", "%v", err)
		}
	}
}

func hasAttachment(r Receipt, kind string) bool {
	return slices.ContainsFunc(r.Attachments, func(a Attachment) bool { return a.Kind == kind })
}

// values: every value present is a possible one, whatever the outcome.
func (p *problems) values(r Receipt, c Context) {
	vol := func(path, name string, v *float64) {
		if v != nil {
			p.volume(path, name, *v)
		}
	}
	if m := r.Meter; m != nil {
		vol("meter.base_m3", "表底数", m.BaseM3)
		vol("meter.reading_m3", "表读数", m.ReadingM3)
		p.digits("meter.dial_digits", m.DialDigits)
		p.text("meter.model", "燃气表型号", m.Model, 32)
		p.text("meter.direction", "表方向", m.Direction, 16)
	}
	if x := r.Exchange; x != nil {
		vol("exchange.old_final_m3", "表实际读数", x.OldFinalM3)
		vol("exchange.new_start_m3", "新表读数", x.NewStartM3)
		vol("exchange.ic_actual_m3", "表实际方数", x.ICActualM3)
		vol("exchange.ic_topped_m3", "充值方数", x.ICToppedM3)
		vol("exchange.ic_to_refill_m3", "需补气方数", x.ICRefillM3)
		p.digits("exchange.dial_digits", x.DialDigits)
		p.text("exchange.model", "燃气表型号", x.Model, 32)
		if x.NewStartM3 != nil {
			digits := x.DialDigits
			if digits == 0 && c.Customer != nil {
				digits = c.Customer.Meter.DialDigits
			}
			if digits >= 3 && digits <= 9 && *x.NewStartM3 >= math.Pow10(digits) {
				p.add("exchange.new_start_m3", "dial", "", "新表读数%g超出%d位表盘", *x.NewStartM3, digits)
			}
		}
	}
	vol("settle_m3", "结算方数", r.SettleM3)
	p.text("reason", "原因", r.Reason, maxNote)
	if t := r.Test; t != nil {
		vol("test.before_m3", "校表前度数", t.BeforeM3)
		vol("test.settled_m3", "已结算至方数", t.SettledM3)
		if t.Result != "" && t.Result != "合格" && t.Result != "不合格" {
			p.add("test.result", "vocabulary", "DOMAIN §7.13", "检测结果应为合格或不合格(未出结果时不填)")
		}
	}
	p.appliances(r.Appliances, c.Now)
	if h := r.Hose; h != nil && (h.LengthM <= 0 || h.LengthM > 20 || math.IsNaN(h.LengthM)) {
		p.add("hose.length_m", "range", "[003:1039]", "波纹管长度应大于0且不超过20米")
	}
	for i, x := range r.Consumables {
		if strings.TrimSpace(x.Name) == "" {
			p.required(fmt.Sprintf("consumables[%d].name", i), "耗材名称", "[003:1375]")
		}
		if !(x.Qty > 0) || math.IsInf(x.Qty, 0) {
			p.add(fmt.Sprintf("consumables[%d].qty", i), "range", "", "耗材数量应大于0")
		}
	}
	if f := r.Fee; f != nil {
		switch {
		case !(f.Yuan >= 0) || math.IsInf(f.Yuan, 0) || f.Yuan > 1e6:
			p.add("fee.yuan", "range", "", "费用应为0到1000000元")
		case math.Abs(f.Yuan*100-math.Round(f.Yuan*100)) > 1e-6:
			p.add("fee.yuan", "precision", "", "费用最多两位小数")
		}
		if f.Yuan > 0 && strings.TrimSpace(f.ReceivedBy) == "" {
			p.required("fee.received_by", "收讫人", "[003:1375]")
		}
	}
	for i, a := range r.Attachments {
		if a.Kind != "photo" && a.Kind != "signature" {
			p.add(fmt.Sprintf("attachments[%d].kind", i), "vocabulary", "", "附件类型应为photo或signature")
		}
		if !isSHA256(a.SHA256) {
			p.add(fmt.Sprintf("attachments[%d].sha256", i), "format", "", "附件须以SHA-256(64位小写十六进制)引用")
		}
	}
	if len(r.Attachments) > 100 || len(r.Consumables) > 100 || len(r.Appliances) > 20 {
		p.add("", "size", "", "附件、耗材或燃气具条目过多")
	}
}

func (p *problems) volume(path, name string, v float64) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.add(path, "number", "", "%s不是有效数字", name)
	case v < 0:
		p.add(path, "range", "", "%s不能为负数,实为%g", name, v)
	case v >= 1e9:
		p.add(path, "range", "", "%s超出表盘", name)
	}
}

func (p *problems) digits(path string, d int) {
	if d != 0 && (d < 3 || d > 9) {
		p.add(path, "range", "DESIGN §6", "表盘位数应为3到9位,实为%d", d)
	}
}

func (p *problems) text(path, name, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		p.add(path, "length", "", "%s不能超过%d字", name, max)
	}
}

var applianceKinds = []string{"灶具", "热水器", "供热"}

func (p *problems) appliances(as []Appliance, now time.Time) {
	for i, a := range as {
		at := func(f string) string { return fmt.Sprintf("appliances[%d].%s", i, f) }
		if !slices.Contains(applianceKinds, a.Kind) {
			p.add(at("kind"), "vocabulary", "[003:1485]", "燃气具类型应为灶具、热水器或供热")
		}
		if a.Year != 0 && (a.Year < 1950 || !now.IsZero() && a.Year > now.In(domain.Local).Year()) {
			p.add(at("year"), "range", "[003:1485]", "启用年度%d不合理", a.Year)
		}
		if a.RatedLPM < 0 || a.RatedLPM > 100 || math.IsNaN(a.RatedLPM) {
			p.add(at("rated_lpm"), "range", "[003:1485]", "额定出水量应为0到100升/分钟")
		}
		if a.RatedPower < 0 || a.RatedPower > 1000 || math.IsNaN(a.RatedPower) {
			p.add(at("rated_kw"), "range", "[003:1485]", "额定功率应为0到1000千瓦")
		}
		p.text(at("brand"), "品牌", a.Brand, 32)
	}
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// customerChange: what the technician changed in the household passes rules
// ⑴-⑼ (domain.ValidateCustomer, DESIGN §5.13). Only problems the change
// brings are reported: a record already wrong elsewhere does not stop a
// receipt.
func (p *problems) customerChange(r Receipt, c Context) {
	ch := r.Customer
	if ch == nil || c.Customer == nil {
		return
	}
	if ch.Phone != "" && !isPhone(ch.Phone) {
		p.add("customer.phone", "format", "[003:1483]", "联系电话应为7到20位数字(可含-)")
	}
	if ch.SMSNumber != "" && !isPhone(ch.SMSNumber) {
		p.add("customer.sms_number", "format", "[003:695]", "短信号码应为7到20位数字(可含-)")
	}
	if ch.PayMethod != "" {
		if _, err := domain.ParsePayMethod(ch.PayMethod); err != nil {
			p.add("customer.pay_method", "vocabulary", "[003:683]", "%v", err)
			return
		}
	}
	after := *c.Customer
	if err := applyCustomerChange(&after, ch); err != nil {
		return
	}
	was := map[string]bool{}
	for _, fe := range domain.Fields(domain.ValidateCustomer(c.Customer, c.Now)) {
		was[fe.Field+fe.Rule+fe.Reason] = true
	}
	for _, fe := range domain.Fields(domain.ValidateCustomer(&after, c.Now)) {
		if !was[fe.Field+fe.Rule+fe.Reason] {
			rule := "customer"
			if fe.Rule != "" {
				rule = "rule" + fe.Rule
			}
			p.add(customerPath(fe.Field), rule, fe.Source, "%s", fe.Error())
		}
	}
}

var customerPaths = map[string]string{"联系电话": "customer.phone", "缴费方式": "customer.pay_method", "银行卡号": "customer.bank_card",
	"银行名称": "customer.bank_name", "持卡人": "customer.card_holder", "短信号码": "customer.sms_number", "短信公司": "customer.sms_carrier"}

func customerPath(field string) string {
	if p, ok := customerPaths[field]; ok {
		return p
	}
	return "customer"
}

func isPhone(s string) bool {
	n := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '-':
		default:
			return false
		}
	}
	return n >= 7 && n <= 20
}

// applyCustomerChange writes the change's non-empty fields into c.
func applyCustomerChange(c *domain.Customer, ch *CustomerChange) error {
	if ch.Phone != "" {
		c.Phone = ch.Phone
	}
	if ch.PayMethod != "" {
		pm, err := domain.ParsePayMethod(ch.PayMethod)
		if err != nil {
			return err
		}
		if c.Pay != pm && !pm.IsBank() {
			// leaving bank debit empties the card fields (rule ⑹ [003:693])
			c.BankCard, c.BankName, c.CardHolder = "", "", ""
		}
		c.Pay = pm
	}
	for _, f := range []struct {
		to *string
		v  string
	}{{&c.BankCard, ch.BankCard}, {&c.BankName, ch.BankName}, {&c.CardHolder, ch.CardHolder},
		{&c.SMSNumber, ch.SMSNumber}, {&c.SMSCarrier, ch.SMSCarrier}} {
		if f.v != "" {
			*f.to = f.v
		}
	}
	return nil
}
