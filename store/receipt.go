package store

import "time"

// Receipt statuses (ReceiptRecord.Status); the list is append-only.
const (
	ReceiptAccepted = "已受理" // applied to its order
	ReceiptRejected = "未通过" // broke a rule; kept for the back office with its problems
	ReceiptConflict = "冲突"  // the order was voided, cancelled, reassigned or completed meanwhile; kept, not applied
)

// Receipt is a work-order receipt (回执, DOMAIN §4.4) as a technician's
// tablet or a clerk enters it: the outcome, the times, the per-type form
// data, changes to the customer record, and references to photos and
// signatures. It is also the JSON body the tablets push (package orders
// decodes and validates it). Absent optional values are omitted; times are
// RFC 3339.
type Receipt struct {
	// ID is the receipt's identity, made by the client (a UUID) or given by
	// the store; every correction is a new version of the same ID.
	ID string `json:"id,omitempty"`
	// OrderID is the 派工单号; "" for work done with no prior order
	// (统一换表, 更换调压器, 进户管改装 [003:1291, 1319, 1381]), whose order
	// the receipt creates.
	OrderID    string `json:"order_id,omitempty"`
	CustomerID string `json:"customer_id"` // 用户编号
	Business   string `json:"business"`    // 业务类型, a domain.Business
	// Variant refines the business: "进户管改装" for an installer-done inlet
	// pipe modification, entered as 完成 [003:1387].
	Variant string `json:"variant,omitempty"`
	// Outcome is 合格, 完成, 未完成, 不合格, 无法实施 or 取消该业务 [003:1365, 1387, 1473, 1515, 1525].
	Outcome string `json:"outcome"`
	// BusinessValid is the 业务有效 checkbox; false cancels the business to
	// wait for the customer's call [003:1531-1537]. Absent means checked.
	BusinessValid *bool  `json:"business_valid,omitempty"`
	Remark        string `json:"remark,omitempty"` // 现场备注
	// Technician is the 施工人员 who did the work; a tablet may leave it empty
	// (its account's), a clerk entering a paper receipt names them.
	Technician string `json:"technician,omitempty"`

	ArrivedAt time.Time `json:"arrived_at,omitzero"` // 到场时间
	StartedAt time.Time `json:"started_at,omitzero"` // 实施时间
	EndedAt   time.Time `json:"ended_at,omitzero"`   // 实施结束时间
	LeftAt    time.Time `json:"left_at,omitzero"`    // 离开时间

	Meter         *MeterForm         `json:"meter,omitempty"`
	Exchange      *ExchangeForm      `json:"exchange,omitempty"`
	SettleM3      *float64           `json:"settle_m3,omitempty"` // 结算方数 [003:1427]
	Reason        string             `json:"reason,omitempty"`    // 原因 of a seal, removal or unseal [003:1427]
	Test          *TestForm          `json:"test,omitempty"`
	Appliances    []Appliance        `json:"appliances,omitempty"`
	Hose          *HoseForm          `json:"hose,omitempty"`
	Rectification *RectificationForm `json:"rectification,omitempty"`
	Consumables   []Consumable       `json:"consumables,omitempty"` // 耗材清单
	Fee           *Fee               `json:"fee,omitempty"`
	Customer      *CustomerChange    `json:"customer,omitempty"`
	Attachments   []Attachment       `json:"attachments,omitempty"`
}

// MeterForm is the meter as found or fitted: 燃气表型号, 表方向, 表底数 of an
// installation [003:1375]; 表读数 / 最新方数 at ignition [003:1483-1485].
type MeterForm struct {
	Model      string   `json:"model,omitempty"`       // 燃气表型号
	Direction  string   `json:"direction,omitempty"`   // 表方向, e.g. 左进
	BaseM3     *float64 `json:"base_m3,omitempty"`     // 表底数
	ReadingM3  *float64 `json:"reading_m3,omitempty"`  // 表读数 (最新方数)
	DialDigits int      `json:"dial_digits,omitempty"` // 表盘位数; 0 keeps the household's
}

// ExchangeForm is a meter exchange (换表单 [003:1409-1411]).
type ExchangeForm struct {
	OldFinalM3 *float64 `json:"old_final_m3,omitempty"` // 表实际读数 of the old meter
	NewStartM3 *float64 `json:"new_start_m3,omitempty"` // 新表读数
	Model      string   `json:"model,omitempty"`        // 燃气表型号 of the new meter
	Direction  string   `json:"direction,omitempty"`    // 表方向
	DialDigits int      `json:"dial_digits,omitempty"`  // 表盘位数 of the new meter; 0 keeps the household's
	// IC meters: 表实际方数, 充值方数, 需补气方数 [003:1411].
	ICActualM3 *float64 `json:"ic_actual_m3,omitempty"`
	ICToppedM3 *float64 `json:"ic_topped_m3,omitempty"`
	ICRefillM3 *float64 `json:"ic_to_refill_m3,omitempty"`
}

// TestForm is the meter-test (校表) sheet, 检测表协议 [003:1461]. Result is the
// test's own result (合格/不合格), apart from the receipt's outcome.
type TestForm struct {
	BeforeM3    *float64 `json:"before_m3,omitempty"`     // 校表前度数
	SettledM3   *float64 `json:"settled_m3,omitempty"`    // 已结算至方数
	TempModel   string   `json:"temp_model,omitempty"`    // 临时表型号
	TempMeterNo string   `json:"temp_meter_no,omitempty"` // 临时表号
	Result      string   `json:"result,omitempty"`        // 检测结果: 合格, 不合格 or "" while at the lab
}

// Appliance is one gas appliance recorded at ignition [003:1485].
type Appliance struct {
	Kind  string `json:"kind"`            // 灶具, 热水器 or 供热
	Brand string `json:"brand,omitempty"` // 品牌
	// FlameOut is 是否有熄火保护装置, for a cooker.
	FlameOut   *bool   `json:"flame_out,omitempty"`
	Year       int     `json:"year,omitempty"`      // 启用年度
	RatedLPM   float64 `json:"rated_lpm,omitempty"` // 额定出水量 of a water heater, L/min
	RatedPower float64 `json:"rated_kw,omitempty"`  // 额定功率 of a heating appliance, kW
}

// HoseForm is a corrugated hose (波纹管) fitted [003:1447, 1519].
type HoseForm struct {
	LengthM float64 `json:"length_m"`
	Note    string  `json:"note,omitempty"`
}

// RectificationForm is a hazard rectification (隐患整改 [003:1499-1507]).
type RectificationForm struct {
	Year       int       `json:"year,omitempty"`       // 安检年度
	Kind       string    `json:"kind,omitempty"`       // 整改类型: 整改完成
	Date       time.Time `json:"date,omitzero"`        // 整改日期
	Result     string    `json:"result,omitempty"`     // 整改结果
	Conclusion string    `json:"conclusion,omitempty"` // 安检结论: 通过
}

// Consumable is one line of the 耗材清单 [003:1375].
type Consumable struct {
	Name string  `json:"name"`
	Qty  float64 `json:"qty"`
	Unit string  `json:"unit,omitempty"`
}

// Fee is a fee collected on site (改装费 in 费用, [003:1375]).
type Fee struct {
	Yuan       float64   `json:"yuan"`
	ReceivedBy string    `json:"received_by,omitempty"` // 收讫人
	ReceivedAt time.Time `json:"received_at,omitzero"`  // 收讫时间
	Hall       string    `json:"hall,omitempty"`        // 收讫营业厅
	Invoice    string    `json:"invoice,omitempty"`     // 发票号码
}

// CustomerChange is what a technician may change in the customer record on
// site (DESIGN §5.13): a new phone number [003:1483], a payment method
// sign-up with its bank card, an SMS number. Empty fields change nothing.
type CustomerChange struct {
	Phone      string `json:"phone,omitempty"`
	PayMethod  string `json:"pay_method,omitempty"`
	BankCard   string `json:"bank_card,omitempty"`
	BankName   string `json:"bank_name,omitempty"`
	CardHolder string `json:"card_holder,omitempty"`
	SMSNumber  string `json:"sms_number,omitempty"`
	SMSCarrier string `json:"sms_carrier,omitempty"`
}

// Attachment references a photo or signature by the SHA-256 of its bytes;
// the bytes are kept by the attachment store.
type Attachment struct {
	Kind   string `json:"kind"`   // "photo" or "signature"
	SHA256 string `json:"sha256"` // 64 lowercase hex digits
	Name   string `json:"name,omitempty"`
}

// ReceiptProblem is one rule a receipt broke.
type ReceiptProblem struct {
	Path    string `json:"path"`    // the field, e.g. "exchange.new_start_m3"
	Rule    string `json:"rule"`    // a stable code, e.g. "required"
	Message string `json:"message"` // in Chinese, for staff
	Source  string `json:"source,omitempty"`
}

// ReceiptRecord is one stored version of a receipt: what was sent and what
// the server decided. Records are appended, never changed (DESIGN §5.10).
type ReceiptRecord struct {
	Receipt
	Version int `json:"version"`
	// Seq is the store's order of appending, over every receipt.
	Seq      uint64           `json:"seq"`
	Status   string           `json:"status"`
	Problems []ReceiptProblem `json:"problems,omitempty"`
	// Conflict names what the office changed meanwhile (voided, cancelled,
	// reassigned, completed, accepted), for a ReceiptConflict.
	Conflict string    `json:"conflict,omitempty"`
	By       string    `json:"by"`
	Role     string    `json:"role,omitempty"`
	Device   string    `json:"device,omitempty"`
	At       time.Time `json:"at"` // when the server stored it
	// BaseVersion is the order version the sender saw; OrderVersion the
	// order's version after this receipt (equal to the stored one when it was not applied).
	BaseVersion  int `json:"base_version"`
	OrderVersion int `json:"order_version"`
}

// ReceiptQuery selects receipt versions; empty fields match everything.
// With OrderID or CustomerID it reads an index, else it scans.
type ReceiptQuery struct {
	OrderID    string
	CustomerID string
	Status     string
	After      uint64 // Seq > After
	Limit      int    // 0: all
}

// Matches reports whether r is selected by q (ignoring After and Limit).
func (q ReceiptQuery) Matches(r *ReceiptRecord) bool {
	return (q.OrderID == "" || r.OrderID == q.OrderID) && (q.CustomerID == "" || r.CustomerID == q.CustomerID) &&
		(q.Status == "" || r.Status == q.Status)
}

// Receipts reads receipt versions.
type Receipts interface {
	// ReceiptVersions lists every version of receipt id, oldest first; none
	// is an empty list.
	ReceiptVersions(id string) ([]ReceiptRecord, error)
	// Receipts lists the versions q selects in Seq order.
	Receipts(q ReceiptQuery) ([]ReceiptRecord, error)
}

// ReceiptWriter appends receipt versions inside a Tx.
type ReceiptWriter interface {
	// AppendReceipt stores r as the next version of r.ID (the store gives
	// an ID, "HZ" and ten digits, when r.ID is empty) with the next Seq, and
	// returns it as stored. r.Version and r.Seq must be 0.
	AppendReceipt(r ReceiptRecord) (ReceiptRecord, error)
}
