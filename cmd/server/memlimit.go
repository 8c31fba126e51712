package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// tuneMemoryLimit keeps a soft memory limit of softLimit(live heap),
// re-evaluated every interval once the store has loaded (ready reports it).
// The limit makes the collector run before the heap doubles (GOGC=100 alone
// lets a 130 MB store grow to ~330 MB under a burst of large responses) and
// makes the scavenger return memory after the burst instead of keeping RSS
// at its peak. Used only when neither GOMEMLIMIT nor packetStore.maxMemoryMB
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
		limit := softLimit(live)
		// Re-set only on a real change (> 10 %), so the log stays quiet.
		if last == 0 || limit > last*11/10 || limit < last*9/10 {
			debug.SetMemoryLimit(limit)
			log.Debug("soft memory limit", "limit_mb", limit>>20, "live_heap_mb", live>>20)
			last = limit
		}
	}
}

// softLimit is the automatic soft memory limit for a live heap of live
// bytes: 25 % headroom for garbage plus 48 MiB for request buffers, runtime
// and SQLite. It was 2× live + 64 MiB; under 50 concurrent 6 MB packet lists
// that let RSS reach 240–290 MB (PERFORMANCE.md, "Under load"). A tighter
// limit costs more collections during bursts — measured there.
func softLimit(live int64) int64 { return live + live/4 + 48<<20 }
