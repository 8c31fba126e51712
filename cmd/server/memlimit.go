package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// tuneMemoryLimit keeps a soft memory limit of 2× the live heap + 64 MiB,
// re-evaluated every interval once the store has loaded (ready reports it).
// With GOGC=100 the heap target is already ~2× live, so this costs no extra
// collections in steady state; what it changes is that the scavenger returns
// memory after a burst of large responses instead of keeping RSS at the
// burst's peak. Used only when neither GOMEMLIMIT nor packetStore.maxMemoryMB
// sets a limit.
func tuneMemoryLimit(ctx context.Context, ready func() bool, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !ready() {
			continue
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // metric unsupported: leave the runtime alone
		}
		live := int64(sample[0].Value.Uint64())
		limit := 2*live + 64<<20
		// Re-set only on a real change (> 10 %), so the log stays quiet.
		if last == 0 || limit > last*11/10 || limit < last*9/10 {
			debug.SetMemoryLimit(limit)
			log.Debug("soft memory limit", "limit_mb", limit>>20, "live_heap_mb", live>>20)
			last = limit
		}
	}
}
