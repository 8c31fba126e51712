package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corescope/corescope/internal/metrics"
	"github.com/corescope/corescope/internal/store"
)

// Operations (issue 12): packet health of observers (forwarding /
// not_forwarding / silent) in /api/observers, /api/health and the log, and
// the server's Prometheus /metrics.

// Packet health values of an observer.
const (
	healthForwarding    = "forwarding"
	healthNotForwarding = "not_forwarding" // status messages arrive, packets do not
	healthSilent        = "silent"         // nothing arrives
)

// classify is the packet health of an observer whose last packet and last
// message of any kind (last_seen: packet or live status) are at the given
// unix ms (0 = never).
func classify(lastPacketMs, lastSeenMs, nowMs int64, after time.Duration) string {
	limit := nowMs - after.Milliseconds()
	switch {
	case lastPacketMs > 0 && lastPacketMs >= limit:
		return healthForwarding
	case lastSeenMs > 0 && lastSeenMs >= limit:
		return healthNotForwarding
	}
	return healthSilent
}

// parseMs reads a store time string (FormatTime); 0 for nil or unparsable.
func parseMs(s *string) int64 {
	if s == nil || *s == "" {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

func (s *Server) packetHealth(o *store.ObserverJSON, now time.Time) string {
	return classify(parseMs(o.LastPacketAt), parseMs(o.LastSeen), now.UnixMilli(), s.cfg.ObserverSilentAfter())
}

// setPacketHealth fills packet_health of every row.
func (s *Server) setPacketHealth(rows []store.ObserverJSON, now time.Time) {
	for i := range rows {
		rows[i].PacketHealth = s.packetHealth(&rows[i], now)
	}
}

// healthObservers is /api/health .observers (proto HealthObservers).
type healthObservers struct {
	Total            int                   `json:"total"`
	Forwarding       int                   `json:"forwarding"`
	NotForwarding    int                   `json:"notForwarding"`
	Silent           int                   `json:"silent"`
	SilentMinutes    float64               `json:"silentMinutes"`
	RateLimited      []rateLimitedObserver `json:"rateLimited"`
	RateLimitedTotal uint64                `json:"rateLimitedTotal"`
}

type rateLimitedObserver struct {
	Observer string `json:"observer"`
	Dropped  uint64 `json:"dropped"`
}

// observersHealth counts observers by packet health and lists the
// observers the ingestor rate-limited (from its stats file, already read
// into ingestorStats).
func (s *Server) observersHealth(now time.Time, ingestorStats json.RawMessage) healthObservers {
	out := healthObservers{SilentMinutes: s.cfg.ObserverSilentAfter().Minutes(), RateLimited: []rateLimitedObserver{}}
	if st, err := s.getStore(); err == nil {
		list := st.Observers(now)
		s.setPacketHealth(list.Observers, now)
		for _, o := range list.Observers {
			out.Total++
			switch o.PacketHealth {
			case healthForwarding:
				out.Forwarding++
			case healthNotForwarding:
				out.NotForwarding++
			default:
				out.Silent++
			}
		}
	}
	var stats struct {
		RateLimited []rateLimitedObserver `json:"rate_limited"`
	}
	if len(ingestorStats) > 0 && json.Unmarshal(ingestorStats, &stats) == nil {
		for _, r := range stats.RateLimited {
			out.RateLimitedTotal += r.Dropped
		}
		out.RateLimited = append(out.RateLimited, stats.RateLimited[:min(len(stats.RateLimited), 20)]...)
	}
	return out
}

// RunObserverWatch logs every change of an observer's packet health, once
// per transition, until ctx ends (cmd/server starts it next to the store).
// The first pass after the store is ready logs one summary line instead of
// a line per observer that was already silent before the server started.
func (s *Server) RunObserverWatch(ctx context.Context) {
	every := min(s.cfg.ObserverSilentAfter()/4, 30*time.Second)
	t := time.NewTicker(max(every, time.Second))
	defer t.Stop()
	var prev map[string]string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		prev = s.watchObservers(prev, s.now())
	}
}

// watchObservers is one pass of RunObserverWatch; it returns the states.
func (s *Server) watchObservers(prev map[string]string, now time.Time) map[string]string {
	if !s.storeReady() {
		return prev
	}
	st, _ := s.getStore()
	list := st.Observers(now)
	cur := make(map[string]string, len(list.Observers))
	first := prev == nil
	var notFwd, silent int
	for i := range list.Observers {
		o := &list.Observers[i]
		h := s.packetHealth(o, now)
		cur[o.ID] = h
		switch h {
		case healthNotForwarding:
			notFwd++
		case healthSilent:
			silent++
		}
		if first {
			continue
		}
		was, known := prev[o.ID]
		if !known {
			was = healthForwarding // a new observer starts healthy unless it is not
		}
		if h != was {
			name := ""
			if o.Name != nil {
				name = *o.Name
			}
			level := s.log.Warn
			if h == healthForwarding {
				level = s.log.Info
			}
			level("observer packet health changed", "observer", short8(o.ID), "name", name,
				"from", was, "to", h, "last_packet_at", deref(o.LastPacketAt), "last_seen", deref(o.LastSeen))
		}
	}
	if first {
		s.log.Info("observer packet health", "observers", len(cur), "not_forwarding", notFwd, "silent", silent,
			"threshold", s.cfg.ObserverSilentAfter().String())
	}
	return cur
}

func short8(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ---- Prometheus -----------------------------------------------------------

// serveMetrics is GET /metrics (Prometheus text format).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.metricsH.ServeHTTP(w, r)
}

// initMetrics builds the server's registry.
func (s *Server) initMetrics() {
	s.httpM = metrics.NewHTTP()
	s.metricsH = metrics.Handler(metrics.NewRegistry(s.httpM, &serverCollector{s}))
}

// observeHTTP records one /api request under its route template.
func (s *Server) observeHTTP(r *http.Request, status int, took time.Duration) {
	route := "unmatched"
	if rt := mux.CurrentRoute(r); rt != nil {
		if tpl, err := rt.GetPathTemplate(); err == nil {
			route = tpl
		}
	}
	s.httpM.Duration.WithLabelValues(route).Observe(took.Seconds())
	s.httpM.Responses.WithLabelValues(route, metrics.StatusClass(status)).Inc()
}

var (
	descWSClients     = metrics.Desc("ws_clients", "Connected WebSocket clients.")
	descWSMessages    = metrics.Desc("ws_messages_total", "WebSocket broadcasts.")
	descWSSlow        = metrics.Desc("ws_slow_clients_dropped_total", "WebSocket clients dropped because they could not keep up.")
	descWSDropped     = metrics.Desc("ws_dropped_batches_total", "Live batches the feed dropped because the hub was behind.")
	descStoreTx       = metrics.Desc("store_transmissions", "Transmissions held in memory.")
	descStoreObs      = metrics.Desc("store_observations", "Observations held in memory.")
	descStoreNodes    = metrics.Desc("store_nodes", "Nodes in the store (all time, blacklist applied).")
	descStoreObsrv    = metrics.Desc("store_observers", "Observers in the store.")
	descStoreBytes    = metrics.Desc("store_tracked_bytes", "Bytes the store accounts for (packetStore.maxMemoryMB budget).")
	descStoreEvicted  = metrics.Desc("store_evicted_total", "Transmissions evicted from memory.")
	descLoadProgress  = metrics.Desc("store_load_progress_ratio", "Background load progress, 0..1 (1 = loaded).")
	descLoadedTx      = metrics.Desc("store_loaded_transmissions", "Transmissions read by the initial load.")
	descSyncLag       = metrics.Desc("store_sync_lag_seconds", "Seconds since the store last completed a sync with the database (normally below the poll interval).")
	descStoreReady    = metrics.Desc("store_ready", "1 once the store serves requests.")
	descBuildSeconds  = metrics.Desc("analytics_build_duration_seconds", "Wall time of the analysis' last background rebuild.", "analysis")
	descBuildAge      = metrics.Desc("analytics_age_seconds", "Seconds since the analysis was last rebuilt (absent before its first build).", "analysis")
	descBuildFailures = metrics.Desc("analytics_failures_total", "Failed computations of the analysis.", "analysis")
	descObsPacketAge  = metrics.Desc("observer_last_packet_age_seconds", "Seconds since the observer's last packet (absent if it never sent one).", "observer")
	descObsSeenAge    = metrics.Desc("observer_last_seen_age_seconds", "Seconds since the observer's last message of any kind: packet or live status (last_seen).", "observer")
	descObsInfo       = metrics.Desc("observer_info", "Observer name and region, value 1 (join on observer).", "observer", "name", "iata")
	descObsHealth     = metrics.Desc("observers", "Observers by packet health (forwarding, not_forwarding, silent).", "health")
)

// serverCollector reads the store, hub and analytics engine at scrape time.
type serverCollector struct{ s *Server }

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWSClients, descWSMessages, descWSSlow, descWSDropped,
		descStoreTx, descStoreObs, descStoreNodes, descStoreObsrv, descStoreBytes, descStoreEvicted,
		descLoadProgress, descLoadedTx, descSyncLag, descStoreReady, descBuildSeconds, descBuildAge,
		descBuildFailures, descObsPacketAge, descObsSeenAge, descObsInfo, descObsHealth} {
		ch <- d
	}
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	now := s.now()
	if s.hub != nil {
		hs := s.hub.Stats()
		metrics.Gauge(ch, descWSClients, float64(hs.Clients))
		metrics.Counter(ch, descWSMessages, float64(hs.Messages))
		metrics.Counter(ch, descWSSlow, float64(hs.SlowDisconnects))
	}
	for _, j := range s.an.engine.Stats() {
		metrics.Gauge(ch, descBuildSeconds, j.LastTook.Seconds(), j.Name)
		metrics.Counter(ch, descBuildFailures, float64(j.Failures), j.Name)
		if !j.LastBuild.IsZero() {
			metrics.Gauge(ch, descBuildAge, now.Sub(j.LastBuild).Seconds(), j.Name)
		}
	}
	st, err := s.getStore()
	ready := 0.0
	if err == nil && st.Ready() {
		ready = 1
	}
	metrics.Gauge(ch, descStoreReady, ready)
	if err != nil {
		return
	}
	c.collectStore(ch, st, now)
	c.collectObservers(ch, st, now)
}

func (c *serverCollector) collectStore(ch chan<- prometheus.Metric, st Store, now time.Time) {
	m := st.Memory()
	p := st.Progress()
	metrics.Counter(ch, descWSDropped, float64(st.DroppedLiveBatches()))
	metrics.Gauge(ch, descStoreTx, float64(m.Transmissions))
	metrics.Gauge(ch, descStoreObs, float64(m.Observations))
	metrics.Gauge(ch, descStoreBytes, m.TrackedMB*(1<<20))
	metrics.Counter(ch, descStoreEvicted, float64(m.Evicted))
	metrics.Gauge(ch, descLoadProgress, p.Fraction())
	metrics.Gauge(ch, descLoadedTx, float64(p.LoadedTx))
	if ls, ok := st.(interface{ LastSync() time.Time }); ok {
		if t := ls.LastSync(); !t.IsZero() {
			metrics.Gauge(ch, descSyncLag, max(0, now.Sub(t).Seconds()))
		}
	}
	stats := st.Stats(now)
	metrics.Gauge(ch, descStoreNodes, float64(stats.TotalNodesAllTime))
	metrics.Gauge(ch, descStoreObsrv, float64(stats.TotalObservers))
}

// collectObservers emits one age series per observer row of /api/observers
// (bounded by the observers table) and the health counts.
func (c *serverCollector) collectObservers(ch chan<- prometheus.Metric, st Store, now time.Time) {
	s := c.s
	list := st.Observers(now)
	counts := map[string]int{healthForwarding: 0, healthNotForwarding: 0, healthSilent: 0}
	nowMs := now.UnixMilli()
	for i := range list.Observers {
		o := &list.Observers[i]
		pkt, seen := parseMs(o.LastPacketAt), parseMs(o.LastSeen)
		if pkt > 0 {
			metrics.Gauge(ch, descObsPacketAge, float64(nowMs-pkt)/1000, o.ID)
		}
		if seen > 0 {
			metrics.Gauge(ch, descObsSeenAge, float64(nowMs-seen)/1000, o.ID)
		}
		metrics.Gauge(ch, descObsInfo, 1, o.ID, deref(o.Name), deref(o.IATA))
		counts[classify(pkt, seen, nowMs, s.cfg.ObserverSilentAfter())]++
	}
	for h, n := range counts {
		metrics.Gauge(ch, descObsHealth, float64(n), h)
	}
}
