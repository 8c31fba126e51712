package api

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// statsBody is GET /api/stats: the store's counters plus build and memory
// figures.
type statsBody struct {
	store.Stats
	Engine                            string  `json:"engine"`
	Version                           string  `json:"version"`
	Commit                            string  `json:"commit"`
	BuildTime                         string  `json:"buildTime"`
	HashMigrationComplete             bool    `json:"hashMigrationComplete"`
	TrackedMB                         float64 `json:"trackedMB"`
	ProcessRSSMB                      float64 `json:"processRSSMB"`
	GoHeapInuseMB                     float64 `json:"goHeapInuseMB"`
	GoSysMB                           float64 `json:"goSysMB"`
	NeighborGraphCacheRebuildFailures int     `json:"neighborGraphCacheRebuildFailures"`
}

// memSample caches runtime.ReadMemStats for a second: it stops the world,
// and the nav bar of every tab polls /api/stats.
type memSample struct {
	at                  time.Time
	rss, heapInuse, sys uint64
	ms                  runtime.MemStats
}

var lastMem atomic.Pointer[memSample]

func readMem() *memSample {
	if m := lastMem.Load(); m != nil && time.Since(m.at) < time.Second {
		return m
	}
	m := &memSample{at: time.Now(), rss: processRSS()}
	runtime.ReadMemStats(&m.ms)
	m.heapInuse, m.sys = m.ms.HeapInuse, m.ms.Sys
	lastMem.Store(m)
	return m
}

func mb(b uint64) float64 { return round1(float64(b) / (1 << 20)) }

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m := readMem()
	base := st.Stats(s.now())
	writeJSON(w, http.StatusOK, statsBody{
		Stats: base, Engine: "go",
		Version: s.version.Version, Commit: s.version.Commit, BuildTime: s.version.BuildTime,
		HashMigrationComplete: true, TrackedMB: base.StoreDataMB,
		ProcessRSSMB: mb(m.rss), GoHeapInuseMB: mb(m.heapInuse), GoSysMB: mb(m.sys),
	})
}
