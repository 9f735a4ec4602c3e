//go:build !unix

package tabular

import "time"

// cpuTime is unknown here; benchmarks then skip their CPU-time rate.
func cpuTime() time.Duration { return 0 }
