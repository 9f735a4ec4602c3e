// Package machine describes the machine a benchmark tool runs on, for the
// records of BENCHMARKS.md.
package machine

import (
	"os"
	"strings"
)

// CPUModel is the processor's model name from /proc/cpuinfo, or "" when
// the system does not say.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
