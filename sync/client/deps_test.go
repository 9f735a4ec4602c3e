package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the library copyable into a tablet app: of this
// module it may use only the wire format, and nothing of the server's
// storage or HTTP framework. fill, which knows a receipt only by its JSON
// as a tablet app does, is held to the same rule.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "./fill").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		mine := strings.HasPrefix(d, "meter-sync/")
		allowed := d == "meter-sync/protocol/syncwire" || d == "meter-sync/sync/client" || d == "meter-sync/sync/client/fill"
		if mine && !allowed ||
			strings.HasPrefix(d, "go.etcd.io/bbolt") || strings.HasPrefix(d, "github.com/labstack/") {
			t.Errorf("sync/client or its fill depends on %s", d)
		}
	}
}
