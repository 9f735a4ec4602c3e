package device

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bin holds the programs the tests run as real processes: the handheld
// emulator and meter-sync itself, built once for the package's tests.
var bin struct {
	dir      string
	handheld string
	server   string
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "device-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin.dir, bin.handheld, bin.server = dir, filepath.Join(dir, "handheld"), filepath.Join(dir, "meter-sync")
	for out, pkg := range map[string]string{bin.handheld: "meter-sync/cmd/handheld", bin.server: "meter-sync/cmd/meter-sync"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, b)
			return 1
		}
	}
	return m.Run()
}
