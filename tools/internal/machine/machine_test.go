package machine

import (
	"os"
	"strings"
	"testing"
)

func TestCPUModel(t *testing.T) {
	b, err := os.ReadFile("/proc/cpuinfo")
	got := CPUModel()
	switch {
	case err != nil && got != "":
		t.Errorf("no /proc/cpuinfo, yet CPUModel = %q", got)
	case err == nil && strings.Contains(string(b), "model name") && (got == "" || !strings.Contains(string(b), got)):
		t.Errorf("CPUModel = %q, not a model name of /proc/cpuinfo", got)
	}
}
