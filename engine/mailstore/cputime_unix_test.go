//go:build unix

package mailstore_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used so far, user and
// system, on every thread: with the garbage collector's share, which
// wall-clock ns/op on a busy machine hides.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per op (cpu-ns/op) since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}
