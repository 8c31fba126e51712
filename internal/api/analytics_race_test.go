package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
)

// TestAnalyticsUnderConcurrentReadsAndSync hammers every analytics route
// (precomputed and on-demand shapes) while the ingestor's writer adds
// packets, the store syncs them and the recomputer rebuilds every second.
// Run with -race: it is the recomputer's data-race test.
func TestAnalyticsUnderConcurrentReadsAndSync(t *testing.T) {
	path := fixtureDB(t)
	st := runStore(t, path, nil)
	cfg := testConfig(func(c *config.Config) {
		c.Analytics.DefaultIntervalSeconds = 1
		c.NeighborGraph.CacheRecomputeIntervalSeconds = 1
	})
	s, ts := newServer(t, cfg, st, nil)
	waitAnalytics(t, ts.URL)
	passes := s.Analytics().Passes()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Add(1)
	go func() { // the ingestor: one packet every 20 ms
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			now := time.Now().UTC()
			hash := fmt.Sprintf("%016x", 0x5eed0000+i)
			snr := float64(i % 10)
			b := db.Batch{
				Transmissions: []db.Transmission{{RawHex: fmt.Sprintf("1102A1B2%08X", i), Hash: hash, FirstSeen: now, RouteType: 1, PayloadType: 2,
					DecodedJSON: `{"type":"TXT_MSG"}`}},
				Observations: []db.Observation{{TxHash: hash, ObserverID: "race-obs", SNR: &snr, PathJSON: `["A1","B2"]`, Timestamp: now.Unix()}},
				Observers:    []db.ObserverUpsert{{ID: "race-obs", Name: "Race", IATA: "SJC", Seen: now, Packet: true}},
			}
			if _, err := w.WriteBatch(context.Background(), b); err != nil {
				t.Errorf("write: %v", err)
				return
			}
			written.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	paths := []string{"/api/analytics/roles", "/api/analytics/rf", "/api/analytics/rf?region=SJC&window=1h",
		"/api/analytics/topology", "/api/analytics/topology?region=SJC", "/api/analytics/channels?window=24h",
		"/api/analytics/distance", "/api/analytics/hash-sizes?region=SJC", "/api/analytics/hash-collisions",
		"/api/analytics/subpaths?minLen=2&maxLen=3", "/api/analytics/subpaths-bulk?groups=2-2:50,3-3:30,4-4:20,5-8:15",
		"/api/analytics/subpath-detail?hops=A1,B2", "/api/analytics/neighbor-graph?min_count=1&min_score=0",
		"/api/analytics/neighbor-graph?min_count=2&region=SJC", "/api/scope-stats?window=1h"}
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := r; ctx.Err() == nil; i++ {
				code, _, body := fetch(t, http.MethodGet, ts.URL+paths[i%len(paths)], "", nil)
				if code != http.StatusOK {
					t.Errorf("%s: %d %s", paths[i%len(paths)], code, trunc(body))
					return
				}
			}
		}(r)
	}
	// Run for at least 2 s and until a background rebuild happened while the
	// data kept moving (bounded: a loaded CI machine under -race is slow).
	start := time.Now()
	for time.Since(start) < 2*time.Second || s.Analytics().Passes() <= passes+1 {
		if time.Since(start) > 90*time.Second {
			cancel()
			wg.Wait()
			t.Fatalf("no background rebuild while data arrived (passes %d → %d)", passes, s.Analytics().Passes())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if written.Load() == 0 {
		t.Fatal("nothing written")
	}
	for _, js := range s.Analytics().Stats() {
		if js.Failures > 0 {
			t.Errorf("analysis %s: %d failures", js.Name, js.Failures)
		}
	}
}
