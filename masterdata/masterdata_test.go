package masterdata

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
	"meter-sync/tabular"
)

var importDay = time.Date(2026, 11, 24, 9, 0, 0, 0, domain.Local)

func openStore(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	return db
}

// writeRows writes a file of kind with the given rows through tabular.
func writeRows(t *testing.T, name string, kind interchange.Kind, opt tabular.WriteOptions, rows ...[]string) string {
	t.Helper()
	schema, _ := interchange.SchemaOf(kind)
	path := filepath.Join(t.TempDir(), name)
	w, err := tabular.Create(path, interchange.Headers(schema), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func customers(n int) [][]string {
	var rows [][]string
	for i := 1; i <= n; i++ {
		c := storetest.Household("33000000"+string(rune('0'+i/10))+string(rune('0'+i%10)), 1201, 1, 1, 100+i, domain.OddMonths)
		rows = append(rows, interchange.EncodeCustomer(&c))
	}
	return rows
}

func importFile(t *testing.T, db store.Store, kind interchange.Kind, path string, partial bool) (Result, error) {
	t.Helper()
	return Import(db, Options{Kind: kind, Path: path, Partial: partial, Now: func() time.Time { return importDay }})
}

func countCustomers(t *testing.T, db store.Store) int {
	t.Helper()
	var n int
	if err := db.View(func(tx store.ReadTx) error {
		var err error
		n, err = tx.CountCustomers()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportThenReimportChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		opt  tabular.WriteOptions
		enc  string
	}{
		{"utf-8 with BOM", "c.csv", tabular.WriteOptions{}, "utf-8-bom"},
		{"utf-8 without BOM", "c.csv", tabular.WriteOptions{Encoding: "utf-8-nobom"}, "utf-8"},
		{"gbk", "c.csv", tabular.WriteOptions{Encoding: "gbk"}, "gbk"},
		{"xlsx", "c.xlsx", tabular.WriteOptions{}, "xlsx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			path := writeRows(t, tc.file, interchange.Customers, tc.opt, customers(12)...)
			res, err := importFile(t, db, interchange.Customers, path, false)
			if err != nil || res.Created != 12 || res.Encoding != tc.enc || !res.Committed {
				t.Fatalf("first import: %+v, %v", res, err)
			}
			res, err = importFile(t, db, interchange.Customers, path, false)
			if err != nil || res.Unchanged != 12 || res.Created+res.Updated != 0 {
				t.Fatalf("re-import: %+v, %v; want 12 unchanged", res, err)
			}
			var audit []store.AuditEntry
			db.View(func(tx store.ReadTx) error { audit, err = tx.Audit(0, 100); return err })
			if len(audit) != 1 || audit[0].Action != "import.customers" {
				t.Errorf("audit after import and re-import = %+v, want one import entry", audit)
			}
		})
	}
}

func TestChangedFileUpdatesAndAudits(t *testing.T) {
	db := openStore(t)
	rows := customers(3)
	if _, err := importFile(t, db, interchange.Customers, writeRows(t, "a.csv", interchange.Customers, tabular.WriteOptions{}, rows...), false); err != nil {
		t.Fatal(err)
	}
	rows[1][interchange.CPhone] = "13911112222"
	res, err := importFile(t, db, interchange.Customers, writeRows(t, "b.csv", interchange.Customers, tabular.WriteOptions{}, rows...), false)
	if err != nil || res.Updated != 1 || res.Unchanged != 2 {
		t.Fatalf("changed file: %+v, %v; want 1 updated", res, err)
	}
	var audit []store.AuditEntry
	db.View(func(tx store.ReadTx) error { audit, err = tx.Audit(0, 100); return err })
	var upd *store.AuditEntry
	for i := range audit {
		if audit[i].Action == "customer.update" {
			upd = &audit[i]
		}
	}
	if upd == nil || upd.Key != rows[1][0] || !strings.Contains(string(upd.Before), "13800000000") ||
		!strings.Contains(string(upd.After), "13911112222") || !strings.HasSuffix(upd.Note, "b.csv:3") {
		t.Fatalf("update audit = %+v", upd)
	}
}

func TestBadRowsCommitNothing(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(rows [][]string) [][]string
		line   int
		column string
		reason string
	}{
		{"negative base reading", func(r [][]string) [][]string { r[2][interchange.CBaseReading] = "-5"; return r }, 4, "表底数", "不能为负数"},
		{"unknown meter state", func(r [][]string) [][]string { r[0][interchange.CMeterState] = "停用"; return r }, 2, "表状态", "停用"},
		{"seq no that does not fit its layout", func(r [][]string) [][]string { r[1][interchange.CSeqNo] = "1201010101"; return r }, 3, "抄表序号", "应为11位,实为10位"},
		{"duplicated customer id", func(r [][]string) [][]string { r[3][0] = r[1][0]; return r }, 5, "用户编号", "第3行已有"},
		{"duplicated seq no", func(r [][]string) [][]string {
			r[3][interchange.CSeqNo] = r[1][interchange.CSeqNo]
			return r
		}, 5, "抄表序号", "已属于用户3300000002"},
		{"rule ⑴ broken", func(r [][]string) [][]string { r[0][interchange.CPayMethod] = "充值"; return r }, 2, "缴费方式", "规则⑴"},
		{"not a number", func(r [][]string) [][]string { r[0][interchange.CDialDigits] = "五"; return r }, 2, "表盘位数", "不是整数"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			path := writeRows(t, "bad.csv", interchange.Customers, tabular.WriteOptions{}, tc.mutate(customers(5))...)
			res, err := importFile(t, db, interchange.Customers, path, false)
			if !errors.Is(err, ErrBadRows) || res.Committed || res.Rejected != 1 {
				t.Fatalf("import: %+v, err %v; want ErrBadRows, nothing committed", res, err)
			}
			e := res.Errors[0]
			if e.File != path || e.Line != tc.line || e.Column != tc.column || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("error = %q (line %d, column %q); want line %d column %q containing %q", e, e.Line, e.Column, tc.line, tc.column, tc.reason)
			}
			if n := countCustomers(t, db); n != 0 {
				t.Errorf("%d customers stored from a file with a bad row", n)
			}
		})
	}
}

func TestPartialCommitsGoodRowsAndWritesRejects(t *testing.T) {
	db := openStore(t)
	rows := customers(4)
	rows[2][interchange.CMeterState] = "停用"
	path := writeRows(t, "p.csv", interchange.Customers, tabular.WriteOptions{}, rows...)
	res, err := importFile(t, db, interchange.Customers, path, true)
	if err != nil || res.Created != 3 || res.Rejected != 1 || !res.Committed {
		t.Fatalf("partial import: %+v, %v", res, err)
	}
	if n := countCustomers(t, db); n != 3 {
		t.Errorf("%d customers stored, want 3", n)
	}
	r, err := tabular.Open(res.RejectsPath, append(tabular.Schema{{Key: "line", Header: "行号"}, {Key: "error", Header: "错误"}}, interchange.CustomerSchema...), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, err := r.Next()
	if err != nil || row.Value(0) != "4" || !strings.Contains(row.Value(1), "表状态") || row.Value(2) != rows[2][0] {
		t.Fatalf("rejects file row = %v %v", row, err)
	}
}

func TestFileProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := strings.Join(interchange.Headers(interchange.CustomerSchema), ",")
	gbkHeader, _ := simplifiedchinese.GBK.NewEncoder().String(header)
	tests := []struct {
		name string
		path string
		opt  string
		want string
	}{
		{"missing columns", write("m.csv", []byte("用户编号,用户姓名\n1,张三\n")), "", "用户地址"},
		{"gbk read as utf-8", write("g.csv", []byte(gbkHeader+"\n")), "utf-8", "UTF-8"},
		{"utf-16", write("u.csv", []byte{0xff, 0xfe, 'a', 0, 'b', 0}), "", "UTF-16"},
		{"unknown extension", write("c.txt", []byte(header)), "", "c.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			_, err := Import(db, Options{Kind: interchange.Customers, Path: tc.path, Encoding: tc.opt})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestDependentKinds(t *testing.T) {
	db := openStore(t)
	rows := customers(2)
	if _, err := importFile(t, db, interchange.Customers, writeRows(t, "c.csv", interchange.Customers, tabular.WriteOptions{}, rows...), false); err != nil {
		t.Fatal(err)
	}
	id := rows[0][0]
	hist := writeRows(t, "h.csv", interchange.History, tabular.WriteOptions{},
		[]string{id, "2025-11-05", "120"}, []string{id, "2026-01-06", "131.5"})
	if res, err := importFile(t, db, interchange.History, hist, false); err != nil || res.Created != 2 {
		t.Fatalf("history: %+v %v", res, err)
	}
	unknown := writeRows(t, "h2.csv", interchange.History, tabular.WriteOptions{}, []string{"9999999999", "2025-11-05", "1"})
	if _, err := importFile(t, db, interchange.History, unknown, false); err == nil || !strings.Contains(err.Error(), "不存在") {
		t.Fatalf("history of an unknown customer: %v", err)
	}
	buys := writeRows(t, "p.csv", interchange.ICPurchases, tabular.WriteOptions{},
		[]string{id, "2025-10-01 10:00:00", "50"}, []string{id, "2025-10-01 10:00:00", "20"})
	for i := 0; i < 2; i++ {
		res, err := importFile(t, db, interchange.ICPurchases, buys, false)
		if err != nil || res.Created+res.Unchanged != 2 || (i == 1 && res.Unchanged != 2) {
			t.Fatalf("purchases import %d: %+v %v", i, res, err)
		}
	}
	changes := writeRows(t, "m.csv", interchange.MeterChanges, tabular.WriteOptions{},
		[]string{id, "2026-01-10T09:30:00+08:00", "135", "0", "G4", "5"})
	if res, err := importFile(t, db, interchange.MeterChanges, changes, false); err != nil || res.Created != 1 {
		t.Fatalf("meter changes: %+v %v", res, err)
	}
	db.View(func(tx store.ReadTx) error {
		ps, _ := tx.Purchases(id)
		hs, _ := tx.History(id)
		ms, _ := tx.MeterChanges(id)
		if len(ps) != 2 || ps[0].VolumeM3+ps[1].VolumeM3 != 70 || len(hs) != 2 || hs[1].ValueM3 != 131.5 || len(ms) != 1 {
			t.Errorf("stored purchases %+v history %+v changes %+v", ps, hs, ms)
		}
		return nil
	})
}

func TestReadersAndRotation(t *testing.T) {
	db := openStore(t)
	if _, err := importFile(t, db, interchange.Customers, writeRows(t, "c.csv", interchange.Customers, tabular.WriteOptions{}, customers(3)...), false); err != nil {
		t.Fatal(err)
	}
	first := writeRows(t, "r.csv", interchange.Readers, tabular.WriteOptions{},
		[]string{"R1", "王五", "1201 1300", ""}, []string{"R2", "赵六", "1400", ""})
	if res, err := importFile(t, db, interchange.Readers, first, false); err != nil || res.Created != 2 {
		t.Fatalf("readers: %+v %v", res, err)
	}
	if res, err := importFile(t, db, interchange.Readers, first, false); err != nil || res.Unchanged != 2 {
		t.Fatalf("readers again: %+v %v", res, err)
	}
	rotated := writeRows(t, "r2.csv", interchange.Readers, tabular.WriteOptions{},
		[]string{"R1", "王五", "1300", ""}, []string{"R2", "赵六", "1400 1201", "2027-01"})
	if res, err := importFile(t, db, interchange.Readers, rotated, false); err != nil || res.Updated != 1 {
		t.Fatalf("rotation: %+v %v", res, err)
	}
	jan := domain.MonthOf(time.Date(2027, 1, 10, 0, 0, 0, 0, domain.Local))
	db.View(func(tx store.ReadTx) error {
		before, _ := tx.Route("R1", jan.Add(-2))
		after, _ := tx.Route("R2", jan)
		if len(before) != 3 || len(after) != 3 {
			t.Errorf("route of R1 before the rotation has %d, of R2 after it %d; want 3 and 3", len(before), len(after))
		}
		return nil
	})
	dup := writeRows(t, "r3.csv", interchange.Readers, tabular.WriteOptions{},
		[]string{"R1", "王五", "1300", ""}, []string{"R2", "赵六", "1300", ""})
	if _, err := importFile(t, db, interchange.Readers, dup, false); err == nil || !strings.Contains(err.Error(), "抄表册1300重复") {
		t.Fatalf("a book given to two readers: %v", err)
	}
}
