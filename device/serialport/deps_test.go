package serialport

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps serialport about serial lines only: nothing of the
// product's own packages.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, "meter-sync/") && d != "meter-sync/device/serialport" {
			t.Errorf("serialport depends on %s", d)
		}
	}
}
