package interchange

import (
	"time"

	"meter-sync/domain"
	"meter-sync/tabular"
)

// Column ids of the route file.
const (
	RtSeqNo = iota
	RtCustomerID
	RtName
	RtAddress
	RtMeterKind
	RtMeterState
	RtPrevReading
	RtPrevReadDate
	RtReading
	RtReadAt
	RtReaderID
	RtFlags
	RtICRemaining
	RtICUsed
	RtRemark
	RtICPurchased
)

// RouteSchema is the route file a file-based handheld (USB storage, an
// Android handheld) is loaded with: one row per household in walking order,
// what the reader is shown (who, where, the meter, the previous reading),
// then the readings file's columns for the reader to fill, 抄表员编号
// already filled, and for an IC meter what was bought for it since it was
// fitted, which the meter's remaining + used must add up to ([003:1585-1589]). A filled route file is a readings file: the readings
// schema takes its columns by their headers and ignores the others.
var RouteSchema = tabular.Schema{
	RtSeqNo:        ReadingSchema[GSeqNo],
	RtCustomerID:   ReadingSchema[GCustomerID],
	RtName:         col("name", "用户姓名", false),
	RtAddress:      col("address", "用户地址", false),
	RtMeterKind:    col("meter_kind", "用户类型", false),
	RtMeterState:   col("meter_state", "表状态", false),
	RtPrevReading:  col("prev_reading", "上次读数", false),
	RtPrevReadDate: col("prev_read_date", "上次抄表日期", false),
	RtReading:      ReadingSchema[GReading],
	RtReadAt:       ReadingSchema[GReadAt],
	RtReaderID:     ReadingSchema[GReaderID],
	RtFlags:        ReadingSchema[GFlags],
	RtICRemaining:  ReadingSchema[GICRemaining],
	RtICUsed:       ReadingSchema[GICUsed],
	RtRemark:       ReadingSchema[GRemark],
	RtICPurchased:  col("ic_purchased", "IC累计购气量", false),
}

// RouteRow is one household of a route file.
type RouteRow struct {
	Customer *domain.Customer
	// PrevM3 and PrevDate are the reading the reader compares with: the
	// household's last reading, or the meter's start when it was fitted
	// since; PrevDate is zero when there is neither.
	PrevM3   float64
	PrevDate time.Time
	ReaderID string // pre-filled in 抄表员编号
	// ICPurchasedM3 is, for an IC meter, the volume bought for it since it
	// was fitted, up to the export; nil for other meters.
	ICPurchasedM3 *float64
}

// EncodeRoute writes a route row, the reading's columns blank.
func EncodeRoute(r RouteRow) []string {
	c := r.Customer
	row := make([]string, len(RouteSchema))
	row[RtSeqNo] = c.Seq.String()
	row[RtCustomerID] = c.ID
	row[RtName] = c.Name
	row[RtAddress] = c.Address
	row[RtMeterKind] = c.Meter.Kind.String()
	row[RtMeterState] = c.Meter.State.String()
	row[RtPrevReading] = FormatNumber(r.PrevM3)
	row[RtPrevReadDate] = FormatDate(r.PrevDate)
	row[RtReaderID] = r.ReaderID
	if r.ICPurchasedM3 != nil {
		row[RtICPurchased] = FormatNumber(*r.ICPurchasedM3)
	}
	return row
}
