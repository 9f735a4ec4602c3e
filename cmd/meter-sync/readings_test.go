package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"meter-sync/fixtures"
	"meter-sync/interchange"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// cityData generates a 2,000-household city with the fixtures command and
// imports its master files; it returns the data folder and the city folder.
func cityData(t *testing.T) (data, city string) {
	t.Helper()
	data, city = t.TempDir(), t.TempDir()
	if _, stderr, code := run(t, "fixtures", "--households", "2000", "--seed", "1", "--out", city); code != 0 {
		t.Fatalf("fixtures: %s", stderr)
	}
	for _, kind := range []string{"readers", "customers", "history", "ic_purchases", "meter_changes"} {
		if _, stderr, code := run(t, "import", "--data", data, "--kind", kind, "--file", filepath.Join(city, kind+".csv")); code != 0 {
			t.Fatalf("import %s: %s", kind, stderr)
		}
	}
	return data, city
}

// labelsOf reads the city's labels.csv: what validation should find at
// import in reader's file, as "用户编号 CODE" (MISSED is found at commit; a
// ROLLOVER trap is the code ROLLOVER, which is right).
func labelsOf(t *testing.T, city, reader string) []string {
	t.Helper()
	r, err := tabular.Open(filepath.Join(city, "labels.csv"), interchange.LabelSchema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		l, err := interchange.DecodeLabel(row)
		if err != nil {
			t.Fatal(err)
		}
		if l.ReaderID != reader || l.Code == string(vee.CodeMissed) || (l.Kind == interchange.LabelTrap && l.Code != fixtures.TrapRollover) {
			continue
		}
		out = append(out, l.CustomerID+" "+l.Code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestReadingsImportAnomaliesAndRouteFile(t *testing.T) {
	data, city := cityData(t)
	file := filepath.Join(city, "readings", "2026-01", "R001.csv")
	readings := []string{"import", "--data", data, "--kind", "readings", "--reader", "R001", "--cycle", "2026-01", "--file", file}
	out, stderr, code := run(t, readings...)
	if code != 0 || !strings.Contains(out, "anomalies of R001 2026-01:") || !strings.Contains(out, "LARGE_VOLUME") {
		t.Fatalf("readings import: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = run(t, readings...)
	if code != 0 || !strings.Contains(out, "0 new readings, 0 new versions, 609 unchanged") || !strings.Contains(out, "(added 0, updated 0, removed 0;") {
		t.Fatalf("re-import: exit %d; want nothing changed\n%s%s", code, out, stderr)
	}
	want := labelsOf(t, city, "R001")

	out, stderr, code = run(t, "anomalies", "--data", data, "--cycle", "2026-01", "--reader", "R001")
	if code != 0 {
		t.Fatalf("anomalies: %s", stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 || !slices.Equal(recs[0], anomalyHeaders) {
		t.Fatalf("anomalies CSV: %v\n%s", err, out)
	}
	var got []string
	for _, r := range recs[1:] {
		c := vee.Code(r[2])
		if r[1] != "R001" || r[3] != c.Chinese() || r[4] != severity(c.Blocking()) || r[5] != "open" ||
			!strings.Contains(r[6], "=") || r[7] == "" {
			t.Errorf("anomalies row %q", r)
		}
		got = append(got, r[0]+" "+r[2])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("anomalies listed differ from the labels:\n got %v\nwant %v", got, want)
	}

	out, stderr, code = run(t, "anomalies", "--data", data, "--cycle", "2026-01", "--format", "json")
	var listed []anomalyJSON
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != len(want) {
		t.Fatalf("anomalies --format json: exit %d, %v, %d anomalies; want %d\n%s", code, err, len(listed), len(want), stderr)
	}
	if a := listed[0]; a.Cycle != "2026-01" || a.Name == "" || len(a.Facts) == 0 || a.Version != 1 {
		t.Errorf("first JSON anomaly %+v", a)
	}

	route := filepath.Join(t.TempDir(), "route.xlsx")
	out, stderr, code = run(t, "export-route", "--data", data, "--reader", "R001", "--cycle", "2026-01", "--out", route)
	if code != 0 || !strings.Contains(out, "households written to") {
		t.Fatalf("export-route: exit %d\n%s%s", code, out, stderr)
	}
	filled, read, blank := fillRoute(t, route, file)
	out, stderr, code = run(t, "import", "--data", data, "--kind", "readings", "--reader", "R001", "--cycle", "2026-01", "--file", filled)
	if w := fmt.Sprintf("0 new readings, 0 new versions, %d unchanged, %d not read", read, blank); code != 0 || !strings.Contains(out, w) {
		t.Fatalf("import of the filled route file: exit %d; want %q\n%s%s", code, w, out, stderr)
	}
}

// fillRoute fills a route file with the readings of a readings file, as a
// handheld does, leaving the households with no reading blank; it returns
// the filled file and how many rows it filled and left blank.
func fillRoute(t *testing.T, route, readings string) (string, int, int) {
	t.Helper()
	byID := map[string][]string{}
	for _, row := range readAll(t, readings, interchange.ReadingSchema) {
		if _, seen := byID[row[interchange.GCustomerID]]; !seen {
			byID[row[interchange.GCustomerID]] = row
		}
	}
	rows := readAll(t, route, interchange.RouteSchema)
	read := 0
	for _, row := range rows {
		g, ok := byID[row[interchange.RtCustomerID]]
		if !ok {
			continue
		}
		read++
		row[interchange.RtReading], row[interchange.RtReadAt], row[interchange.RtFlags] = g[interchange.GReading], g[interchange.GReadAt], g[interchange.GFlags]
		row[interchange.RtICRemaining], row[interchange.RtICUsed], row[interchange.RtRemark] = g[interchange.GICRemaining], g[interchange.GICUsed], g[interchange.GRemark]
	}
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	w, err := tabular.Create(path, interchange.Headers(interchange.RouteSchema), tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, read, len(rows) - read
}

func readAll(t *testing.T, path string, schema tabular.Schema) [][]string {
	t.Helper()
	r, err := tabular.Open(path, schema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
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
		cells := make([]string, len(schema))
		for i := range cells {
			cells[i] = row.Value(i)
		}
		rows = append(rows, cells)
	}
}

func TestReadingsFlags(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(file, []byte("用户编号,本次读数,抄表时间\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"readings without reader", []string{"import", "--kind", "readings", "--cycle", "2026-01", "--file", file}, "needs --reader and --cycle"},
		{"readings without cycle", []string{"import", "--kind", "readings", "--reader", "R001", "--file", file}, "needs --reader and --cycle"},
		{"bad cycle", []string{"import", "--kind", "readings", "--reader", "R001", "--cycle", "2026-13", "--file", file}, "--cycle"},
		{"reader for customers", []string{"import", "--kind", "customers", "--reader", "R001", "--file", file}, "for --kind readings only"},
		{"unknown reader", []string{"import", "--kind", "readings", "--reader", "R404", "--cycle", "2026-01", "--file", file}, "R404"},
		{"anomalies without cycle", []string{"anomalies"}, "--cycle is required"},
		{"anomalies format", []string{"anomalies", "--cycle", "2026-01", "--format", "xml"}, "want csv or json"},
		{"export without out", []string{"export-route", "--reader", "R001", "--cycle", "2026-01"}, "are required"},
		{"export of an unknown reader", []string{"export-route", "--reader", "R404", "--cycle", "2026-01", "--out", filepath.Join(data, "x.csv")}, "R404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, append(tc.args, "--data", data)...)
			if code != 1 || !strings.Contains(lastLine(stderr), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 saying %q", code, stderr, tc.want)
			}
		})
	}
}
