// Package interchange holds the interchange file formats of DESIGN §6: the
// columns of each file kind (Chinese headers, English aliases) and the row
// encoders and decoders between those files and the domain's records. It is
// pure: files are read and written by package tabular, stored by others.
package interchange

import "meter-sync/tabular"

// Kind names a file kind.
type Kind string

// File kinds.
const (
	Customers    Kind = "customers"
	Readers      Kind = "readers"
	History      Kind = "history"
	ICPurchases  Kind = "ic_purchases"
	MeterChanges Kind = "meter_changes"
	Readings     Kind = "readings"
	Route        Kind = "route" // written for a file-based handheld, read back as readings
	Labels       Kind = "labels"
)

// Column ids of the customers file.
const (
	CCustomerID = iota
	CName
	CAddress
	CEstate
	CArea
	CHall
	CMeterKind
	CPayMethod
	CSeqNo
	CAreaType
	CBuildingType
	CMeterState
	CMeterModel
	CBaseReading
	CDialDigits
	CMonthGroup
	CContract
	CFeePaid
	CPhone
	CBankCard
	CBankName
	CCardHolder
	CSMSNumber
	CSMSCarrier
	CApplyNature
	CAppliedOn
	CInvoicedOn
)

func col(key, header string, required bool, aliases ...string) tabular.Column {
	return tabular.Column{Key: key, Header: header, Required: required, Aliases: aliases}
}

// CustomerSchema is the customers file. The bank, SMS and application columns
// are optional; rules ⑴-⑼ need them where the payment method does.
var CustomerSchema = tabular.Schema{
	CCustomerID:   col("customer_id", "用户编号", true),
	CName:         col("name", "用户姓名", true),
	CAddress:      col("address", "用户地址", true),
	CEstate:       col("estate", "小区", false),
	CArea:         col("area", "区域", false),
	CHall:         col("hall", "归属营业厅", false),
	CMeterKind:    col("meter_kind", "用户类型", true),
	CPayMethod:    col("pay_method", "缴费方式", true),
	CSeqNo:        col("seq_no", "抄表序号", true),
	CAreaType:     col("area_type", "区域类型", true),
	CBuildingType: col("building_type", "楼型", true),
	CMeterState:   col("meter_state", "表状态", true),
	CMeterModel:   col("meter_model", "燃气表型号", false),
	CBaseReading:  col("base_reading", "表底数", false),
	CDialDigits:   col("dial_digits", "表盘位数", false),
	CMonthGroup:   col("month_group", "单双月", true),
	CContract:     col("contract", "供气合同", false),
	CFeePaid:      col("fee_paid", "报装费", false),
	CPhone:        col("phone", "联系电话", false),
	CBankCard:     col("bank_card", "银行卡号", false),
	CBankName:     col("bank_name", "银行名称", false),
	CCardHolder:   col("card_holder", "持卡人", false),
	CSMSNumber:    col("sms_number", "短信号码", false),
	CSMSCarrier:   col("sms_carrier", "短信公司", false),
	CApplyNature:  col("apply_nature", "报装性质", false),
	CAppliedOn:    col("applied_on", "报装日期", false),
	CInvoicedOn:   col("invoiced_on", "开票日期", false),
}

// Column ids of the readers file.
const (
	RReaderID = iota
	RName
	RBooks
	RFrom
)

// ReaderSchema is the readers file: each reader and the route books they hold.
// 生效月份 (optional) is the month a changed assignment starts; without it a
// change starts in the month of the import.
var ReaderSchema = tabular.Schema{
	RReaderID: col("reader_id", "抄表员编号", true),
	RName:     col("name", "姓名", true),
	RBooks:    col("books", "抄表册", true),
	RFrom:     col("from_month", "生效月份", false),
}

// Column ids of the history file.
const (
	HCustomerID = iota
	HReadDate
	HReading
)

// HistorySchema is the history file: past readings.
var HistorySchema = tabular.Schema{
	HCustomerID: col("customer_id", "用户编号", true),
	HReadDate:   col("read_date", "抄表日期", true),
	HReading:    col("reading", "读数", true),
}

// Column ids of the ic_purchases file.
const (
	PCustomerID = iota
	PAt
	PVolume
)

// PurchaseSchema is the ic_purchases file.
var PurchaseSchema = tabular.Schema{
	PCustomerID: col("customer_id", "用户编号", true),
	PAt:         col("purchased_at", "购气时间", true),
	PVolume:     col("volume_m3", "购气量", true),
}

// Column ids of the meter_changes file.
const (
	MCustomerID = iota
	MAt
	MOldFinal
	MNewStart
	MModel
	MDialDigits
)

// MeterChangeSchema is the meter_changes file.
var MeterChangeSchema = tabular.Schema{
	MCustomerID: col("customer_id", "用户编号", true),
	MAt:         col("changed_at", "换表时间", true),
	MOldFinal:   col("old_final", "表实际读数", true),
	MNewStart:   col("new_start", "新表读数", true),
	MModel:      col("meter_model", "燃气表型号", false),
	MDialDigits: col("dial_digits", "表盘位数", false),
}

// Column ids of the readings file.
const (
	GSeqNo = iota
	GCustomerID
	GReading
	GReadAt
	GReaderID
	GFlags
	GICRemaining
	GICUsed
	GRemark
)

// ReadingSchema is the readings file a handheld or a file brings back.
var ReadingSchema = tabular.Schema{
	GSeqNo:       col("seq_no", "抄表序号", false),
	GCustomerID:  col("customer_id", "用户编号", true),
	GReading:     col("reading", "本次读数", true),
	GReadAt:      col("read_at", "抄表时间", true),
	GReaderID:    col("reader_id", "抄表员编号", false),
	GFlags:       col("flags", "标记", false),
	GICRemaining: col("ic_remaining", "IC剩余量", false),
	GICUsed:      col("ic_used", "IC用气量", false),
	GRemark:      col("remark", "备注", false),
}

// Column ids of the labels file (the fixtures' ground truth).
const (
	LCustomerID = iota
	LReaderID
	LCycle
	LCode
	LKind
	LNote
)

// LabelSchema is the labels file the city generator writes beside the readings
// it made: every anomaly it injected, and the traps that are not anomalies.
var LabelSchema = tabular.Schema{
	LCustomerID: col("customer_id", "用户编号", true),
	LReaderID:   col("reader_id", "抄表员编号", true),
	LCycle:      col("cycle", "周期", true),
	LCode:       col("code", "代码", true),
	LKind:       col("kind", "类别", true),
	LNote:       col("note", "说明", false),
}

// SchemaOf returns the schema of a kind.
func SchemaOf(k Kind) (tabular.Schema, bool) {
	s, ok := map[Kind]tabular.Schema{
		Customers: CustomerSchema, Readers: ReaderSchema, History: HistorySchema,
		ICPurchases: PurchaseSchema, MeterChanges: MeterChangeSchema,
		Readings: ReadingSchema, Route: RouteSchema, Labels: LabelSchema,
	}[k]
	return s, ok
}

// Headers lists a schema's Chinese headers, the header row of a written file.
func Headers(s tabular.Schema) []string {
	h := make([]string, len(s))
	for i, c := range s {
		h[i] = c.Header
	}
	return h
}
