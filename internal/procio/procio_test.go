package procio

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSampleReportsWritesAsRates(t *testing.T) {
	if _, ok := read(); !ok {
		t.Fatal("/proc/self/io is not readable (this test needs Linux)")
	}
	var p Sampler
	t0 := time.Now()
	if first := p.Sample(t0); first != (Rates{}) {
		t.Fatalf("first sample = %+v, want zeros (no previous reading)", first)
	}
	f := filepath.Join(t.TempDir(), "x")
	buf := make([]byte, 1<<20)
	for range 4 {
		if err := os.WriteFile(f, buf, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := p.Sample(t0.Add(time.Second))
	if got.SyscallsWrite < 4 {
		t.Errorf("syscallsWrite = %v per s, want ≥ 4 after four file writes in one (virtual) second", got.SyscallsWrite)
	}
	if got.ReadBytesPerSec < 0 || got.WriteBytesPerSec < 0 {
		t.Errorf("negative rate: %+v", got)
	}
}
