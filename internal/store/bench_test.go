package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
)

// Benchmarks on the reference workload (DESIGN.md §4): meshsim's reference
// options (400 nodes, 10 observers, 56,000 transmissions over 24 h) ingested
// through Mosquitto and the real ingestor. The database is built once and
// cached at $CORESCOPE_REF_DB (default: the OS temp dir); delete it to rebuild.
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/store/

var (
	refOnce sync.Once
	refPath string
	refEnd  = time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)
)

func referenceDB(b *testing.B) string {
	b.Helper()
	refOnce.Do(func() {
		refPath = os.Getenv("CORESCOPE_REF_DB")
		if refPath == "" {
			refPath = filepath.Join(os.TempDir(), "corescope-reference-v1.db")
		}
		if _, err := os.Stat(refPath); err == nil {
			return
		}
		start := time.Now()
		sim := meshsim.New(meshsim.ReferenceOptions(1, refEnd))
		gen := sim.Generate(meshsim.ReferenceTransmissions)
		msgs := make([]ingesttest.Message, len(gen))
		for i, m := range gen {
			msgs[i] = ingesttest.Message{Topic: m.Topic, Payload: m.Payload}
		}
		tmp := refPath + ".building"
		_ = os.Remove(tmp)
		ingesttest.Fill(b, tmp, msgs)
		if err := os.Rename(tmp, refPath); err != nil {
			b.Fatalf("rename reference db: %v", err)
		}
		b.Logf("built reference db %s from %d messages in %s", refPath, len(msgs), time.Since(start))
	})
	return refPath
}

// cpuTime returns the process's user+system CPU time (the load's cost
// independent of how contended the machine is).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB reads the process's resident set size from /proc/self/status.
func rssMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func loadStore(b *testing.B, path string) (*Store, func()) {
	b.Helper()
	rd, err := db.OpenReader(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	s := New(rd, Config{Logger: quietLog})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done; rd.Close() }
}

// BenchmarkLoadReference measures the full background load: time to the first
// loaded chunk (newest data answerable), time to ready, and memory after load.
func BenchmarkLoadReference(b *testing.B) {
	path := referenceDB(b)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		before := rssMB()
		cpu0 := cpuTime()
		start := time.Now()
		s, stop := loadStore(b, path)
		var first time.Duration
		for !s.Ready() {
			if first == 0 && s.Progress().LoadedTx > 0 {
				first = time.Since(start)
			}
			time.Sleep(time.Millisecond)
		}
		full := time.Since(start)
		cpu := cpuTime() - cpu0
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m := s.Memory()
		if hp := os.Getenv("CORESCOPE_HEAP_PROFILE"); hp != "" {
			if f, err := os.Create(hp); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		b.ReportMetric(float64(first.Milliseconds()), "first_chunk_ms")
		b.ReportMetric(float64(full.Milliseconds()), "full_load_ms")
		b.ReportMetric(float64(cpu.Milliseconds()), "load_cpu_ms")
		b.ReportMetric(rssMB(), "rss_MB")
		b.ReportMetric(rssMB()-before, "rss_delta_MB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap_inuse_MB")
		b.ReportMetric(m.TrackedMB, "tracked_MB")
		b.ReportMetric(float64(m.Transmissions), "tx")
		b.ReportMetric(float64(m.Observations), "obs")
		stop()
	}
}

func BenchmarkPacketQueries(b *testing.B) {
	path := referenceDB(b)
	s, stop := loadStore(b, path)
	defer stop()
	for !s.Ready() {
		time.Sleep(5 * time.Millisecond)
	}
	txs := s.Transmissions()
	mid := txs[len(txs)/2]
	var node, observer, region string
	for _, o := range s.observers.Load().list {
		observer, region = o.ID, o.IATA
		break
	}
	for _, t := range txs {
		if t.FromPubkey != "" {
			node = t.FromPubkey
			break
		}
	}
	since := time.UnixMilli(txs[len(txs)-1].FirstSeen).Add(-time.Hour)
	cases := []struct {
		name string
		q    PacketQuery
	}{
		{"default_50", PacketQuery{}},
		{"cursor_50", PacketQuery{BeforeID: mid.ID}},
		{"offset_5000", PacketQuery{Offset: 5000}},
		{"type5_1000", PacketQuery{Types: []int{5}, Limit: 1000}},
		{"observer_50", PacketQuery{Observers: []string{observer}}},
		{"region_50", PacketQuery{Regions: []string{region}}},
		{"node_50", PacketQuery{Node: node}},
		{"type4_region_50", PacketQuery{Types: []int{4}, Regions: []string{region}}},
		{"since_1h_2000_expand", PacketQuery{Since: since, Limit: 2000, Expand: true}},
		{"hash", PacketQuery{Hash: mid.Hash}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_ = s.Packets(c.q)
			}
		})
		// The same selection without the TxJSON conversion (what an encoder
		// working on the views pays).
		b.Run(c.name+"_views", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_ = s.PacketViews(c.q)
			}
		})
	}
	b.Run("grouped_50", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = s.GroupedPackets(PacketQuery{})
		}
	})
	b.Run("detail", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _ = s.Packet(mid.Hash)
		}
	})
	b.Run("channel_messages_200", func(b *testing.B) {
		var ch string
		for _, c := range s.Channels(nil, false).Channels {
			ch = c.Hash
			break
		}
		for i := 0; i < b.N; i++ {
			_ = s.ChannelMessages(ch, 200, 0, nil)
		}
	})
	b.Run("nodes_2000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = s.Nodes(NodeQuery{Limit: 2000})
		}
	})
	b.Run("node_health", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _ = s.NodeHealth(node, time.Now())
		}
	})
	b.Run("observers", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = s.Observers(time.Now())
		}
	})
	b.Run("stats", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = s.Stats(time.Now())
		}
	})
}
