package api

import (
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/gorilla/mux"
)

// perfRecorder keeps per-route request timings for /api/health and
// /api/perf: count, total and max per route template, the last 100 samples
// per route for percentiles, and the last 50 slow requests (> 100 ms) with
// their real status (the original always logged 200).
type perfRecorder struct {
	mu        sync.Mutex
	startedAt time.Time
	total     int64
	totalMs   float64
	routes    map[string]*routeStats
	slow      []slowRequest // ring, newest last
}

type routeStats struct {
	count   int64
	totalMs float64
	maxMs   float64
	samples [100]float64
	n       int // samples written (ring position = n % 100)
}

type slowRequest struct {
	Path   string  `json:"path"`
	Ms     float64 `json:"ms"`
	Time   string  `json:"time"`
	Status int     `json:"status"`
}

const (
	slowThreshold = 100 * time.Millisecond
	slowKeep      = 50
)

func newPerfRecorder(now time.Time) *perfRecorder {
	return &perfRecorder{startedAt: now, routes: make(map[string]*routeStats)}
}

var hexRun = regexp.MustCompile(`[0-9a-fA-F]{8,}`)

// routeKey renders a route template ({param} → :param) or, for unmatched
// paths, the path with long hex runs replaced by :id.
func routeKey(r *http.Request) string {
	if rt := mux.CurrentRoute(r); rt != nil {
		if tpl, err := rt.GetPathTemplate(); err == nil {
			b := make([]byte, 0, len(tpl))
			for i := 0; i < len(tpl); i++ {
				switch tpl[i] {
				case '{':
					b = append(b, ':')
				case '}':
				default:
					b = append(b, tpl[i])
				}
			}
			return string(b)
		}
	}
	return hexRun.ReplaceAllString(r.URL.Path, ":id")
}

func (p *perfRecorder) record(key string, d time.Duration, status int, now time.Time) {
	ms := float64(d.Microseconds()) / 1000
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	p.totalMs += ms
	rs := p.routes[key]
	if rs == nil {
		rs = &routeStats{}
		p.routes[key] = rs
	}
	rs.count++
	rs.totalMs += ms
	if ms > rs.maxMs {
		rs.maxMs = ms
	}
	rs.samples[rs.n%len(rs.samples)] = ms
	rs.n++
	if d > slowThreshold {
		p.slow = append(p.slow, slowRequest{Path: key, Ms: round1(ms), Time: now.UTC().Format(time.RFC3339), Status: status})
		if len(p.slow) > slowKeep {
			p.slow = append(p.slow[:0], p.slow[len(p.slow)-slowKeep:]...)
		}
	}
}

// perfSummary is the `perf` block of /api/health.
type perfSummary struct {
	TotalRequests int64         `json:"totalRequests"`
	AvgMs         float64       `json:"avgMs"`
	SlowQueries   int           `json:"slowQueries"`
	RecentSlow    []slowRequest `json:"recentSlow"`
}

func (p *perfRecorder) summary() perfSummary {
	p.mu.Lock()
	out := perfSummary{TotalRequests: p.total, SlowQueries: len(p.slow)}
	if p.total > 0 {
		out.AvgMs = p.totalMs / float64(p.total)
	}
	n := len(p.slow)
	from := n - 5
	if from < 0 {
		from = 0
	}
	out.RecentSlow = append([]slowRequest{}, p.slow[from:]...)
	p.mu.Unlock()
	out.AvgMs = round1(out.AvgMs)
	return out
}

// endpointStats is one entry of /api/perf `endpoints`.
type endpointStats struct {
	Count int64   `json:"count"`
	AvgMs float64 `json:"avgMs"`
	P50Ms float64 `json:"p50Ms"`
	P95Ms float64 `json:"p95Ms"`
	MaxMs float64 `json:"maxMs"`
}

// endpoints copies the samples under the lock and sorts outside it.
func (p *perfRecorder) endpoints() map[string]endpointStats {
	type snap struct {
		rs      routeStats
		samples []float64
	}
	p.mu.Lock()
	copies := make(map[string]snap, len(p.routes))
	for k, rs := range p.routes {
		n := rs.n
		if n > len(rs.samples) {
			n = len(rs.samples)
		}
		copies[k] = snap{rs: *rs, samples: append([]float64(nil), rs.samples[:n]...)}
	}
	p.mu.Unlock()
	out := make(map[string]endpointStats, len(copies))
	for k, c := range copies {
		sort.Float64s(c.samples)
		out[k] = endpointStats{
			Count: c.rs.count, AvgMs: round1(c.rs.totalMs / float64(c.rs.count)),
			P50Ms: round1(percentile(c.samples, 0.50)), P95Ms: round1(percentile(c.samples, 0.95)),
			MaxMs: round1(c.rs.maxMs),
		}
	}
	return out
}

func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

func round1(f float64) float64 {
	if f < 0 {
		return -round1(-f)
	}
	return float64(int64(f*10+0.5)) / 10
}

// statusRecorder captures the status code for perf accounting.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// measure is the router middleware that records every /api request.
func (s *Server) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sr := &statusRecorder{ResponseWriter: w}
		key := routeKey(r)
		setRoute(w, key)
		next.ServeHTTP(sr, r)
		took := time.Since(start)
		s.perf.record(key, took, sr.status, s.now())
		s.observeHTTP(r, sr.status, took)
	})
}

// statusWord is the X-CoreScope-Status value: the store's real load state.
func (s *Server) statusWord() string {
	if s.storeReady() {
		return "ready"
	}
	return "loading"
}
