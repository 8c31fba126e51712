package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corescope/corescope/internal/metrics"
)

// maxDropReasons sizes the per-reason counter arrays (len(dropReasons) ≤ it).
const maxDropReasons = 24

// opsState is the ingestor's protection and Prometheus state.
type opsState struct {
	guards    map[string]*sourceGuard // by source name; read-only after New
	rate      *rateLimiter            // nil = no limit
	writerM   *metrics.IngestWriter
	metricsLn net.Listener // nil = no /metrics listener (metricsListen empty)
	metricsH  http.Handler
}

// initOps builds the guards, the rate limiter and the metrics, and binds the
// /metrics listener (so a port clash fails startup, not later).
func (ing *Ingestor) initOps() error {
	ing.guards = newGuards(ing.cfg.MQTTSources())
	ing.rate = newRateLimiter(ing.cfg.ObserverRateLimit)
	ing.writerM = metrics.NewIngestWriter()
	ing.metricsH = metrics.Handler(metrics.NewRegistry(ing.writerM, &ingestCollector{ing}))
	if addr := strings.TrimSpace(ing.cfg.MetricsListen); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metricsListen %s: %w", addr, err)
		}
		ing.metricsLn = ln
	}
	return nil
}

// MetricsAddr is the address /metrics listens on ("" = off).
func (ing *Ingestor) MetricsAddr() string {
	if ing.metricsLn == nil {
		return ""
	}
	return ing.metricsLn.Addr().String()
}

// MetricsHandler serves the ingestor's metrics (also without a listener).
func (ing *Ingestor) MetricsHandler() http.Handler { return ing.metricsH }

// serveMetrics serves /metrics on the bound listener until ctx ends.
func (ing *Ingestor) serveMetrics(ctx context.Context, wg *sync.WaitGroup) {
	if ing.metricsLn == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", ing.metricsH)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln := ing.metricsLn
	ing.log.Info("metrics listening", "addr", ln.Addr().String())
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			ing.log.Warn("metrics listener stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		_ = srv.Close()
	}()
}

func (ing *Ingestor) closeMetrics() {
	if ing.metricsLn != nil {
		_ = ing.metricsLn.Close()
	}
}

// observeBatch records one write transaction (no allocation).
func (ing *Ingestor) observeBatch(n int, took time.Duration) {
	ing.writerM.BatchSize.Observe(float64(n))
	ing.writerM.CommitSeconds.Observe(took.Seconds())
}

// sourceOutcomes counts one source's messages by outcome: committed, or
// dropped for one of dropReasons.
type sourceOutcomes struct {
	stored atomic.Uint64
	drops  [maxDropReasons]atomic.Uint64
}

func (o *sourceOutcomes) drop(reason string) { o.drops[dropIndex(reason)].Add(1) }

// Metric descriptions of the ingestor. Values are read at scrape time from
// the same counters as the stats file (Stats()).
var (
	descMessages     = metrics.Desc("ingest_messages_total", "MQTT messages by source and outcome: stored, or the drop reason (bad input, filtered, observer_denied, rate_limited, geo_filtered, write_error).", "source", "outcome")
	descReceived     = metrics.Desc("ingest_messages_received_total", "MQTT messages received, by source.", "source")
	descRows         = metrics.Desc("ingest_rows_total", "Rows offered to the database by table and result (new or duplicate: de-duplicated by its key).", "table", "result")
	descQueueDepth   = metrics.Desc("ingest_queue_depth", "Prepared messages waiting for the writer.")
	descQueueCap     = metrics.Desc("ingest_queue_capacity", "Capacity of the writer queue (ingest.queueSize).")
	descConnected    = metrics.Desc("ingest_mqtt_connected", "1 while the source's MQTT connection is up.", "source")
	descReconnects   = metrics.Desc("ingest_mqtt_reconnects_total", "Reconnects of the source (including those forced by the stall watchdog).", "source")
	descAttempts     = metrics.Desc("ingest_mqtt_connect_attempts_total", "MQTT dial attempts of the source.", "source")
	descStalls       = metrics.Desc("ingest_mqtt_stalls_total", "Stall-watchdog detections (connected but silent) of the source.", "source")
	descLastMsgAge   = metrics.Desc("ingest_source_last_message_age_seconds", "Seconds since the source last delivered a message (absent until its first message).", "source")
	descSourceUp     = metrics.Desc("ingest_source_uptime_seconds", "Seconds since the ingestor registered the source (for sources that never delivered anything).", "source")
	descRateLimited  = metrics.Desc("ingest_observer_rate_limited_total", "Messages of the observer dropped by observerRateLimit (observers that were limited at least once; bounded table).", "observer")
	descBatchRetries = metrics.Desc("ingest_batch_retries_total", "Write transactions that failed and were retried message by message.")
	descCommits      = metrics.Desc("ingest_commits_total", "Committed write transactions.")
)

// ingestCollector turns Stats() into samples.
type ingestCollector struct{ ing *Ingestor }

func (c *ingestCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descReceived, descRows, descQueueDepth, descQueueCap,
		descConnected, descReconnects, descAttempts, descStalls, descLastMsgAge, descSourceUp,
		descRateLimited, descBatchRetries, descCommits} {
		ch <- d
	}
}

func (c *ingestCollector) Collect(ch chan<- prometheus.Metric) {
	ing := c.ing
	st := ing.Stats()
	metrics.Gauge(ch, descQueueDepth, float64(st.QueueDepth))
	metrics.Gauge(ch, descQueueCap, float64(st.QueueCapacity))
	metrics.Counter(ch, descRows, float64(st.TxInserted), "transmissions", "new")
	metrics.Counter(ch, descRows, float64(st.TxDupes), "transmissions", "duplicate")
	metrics.Counter(ch, descRows, float64(st.ObsInserted), "observations", "new")
	metrics.Counter(ch, descRows, float64(st.ObsDupes), "observations", "duplicate")
	metrics.Counter(ch, descBatchRetries, float64(st.BatchRetries))
	metrics.Counter(ch, descCommits, float64(st.WALCommits))
	for _, r := range st.RateLimited {
		metrics.Counter(ch, descRateLimited, float64(r.Dropped), r.Observer)
	}
	ing.mu.Lock()
	srcs := ing.sources
	ing.mu.Unlock()
	now := time.Now()
	for _, s := range srcs {
		name := s.cfg.Name
		metrics.Counter(ch, descReceived, float64(s.messages.Load()), name)
		metrics.Counter(ch, descMessages, float64(s.outcomes.stored.Load()), name, "stored")
		for i, r := range dropReasons {
			metrics.Counter(ch, descMessages, float64(s.outcomes.drops[i].Load()), name, r)
		}
		up := 0.0
		if s.connected.Load() {
			up = 1
		}
		metrics.Gauge(ch, descConnected, up, name)
		metrics.Counter(ch, descReconnects, float64(s.reconnects.Load()), name)
		metrics.Counter(ch, descAttempts, float64(s.attempts.Load()), name)
		metrics.Counter(ch, descStalls, float64(s.stalls.Load()), name)
		if last := s.lastMessage.Load(); last > 0 {
			metrics.Gauge(ch, descLastMsgAge, now.Sub(time.Unix(0, last)).Seconds(), name)
		}
		if !s.registered.IsZero() {
			metrics.Gauge(ch, descSourceUp, now.Sub(s.registered).Seconds(), name)
		}
	}
}
