package ingest

import (
	"strconv"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/metrics"
)

// BenchmarkProtectHotPath is what every live message pays for issue 12:
// the topic split + rate-limit bucket (100 observers), the per-source
// outcome counter and the two writer histograms (per batch, shown per call).
func BenchmarkProtectHotPath(b *testing.B) {
	ing := &Ingestor{}
	ing.rate = newRateLimiter(config.RateLimit{PacketsPerSec: 1e9, Burst: 1e9})
	ing.writerM = metrics.NewIngestWriter()
	topics := make([]string, 100)
	for i := range topics {
		topics[i] = "meshcore/SEA/" + strconv.Itoa(100000+i) + "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01/packets"
	}
	var o sourceOutcomes
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := ing.protect(nil, topics[i%len(topics)]); err != nil {
			b.Fatal(err)
		}
		o.stored.Add(1)
		ing.observeBatch(100, time.Millisecond)
	}
}
