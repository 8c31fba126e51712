package api

import (
	"net/http"
	"runtime"
	"time"

	"github.com/corescope/corescope/internal/store"
)

type perfCache struct {
	Size       int     `json:"size"`
	Hits       int64   `json:"hits"`
	Misses     int64   `json:"misses"`
	StaleHits  int64   `json:"staleHits"`
	Recomputes int64   `json:"recomputes"`
	HitRate    float64 `json:"hitRate"`
}

type perfStore struct {
	TotalLoaded            int               `json:"totalLoaded"`
	TotalObservations      int               `json:"totalObservations"`
	Evicted                int64             `json:"evicted"`
	InMemory               int               `json:"inMemory"`
	SqliteOnly             bool              `json:"sqliteOnly"`
	EstimatedMB            float64           `json:"estimatedMB"`
	TrackedMB              float64           `json:"trackedMB"`
	AvgBytesPerPacket      int64             `json:"avgBytesPerPacket"`
	MaxMB                  int               `json:"maxMB"`
	Memory                 store.MemoryStats `json:"memory"`
	BackgroundLoadComplete bool              `json:"backgroundLoadComplete"`
	BackgroundLoadFailed   bool              `json:"backgroundLoadFailed"`
	BackgroundLoadProgress float64           `json:"backgroundLoadProgress"`
}

type perfGoRuntime struct {
	Goroutines   int     `json:"goroutines"`
	NumGC        uint32  `json:"numGC"`
	PauseTotalMs float64 `json:"pauseTotalMs"`
	LastPauseMs  float64 `json:"lastPauseMs"`
	HeapAllocMB  float64 `json:"heapAllocMB"`
	HeapSysMB    float64 `json:"heapSysMB"`
	HeapInuseMB  float64 `json:"heapInuseMB"`
	HeapIdleMB   float64 `json:"heapIdleMB"`
	NumCPU       int     `json:"numCPU"`
}

type perfBody struct {
	Uptime        int64                    `json:"uptime"`
	TotalRequests int64                    `json:"totalRequests"`
	AvgMs         float64                  `json:"avgMs"`
	Endpoints     map[string]endpointStats `json:"endpoints"`
	SlowQueries   []slowRequest            `json:"slowQueries"`
	Cache         perfCache                `json:"cache"`
	PacketStore   *perfStore               `json:"packetStore"`
	GoRuntime     perfGoRuntime            `json:"goRuntime"`
}

// perf serves GET /api/perf: per-route timings since the last reset, the
// store's memory accounting and Go runtime figures. Unlike the original it
// runs no SQL (no `sqlite` block: COUNT(*) on four tables per call was one
// of its heavy endpoints).
func (s *Server) perfStats(w http.ResponseWriter, _ *http.Request) {
	sum := s.perf.summary()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := perfBody{
		Uptime:        int64(s.now().Sub(s.perf.started()).Seconds()),
		TotalRequests: sum.TotalRequests, AvgMs: sum.AvgMs,
		Endpoints:   s.perf.endpoints(),
		SlowQueries: s.perf.slowList(20),
		GoRuntime: perfGoRuntime{
			Goroutines: runtime.NumGoroutine(), NumGC: ms.NumGC,
			PauseTotalMs: round1(float64(ms.PauseTotalNs) / 1e6),
			LastPauseMs:  round1(float64(ms.PauseNs[(ms.NumGC+255)%256]) / 1e6),
			HeapAllocMB:  mb(ms.HeapAlloc), HeapSysMB: mb(ms.HeapSys), HeapInuseMB: mb(ms.HeapInuse),
			HeapIdleMB: mb(ms.HeapIdle), NumCPU: runtime.NumCPU(),
		},
	}
	hits, misses := s.observers.counters()
	out.Cache = perfCache{Size: 1, Hits: hits, Misses: misses, Recomputes: misses}
	if hits+misses > 0 {
		out.Cache.HitRate = round1(float64(hits) * 100 / float64(hits+misses))
	}
	if st, err := s.getStore(); err == nil {
		m, p := st.Memory(), st.Progress()
		out.PacketStore = &perfStore{
			TotalLoaded: m.Transmissions, TotalObservations: m.Observations, Evicted: m.Evicted,
			InMemory: m.Transmissions, EstimatedMB: m.TrackedMB, TrackedMB: m.TrackedMB,
			AvgBytesPerPacket: m.AvgBytesPerPacket, MaxMB: m.MaxMB, Memory: m,
			BackgroundLoadComplete: p.Phase == store.PhaseReady, BackgroundLoadFailed: p.Phase == store.PhaseFailed,
			BackgroundLoadProgress: round3(p.Fraction()),
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// perfReset serves POST /api/perf/reset (API key).
func (s *Server) perfReset(w http.ResponseWriter, _ *http.Request) {
	s.perf.reset(s.now())
	writeJSON(w, http.StatusOK, struct {
		OK bool `json:"ok"`
	}{OK: true})
}

// started returns when counting began (start or last reset).
func (p *perfRecorder) started() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startedAt
}

// slowList returns the newest n slow requests, oldest first.
func (p *perfRecorder) slowList(n int) []slowRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := max(len(p.slow)-n, 0)
	return append([]slowRequest{}, p.slow[from:]...)
}

func (p *perfRecorder) reset(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startedAt = now
	p.total, p.totalMs = 0, 0
	p.routes = make(map[string]*routeStats)
	p.slow = nil
}
