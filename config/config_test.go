package config

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestExampleEqualsDefault(t *testing.T) {
	c, err := Parse(Example(), "meter-sync.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example differs from Default():\nexample: %+v\ndefault: %+v", c, Default())
	}
}

// TestExampleSetsEveryKey keeps the example complete: Parse starts from the
// defaults, so a key left out of the example would still compare equal.
func TestExampleSetsEveryKey(t *testing.T) {
	var c Config
	md, err := toml.Decode(string(Example()), &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys(reflect.TypeOf(c), nil) {
		if !md.IsDefined(key...) {
			t.Errorf("example does not set %s", strings.Join(key, "."))
		}
	}
}

// keys lists the TOML key paths of every leaf field of struct type t.
func keys(t reflect.Type, prefix []string) [][]string {
	var out [][]string
	for i := range t.NumField() {
		f := t.Field(i)
		path := append(append([]string(nil), prefix...), f.Tag.Get("toml"))
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration{}) {
			out = append(out, keys(f.Type, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

func TestExampleCommentsEveryKey(t *testing.T) {
	keyLine := regexp.MustCompile(`^[a-z0-9_]+ = `)
	prev := ""
	for i, line := range strings.Split(string(Example()), "\n") {
		if keyLine.MatchString(line) && !strings.HasPrefix(prev, "#") {
			t.Errorf("line %d: %q has no comment above it", i+1, line)
		}
		prev = line
	}
}

func TestExampleIsACopy(t *testing.T) {
	Example()[0] = 'X'
	if Example()[0] == 'X' {
		t.Error("Example returns the embedded bytes, not a copy")
	}
}

func TestDefaultValidates(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultReturnsFreshSlices(t *testing.T) {
	Default().Calendar.Holidays[0] = "changed"
	if Default().Calendar.Holidays[0] == "changed" {
		t.Error("Default shares its slices between calls")
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(Default()); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(buf.Bytes(), "encoded")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("round trip changed the config:\n%s", buf.Bytes())
	}
}

func TestParseOverridesOnlyWhatItSets(t *testing.T) {
	c, err := Parse([]byte("[server]\nread_timeout = \"1m\"\n[orders.commitment_days]\nexchange = 2\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.ReadTimeout = Duration{time.Minute}
	want.Orders.CommitmentDays.Exchange = 2
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestParseReplacesLists(t *testing.T) {
	c, err := Parse([]byte("[calendar]\nholidays = [\"2027-01-01\"]\nextra_workdays = []\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Calendar.Holidays, []string{"2027-01-01"}) || len(c.Calendar.ExtraWorkdays) != 0 {
		t.Errorf("calendar = %+v, want the lists replaced", c.Calendar)
	}
}

func TestUnknownKey(t *testing.T) {
	tests := []struct {
		name, toml, key string
	}{
		{"top level", "colour = \"red\"\n", `"colour"`},
		{"in a section", "[server]\nadr = \":80\"\n", `"server.adr"`},
		{"unknown section", "[metrics]\nenabled = true\n", `"metrics"`},
		{"unknown business type", "[orders.commitment_days]\ninstal = 5\n", `"orders.commitment_days.instal"`},
		{"misplaced key", "[log]\naddr = \":80\"\n", `"log.addr"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), "t.toml")
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, "unknown key "+tt.key) || !strings.HasPrefix(msg, "config: t.toml: ") {
				t.Errorf("error %q does not name key %s in t.toml", msg, tt.key)
			}
		})
	}
}

func TestUnknownTableReportedOnce(t *testing.T) {
	_, err := Parse([]byte("[metrics]\nenabled = true\n[server]\nadr = 1\n"), "t.toml")
	want := "config: t.toml: unknown key \"metrics\"\nconfig: t.toml: unknown key \"server.adr\""
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDecodeErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name, toml string
		want       []string
	}{
		{"duration as number", "[server]\n\nread_timeout = 30\n", []string{"line 3", "server.read_timeout"}},
		{"duration without unit", "[clock]\nmax_skew = \"2\"\n", []string{"line 2", "clock.max_skew", "invalid duration"}},
		{"string as number", "[store]\nfile = 1\n", []string{"line 2", "store.file"}},
		{"number as string", "[validation]\nbaseline_months = \"6\"\n", []string{"line 2", "validation.baseline_months"}},
		{"list as string", "[calendar]\nholidays = \"2026-01-01\"\n", []string{"line 2", "calendar.holidays"}},
		{"syntax", "[server]\naddr = \n", []string{"line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), "t.toml")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config: t.toml: ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestParseValidates(t *testing.T) {
	_, err := Parse([]byte("[validation]\nlarge_volume_factor = 0.5\n"), "t.toml")
	want := "config: t.toml: validation.large_volume_factor: must be > 1, got 0.5"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meter-sync.toml")
	if err := os.WriteFile(path, []byte("[log]\nlevel = \"debug\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" || c.Log.Format != "text" {
		t.Errorf("log = %+v, want level debug over the defaults", c.Log)
	}

	_, err = Load(filepath.Join(dir, "missing.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestByType(t *testing.T) {
	want := map[string]int{
		"安装": 5, "改装": 5, "点火": 3, "二次点火": 3, "封表": 3, "启封": 3, "校表": 5,
		"换波纹管/其它": 5, "拆表": 5, "换表": 5, "统一换表": 5, "更换调压器": 5, "隐患整改": 5,
	}
	if got := Default().Orders.CommitmentDays.ByType(); !reflect.DeepEqual(got, want) {
		t.Errorf("ByType() = %v, want %v", got, want)
	}
}

// TestCommitmentListCoversEveryField keeps list (and so ByType and
// Validate) in step with the struct.
func TestCommitmentListCoversEveryField(t *testing.T) {
	var d CommitmentDays
	v := reflect.ValueOf(&d).Elem()
	for i := range v.NumField() {
		v.Field(i).SetInt(int64(100 + i))
	}
	byKey := map[string]int{}
	for _, c := range d.list() {
		byKey[c.key] = c.days
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if got := byKey[f.Tag.Get("toml")]; got != 100+i {
			t.Errorf("list() has %s = %d, want field %s (%d)", f.Tag.Get("toml"), got, f.Name, 100+i)
		}
	}
	if len(byKey) != v.NumField() {
		t.Errorf("list() has %d keys, the struct %d fields", len(byKey), v.NumField())
	}
}

func TestExportDayOf(t *testing.T) {
	tests := []struct {
		name, exportDay string
		year            int
		month           time.Month
		want            int
	}{
		{"last of February", "last", 2026, time.February, 28},
		{"last of leap February", "last", 2028, time.February, 29},
		{"last of December", "last", 2026, time.December, 31},
		{"last of April", "last", 2026, time.April, 30},
		{"fixed day", "15", 2026, time.February, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Cycle{ExportDay: tt.exportDay}
			if got := c.ExportDayOf(tt.year, tt.month); got != tt.want {
				t.Errorf("ExportDayOf(%d, %v) = %d, want %d", tt.year, tt.month, got, tt.want)
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := (Log{Level: level}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", level, got, want)
		}
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Duration != 90*time.Second {
		t.Fatalf("UnmarshalText(1m30s) = %v, %v", d, err)
	}
	if b, _ := d.MarshalText(); string(b) != "1m30s" {
		t.Errorf("MarshalText = %q", b)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText(soon): no error")
	}
}
