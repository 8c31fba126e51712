package analytics

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// TestBuildTimes reports the cold build time and encoded size of every mesh
// analysis on a real database (PERFORMANCE.md, Analytics). It runs only when
// CORESCOPE_ANALYTICS_DB names a database, e.g. one written by
// `CORESCOPE_LOAD_DB=/tmp/ref.db CORESCOPE_LOAD=1 go test -run TestLoad ./internal/api/loadtest/`:
//
//	CORESCOPE_ANALYTICS_DB=/tmp/ref.db go test -run TestBuildTimes -v ./internal/analytics/
func TestBuildTimes(t *testing.T) {
	path := os.Getenv("CORESCOPE_ANALYTICS_DB")
	if path == "" {
		t.Skip("set CORESCOPE_ANALYTICS_DB to a database")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb, err := db.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Config{Logger: quiet()})
	go func() { _ = st.Run(ctx) }()
	for !st.Ready() {
		time.Sleep(50 * time.Millisecond)
	}
	v := &View{Snapshot: st.Snapshot(), Now: time.Now()}
	t.Logf("%d transmissions, %d nodes, %d observers, %d neighbor_edges", len(v.Txs), len(v.Nodes()), len(v.Observers()), len(v.NeighborEdges()))
	groups, _ := ParseSubpathGroups("2-2:50,3-3:30,4-4:20,5-8:15")
	cases := []struct {
		name string
		fn   func() any
	}{
		{"roles", func() any { return ComputeRoles(v) }},
		{"rf", func() any { return ComputeRF(v, Scope{}) }},
		{"topology", func() any { return ComputeTopology(v, Scope{}) }},
		{"channels", func() any { return ComputeChannels(v, Scope{}) }},
		{"distance", func() any { return ComputeDistance(v, Filter{}) }},
		{"hash-sizes", func() any { return ComputeHashSizes(v, Filter{}) }},
		{"hash-collisions", func() any { return ComputeHashCollisions(v, Filter{}) }},
		{"subpaths-bulk", func() any { return ComputeSubpaths(v, Filter{}, groups) }},
		{"neighbor-graph (1,0)", func() any { return ComputeNeighborGraph(v, &GraphCache{MaxEdgeKm: 500}, GraphParams{MinCount: 1}) }},
		{"scope-stats 24h", func() any { return ComputeScopeStats(v, "24h") }},
	}
	for _, c := range cases {
		runtime.GC()
		cpu0, start := cpuTime(), time.Now()
		res := c.fn()
		took, cpu := time.Since(start), cpuTime()-cpu0
		b, _ := json.Marshal(res)
		enc := time.Since(start) - took
		t.Logf("%-22s compute %8.1f ms (CPU %8.1f ms)  encode %6.1f ms  %8d bytes", c.name, ms(took), ms(cpu), ms(enc), len(b))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is this process's user + system CPU time (the store's sync is
// idle during the measurement: nothing writes the database).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
