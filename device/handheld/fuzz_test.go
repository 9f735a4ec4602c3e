package handheld

import (
	"reflect"
	"testing"

	"meter-sync/interchange"
)

// encodeHousehold writes h back as a route row.
func encodeHousehold(h Household) []string {
	row := routeRow(h.SeqNo, h.CustomerID, h.MeterKind, h.MeterState, interchange.FormatNumber(h.PrevM3),
		interchange.FormatDate(h.PrevDate), h.ReaderID)
	row[interchange.RtName], row[interchange.RtAddress], row[interchange.RtRemark] = h.Name, h.Address, h.Remark
	for col, p := range map[int]*float64{interchange.RtICRemaining: h.ICRemaining, interchange.RtICUsed: h.ICUsed} {
		if p != nil {
			row[col] = interchange.FormatNumber(*p)
		}
	}
	return row
}

// FuzzParseHouseholds feeds route files to the route decoder: it must not
// panic, and what it accepts must write back and read again the same.
func FuzzParseHouseholds(f *testing.F) {
	good := routeRow("0101011101", "C1", "IC卡", "通气", "100.5", "2025-11-05", "R001")
	good[interchange.RtICRemaining], good[interchange.RtICUsed] = "12", "88.5"
	f.Add(csvOf(f, interchange.RouteSchema, good))
	f.Add(csvOf(f, interchange.RouteSchema, good, routeRow("0102011101", "C2", "", "", "", "", "")))
	f.Add(csvOf(f, interchange.RouteSchema, routeRow("01x", "", "水表", "", "-1", "2025-13-01", "R002")))
	f.Add(csvOf(f, interchange.RouteSchema, routeRow("0101011101", "C1", "抄表", "", "1e3", "2025-11-05T23:30:00Z", "")))
	f.Add([]byte("抄表序号,用户编号\r\n0101011101,\"C1\r\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := parseHouseholds("route.csv", data, "R001")
		if err != nil {
			return
		}
		rows := make([][]string, len(hs))
		for i, h := range hs {
			rows[i] = encodeHousehold(h)
		}
		again, err := parseHouseholds("route.csv", csvOf(t, interchange.RouteSchema, rows...), "R001")
		if err != nil {
			t.Fatalf("households read from %q do not read back: %v", data, err)
		}
		if !reflect.DeepEqual(again, hs) {
			t.Fatalf("round trip changed the households:\n%+v\n%+v", hs, again)
		}
	})
}
