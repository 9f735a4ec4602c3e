package interchange

import (
	"time"

	"meter-sync/domain"
)

// DecodeCustomer reads a customers row and checks it by the registration rules
// (domain.ValidateCustomer); today is the day of entry for rule ⑻.
func DecodeCustomer(v Values, today time.Time) (domain.Customer, error) {
	d := &rowDecoder{v: v}
	c := domain.Customer{
		ID:         d.required(CCustomerID),
		Name:       v.Value(CName),
		Address:    d.required(CAddress),
		Estate:     v.Value(CEstate),
		Area:       v.Value(CArea),
		Hall:       v.Value(CHall),
		Pay:        parse(d, CPayMethod, true, domain.ParsePayMethod),
		Group:      parse(d, CMonthGroup, true, domain.ParseMonthGroup),
		Contract:   d.yesNo(CContract, "有", "无", false),
		FeePaid:    d.yesNo(CFeePaid, "已缴", "未缴", true),
		Phone:      v.Value(CPhone),
		BankCard:   v.Value(CBankCard),
		BankName:   v.Value(CBankName),
		CardHolder: v.Value(CCardHolder),
		SMSNumber:  v.Value(CSMSNumber),
		SMSCarrier: v.Value(CSMSCarrier),
		Nature:     domain.ApplyNature(v.Value(CApplyNature)),
		AppliedOn:  d.date(CAppliedOn),
		InvoicedOn: d.date(CInvoicedOn),
		Meter: domain.Meter{
			Kind:       parse(d, CMeterKind, true, domain.ParseMeterKind),
			State:      parse(d, CMeterState, true, domain.ParseMeterState),
			Model:      v.Value(CMeterModel),
			BaseM3:     d.number(CBaseReading, 0),
			DialDigits: d.integer(CDialDigits, domain.DefaultDialDigits),
		},
	}
	if n := c.Nature; n != "" && n != domain.ApplyCollective && n != domain.ApplySingle {
		d.fail(CApplyNature, "应为集体或散户,实为%q", string(n))
	}
	area := parse(d, CAreaType, true, domain.ParseAreaType)
	building := parse(d, CBuildingType, true, domain.ParseBuildingType)
	if area != 0 && building != 0 {
		c.Seq = parse(d, CSeqNo, true, func(s string) (domain.SeqNo, error) { return domain.ParseSeqNo(s, area, building) })
	}
	if len(d.errs) == 0 {
		d.addDomainErrors(CustomerSchema, domain.ValidateCustomer(&c, today), CCustomerID)
	}
	return c, d.err()
}

// EncodeCustomer writes a customers row.
func EncodeCustomer(c *domain.Customer) []string {
	row := make([]string, len(CustomerSchema))
	row[CCustomerID] = c.ID
	row[CName] = c.Name
	row[CAddress] = c.Address
	row[CEstate] = c.Estate
	row[CArea] = c.Area
	row[CHall] = c.Hall
	row[CMeterKind] = c.Meter.Kind.String()
	row[CPayMethod] = string(c.Pay)
	row[CSeqNo] = c.Seq.String()
	row[CAreaType] = c.Seq.Area.String()
	row[CBuildingType] = c.Seq.Building.String()
	row[CMeterState] = c.Meter.State.String()
	row[CMeterModel] = c.Meter.Model
	row[CBaseReading] = FormatNumber(c.Meter.BaseM3)
	row[CDialDigits] = FormatNumber(float64(c.Meter.DialDigits))
	row[CMonthGroup] = c.Group.String()
	row[CContract] = yesNo(c.Contract, "有", "无")
	row[CFeePaid] = yesNo(c.FeePaid, "已缴", "未缴")
	row[CPhone] = c.Phone
	row[CBankCard] = c.BankCard
	row[CBankName] = c.BankName
	row[CCardHolder] = c.CardHolder
	row[CSMSNumber] = c.SMSNumber
	row[CSMSCarrier] = c.SMSCarrier
	row[CApplyNature] = string(c.Nature)
	row[CAppliedOn] = FormatDate(c.AppliedOn)
	row[CInvoicedOn] = FormatDate(c.InvoicedOn)
	return row
}
