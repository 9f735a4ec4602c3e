package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/tabular"
)

// appendAudit adds n entries of action, a minute apart from at.
func appendAudit(t *testing.T, st store.Store, n int, action string, at time.Time) {
	t.Helper()
	err := st.Update(func(tx store.Tx) error {
		for i := range n {
			e := store.AuditEntry{At: at.Add(time.Duration(i) * time.Minute), Actor: "importer", Role: "clerk",
				Action: action, Key: fmt.Sprintf("33%08d", i), Note: fmt.Sprintf("用户.csv 第%d行", i+2),
				After: []byte(`{"name":"某某"}`)}
			if _, err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func auditSeqs(t *testing.T, page string) []string {
	t.Helper()
	if strings.Contains(page, `id="no-entries"`) {
		return nil
	}
	var out []string
	for _, r := range table(t, page, "audit", "tbody") {
		out = append(out, r[0])
	}
	return out
}

func TestAuditSearchAndPaging(t *testing.T) {
	// The trail is appended in time order: the 7 test accounts (1-7), 120
	// updates (8-127), two additions (128, 129), a sign-in (130).
	env := newTestEnv(t)
	s, st := env.srv, env.st
	appendAudit(t, st, 120, "customer.update", march.Add(time.Minute))
	appendAudit(t, st, 1, "customer.add", time.Date(2026, 3, 16, 9, 0, 0, 0, domain.Local))
	appendAudit(t, st, 1, "customer.add", time.Date(2026, 3, 20, 9, 0, 0, 0, domain.Local))
	env.clock.Add(6 * 24 * time.Hour)
	reviewer := signedIn(t, s, "reviewer")

	page := get(t, reviewer, "/audit").Body.String()
	if got := joinRows(table(t, page, "audit", "thead")); got != strings.Join(auditHeaders, " | ") {
		t.Errorf("headers = %s", got)
	}
	first := table(t, page, "audit", "tbody")
	if len(first) != 50 || first[0][0] != "130" || first[0][2] != "reviewer" || first[0][3] != "审核员" || first[0][5] != "signin" {
		t.Fatalf("first page: %d rows, first %v", len(first), first[0])
	}

	// Paging through one search: 50, 50, 20, newest first, no entry twice.
	target := "/audit?action=customer.update"
	var seen []string
	for p := 0; target != ""; p++ {
		doc := get(t, reviewer, target).Body.String()
		seqs := auditSeqs(t, doc)
		seen = append(seen, seqs...)
		older := find(parseHTML(t, doc), func(n *html.Node) bool { return attr(n, "id") == "older" })
		newest := find(parseHTML(t, doc), func(n *html.Node) bool { return attr(n, "id") == "newest" })
		if (p > 0) != (newest != nil) {
			t.Errorf("page %d: link to the newest = %v", p, newest != nil)
		}
		target = ""
		if older != nil {
			target = attr(older, "href")
			if !strings.Contains(target, "action=customer.update") || !strings.Contains(target, "before=") {
				t.Errorf("older link %q loses the search", target)
			}
		}
		if want := []int{50, 50, 20}[min(p, 2)]; len(seqs) != want {
			t.Errorf("page %d: %d rows, want %d", p, len(seqs), want)
		}
	}
	if len(seen) != 120 || seen[0] != "127" || seen[119] != "8" {
		t.Errorf("paged through %d entries, from %s to %s", len(seen), seen[0], seen[len(seen)-1])
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"action=customer.add", []string{"129", "128"}},
		{"action=customer.add&from=2026-03-17", []string{"129"}},
		{"action=customer.add&to=2026-03-16", []string{"128"}},
		{"action=customer&from=2026-03-16&to=2026-03-19", []string{"128"}},
		{"key=3300000007", []string{"15"}},
		{"text=" + "第9行", []string{"15"}},
		{"actor=reviewer", []string{"130"}},
		{"actor=nobody", nil},
		{"action=account.add&key=reader", []string{"7"}},
	}
	for _, tc := range tests {
		if got := auditSeqs(t, get(t, reviewer, "/audit?"+tc.query).Body.String()); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	page = get(t, reviewer, "/audit?action=account.add&key=reader").Body.String()
	row := table(t, page, "audit", "tbody")[0]
	if row[2] != "system" || !strings.Contains(row[8], `"ReaderID":"R1"`) || !strings.Contains(row[8], `"Password":"(已设置)"`) {
		t.Errorf("an account.add entry: %v", row)
	}
	if strings.Contains(page, "argon2") {
		t.Error("the audit page shows a password hash")
	}
}

// exportSchema reads an export back by its Chinese headers.
func exportSchema() tabular.Schema {
	var sc tabular.Schema
	for _, h := range auditHeaders {
		sc = append(sc, tabular.Column{Key: h, Header: h, Required: true})
	}
	return sc
}

func readExport(t *testing.T, r *tabular.Reader) [][]string {
	t.Helper()
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		var vs []string
		for i := range auditHeaders {
			vs = append(vs, row.Value(i))
		}
		rows = append(rows, vs)
	}
}

func TestAuditExports(t *testing.T) {
	s, st := newTestServer(t)
	appendAudit(t, st, 120, "customer.update", march.Add(time.Minute)) // 8-127
	admin := signedIn(t, s, "admin")
	page := get(t, admin, "/audit?action=customer.update&from=2026-03-15").Body.String()
	links := map[string]string{}
	for _, f := range []string{"csv", "xlsx"} {
		a := find(parseHTML(t, page), func(n *html.Node) bool {
			return n.Data == "a" && strings.Contains(attr(n, "href"), "format="+f)
		})
		if a == nil {
			t.Fatalf("no %s export link", f)
		}
		links[f] = attr(a, "href")
	}
	if !strings.Contains(links["csv"], "action=customer.update") || !strings.Contains(links["csv"], "from=2026-03-15") {
		t.Errorf("the export link loses the search: %s", links["csv"])
	}

	rec := get(t, admin, links["csv"])
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="audit-20260315-100000.csv"` {
		t.Fatalf("CSV export: %d %v", rec.Code, rec.Header())
	}
	if !bytes.HasPrefix(rec.Body.Bytes(), []byte("\uFEFF序号,时间,操作人,角色,设备,操作,对象,修改前,修改后,备注\r\n")) {
		t.Errorf("CSV header: %q", rec.Body.String()[:80])
	}
	r, err := tabular.NewCSV(bytes.NewReader(rec.Body.Bytes()), "audit.csv", int64(rec.Body.Len()), exportSchema(), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	csvRows := readExport(t, r)
	if len(csvRows) != 120 || csvRows[0][0] != "127" || csvRows[119][0] != "8" {
		t.Fatalf("CSV: %d rows, first %v", len(csvRows), csvRows[0])
	}
	want := []string{"127", "2026-03-15 12:00:00", "importer", "营业员", "", "customer.update", "3300000119", "",
		`{"name":"某某"}`, "用户.csv 第121行"}
	if strings.Join(csvRows[0], "|") != strings.Join(want, "|") {
		t.Errorf("CSV row:\n got %q\nwant %q", csvRows[0], want)
	}

	rec = get(t, admin, links["xlsx"])
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/vnd.openxmlformats") {
		t.Fatalf("XLSX export: %d %v", rec.Code, rec.Header())
	}
	path := filepath.Join(t.TempDir(), "audit.xlsx")
	if err := os.WriteFile(path, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := tabular.Open(path, exportSchema(), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	xlsxRows := readExport(t, x)
	if len(xlsxRows) != len(csvRows) {
		t.Fatalf("XLSX has %d rows, CSV %d", len(xlsxRows), len(csvRows))
	}
	for i := range csvRows {
		if strings.Join(xlsxRows[i], "|") != strings.Join(csvRows[i], "|") {
			t.Errorf("row %d: XLSX %q, CSV %q", i, xlsxRows[i], csvRows[i])
		}
	}

	// An entry XLSX cannot hold (a control character) is marked, not lost with
	// the rest of the file.
	if err := st.Update(func(tx store.Tx) error {
		_, err := tx.AppendAudit(store.AuditEntry{At: march, Actor: "x", Action: "odd", Note: "响铃\x07"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rec = get(t, admin, "/audit/export?format=xlsx&action=odd")
	if err := os.WriteFile(path, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if x, err = tabular.Open(path, exportSchema(), tabular.Options{}); err != nil {
		t.Fatal(err)
	}
	if rows := readExport(t, x); len(rows) != 1 || !strings.Contains(rows[0][9], "请导出CSV查看") {
		t.Errorf("odd entry in XLSX: %v", rows)
	}
	if rec := get(t, signedIn(t, s, "clerk"), links["csv"]); rec.Code != http.StatusForbidden {
		t.Errorf("a clerk exporting the audit trail: %d", rec.Code)
	}
}
