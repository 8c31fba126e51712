// Package procio samples this process's /proc/self/io counters as per-second
// rates: both binaries report them (the ingestor in its stats file, the server
// on /api/perf/io), so the perf page can show who does the disk I/O.
package procio

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// Rates are /proc/self/io deltas per second; zeros off Linux and on the first
// sample.
type Rates struct {
	ReadBytesPerSec           float64 `json:"readBytesPerSec"`
	WriteBytesPerSec          float64 `json:"writeBytesPerSec"`
	CancelledWriteBytesPerSec float64 `json:"cancelledWriteBytesPerSec"`
	SyscallsRead              float64 `json:"syscallsRead"`
	SyscallsWrite             float64 `json:"syscallsWrite"`
}

var keys = [5]string{"read_bytes", "write_bytes", "cancelled_write_bytes", "syscr", "syscw"}

// Sampler turns successive readings into rates since the previous Sample (by
// any caller). The zero value is ready; it is safe for concurrent use.
type Sampler struct {
	mu   sync.Mutex
	last [5]float64
	at   time.Time
}

// Sample reads the counters and returns the rates since the previous call.
func (p *Sampler) Sample(now time.Time) Rates {
	cur, ok := read()
	if !ok {
		return Rates{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out Rates
	if dt := now.Sub(p.at).Seconds(); !p.at.IsZero() && dt > 0 {
		rate := func(i int) float64 { return max(0, (cur[i]-p.last[i])/dt) }
		out = Rates{rate(0), rate(1), rate(2), rate(3), rate(4)}
	}
	p.last, p.at = cur, now
	return out
}

func read() ([5]float64, bool) {
	var cur [5]float64
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return cur, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if !ok {
			continue
		}
		for i, key := range keys {
			if string(k) == key {
				cur[i], _ = strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			}
		}
	}
	return cur, true
}
