package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// healthz serves GET /api/healthz, the readiness probe: 503 with a reason
// until the store has finished its initial load, then 200 with counts.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	type notReady struct {
		Ready    bool    `json:"ready"`
		Reason   string  `json:"reason"`
		Progress float64 `json:"progress"`
	}
	st, err := s.getStore()
	if err != nil {
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, notReady{Reason: *s.notReady.Load()})
		return
	}
	p := st.Progress()
	switch p.Phase {
	case store.PhaseReady:
	case store.PhaseFailed:
		writeJSON(w, http.StatusServiceUnavailable, notReady{Reason: "load failed: " + p.Err})
		return
	default:
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, notReady{Reason: "loading", Progress: round3(p.Fraction())})
		return
	}
	type backfill struct {
		Total     int64 `json:"total"`
		Processed int64 `json:"processed"`
		Done      bool  `json:"done"`
	}
	mem := st.Memory()
	writeJSON(w, http.StatusOK, struct {
		Ready     bool     `json:"ready"`
		LoadedTx  int64    `json:"loadedTx"`
		LoadedObs int64    `json:"loadedObs"`
		Backfill  backfill `json:"from_pubkey_backfill"`
	}{Ready: true, LoadedTx: int64(mem.Transmissions), LoadedObs: int64(mem.Observations), Backfill: backfill{Done: true}})
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

type healthMemory struct {
	RSS       int `json:"rss"`
	HeapUsed  int `json:"heapUsed"`
	HeapTotal int `json:"heapTotal"`
	External  int `json:"external"`
}

type healthEventLoop struct {
	CurrentLagMs float64 `json:"currentLagMs"`
	MaxLagMs     float64 `json:"maxLagMs"`
	P50Ms        float64 `json:"p50Ms"`
	P95Ms        float64 `json:"p95Ms"`
	P99Ms        float64 `json:"p99Ms"`
}

type healthCache struct {
	Entries    int     `json:"entries"`
	Hits       int64   `json:"hits"`
	Misses     int64   `json:"misses"`
	StaleHits  int64   `json:"staleHits"`
	Recomputes int64   `json:"recomputes"`
	HitRate    float64 `json:"hitRate"`
}

type healthWebsocket struct {
	Clients         int   `json:"clients"`
	Messages        int64 `json:"messages"`
	SlowDisconnects int64 `json:"slowDisconnects"`
	// DroppedBatches counts sync ticks the live feed fell behind on (the
	// store drops them rather than waiting).
	DroppedBatches int64 `json:"droppedBatches"`
}

type healthStore struct {
	Packets      int     `json:"packets"`
	Observations int     `json:"observations"`
	EstimatedMB  float64 `json:"estimatedMB"`
	TrackedMB    float64 `json:"trackedMB"`
	MaxMB        int     `json:"maxMB"`
	Evicted      int64   `json:"evicted"`
	LoadPhase    string  `json:"loadPhase"`
	LoadProgress float64 `json:"loadProgress"`
	LoadedTx     int64   `json:"loadedTx"`
	TotalTx      int64   `json:"totalTx"`
	LoadMs       int64   `json:"loadMs"`
}

// ingestorStatus is the MQTT status panel: the ingestor's stats file, as
// written (stats), with its age. available is false when the file is
// missing, unreadable or older than 5 s.
type ingestorStatus struct {
	Available  bool            `json:"available"`
	AgeSeconds float64         `json:"ageSeconds"`
	Path       string          `json:"path"`
	Error      string          `json:"error,omitempty"`
	Stats      json.RawMessage `json:"stats,omitempty"`
}

type healthBody struct {
	Status      string          `json:"status"`
	Engine      string          `json:"engine"`
	Version     string          `json:"version"`
	Commit      string          `json:"commit"`
	BuildTime   string          `json:"buildTime"`
	Uptime      int64           `json:"uptime"`
	UptimeHuman string          `json:"uptimeHuman"`
	Memory      healthMemory    `json:"memory"`
	EventLoop   healthEventLoop `json:"eventLoop"`
	Cache       healthCache     `json:"cache"`
	WebSocket   healthWebsocket `json:"websocket"`
	PacketStore healthStore     `json:"packetStore"`
	Perf        perfSummary     `json:"perf"`
	Ingestor    ingestorStatus  `json:"ingestor"`
	Observers   healthObservers `json:"observers"` // ops.go
}

// health serves GET /api/health (perf page): process, store, WebSocket and
// ingestor status. memory.rss is the real resident set (the original
// reported Go's Sys).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	up := now.Sub(s.started)
	mem := readMem() // ≤ 1 s old: ReadMemStats stops the world
	ms := &mem.ms
	body := healthBody{
		Status: "ok", Engine: "go",
		Version: s.version.Version, Commit: s.version.Commit, BuildTime: s.version.BuildTime,
		Uptime: int64(up.Seconds()), UptimeHuman: fmt.Sprintf("%dh %dm", int(up.Hours()), int(up.Minutes())%60),
		Memory: healthMemory{
			RSS: int(mem.rss >> 20), HeapUsed: int(ms.HeapInuse >> 20), HeapTotal: int(ms.HeapSys >> 20),
		},
		EventLoop: gcPauses(ms),
		Perf:      s.perf.summary(),
		Ingestor:  s.ingestorStatus(now),
	}
	body.Observers = s.observersHealth(now, body.Ingestor.Stats)
	hits, misses := s.observers.counters()
	body.Cache = healthCache{Entries: 1, Hits: hits, Misses: misses, Recomputes: misses}
	if hits+misses > 0 {
		body.Cache.HitRate = round1(float64(hits) * 100 / float64(hits+misses))
	}
	if s.hub != nil {
		hs := s.hub.Stats()
		body.WebSocket = healthWebsocket{Clients: hs.Clients, Messages: hs.Messages, SlowDisconnects: hs.SlowDisconnects}
	}
	if st, err := s.getStore(); err == nil {
		m := st.Memory()
		p := st.Progress()
		body.WebSocket.DroppedBatches = st.DroppedLiveBatches()
		body.PacketStore = healthStore{
			Packets: m.Transmissions, Observations: m.Observations,
			EstimatedMB: m.TrackedMB, TrackedMB: m.TrackedMB,
			MaxMB: m.MaxMB, Evicted: m.Evicted,
			LoadPhase: p.Phase, LoadProgress: round3(p.Fraction()), LoadedTx: p.LoadedTx, TotalTx: p.TotalTx,
		}
		if p.DoneAt > 0 {
			body.PacketStore.LoadMs = p.DoneAt - p.StartedAt
		}
	} else {
		body.PacketStore.LoadPhase = *s.notReady.Load()
	}
	writeJSON(w, http.StatusOK, body)
}

// gcPauses derives the eventLoop block from the last ≤256 GC pauses (Go has
// no event loop; pauses are what stalls every request).
func gcPauses(ms *runtime.MemStats) healthEventLoop {
	n := int(ms.NumGC)
	if n > len(ms.PauseNs) {
		n = len(ms.PauseNs)
	}
	if n == 0 {
		return healthEventLoop{}
	}
	p := make([]float64, n)
	for i := 0; i < n; i++ {
		p[i] = float64(ms.PauseNs[(int(ms.NumGC)-1-i+len(ms.PauseNs))%len(ms.PauseNs)]) / 1e6
	}
	cur := p[0]
	sort.Float64s(p)
	return healthEventLoop{
		CurrentLagMs: round1(cur), MaxLagMs: round1(p[n-1]),
		P50Ms: round1(percentile(p, 0.5)), P95Ms: round1(percentile(p, 0.95)), P99Ms: round1(percentile(p, 0.99)),
	}
}

// processRSS returns the resident set size in bytes from /proc/self/status
// (0 where unavailable).
func processRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			fields := bytes.Fields(v)
			if len(fields) > 0 {
				kb, _ := strconv.ParseUint(string(fields[0]), 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// ingestorStatus reads the ingestor's stats file (one of DESIGN's allowed
// non-SQLite reads; small, written every second).
func (s *Server) ingestorStatus(now time.Time) ingestorStatus {
	out := ingestorStatus{Path: s.statsFn}
	if s.statsFn == "" {
		out.Error = "no stats file configured"
		return out
	}
	fi, err := os.Stat(s.statsFn)
	if err != nil {
		out.Error = "ingestor stats file not found (is the ingestor running?)"
		return out
	}
	if fi.Size() > 1<<20 {
		out.Error = "ingestor stats file too large"
		return out
	}
	data, err := os.ReadFile(s.statsFn)
	if err != nil {
		out.Error = "ingestor stats file unreadable"
		return out
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		out.Error = "ingestor stats file is not a JSON object"
		return out
	}
	out.AgeSeconds = round1(now.Sub(fi.ModTime()).Seconds())
	out.Stats = json.RawMessage(bytes.TrimSpace(data))
	out.Available = out.AgeSeconds <= 5
	if !out.Available {
		out.Error = "ingestor stats are stale (ingestor stopped?)"
	}
	return out
}
