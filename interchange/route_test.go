package interchange

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/tabular"
)

// TestFilledRouteFileIsAReadingsFile writes a route file, fills a row as a
// handheld does and reads it back with the readings schema.
func TestFilledRouteFileIsAReadingsFile(t *testing.T) {
	c := validCustomer()
	prev := time.Date(2025, 11, 12, 0, 0, 0, 0, domain.Local)
	row := EncodeRoute(RouteRow{Customer: &c, PrevM3: 120.5, PrevDate: prev, ReaderID: "R001"})
	if row[RtSeqNo] != "1201032301" || row[RtPrevReading] != "120.5" || row[RtPrevReadDate] != "2025-11-12" ||
		row[RtReaderID] != "R001" || row[RtReading] != "" || row[RtMeterState] != "通气" {
		t.Fatalf("route row = %q", row)
	}
	row[RtReading], row[RtReadAt], row[RtFlags] = "131", "2026-01-10T09:30:00+08:00", "估抄"
	var buf bytes.Buffer
	w, err := tabular.NewCSVWriter(&buf, Headers(RouteSchema), tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := tabular.NewCSV(&buf, "route.csv", int64(buf.Len()), ReadingSchema, tabular.Options{})
	if err != nil {
		t.Fatalf("the readings schema refuses the route header: %v", err)
	}
	for col := range ReadingSchema {
		if !r.Present(col) {
			t.Errorf("readings column %s missing from the route file", ReadingSchema[col].Header)
		}
	}
	if got, want := r.Unknown(), []string{"用户姓名", "用户地址", "用户类型", "表状态", "上次读数", "上次抄表日期", "IC累计购气量"}; !slices.Equal(got, want) {
		t.Errorf("columns the readings schema ignores = %v, want %v", got, want)
	}
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	jan, _ := domain.ParseMonth("2026-01")
	rr, err := DecodeReading(got, jan)
	if err != nil || rr.CustomerID != c.ID || rr.ValueM3 != 131 || rr.ReaderID != "R001" || rr.Flags != domain.FlagEstimated || rr.SeqNo != "1201032301" {
		t.Errorf("filled route row read as %+v, %v", rr, err)
	}
}
