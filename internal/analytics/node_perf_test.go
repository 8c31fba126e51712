package analytics

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// TestNodeAnalyticsBuildTimes measures the cold build time of every node and
// observer analysis on a real database (the reference workload):
//
//	CORESCOPE_PERF_DB=/path/reference.db go test -run TestNodeAnalyticsBuildTimes -v ./internal/analytics/
//
// Each figure is the best of three runs on one snapshot (single goroutine).
func TestNodeAnalyticsBuildTimes(t *testing.T) {
	path := os.Getenv("CORESCOPE_PERF_DB")
	if path == "" {
		t.Skip("set CORESCOPE_PERF_DB to a database (see the doc comment)")
	}
	rd, err := db.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	st := store.New(rd, store.Config{Logger: naQuiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = st.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for !st.Ready() {
		time.Sleep(20 * time.Millisecond)
	}
	v := &View{Snapshot: st.Snapshot(), Now: time.Now()}
	t.Logf("%d transmissions, %d nodes, %d observers", len(v.Snapshot.Txs), len(v.Nodes()), len(v.Observers()))
	// best returns the best wall time of three runs and the process CPU time
	// (user+sys, GC included) of that run: on a shared machine the CPU time
	// is the comparable figure.
	best := func(f func()) (wall, cpu time.Duration) {
		for i := 0; i < 3; i++ {
			c0, s := cpuTime(), time.Now()
			f()
			if d := time.Since(s); i == 0 || d < wall {
				wall, cpu = d, cpuTime()-c0
			}
		}
		return wall, cpu
	}
	nodes := append([]*store.Node(nil), v.Nodes()...)
	sort.Slice(nodes, func(i, j int) bool { return len(v.NodeTxs(nodes[i].PublicKey)) > len(v.NodeTxs(nodes[j].PublicKey)) })
	busiest := nodes[0].PublicKey
	th := NodeHealthThresholds{InfraDegraded: 24 * time.Hour, InfraSilent: 72 * time.Hour, NodeDegraded: time.Hour, NodeSilent: 24 * time.Hour}
	rows := []struct {
		name string
		f    func()
	}{
		{"observers clock-skew", func() { ObserverSkewsFor(v) }},
		{"nodes clock-skew (fleet table)", func() { NodeClockSkewsFor(v, "") }},
		{"network status", func() { NetworkStatusFor(v, th) }},
		{"node scores (share, bridge, multi-byte)", func() { NodeScoresFor(v, 24*time.Hour) }},
		{fmt.Sprintf("observer analytics, all %d observers × 4 windows", len(v.Observers())), func() {
			for _, o := range v.Observers() {
				for _, d := range ObserverAnalyticsDays {
					ObserverAnalyticsFor(v, o.ID, d)
				}
			}
		}},
		{fmt.Sprintf("node analytics, busiest node (%d packets), days=7", len(v.NodeTxs(busiest))), func() { NodeAnalyticsFor(v, busiest, 7, nil) }},
		{"node analytics, busiest node, days=365", func() { NodeAnalyticsFor(v, busiest, 365, nil) }},
		{"metrics summary, 24 h", func() { ComputeMetricsSummary(v.Observers(), v.Metrics(), "", v.Now.Add(-24*time.Hour), v.Now) }},
	}
	var b strings.Builder
	b.WriteString("| analysis | cold build ms (wall) | CPU ms |\n| --- | ---: | ---: |\n")
	for _, r := range rows {
		wall, cpu := best(r.f)
		fmt.Fprintf(&b, "| %s | %.1f | %.1f |\n", r.name, float64(wall.Microseconds())/1000, float64(cpu.Microseconds())/1000)
	}
	t.Log("\n" + b.String())
}
