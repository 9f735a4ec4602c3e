package handheld

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the handheld a device: it shares the interchange
// files and the domain with the server, never its storage or HTTP side.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, forbidden := range []string{"meter-sync/store", "meter-sync/server", "meter-sync/masterdata", "meter-sync/access",
		"meter-sync/vee", "github.com/labstack/echo/v4"} {
		for _, d := range deps {
			if d == forbidden || strings.HasPrefix(d, forbidden+"/") {
				t.Errorf("device/handheld depends on %s", d)
			}
		}
	}
}
