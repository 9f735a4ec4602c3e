package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"meter-sync/config"
)

// unit is a systemd unit file: section → key → values, in order (a key such
// as DeviceAllow may be given more than once).
type unit map[string]map[string][]string

// parseUnit reads a unit file as systemd does: [Section] headers, key=value
// lines, comments starting with # or ;. Anything else is an error.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if u[section] != nil {
				t.Errorf("%s:%d: section [%s] twice", path, n, section)
			}
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if !ok || section == "" || !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`).MatchString(k) || strings.HasSuffix(v, `\`) {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one is the single value of a key, failing if it is missing or repeated.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) != 1 {
		t.Fatalf("[%s] %s: %q, want one value", section, key, vs)
	}
	return vs[0]
}

// systemdSeconds reads a systemd time span such as "45s", "1min 30s" or "45".
func systemdSeconds(t *testing.T, s string) time.Duration {
	t.Helper()
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "min", "m")
	if regexp.MustCompile(`^\d+$`).MatchString(s) {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("time span %q: %v", s, err)
	}
	return d
}

func TestSystemdUnits(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy")
	svc := parseUnit(t, filepath.Join(dir, "meter-sync.service"))
	argv := strings.Fields(svc.one(t, "Service", "ExecStart"))
	if argv[0] != "/usr/local/bin/meter-sync" || argv[1] != "serve" {
		t.Errorf("ExecStart runs %q, want /usr/local/bin/meter-sync serve", argv[:2])
	}
	// The flags it passes are serve's.
	if _, stderr, code := run(t, append(argv[1:], "--help")...); code != 0 {
		t.Errorf("meter-sync %s --help: exit %d, %s", strings.Join(argv[1:], " "), code, stderr)
	}
	grace := config.Default().Server.ShutdownGrace.Duration
	if stop := systemdSeconds(t, svc.one(t, "Service", "TimeoutStopSec")); stop <= grace {
		t.Errorf("TimeoutStopSec %s: systemd would kill the server before its shutdown grace of %s ends", stop, grace)
	}
	for key, want := range map[string]string{"User": "meter-sync", "KillSignal": "SIGTERM", "Restart": "on-failure",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/meter-sync",
		"PrivateTmp": "yes", "ProtectHome": "yes"} {
		if got := svc.one(t, "Service", key); got != want {
			t.Errorf("[Service] %s=%s, want %s", key, got, want)
		}
	}
	if svc.one(t, "Install", "WantedBy") != "multi-user.target" {
		t.Error("the service is not wanted by multi-user.target")
	}

	backup := parseUnit(t, filepath.Join(dir, "meter-sync-backup.service"))
	cmdline := regexp.MustCompile(`/usr/local/bin/meter-sync (backup [^']*)`).FindStringSubmatch(backup.one(t, "Service", "ExecStart"))
	if cmdline == nil {
		t.Fatal("meter-sync-backup.service does not run meter-sync backup")
	}
	args := strings.Fields(regexp.MustCompile(`\$\$\([^)]*\)`).ReplaceAllString(cmdline[1], "TIME"))
	if _, stderr, code := run(t, append(args, "--help")...); code != 0 {
		t.Errorf("meter-sync %s --help: exit %d, %s", cmdline[1], code, stderr)
	}
	if !strings.Contains(cmdline[1], "--out "+backup.one(t, "Service", "ReadWritePaths")+"/") {
		t.Errorf("the backup is written outside ReadWritePaths: %s", cmdline[1])
	}
	timer := parseUnit(t, filepath.Join(dir, "meter-sync-backup.timer"))
	if timer.one(t, "Timer", "OnCalendar") == "" || timer.one(t, "Timer", "Persistent") != "yes" {
		t.Errorf("timer: %v", timer)
	}
}
