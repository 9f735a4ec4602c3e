package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"meter-sync/internal/ptytest"
	"meter-sync/vee"
)

// reviewedCity is a city whose readers' readings are imported and every
// anomaly decided, ready to commit; it returns the data folder and the
// readers.
func reviewedCity(t *testing.T) (string, []string) {
	t.Helper()
	data, city := cityData(t)
	files, _ := filepath.Glob(filepath.Join(city, "readings", "2026-01", "R*.csv"))
	if len(files) < 2 {
		t.Fatalf("want readings of two readers or more, got %v", files)
	}
	var readers []string
	for _, f := range files {
		r := strings.TrimSuffix(filepath.Base(f), ".csv")
		readers = append(readers, r)
		if _, stderr, code := run(t, "import", "--data", data, "--kind", "readings", "--reader", r, "--cycle", "2026-01", "--file", f); code != 0 {
			t.Fatalf("import %s: %s", f, stderr)
		}
	}
	// The first try is refused and raises MISSED.
	out, _, code := run(t, "review", "commit", "--data", data, "--cycle", "2026-01")
	if code == 0 || !strings.Contains(out, "MISSED") {
		t.Fatalf("early commit: exit %d, %s", code, out)
	}
	var codes []string
	for _, c := range vee.Codes() {
		codes = append(codes, string(c))
	}
	for _, r := range readers {
		out, stderr, code := run(t, "review", "confirm", "--data", data, "--cycle", "2026-01", "--reader", r,
			"--code", strings.Join(codes, ","), "--why", "核实无误")
		if code != 0 {
			t.Fatalf("confirm %s: %s%s", r, out, stderr)
		}
	}
	return data, readers
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if out, err := exec.Command("cp", "-a", from+"/.", to).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return to
}

// exported is the committed readings of 2026-01 as the CIS gets them.
func exported(t *testing.T, data string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "readings.csv")
	if o, stderr, code := run(t, "export", "--data", data, "--kind", "readings", "--cycle", "2026-01", "--out", out); code != 0 {
		t.Fatalf("export: %s%s", o, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// byReader splits an export into each reader's rows.
func byReader(csv string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(strings.ReplaceAll(csv, "\r", "")), "\n")[1:] {
		cells := strings.Split(line, ",")
		out[cells[4]] = append(out[cells[4]], line)
	}
	return out
}

// TestSIGKILLDuringCommit: a commit killed at any point leaves each
// reader's cycle committed whole or not at all, the store consistent, and
// committing again completes it as an uninterrupted commit would have.
func TestSIGKILLDuringCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city")
	}
	base, readers := reviewedCity(t)
	ref := copyDir(t, base)
	if out, stderr, code := run(t, "review", "commit", "--data", ref, "--cycle", "2026-01"); code != 0 {
		t.Fatalf("reference commit: %s%s", out, stderr)
	}
	want := exported(t, ref)
	wantRows := byReader(want)
	if len(wantRows) != len(readers) {
		t.Fatalf("reference export holds %d readers, want %d", len(wantRows), len(readers))
	}
	for i, r := range readers {
		t.Run("at "+r, func(t *testing.T) {
			data := copyDir(t, base)
			killed := killCommitAt(t, data, "入库 "+r)
			if out, stderr, code := run(t, "check", "--data", data); code != 0 {
				t.Fatalf("check after SIGKILL: %s%s", out, stderr)
			}
			got := byReader(exported(t, data))
			for rd, rows := range got {
				if !slices.Equal(rows, wantRows[rd]) {
					for k := range rows {
						if k < len(wantRows[rd]) && rows[k] != wantRows[rd][k] {
							t.Logf("got  %s\nwant %s", rows[k], wantRows[rd][k])
							break
						}
					}
					t.Errorf("after SIGKILL, %s's cycle is committed in part: %d rows of %d", rd, len(rows), len(wantRows[rd]))
				}
			}
			if killed && len(got) > i+1 {
				t.Errorf("killed at %s, yet %d readers are committed", r, len(got))
			}
			if out, stderr, code := run(t, "review", "commit", "--data", data, "--cycle", "2026-01"); code != 0 {
				t.Fatalf("commit after SIGKILL: %s%s", out, stderr)
			}
			if got := exported(t, data); got != want {
				t.Errorf("after SIGKILL and a second commit the export differs from an uninterrupted commit's")
			}
			out, _, _ := run(t, "review", "commit", "--data", data, "--cycle", "2026-01")
			if strings.Count(out, "already committed") != len(readers) {
				t.Errorf("a third commit: %s, want every reader already committed", out)
			}
		})
	}
}

// killCommitAt starts `review commit` for the month and SIGKILLs it when it
// says it begins the line killAt; it says whether the kill landed.
func killCommitAt(t *testing.T, data, killAt string) bool {
	t.Helper()
	cmd := exec.Command(binary, "review", "commit", "--data", data, "--cycle", "2026-01")
	killed := ptytest.KillWhen(t, cmd, func(line string) bool { return strings.HasPrefix(line, killAt) })
	if !killed {
		t.Logf("commit ended before the kill at %q", killAt)
	}
	return killed
}

// TestReviewCommands: the commands refuse with the household and anomaly
// named, and orders list shows the orders confirmations created.
func TestReviewCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city")
	}
	data, readers := reviewedCity(t)
	r := readers[0]
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"nothing left to return", []string{"review", "reread", "--cycle", "2026-01", "--reader", r, "--code", "LARGE_VOLUME"}, 1, "没有待处理的异常"},
		{"unknown code", []string{"review", "confirm", "--cycle", "2026-01", "--reader", r, "--code", "NOPE"}, 1, "unknown anomaly code"},
		{"nothing named", []string{"review", "confirm", "--cycle", "2026-01", "--reader", r}, 1, "--customer"},
		{"orders", []string{"orders", "list"}, 0, "待派工"},
		{"commit", []string{"review", "commit", "--cycle", "2026-01", "--reader", r}, 0, "committed by cli"},
		{"closed after commit", []string{"review", "missed", "--cycle", "2026-01", "--reader", r, "--why", "x"}, 1, "没有待处理的异常"},
		{"report", []string{"report", "--cycle", "2026-01", "--out", filepath.Join(t.TempDir(), "r.xlsx")}, 0, "抄表管理报告"},
		{"ignitions", []string{"report", "--kind", "ignitions", "--cycle", "2026-01", "--out", filepath.Join(t.TempDir(), "i.xlsx")}, 0, "ignitions 2025-12-26 to 2026-01-25"},
		{"report wants xlsx", []string{"report", "--cycle", "2026-01", "--out", "r.csv"}, 1, ".xlsx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := run(t, append(tt.args, "--data", data)...)
			if code != tt.code || !strings.Contains(out+stderr, tt.want) {
				t.Errorf("exit %d, want %d; output %s%s; want %q in it", code, tt.code, out, stderr, tt.want)
			}
		})
	}
}
