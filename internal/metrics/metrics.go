// Package metrics holds the Prometheus metric definitions of both binaries
// (names, help texts, label sets, histogram buckets) and the /metrics
// handler. The values come from counters the processes already keep (the
// ingestor's stats counters, the store's and the hub's stats): collectors
// read them at scrape time, so the hot paths pay nothing for Prometheus
// except the two ingest histograms and the HTTP duration histogram, whose
// Observe calls do not allocate.
//
// Every series is bounded: labels are source names (config), drop reasons
// (a fixed list), route templates (the route table), analysis names, and
// observer ids (the observers table, or the ingestor's bounded rate-limit
// table).
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "corescope"

// NewRegistry returns a registry with the Go runtime and process collectors
// plus cs.
func NewRegistry(cs ...prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(cs...)
	return reg
}

// Handler serves reg in the Prometheus text format. Collection errors are
// reported in the response (HTTP 500) rather than hidden.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})
}

// Desc builds a metric description in our namespace.
func Desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

// Gauge, Counter emit one constant sample; they never fail for the label
// counts used here (checked by the tests that scrape every metric).
func Gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// Counter emits one counter sample.
func Counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// IngestWriter are the histograms the ingest writer observes per committed
// batch (everything else of the ingestor is read from its counters).
type IngestWriter struct {
	BatchSize     prometheus.Histogram
	CommitSeconds prometheus.Histogram
}

// NewIngestWriter builds the writer histograms (not registered).
func NewIngestWriter() *IngestWriter {
	return &IngestWriter{
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "ingest_batch_messages",
			Help:    "Messages per write transaction of the ingest writer.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500},
		}),
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "ingest_commit_seconds",
			Help:    "Wall time of one write transaction (build rows, insert, commit), failed ones included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
}

// Describe implements prometheus.Collector.
func (w *IngestWriter) Describe(ch chan<- *prometheus.Desc) {
	w.BatchSize.Describe(ch)
	w.CommitSeconds.Describe(ch)
}

// Collect implements prometheus.Collector.
func (w *IngestWriter) Collect(ch chan<- prometheus.Metric) {
	w.BatchSize.Collect(ch)
	w.CommitSeconds.Collect(ch)
}

// HTTP are the server's request metrics, observed by its /api middleware.
// Route is always a mux path template ("/api/nodes/{pubkey}"), never a raw
// path, so the series count is bounded by the route table.
type HTTP struct {
	Duration  *prometheus.HistogramVec
	Responses *prometheus.CounterVec
}

// NewHTTP builds the HTTP metrics (not registered).
func NewHTTP() *HTTP {
	return &HTTP{
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an /api request, by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		Responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_responses_total",
			Help: "/api responses by route template and status class (2xx, 3xx, 4xx, 5xx).",
		}, []string{"route", "class"}),
	}
}

// Describe implements prometheus.Collector.
func (h *HTTP) Describe(ch chan<- *prometheus.Desc) {
	h.Duration.Describe(ch)
	h.Responses.Describe(ch)
}

// Collect implements prometheus.Collector.
func (h *HTTP) Collect(ch chan<- prometheus.Metric) {
	h.Duration.Collect(ch)
	h.Responses.Collect(ch)
}

// StatusClass maps an HTTP status to its class label.
func StatusClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	case code >= 200 || code == 0: // 0: the handler wrote nothing = 200
		return "2xx"
	}
	return "1xx"
}
