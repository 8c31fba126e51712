package api

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/corescope/corescope/internal/analytics"
	"github.com/corescope/corescope/internal/store"
)

// Node and observer analytics (API.md §5.5, §5.8): the heavy ones run on the
// analytics engine (observer analytics for every observer and window, the
// clock-skew tables, network status and the node-row scores precomputed;
// node analytics on demand, coalesced and bounded); the observer_metrics
// routes read the in-memory samples directly (a few hundred per observer).

type nodeAnParams struct {
	PK   string
	Days int
}

type observerAnParams struct {
	ID   string
	Days int
}

type areaKey struct{ Area string }

// nodeAnalyticsHandles are the registered analyses of this file.
type nodeAnalyticsHandles struct {
	node        *analytics.Handle[nodeAnParams]
	observer    *analytics.Handle[observerAnParams]
	nodeSkew    *analytics.Handle[areaKey]
	observerSkw *analytics.Handle[struct{}]
	status      *analytics.Handle[struct{}]
	scores      *analytics.Handle[struct{}]
}

// registerNodeAnalytics registers the node and observer analyses on e.
func (s *Server) registerNodeAnalytics(e *analytics.Engine) {
	cadence := func(name string) time.Duration { return time.Duration(s.cfg.RecomputeInterval(name)) * time.Second }
	h := &nodeAnalyticsHandles{}
	s.nodeAn = h
	h.observer = analytics.Register(e, analytics.Analysis[observerAnParams]{
		Name: "observerAnalytics", Cadence: cadence("observerAnalytics"),
		Compute: func(v *analytics.View, p observerAnParams) (any, error) {
			r, _ := analytics.ObserverAnalyticsFor(v, p.ID, p.Days)
			return r, nil
		},
		Precompute: func(v *analytics.View) []observerAnParams {
			var ps []observerAnParams
			for _, o := range v.Observers() {
				for _, d := range analytics.ObserverAnalyticsDays {
					ps = append(ps, observerAnParams{o.ID, d})
				}
			}
			return ps
		},
	})
	h.observerSkw = analytics.Register(e, analytics.Analysis[struct{}]{
		Name: "observersClockSkew", Cadence: cadence("observersClockSkew"),
		Compute: func(v *analytics.View, _ struct{}) (any, error) {
			list, _ := analytics.ObserverSkewsFor(v)
			return list, nil
		},
		Precompute: func(*analytics.View) []struct{} { return []struct{}{{}} },
	})
	h.nodeSkew = analytics.Register(e, analytics.Analysis[areaKey]{
		Name: "nodesClockSkew", Cadence: cadence("nodesClockSkew"), KeepValue: true,
		Compute: func(v *analytics.View, p areaKey) (any, error) {
			return analytics.NodeClockSkewsFor(v, p.Area), nil
		},
		Precompute: func(*analytics.View) []areaKey { return []areaKey{{}} },
	})
	h.node = analytics.Register(e, analytics.Analysis[nodeAnParams]{
		Name: "nodeAnalytics", Cadence: cadence("nodeAnalytics"),
		Compute: func(v *analytics.View, p nodeAnParams) (any, error) {
			r, _ := analytics.NodeAnalyticsFor(v, p.PK, p.Days, h.nodeSkewOf(p.PK))
			return r, nil
		},
	})
	th := s.cfg.HealthThresholds
	hours := func(x float64) time.Duration { return time.Duration(x * float64(time.Hour)) }
	health := analytics.NodeHealthThresholds{
		InfraDegraded: hours(th.InfraDegradedHours), InfraSilent: hours(th.InfraSilentHours),
		NodeDegraded: hours(th.NodeDegradedHours), NodeSilent: hours(th.NodeSilentHours),
	}
	h.status = analytics.Register(e, analytics.Analysis[struct{}]{
		Name: "networkStatus", Cadence: time.Minute,
		Compute: func(v *analytics.View, _ struct{}) (any, error) {
			return analytics.NetworkStatusFor(v, health), nil
		},
		Precompute: func(*analytics.View) []struct{} { return []struct{}{{}} },
	})
	window := hours(th.RelayActiveHours)
	if window <= 0 {
		window = 24 * time.Hour
	}
	h.scores = analytics.Register(e, analytics.Analysis[struct{}]{
		Name: "nodeScores", Cadence: cadence("nodeScores"),
		Compute: func(v *analytics.View, _ struct{}) (any, error) {
			m := analytics.NodeScoresFor(v, window)
			s.publishScores(m)
			return struct {
				Nodes int `json:"nodes"`
			}{len(m)}, nil
		},
		Precompute: func(*analytics.View) []struct{} { return []struct{}{{}} },
	})
}

// publishScores hands the node-row scores to the store, which moves its
// generation only when they changed (so cached node lists are rebuilt, and
// unchanged data does not schedule another recomputer pass). This is the one
// analysis with a side effect: node lists join the scores per row instead of
// asking the engine.
func (s *Server) publishScores(m map[string]store.NodeScores) {
	if st, err := s.getStore(); err == nil {
		st.SetNodeScores(m)
	}
}

// nodeSkewOf returns the node's full clock analysis from the precomputed
// table (nil before its first pass or without adverts with a timestamp).
func (h *nodeAnalyticsHandles) nodeSkewOf(pk string) *analytics.NodeClockSkew {
	v, err := h.nodeSkew.Value(context.Background(), areaKey{})
	if err != nil {
		return nil
	}
	tbl, _ := v.(*analytics.ClockSkewTable)
	return tbl.Node(pk)
}

// daysParam parses `days` (default 7) and clamps it to 1..365 (API.md §5.5).
func daysParam(q url.Values) (int, error) {
	d, err := intParam(q, "days", 7)
	if err != nil {
		return 0, err
	}
	return min(max(d, 1), 365), nil
}

// lookupNode resolves the {pubkey} of a node route (404/409 as errors).
func (s *Server) lookupNode(r *http.Request) (*store.Node, Store, error) {
	st, err := s.getStore()
	if err != nil {
		return nil, nil, err
	}
	n, err := st.LookupNode(mux.Vars(r)["pubkey"])
	return n, st, err
}

// nodeAnalytics serves GET /api/nodes/{pubkey}/analytics?days=.
func (s *Server) nodeAnalytics(w http.ResponseWriter, r *http.Request) {
	days, err := daysParam(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, _, err := s.lookupNode(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.nodeAn.node.Get(r.Context(), nodeAnParams{n.PublicKey, days})
	s.serveResult(w, r, res, err)
}

// nodeBattery serves GET /api/nodes/{pubkey}/battery?days=.
func (s *Server) nodeBattery(w http.ResponseWriter, r *http.Request) {
	days, err := daysParam(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, st, err := s.lookupNode(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	th := analytics.NodeBatteryThresholds{LowMV: s.cfg.BatteryThresholds.LowMv, CriticalMV: s.cfg.BatteryThresholds.CriticalMv}
	writeJSON(w, http.StatusOK, analytics.ComputeBattery(n.PublicKey, st.Metrics().Samples(n.PublicKey), th, days, s.now()))
}

// nodeClockSkew serves GET /api/nodes/{pubkey}/clock-skew (the full entry).
func (s *Server) nodeClockSkew(w http.ResponseWriter, r *http.Request) {
	n, _, err := s.lookupNode(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.nodeAn.nodeSkew.Get(r.Context(), areaKey{})
	if err != nil {
		s.serveResult(w, r, nil, err)
		return
	}
	tbl, _ := res.Value.(*analytics.ClockSkewTable)
	full := tbl.Node(n.PublicKey)
	if full == nil {
		s.writeError(w, r, statusError(http.StatusNotFound, "No clock skew data for this node"))
		return
	}
	// Cut from the precomputed table: its age is this answer's age.
	w.Header().Set("X-Cache-Age-Seconds", strconv.Itoa(res.Age(s.now())))
	writeJSON(w, http.StatusOK, full)
}

// nodesClockSkew serves GET /api/nodes/clock-skew?area=.
func (s *Server) nodesClockSkew(w http.ResponseWriter, r *http.Request) {
	area, _ := s.areaParam(r.URL.Query())
	res, err := s.nodeAn.nodeSkew.Get(r.Context(), areaKey{area})
	s.serveResult(w, r, res, err)
}

// networkStatus serves GET /api/nodes/network-status (params ignored).
func (s *Server) networkStatus(w http.ResponseWriter, r *http.Request) {
	res, err := s.nodeAn.status.Get(r.Context(), struct{}{})
	s.serveResult(w, r, res, err)
}

// observerAnalytics serves GET /api/observers/{id}/analytics?days=.
func (s *Server) observerAnalytics(w http.ResponseWriter, r *http.Request) {
	days, err := daysParam(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.knownObserver(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.nodeAn.observer.Get(r.Context(), observerAnParams{id, days})
	s.serveResult(w, r, res, err)
}

// knownObserver returns the {id} of an observer route, 404 when it is
// unknown or blacklisted.
func (s *Server) knownObserver(r *http.Request) (string, error) {
	st, err := s.getStore()
	if err != nil {
		return "", err
	}
	id := mux.Vars(r)["id"]
	if _, err := st.Observer(id, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", statusError(http.StatusNotFound, "Observer not found")
		}
		return "", err
	}
	return id, nil
}

// observersClockSkew serves GET /api/observers/clock-skew.
func (s *Server) observersClockSkew(w http.ResponseWriter, r *http.Request) {
	res, err := s.nodeAn.observerSkw.Get(r.Context(), struct{}{})
	s.serveResult(w, r, res, err)
}

// observerMetrics serves GET /api/observers/{id}/metrics?since=&until=&resolution=.
func (s *Server) observerMetrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res := strings.TrimSpace(q.Get("resolution"))
	if res == "" {
		res = "5m"
	}
	bucket, ok := analytics.MetricsResolution[res]
	if !ok {
		s.writeError(w, r, badRequest("invalid resolution: %s. Must be 5m, 1h, or 1d", res))
		return
	}
	now := s.now()
	since, err := timeParam(q, "since")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	until, err := timeParam(q, "until")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	interval := time.Duration(max(s.cfg.Metrics.SampleIntervalSec, 1)) * time.Second
	if until.IsZero() {
		// The ingestor rounds sample times to the nearest bucket: the newest
		// can lie up to half an interval after now.
		until = now.Add(interval)
	}
	id, err := s.knownObserver(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, _ := st.Observer(id, now)
	writeJSON(w, http.StatusOK, analytics.ComputeObserverMetrics(o.ID, o.Name, st.Metrics().Samples(id), since, until, bucket, interval))
}

// observerMetricsSummary serves GET /api/observers/metrics/summary?window=&region=.
func (s *Server) observerMetricsSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	window, err := metricsWindowParam(q.Get("window"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	region := strings.TrimSpace(q.Get("region"))
	interval := time.Duration(max(s.cfg.Metrics.SampleIntervalSec, 1)) * time.Second
	writeJSON(w, http.StatusOK, analytics.ComputeMetricsSummary(st.ObserverRows(), st.Metrics(), region, now.Add(-window), now.Add(interval)))
}

// metricsWindowParam parses the summary `window`: a Go duration ("6h") or
// "<N>d"; default 24 h; at most 365 days.
func metricsWindowParam(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 24 * time.Hour, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, badRequest("invalid window: %s", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, badRequest("invalid window: %s", s)
		}
	}
	if d <= 0 || d > 365*24*time.Hour {
		return 0, badRequest("invalid window: %s (must be > 0 and at most 365d)", s)
	}
	return d, nil
}

// nodeAnalyticsRouteDocs are the /api/spec summaries of the routes above.
var nodeAnalyticsRouteDocs = map[string]string{
	"GET /api/nodes/network-status":      "Node counts by health (active/degraded/silent) and role (precomputed)",
	"GET /api/nodes/clock-skew":          "Every node's advert clock skew, calibrated per observer (precomputed; area computed on demand)",
	"GET /api/nodes/{pubkey}/analytics":  "One node's activity, signal, coverage, hops, peers and availability over ?days= (on demand, shared)",
	"GET /api/nodes/{pubkey}/battery":    "Battery readings of a node that is also an observer (observer_metrics), with status",
	"GET /api/nodes/{pubkey}/clock-skew": "One node's full clock-skew analysis with samples and per-observer evidence",
	"GET /api/observers/{id}/analytics":  "An observer's packets, node counts, types and SNR over ?days= (1/3/7/30 precomputed)",
	"GET /api/observers/{id}/metrics":    "An observer's RF health samples (noise floor, airtime, errors, battery) with reboots",
	"GET /api/observers/metrics/summary": "Noise-floor summary and sparkline per observer over ?window=",
	"GET /api/observers/clock-skew":      "Each observer's timestamp offset against the others (precomputed)",
}

func init() { maps.Copy(routeDocs, nodeAnalyticsRouteDocs) }
