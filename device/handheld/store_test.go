package handheld

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/tabular"
)

const keyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handheld.db")
	s := openAt(t, path)
	key, err := ParseKey(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetIdentity("HH-0001", key); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClockOffset(-3 * time.Hour); err != nil {
		t.Fatal(err)
	}
	loadRoute(t, s, cityRoute(t, 10))
	record(t, s, reading("C00001", 120, 1, 0))
	if _, err := s.PutPartial("route-2026-02", 0, []byte("抄表序号,")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	if id, err := s.Identity(); err != nil || id.DeviceID != "HH-0001" || id.Key != key {
		t.Errorf("identity after reopen = %+v, %v", id, err)
	}
	if now, err := s.Now(); err != nil || !now.Equal(t0.Add(-3*time.Hour)) {
		t.Errorf("clock after reopen = %v, %v; want %v", now, err, t0.Add(-3*time.Hour))
	}
	r, err := s.Route()
	if err != nil || r.Reader != "R001" || r.Cycle != "2026-01" || len(r.Households) != 10 || !r.Households[0].Read {
		t.Errorf("route after reopen = %+v, %v", r.RouteHeader, err)
	}
	if got := pendingIDs(t, s); !slices.Equal(got, []string{"C00001=120"}) {
		t.Errorf("pending after reopen = %v", got)
	}
	if p, err := s.Partial("route-2026-02"); err != nil || string(p) != "抄表序号," {
		t.Errorf("partial after reopen = %q, %v", p, err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handheld.db")
	openAt(t, path)
	s, err := Open(path, &Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), path) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("second Open = %v, want ErrInUse naming the file", err)
	}
}

func TestIdentity(t *testing.T) {
	s := newStore(t)
	if _, err := s.Identity(); !errors.Is(err, ErrNotPaired) {
		t.Errorf("Identity of a new handheld = %v, want ErrNotPaired", err)
	}
	var key [KeySize]byte
	for _, bad := range []string{"", "HH 0001", "HH\t1"} {
		if err := s.SetIdentity(bad, key); err == nil {
			t.Errorf("SetIdentity(%q) accepted", bad)
		}
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"64 hex digits", keyHex, true},
		{"upper case, spaces around", " " + strings.ToUpper(keyHex) + "\n", true},
		{"too short", keyHex[:62], false},
		{"too long", keyHex + "00", false},
		{"not hex", strings.Replace(keyHex, "0", "g", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKey = %x, %v", k, err)
			}
			if tt.ok && k[0] != 0x00 || tt.ok && k[31] != 0xff {
				t.Errorf("key = %x", k)
			}
		})
	}
}

func TestClock(t *testing.T) {
	s := newStore(t)
	if now, err := s.Now(); err != nil || !now.Equal(t0) {
		t.Fatalf("new handheld's clock = %v, %v; want the system clock %v", now, err, t0)
	}
	if err := s.SetClockOffset(3 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if now, _ := s.Now(); !now.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("clock with +3h = %v", now)
	}
	server := t0.Add(2 * time.Second)
	if err := s.SetClock(server); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.ClockOffset(); d != 2*time.Second {
		t.Errorf("offset after correction = %v, want 2s", d)
	}
}

func TestLoadRouteReplaces(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 6))
	rereads := csvOf(t, interchange.RouteSchema, routeRow("0101011101", "C00001", "抄表", "通气", "100", "", ""))
	if _, err := s.AddRereads(rereads); err != nil {
		t.Fatal(err)
	}
	record(t, s, reading("C00002", 200, 1, 0))

	tests := []struct {
		name, reader, cycle string
		households          int
		rereads             int
	}{
		{"same route again keeps re-reads", "R001", "2026-01", 3, 1},
		{"next cycle drops re-reads", "R001", "2026-03", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.AddRereads(rereads); err != nil {
				t.Fatal(err)
			}
			n, err := s.LoadRoute(tt.reader, tt.cycle, cityRoute(t, 3))
			if err != nil || n != 3 {
				t.Fatalf("LoadRoute = %d, %v", n, err)
			}
			r, err := s.Route()
			if err != nil || len(r.Households) != tt.households || r.Cycle != tt.cycle {
				t.Fatalf("route = %+v (%d households), %v", r.RouteHeader, len(r.Households), err)
			}
			if r.Households[1].Read {
				t.Error("a household of the new route is read already")
			}
			if rr, _ := s.Rereads(); len(rr) != tt.rereads {
				t.Errorf("re-reads = %d, want %d", len(rr), tt.rereads)
			}
			if got := pendingIDs(t, s); !slices.Equal(got, []string{"C00002=200"}) {
				t.Errorf("readings taken before the load = %v; they must stay", got)
			}
		})
	}
}

func TestBadRouteIsLocated(t *testing.T) {
	good := routeRow("0101011101", "C1", "抄表", "通气", "100", "2025-11-05", "R001")
	with := func(col int, v string) []string {
		r := slices.Clone(good)
		r[col] = v
		return r
	}
	tests := []struct {
		name string
		csv  func(t *testing.T) []byte
		want []string
	}{
		{"bad previous reading", func(t *testing.T) []byte {
			return csvOf(t, interchange.RouteSchema, good, with(interchange.RtPrevReading, "12o"))
		}, []string{"route.csv:3: column 上次读数: \"12o\""}},
		{"missing customer", func(t *testing.T) []byte {
			return csvOf(t, interchange.RouteSchema, with(interchange.RtCustomerID, ""))
		}, []string{"route.csv:2: column 用户编号: 不能为空"}},
		{"bad sequence number", func(t *testing.T) []byte {
			return csvOf(t, interchange.RouteSchema, with(interchange.RtSeqNo, "01A1011101"))
		}, []string{"route.csv:2: column 抄表序号:"}},
		{"bad meter kind and date, both reported", func(t *testing.T) []byte {
			r := with(interchange.RtMeterKind, "水表")
			r[interchange.RtPrevReadDate] = "2025-13-01"
			return csvOf(t, interchange.RouteSchema, r)
		}, []string{"route.csv:2: column 用户类型:", "route.csv:2: column 上次抄表日期:"}},
		{"duplicate household", func(t *testing.T) []byte {
			return csvOf(t, interchange.RouteSchema, good, good)
		}, []string{"route.csv:3: column 用户编号: 用户编号C1重复(第2行已有)"}},
		{"another reader's row", func(t *testing.T) []byte {
			return csvOf(t, interchange.RouteSchema, with(interchange.RtReaderID, "R002"))
		}, []string{"route.csv:2: column 抄表员编号:"}},
		{"missing column", func(t *testing.T) []byte {
			return []byte("抄表序号,用户姓名\r\n0101011101,张三\r\n")
		}, []string{"route.csv", "用户编号"}},
		{"ragged row", func(t *testing.T) []byte {
			return append(csvOf(t, interchange.RouteSchema, good), "0101011102,C2\r\n"...)
		}, []string{"route.csv:3:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			loadRoute(t, s, cityRoute(t, 4))
			n, err := s.LoadRoute("R001", "2026-01", tt.csv(t))
			if err == nil {
				t.Fatalf("bad route loaded %d households", n)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if r, _ := s.Route(); len(r.Households) != 4 {
				t.Errorf("a refused route changed the loaded one: %d households", len(r.Households))
			}
		})
	}
}

func TestLoadRouteChecksReaderAndCycle(t *testing.T) {
	s := newStore(t)
	if _, err := s.LoadRoute("", "2026-01", cityRoute(t, 2)); err == nil {
		t.Error("a route without a reader loaded")
	}
	if _, err := s.LoadRoute("R001", "2026-13", cityRoute(t, 2)); err == nil || !strings.Contains(err.Error(), "2026-13") {
		t.Errorf("a route of cycle 2026-13: %v", err)
	}
}

func TestRecord(t *testing.T) {
	s := newStore(t)
	if _, err := s.Record(reading("C00001", 1, 1, 0)); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("Record without a route = %v, want ErrNoRoute", err)
	}
	loadRoute(t, s, cityRoute(t, 4))
	tests := []struct {
		name     string
		in       interchange.ReadingRow
		offRoute bool
		seq      string
		remark   string
		err      string
	}{
		{"on the route", reading("C00001", 120, 1, 0), false, "0101011101", "", ""},
		{"estimated", reading("C00002", 140, 2, domain.FlagEstimated|domain.FlagDoorClosed), false, "0101011102", "", ""},
		{"added by the reader", reading("X99999", 55, 3, 0), true, "", RemarkAdded, ""},
		{"added, with a remark", func() interchange.ReadingRow {
			r := reading("X99998", 56, 4, 0)
			r.SeqNo, r.Remark = "0101019999", "门口新装"
			return r
		}(), true, "0101019999", RemarkAdded + "; 门口新装", ""},
		{"no time", interchange.ReadingRow{Reading: domain.Reading{CustomerID: "C00003", ValueM3: 1}}, false, "", "", "抄表时间"},
		{"negative", reading("C00003", -1, 5, 0), false, "", "", "本次读数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Record(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "handheld: ") {
					t.Fatalf("Record = %+v, %v; want an error about %s", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.OffRoute != tt.offRoute || got.SeqNo != tt.seq || got.Remark != tt.remark ||
				got.ReaderID != "R001" || got.Cycle.String() != "2026-01" {
				t.Errorf("recorded %+v", got)
			}
		})
	}
	r, _ := s.Route()
	if h := r.Households; !h[0].Read || !h[1].Read || h[1].Flags != domain.FlagEstimated|domain.FlagDoorClosed || h[2].Read {
		t.Errorf("households' read marks = %+v", h[:3])
	}
	if got := pendingIDs(t, s); !slices.Equal(got, []string{"C00001=120", "C00002=140", "X99999=55", "X99998=56"}) {
		t.Errorf("pending = %v", got)
	}
}

func TestRereads(t *testing.T) {
	s := newStore(t)
	rr := csvOf(t, interchange.RouteSchema, routeRow("0102011101", "C00009", "抄表", "通气", "300", "", "R001"),
		routeRow("0101011103", "C00003", "抄表", "通气", "100", "", ""))
	if _, err := s.AddRereads(rr); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("AddRereads without a route = %v", err)
	}
	loadRoute(t, s, cityRoute(t, 4))
	if n, err := s.AddRereads(rr); err != nil || n != 2 {
		t.Fatalf("AddRereads = %d, %v", n, err)
	}
	record(t, s, reading("C00009", 320, 1, 0))
	hs, _ := s.Rereads()
	if len(hs) != 2 || hs[0].CustomerID != "C00003" || hs[0].Read || hs[1].CustomerID != "C00009" || !hs[1].Read {
		t.Fatalf("re-reads = %+v", hs)
	}
	b, _ := s.PendingReadings()
	if b.Readings[0].OffRoute || b.Readings[0].SeqNo != "0102011101" {
		t.Errorf("a re-read's reading = %+v", b.Readings[0])
	}
	if _, err := s.AddRereads(rr); err != nil {
		t.Fatal(err)
	}
	if hs, _ := s.Rereads(); hs[1].Read {
		t.Error("a household returned again is still marked read")
	}
	if _, err := s.AddRereads([]byte("用户编号\r\n")); err == nil || !strings.Contains(err.Error(), "rereads.csv") {
		t.Errorf("a re-read file without its columns: %v", err)
	}
}

func TestClearReadingsOnlyAcknowledged(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 4))
	record(t, s, reading("C00001", 110, 1, 0))
	record(t, s, reading("C00002", 120, 2, 0))
	batch, err := s.PendingReadings()
	if err != nil {
		t.Fatal(err)
	}
	// After the batch was made: a new household and a second reading of one in the batch.
	record(t, s, reading("C00003", 130, 3, 0))
	record(t, s, reading("C00001", 111, 4, 0))
	n, err := s.ClearReadings(batch.IDs())
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("cleared %d readings, want 1 (C00001's was replaced before the acknowledgement)", n)
	}
	if got := pendingIDs(t, s); !slices.Equal(got, []string{"C00003=130", "C00001=111"}) {
		t.Errorf("pending after the acknowledgement = %v", got)
	}
	if n, err := s.ClearReadings(batch.IDs()); err != nil || n != 0 {
		t.Errorf("acknowledging again cleared %d, %v", n, err)
	}
	record(t, s, reading("C00001", 112, 5, 0))
	if got := pendingIDs(t, s); !slices.Equal(got, []string{"C00003=130", "C00001=112"}) {
		t.Errorf("pending after a third reading = %v", got)
	}
	if st, _ := s.Stats(); st.Read != 3 {
		t.Errorf("已抄 = %d after an upload, want 3: read households stay read", st.Read)
	}
}

func TestPendingCSVIsAReadingsFile(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 5))
	in := reading("C00005", 161.5, 1, domain.FlagEstimated|domain.FlagNobodyHome)
	rem, used := 12.5, 149.0
	in.ICRemaining, in.ICUsed, in.Remark = &rem, &used, "备注, 含逗号"
	record(t, s, in)
	record(t, s, reading("X1", 10, 2, 0))
	b, err := s.PendingReadings()
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(interchange.Headers(interchange.ReadingSchema), ",") + "\r\n"
	if !bytes.HasPrefix(b.CSV, []byte(header)) {
		t.Fatalf("readings file starts %q, want the header %q without a BOM", b.CSV[:min(len(b.CSV), 80)], header)
	}
	r, err := tabular.NewCSV(bytes.NewReader(b.CSV), "readings.csv", int64(len(b.CSV)), interchange.ReadingSchema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, want := range b.Readings {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		got, err := interchange.DecodeReading(row, want.Cycle)
		if err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
		if !domain.SameReading(got.Reading, want.Reading) || got.SeqNo != want.SeqNo {
			t.Errorf("row %d reads back as %+v, want %+v", i+2, got, want.ReadingRow)
		}
	}
	if b.Readings[1].Remark != RemarkAdded {
		t.Errorf("the added household's remark = %q", b.Readings[1].Remark)
	}
}

func TestPartials(t *testing.T) {
	type op struct {
		offset int64
		data   string
		size   int64 // the size PutPartial returns, -1 for an error
	}
	tests := []struct {
		name string
		ops  []op
		want string
	}{
		{"append blocks", []op{{0, "abc", 3}, {3, "def", 6}, {6, "g", 7}}, "abcdefg"},
		{"resend the last block", []op{{0, "abc", 3}, {3, "def", 6}, {3, "DEF", 6}}, "abcDEF"},
		{"rewind into a block", []op{{0, "abc", 3}, {3, "def", 6}, {4, "XY", 6}}, "abcdXY"},
		{"rewind and truncate", []op{{0, "abcdef", 6}, {2, "", 2}}, "ab"},
		{"restart", []op{{0, "abc", 3}, {3, "def", 6}, {0, "Z", 1}}, "Z"},
		{"a hole is refused", []op{{0, "abc", 3}, {5, "x", -1}}, "abc"},
		{"negative offset", []op{{0, "", 0}, {-1, "x", -1}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			for _, o := range tt.ops {
				size, err := s.PutPartial("t1", o.offset, []byte(o.data))
				if (o.size < 0) != (err != nil) || (err == nil && size != o.size) {
					t.Fatalf("PutPartial(%d, %q) = %d, %v; want %d", o.offset, o.data, size, err, o.size)
				}
			}
			got, err := s.Partial("t1")
			if err != nil || string(got) != tt.want {
				t.Errorf("Partial = %q, %v; want %q", got, err, tt.want)
			}
			if ps, _ := s.Partials(); len(ps) != 1 || ps[0] != (PartialInfo{"t1", int64(len(tt.want))}) {
				t.Errorf("Partials = %+v", ps)
			}
		})
	}
}

func TestDropPartial(t *testing.T) {
	s := newStore(t)
	for _, id := range []string{"a", "b"} {
		if _, err := s.PutPartial(id, 0, []byte(id+id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DropPartial("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DropPartial("never"); err != nil {
		t.Errorf("dropping an unknown transfer: %v", err)
	}
	if p, err := s.Partial("a"); p != nil || err != nil {
		t.Errorf("dropped partial = %q, %v", p, err)
	}
	if ps, _ := s.Partials(); !slices.Equal(ps, []PartialInfo{{"b", 2}}) {
		t.Errorf("Partials = %+v", ps)
	}
	if _, err := s.PutPartial("", 0, []byte("x")); err == nil {
		t.Error("a partial without an id was kept")
	}
}
