package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"meter-sync/interchange"
	"meter-sync/tabular"
)

// bin is the handheld binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "handheld-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "handheld")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary with --data dir and args and returns its output.
func run(t *testing.T, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--data", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// must runs the binary and fails the test unless it succeeds and its output
// holds every one of want.
func must(t *testing.T, dir string, want []string, args ...string) string {
	t.Helper()
	out, errs, err := run(t, dir, args...)
	if err != nil {
		t.Fatalf("handheld %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("handheld %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// writeRoute writes a route file of n households of R001 and returns its path.
func writeRoute(t *testing.T, n int, badLine int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "route.csv")
	w, err := tabular.Create(path, interchange.Headers(interchange.RouteSchema), tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		row := make([]string, len(interchange.RouteSchema))
		row[interchange.RtSeqNo] = fmt.Sprintf("0101%02d1%03d", 1+i/10, 101+i%10)
		row[interchange.RtCustomerID] = fmt.Sprintf("C%05d", i+1)
		row[interchange.RtMeterKind], row[interchange.RtMeterState] = "抄表", "通气"
		row[interchange.RtPrevReading], row[interchange.RtPrevReadDate] = fmt.Sprint(100+i), "2025-11-05"
		row[interchange.RtReaderID] = "R001"
		if i+2 == badLine {
			row[interchange.RtPrevReading] = "abc"
		}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

const key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestInitLoadWalkStats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hh")
	route := writeRoute(t, 20, 0)
	must(t, dir, []string{"HH-0001"}, "init", "--id", "HH-0001", "--key", key)
	must(t, dir, []string{"offset 3h0m0s"}, "clock", "--offset", "3h")
	must(t, dir, []string{"20户"}, "load-route", "--reader", "R001", "--cycle", "2026-01", "--file", route)
	must(t, dir, []string{"应抄        20户", "已抄         0户"}, "stats")
	must(t, dir, []string{"抄表15户"}, "walk", "--seed", "5", "--limit", "15", "--start", "2026-01-06T09:00:00+08:00")
	must(t, dir, []string{"应抄        20户", "已抄        15户", "未抄         5户", "0101"}, "stats")
	must(t, dir, []string{"抄表机编号  HH-0001", "抄表员      R001", "路线用户    20户", "待上传读数  15条", "(比系统时间快3h0m0s)"}, "manage")
	out := must(t, dir, nil, "readings")
	r, err := tabular.NewCSV(strings.NewReader(out), "readings.csv", int64(len(out)), interchange.ReadingSchema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := 0
	for row, err := r.Next(); err == nil; row, err = r.Next() {
		if _, err := interchange.DecodeReading(row, 0); err != nil {
			t.Errorf("line %d: %v", row.Line(), err)
		}
		rows++
	}
	if rows != 15 {
		t.Errorf("readings file has %d rows, want 15:\n%s", rows, out)
	}

	// The same walk in another handheld gives the same readings.
	dir2 := filepath.Join(t.TempDir(), "hh2")
	must(t, dir2, nil, "load-route", "--reader", "R001", "--cycle", "2026-01", "--file", route)
	must(t, dir2, nil, "walk", "--seed", "5", "--limit", "15", "--start", "2026-01-06T09:00:00+08:00")
	if out2 := must(t, dir2, nil, "readings"); out2 != out {
		t.Errorf("the same walk gave other readings:\n%s\nthen\n%s", out, out2)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"bad route", func(t *testing.T) []string {
			return []string{"load-route", "--reader", "R001", "--cycle", "2026-01", "--file", writeRoute(t, 5, 4)}
		}, "handheld: load route: route.csv:4: column 上次读数: \"abc\""},
		{"bad key", func(*testing.T) []string { return []string{"init", "--id", "HH-1", "--key", "abc"} }, "handheld: the key must be 64 hex digits"},
		{"missing flags", func(*testing.T) []string { return []string{"load-route", "--reader", "R001"} }, "handheld: load-route: --reader, --cycle and --file are required"},
		{"walk without a route", func(*testing.T) []string { return []string{"walk"} }, "handheld: no route loaded"},
		{"unknown command", func(*testing.T) []string { return []string{"fly"} }, "handheld: unknown command \"fly\""},
		{"both clock settings", func(*testing.T) []string { return []string{"clock", "--offset", "1h", "--set", "2026-01-01"} }, "handheld: clock: give --offset or --set, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, err := run(t, filepath.Join(t.TempDir(), "hh"), tt.args(t)...)
			if err == nil {
				t.Fatal("succeeded")
			}
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr %q lacks %q", errs, tt.want)
			}
		})
	}
}
