package orders

import (
	"slices"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store/storetest"
)

// stateFor is a meter state each business may start from.
var stateFor = map[domain.Business]domain.MeterState{
	domain.BizInstall: domain.StateApplied, domain.BizIgnite: domain.StateInstalled, domain.BizUnseal: domain.StateSealed,
}

func household(biz domain.Business) *domain.Customer {
	c := storetest.Household("c1", 1, 1, 1, 101, domain.OddMonths)
	if s, ok := stateFor[biz]; ok {
		c.Meter.State = s
	}
	return &c
}

func ctxFor(biz domain.Business) Context {
	return Context{Customer: household(biz), Now: now, FutureSkew: 5 * time.Minute}
}

// TestValidReceiptsPass: the base receipt of every type passes, so each
// case below breaks exactly the rule it names.
func TestValidReceiptsPass(t *testing.T) {
	for _, biz := range Types() {
		t.Run(string(biz), func(t *testing.T) {
			if p := ValidateReceipt(valid(biz, "c1", ""), ctxFor(biz)); len(p) != 0 {
				t.Errorf("valid %s receipt: %+v", biz, p)
			}
		})
	}
}

func TestReceiptRules(t *testing.T) {
	tests := []struct {
		name   string
		biz    domain.Business
		change func(r *Receipt, c *Context)
		path   string
		rule   string
	}{
		{"unknown business", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Business = "报装" }, "business", "vocabulary"},
		{"unknown household", domain.BizSeal, func(_ *Receipt, c *Context) { c.Customer = nil }, "customer_id", "exists"},
		{"no household", domain.BizSeal, func(r *Receipt, _ *Context) { r.CustomerID = "" }, "customer_id", "required"},
		{"bad id", domain.BizSeal, func(r *Receipt, _ *Context) { r.ID = "a b" }, "id", "format"},
		{"outcome missing", domain.BizSeal, func(r *Receipt, _ *Context) { r.Outcome = "" }, "outcome", "required"},
		{"outcome unknown", domain.BizSeal, func(r *Receipt, _ *Context) { r.Outcome = "好" }, "outcome", "vocabulary"},
		{"不合格 on 换表", domain.BizExchange, func(r *Receipt, _ *Context) { r.Outcome = Failed }, "outcome", "vocabulary"},
		{"不合格 on 封表", domain.BizSeal, func(r *Receipt, _ *Context) { r.Outcome = Failed }, "outcome", "vocabulary"},
		{"不合格 on 启封", domain.BizUnseal, func(r *Receipt, _ *Context) { r.Outcome = Failed }, "outcome", "vocabulary"},
		{"不合格 on 校表", domain.BizTest, func(r *Receipt, _ *Context) { r.Outcome = Failed }, "outcome", "vocabulary"},
		{"无法实施 on 安装", domain.BizInstall, func(r *Receipt, _ *Context) { r.Outcome, r.Remark = Impossible, "x" }, "outcome", "vocabulary"},
		{"完成 without 进户管改装", domain.BizModify, func(r *Receipt, _ *Context) { r.Outcome = Done }, "outcome", "vocabulary"},
		{"variant on another type", domain.BizSeal, func(r *Receipt, _ *Context) { r.Variant = VariantInletPipe }, "variant", "vocabulary"},
		{"未完成 needs 现场备注", domain.BizInstall, func(r *Receipt, _ *Context) { r.Outcome = Unfinished }, "remark", "required"},
		{"无法实施 needs 现场备注", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Outcome = Impossible }, "remark", "required"},
		{"取消该业务 needs 现场备注", domain.BizSeal, func(r *Receipt, _ *Context) { r.Outcome = Cancel }, "remark", "required"},
		{"业务有效 unchecked must cancel", domain.BizSeal, func(r *Receipt, _ *Context) { r.BusinessValid = b(false) }, "business_valid", "cancel"},
		{"remark too long", domain.BizSeal, func(r *Receipt, _ *Context) { r.Remark = string(make([]rune, 501)) }, "remark", "length"},
		{"到场 required", domain.BizSeal, func(r *Receipt, _ *Context) { r.ArrivedAt = time.Time{} }, "arrived_at", "required"},
		{"实施结束 required", domain.BizSeal, func(r *Receipt, _ *Context) { r.EndedAt = time.Time{} }, "ended_at", "required"},
		{"实施 required on 统一换表", domain.BizBulkExchange, func(r *Receipt, _ *Context) { r.StartedAt = time.Time{} }, "started_at", "required"},
		{"离开 required on 统一换表", domain.BizBulkExchange, func(r *Receipt, _ *Context) { r.LeftAt = time.Time{} }, "left_at", "required"},
		{"离开 required on 更换调压器", domain.BizRegulator, func(r *Receipt, _ *Context) { r.LeftAt = time.Time{} }, "left_at", "required"},
		{"times required when 未完成", domain.BizSeal, func(r *Receipt, _ *Context) {
			r.Outcome, r.Remark, r.ArrivedAt = Unfinished, "用户不在家", time.Time{}
		}, "arrived_at", "required"},
		{"times out of order", domain.BizSeal, func(r *Receipt, _ *Context) { r.EndedAt = arrived.Add(-time.Minute) }, "ended_at", "order"},
		{"departure before end", domain.BizSeal, func(r *Receipt, _ *Context) { r.LeftAt = ended.Add(-time.Minute) }, "left_at", "order"},
		{"time in the future", domain.BizSeal, func(r *Receipt, _ *Context) { r.EndedAt = now.Add(10 * time.Minute) }, "ended_at", "future"},
		{"visit over a day", domain.BizSeal, func(r *Receipt, _ *Context) { r.ArrivedAt = ended.Add(-25 * time.Hour) }, "left_at", "span"},
		{"安装 meter model", domain.BizInstall, func(r *Receipt, _ *Context) { r.Meter.Model = "" }, "meter.model", "required"},
		{"安装 direction", domain.BizInstall, func(r *Receipt, _ *Context) { r.Meter.Direction = "" }, "meter.direction", "required"},
		{"安装 base reading", domain.BizInstall, func(r *Receipt, _ *Context) { r.Meter.BaseM3 = nil }, "meter.base_m3", "required"},
		{"安装 photo", domain.BizInstall, func(r *Receipt, _ *Context) { r.Attachments = nil }, "attachments", "photo"},
		{"点火 reading", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Meter.ReadingM3 = nil }, "meter.reading_m3", "required"},
		{"点火 cooker", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Appliances = nil }, "appliances", "required"},
		{"点火 flame-out unknown", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Appliances[0].FlameOut = nil }, "appliances[0].flame_out", "required"},
		{"点火 no flame-out protection", domain.BizReignite, func(r *Receipt, _ *Context) { r.Appliances[0].FlameOut = b(false) }, "appliances[0].flame_out", "flame_out"},
		{"appliance kind", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Appliances[0].Kind = "冰箱" }, "appliances[0].kind", "vocabulary"},
		{"appliance year", domain.BizIgnite, func(r *Receipt, _ *Context) { r.Appliances[0].Year = 2030 }, "appliances[0].year", "range"},
		{"封表 settlement", domain.BizSeal, func(r *Receipt, _ *Context) { r.SettleM3 = nil }, "settle_m3", "required"},
		{"拆表 reason", domain.BizRemove, func(r *Receipt, _ *Context) { r.Reason = "" }, "reason", "required"},
		{"启封 settlement", domain.BizUnseal, func(r *Receipt, _ *Context) { r.SettleM3 = nil }, "settle_m3", "required"},
		{"settlement negative", domain.BizSeal, func(r *Receipt, _ *Context) { r.SettleM3 = f(-1) }, "settle_m3", "range"},
		{"校表 before", domain.BizTest, func(r *Receipt, _ *Context) { r.Test.BeforeM3 = nil }, "test.before_m3", "required"},
		{"校表 temp meter", domain.BizTest, func(r *Receipt, _ *Context) { r.Test.TempMeterNo = "" }, "test.temp_meter_no", "required"},
		{"校表 result", domain.BizTest, func(r *Receipt, _ *Context) { r.Test.Result = "好" }, "test.result", "vocabulary"},
		{"换表 old reading", domain.BizExchange, func(r *Receipt, _ *Context) { r.Exchange.OldFinalM3 = nil }, "exchange.old_final_m3", "required"},
		{"换表 new reading", domain.BizExchange, func(r *Receipt, _ *Context) { r.Exchange.NewStartM3 = nil }, "exchange.new_start_m3", "required"},
		{"换表 model", domain.BizExchange, func(r *Receipt, _ *Context) { r.Exchange.Model = "" }, "exchange.model", "required"},
		{"换表 new reading beyond dial", domain.BizExchange, func(r *Receipt, _ *Context) { r.Exchange.NewStartM3 = f(100000) }, "exchange.new_start_m3", "dial"},
		{"换表 IC volumes", domain.BizExchange, func(_ *Receipt, c *Context) {
			c.Customer.Meter.Kind, c.Customer.Pay = domain.KindIC, domain.PayTopUp
		}, "exchange.ic_actual_m3", "required"},
		{"统一换表 signature", domain.BizBulkExchange, func(r *Receipt, _ *Context) { r.Attachments = nil }, "attachments", "signature"},
		{"更换调压器 signature", domain.BizRegulator, func(r *Receipt, _ *Context) { r.Attachments = nil }, "attachments", "signature"},
		{"attachment digest", domain.BizRegulator, func(r *Receipt, _ *Context) { r.Attachments[0].SHA256 = "ABC" }, "attachments[0].sha256", "format"},
		{"attachment kind", domain.BizRegulator, func(r *Receipt, _ *Context) { r.Attachments[0].Kind = "video" }, "attachments[0].kind", "vocabulary"},
		{"波纹管 or remark", domain.BizHose, func(r *Receipt, _ *Context) { r.Hose = nil }, "hose", "required"},
		{"波纹管 length", domain.BizHose, func(r *Receipt, _ *Context) { r.Hose.LengthM = 0 }, "hose.length_m", "range"},
		{"整改 kind", domain.BizRectify, func(r *Receipt, _ *Context) { r.Rectification.Kind = "未整改" }, "rectification.kind", "vocabulary"},
		{"整改 conclusion", domain.BizRectify, func(r *Receipt, _ *Context) { r.Rectification.Conclusion = "" }, "rectification.conclusion", "vocabulary"},
		{"整改 year", domain.BizRectify, func(r *Receipt, _ *Context) { r.Rectification.Year = 0 }, "rectification.year", "required"},
		{"consumable name", domain.BizModify, func(r *Receipt, _ *Context) { r.Consumables = []Consumable{{Qty: 1}} }, "consumables[0].name", "required"},
		{"consumable qty", domain.BizModify, func(r *Receipt, _ *Context) { r.Consumables = []Consumable{{Name: "胶管"}} }, "consumables[0].qty", "range"},
		{"fee negative", domain.BizModify, func(r *Receipt, _ *Context) { r.Fee = &Fee{Yuan: -5, ReceivedBy: "x"} }, "fee.yuan", "range"},
		{"fee cents", domain.BizModify, func(r *Receipt, _ *Context) { r.Fee = &Fee{Yuan: 1.234, ReceivedBy: "x"} }, "fee.yuan", "precision"},
		{"fee payee", domain.BizModify, func(r *Receipt, _ *Context) { r.Fee = &Fee{Yuan: 80} }, "fee.received_by", "required"},
		{"meter state: 点火 on 通气", domain.BizIgnite, func(_ *Receipt, c *Context) { c.Customer.Meter.State = domain.StateGasOn }, "business", "meter_state"},
		{"meter state: 启封 on 通气", domain.BizUnseal, func(_ *Receipt, c *Context) { c.Customer.Meter.State = domain.StateGasOn }, "business", "meter_state"},
		{"meter state: 封表 on 拆表", domain.BizSeal, func(_ *Receipt, c *Context) { c.Customer.Meter.State = domain.StateRemoved }, "business", "meter_state"},
		{"phone format", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{Phone: "abc"} }, "customer.phone", "format"},
		{"rule ⑴: 抄表 may not 充值", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{PayMethod: "充值"} }, "customer.pay_method", "rule⑴"},
		{"rule ⑸: bank debit needs the card", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{PayMethod: "银行代缴"} }, "customer.bank_card", "rule⑸"},
		{"rule ⑷: bank trio", domain.BizSeal, func(r *Receipt, _ *Context) {
			r.Customer = &CustomerChange{PayMethod: "银行代缴", BankCard: "6222000011112222"}
		}, "customer.bank_name", "rule⑷"},
		{"rule ⑺: SMS carrier", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{SMSNumber: "13900000000"} }, "customer.sms_carrier", "rule⑺"},
		{"pay method unknown", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{PayMethod: "支付宝"} }, "customer.pay_method", "vocabulary"},
		{"order mismatch", domain.BizSeal, func(r *Receipt, c *Context) {
			o := orderFor(r)
			o.Business = string(domain.BizUnseal)
			c.Order = &o
		}, "business", "mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, c := valid(tc.biz, "c1", ""), ctxFor(tc.biz)
			tc.change(&r, &c)
			got := ValidateReceipt(r, c)
			if !slices.ContainsFunc(got, func(p Problem) bool { return p.Path == tc.path && p.Rule == tc.rule }) {
				t.Errorf("want %s/%s, got %+v", tc.path, tc.rule, got)
			}
			for _, p := range got {
				if p.Message == "" {
					t.Errorf("problem %s/%s has no message", p.Path, p.Rule)
				}
			}
		})
	}
}

// TestReceiptsAccepted: outcomes and values the rules allow.
func TestReceiptsAccepted(t *testing.T) {
	tests := []struct {
		name   string
		biz    domain.Business
		change func(r *Receipt, c *Context)
	}{
		{"进户管改装 完成", domain.BizModify, func(r *Receipt, _ *Context) { r.Variant, r.Outcome = VariantInletPipe, Done }},
		{"cancel with no visit", domain.BizIgnite, func(r *Receipt, _ *Context) {
			*r = Receipt{CustomerID: "c1", Business: r.Business, Outcome: Cancel, Remark: "无法联系到该用户,且该业务已到期"}
		}},
		{"业务有效 unchecked", domain.BizIgnite, func(r *Receipt, _ *Context) {
			*r = Receipt{CustomerID: "c1", Business: r.Business, Outcome: Cancel, BusinessValid: b(false), Remark: "用户出差,等用户电话"}
		}},
		{"无法实施 with no visit", domain.BizIgnite, func(r *Receipt, _ *Context) {
			*r = Receipt{CustomerID: "c1", Business: r.Business, Outcome: Impossible, Remark: "该业务原施工人员休息,无法实施业务需重新派工"}
		}},
		{"未完成 skips the form", domain.BizExchange, func(r *Receipt, _ *Context) { r.Outcome, r.Remark, r.Exchange = Unfinished, "用户不在家", nil }},
		{"time within the skew", domain.BizSeal, func(r *Receipt, _ *Context) { r.EndedAt = now.Add(4 * time.Minute) }},
		{"all four times", domain.BizSeal, func(r *Receipt, _ *Context) { r.StartedAt, r.LeftAt = arrived.Add(time.Minute), ended.Add(time.Minute) }},
		{"phone change", domain.BizSeal, func(r *Receipt, _ *Context) { r.Customer = &CustomerChange{Phone: "0577-88511111"} }},
		{"bank debit sign-up", domain.BizSeal, func(r *Receipt, _ *Context) {
			r.Customer = &CustomerChange{PayMethod: "银行代缴", BankCard: "6222000011112222", BankName: "温州银行", CardHolder: "张三"}
		}},
		{"a record wrong elsewhere does not block", domain.BizSeal, func(r *Receipt, c *Context) {
			c.Customer.Name = "张 三" // breaks ⑵ already
			r.Customer = &CustomerChange{Phone: "13900000000"}
		}},
		{"其它 with a remark", domain.BizHose, func(r *Receipt, _ *Context) { r.Hose, r.Remark = nil, "更换灶前阀" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, c := valid(tc.biz, "c1", ""), ctxFor(tc.biz)
			tc.change(&r, &c)
			if got := ValidateReceipt(r, c); len(got) != 0 {
				t.Errorf("refused: %+v", got)
			}
		})
	}
}
