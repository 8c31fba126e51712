package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/analytics"
)

// meshAnalytics holds the analytics engine and the handles of the mesh
// analytics routes (API.md §5.6, /api/scope-stats). The engine is built with
// the server and gets the store in SetStore; RunAnalytics drives it.
type meshAnalytics struct {
	engine         *analytics.Engine
	roles          *analytics.Handle[struct{}]
	rf             *analytics.Handle[analytics.Scope]
	topology       *analytics.Handle[analytics.Scope]
	channels       *analytics.Handle[analytics.Scope]
	distance       *analytics.Handle[analytics.Filter]
	hashSizes      *analytics.Handle[analytics.Filter]
	hashCollisions *analytics.Handle[analytics.Filter]
	subpaths       *analytics.Handle[subpathParams]
	subpathDetail  *analytics.Handle[string]
	graph          *analytics.Handle[analytics.GraphParams]
	scopeStats     *analytics.Handle[string]
}

// subpathParams are the subpaths/subpaths-bulk parameters; Groups is the
// canonical group list, Single marks the one-group /subpaths form.
type subpathParams struct {
	Groups string
	Region string
	Single bool
}

// defaultSubpathGroups is what the web app's Route Patterns tab requests.
const defaultSubpathGroups = "2-2:50,3-3:30,4-4:20,5-8:15"

// newMeshAnalytics registers the mesh analyses with their cadences
// (analytics.recomputeIntervalSeconds.<name>, else defaultIntervalSeconds).
func (s *Server) newMeshAnalytics() *meshAnalytics {
	areas := make(map[string]func(lat, lon float64) bool, len(s.areas))
	for k, f := range s.areas {
		areas[k] = f
	}
	e := analytics.New(analytics.Options{Areas: areas, Now: s.now, Logger: s.log})
	cadence := func(name string) time.Duration {
		return time.Duration(s.cfg.RecomputeInterval(name)) * time.Second
	}
	m := &meshAnalytics{engine: e}
	m.roles = analytics.Register(e, analytics.Analysis[struct{}]{
		Name: "roles", Cadence: cadence("roles"),
		Compute:    func(v *analytics.View, _ struct{}) (any, error) { return analytics.ComputeRoles(v), nil },
		Precompute: func(*analytics.View) []struct{} { return []struct{}{{}} },
	})
	scopes := func(v *analytics.View) []analytics.Scope {
		out := []analytics.Scope{{}}
		for _, r := range v.Regions() {
			out = append(out, analytics.Scope{Filter: analytics.Filter{Region: r}})
		}
		return out
	}
	filters := func(v *analytics.View) []analytics.Filter {
		out := []analytics.Filter{{}}
		for _, r := range v.Regions() {
			out = append(out, analytics.Filter{Region: r})
		}
		return out
	}
	m.rf = analytics.Register(e, analytics.Analysis[analytics.Scope]{Name: "rf", Cadence: cadence("rf"), Precompute: scopes,
		Compute: func(v *analytics.View, p analytics.Scope) (any, error) { return analytics.ComputeRF(v, p), nil }})
	m.topology = analytics.Register(e, analytics.Analysis[analytics.Scope]{Name: "topology", Cadence: cadence("topology"), Precompute: scopes,
		Compute: func(v *analytics.View, p analytics.Scope) (any, error) { return analytics.ComputeTopology(v, p), nil }})
	m.channels = analytics.Register(e, analytics.Analysis[analytics.Scope]{Name: "channels", Cadence: cadence("channels"), Precompute: scopes,
		Compute: func(v *analytics.View, p analytics.Scope) (any, error) { return analytics.ComputeChannels(v, p), nil }})
	m.distance = analytics.Register(e, analytics.Analysis[analytics.Filter]{Name: "distance", Cadence: cadence("distance"), Precompute: filters,
		Compute: func(v *analytics.View, f analytics.Filter) (any, error) { return analytics.ComputeDistance(v, f), nil }})
	m.hashSizes = analytics.Register(e, analytics.Analysis[analytics.Filter]{Name: "hashSizes", Cadence: cadence("hashSizes"), Precompute: filters,
		Compute: func(v *analytics.View, f analytics.Filter) (any, error) { return analytics.ComputeHashSizes(v, f), nil }})
	m.hashCollisions = analytics.Register(e, analytics.Analysis[analytics.Filter]{Name: "hashCollisions", Cadence: cadence("hashCollisions"), Precompute: filters,
		Compute: func(v *analytics.View, f analytics.Filter) (any, error) {
			return analytics.ComputeHashCollisions(v, f), nil
		}})
	m.subpaths = analytics.Register(e, analytics.Analysis[subpathParams]{Name: "subpaths", Cadence: cadence("subpaths"),
		Precompute: func(*analytics.View) []subpathParams { return []subpathParams{{Groups: defaultSubpathGroups}} },
		Compute: func(v *analytics.View, p subpathParams) (any, error) {
			groups, err := analytics.ParseSubpathGroups(p.Groups)
			if err != nil {
				return nil, err // validated by the handler: cannot happen
			}
			res := analytics.ComputeSubpaths(v, analytics.Filter{Region: p.Region}, groups)
			if p.Single {
				return res.Results[0], nil
			}
			return res, nil
		}})
	m.subpathDetail = analytics.Register(e, analytics.Analysis[string]{Name: "subpathDetail",
		Compute: func(v *analytics.View, hops string) (any, error) {
			return analytics.ComputeSubpathDetail(v, strings.Split(hops, ",")), nil
		}})
	graphs := &analytics.GraphCache{MaxEdgeKm: s.cfg.NeighborGraph.MaxEdgeKm}
	graphCadence := time.Duration(s.cfg.NeighborGraph.CacheRecomputeIntervalSeconds) * time.Second
	m.graph = analytics.Register(e, analytics.Analysis[analytics.GraphParams]{Name: "neighborGraph", Cadence: graphCadence,
		// The live page's shape and the analytics tab's (the original cached only the first).
		Precompute: func(*analytics.View) []analytics.GraphParams {
			return []analytics.GraphParams{{MinCount: 5, MinScore: 0.1}, {MinCount: 1, MinScore: 0}}
		},
		Compute: func(v *analytics.View, p analytics.GraphParams) (any, error) {
			return analytics.ComputeNeighborGraph(v, graphs, p), nil
		}})
	m.scopeStats = analytics.Register(e, analytics.Analysis[string]{Name: "scopeStats", Cadence: cadence("scopeStats"),
		Precompute: func(*analytics.View) []string { return []string{"1h", "24h", "7d"} },
		Compute:    func(v *analytics.View, w string) (any, error) { return analytics.ComputeScopeStats(v, w), nil }})
	s.registerNodeAnalytics(e)
	return m
}

// Analytics returns the engine, for the node/observer analytics handlers and
// tests.
func (s *Server) Analytics() *analytics.Engine { return s.an.engine }

// RunAnalytics runs the background recomputer until ctx is done (cmd/server
// starts it next to the store).
func (s *Server) RunAnalytics(ctx context.Context) { s.an.engine.Run(ctx) }

// serveResult writes an analytics result (pre-encoded, pre-gzipped when the
// client accepts it) with X-Cache-Age-Seconds, or the error: 503 +
// Retry-After while the analysis is not ready.
func (s *Server) serveResult(w http.ResponseWriter, r *http.Request, res *analytics.Result, err error) {
	if err != nil {
		switch {
		case errors.Is(err, analytics.ErrNotReady):
			err = statusError(http.StatusServiceUnavailable, err.Error())
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			err = statusError(http.StatusServiceUnavailable, "request cancelled while waiting for the analysis")
		}
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("X-Cache-Age-Seconds", strconv.Itoa(res.Age(s.now())))
	if res.Gzip != nil && s.cfg.Compression.Gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		writeRaw(w, http.StatusOK, res.Gzip)
		return
	}
	writeRaw(w, http.StatusOK, res.JSON)
}

// analyticsRoles serves GET /api/analytics/roles (params ignored).
func (s *Server) analyticsRoles(w http.ResponseWriter, r *http.Request) {
	res, err := s.an.roles.Get(r.Context(), struct{}{})
	s.serveResult(w, r, res, err)
}

// analyticsRouteDocs are the /api/spec summaries of the routes above (kept
// here, merged into routeDocs at init, so the areas do not share one table).
var analyticsRouteDocs = map[string]string{
	"GET /api/analytics/roles":           "Nodes per role with their clock-skew summary (precomputed)",
	"GET /api/analytics/rf":              "SNR/RSSI statistics, histograms, packet sizes, hourly volume (region, area, window)",
	"GET /api/analytics/topology":        "Hop distribution, top repeaters and pairs, per-observer reach (region, area, window)",
	"GET /api/analytics/channels":        "Channel activity, top senders, hourly timeline (region, area, window)",
	"GET /api/analytics/distance":        "Hop distances between GPS-known nodes (region, area)",
	"GET /api/analytics/hash-sizes":      "Path-hash size distribution, top hops, multi-byte adopters (region, area)",
	"GET /api/analytics/hash-collisions": "Repeater prefix collisions per hash size (region, area)",
	"GET /api/analytics/subpaths":        "Most frequent runs of consecutive hops (minLen, maxLen, limit, region)",
	"GET /api/analytics/subpaths-bulk":   "Subpaths for several length groups in one scan (groups, region)",
	"GET /api/analytics/subpath-detail":  "Transmissions whose path contains a run of hops (hops)",
	"GET /api/analytics/neighbor-graph":  "Neighbour graph from path adjacency (min_count, min_score, region, role)",
	"GET /api/scope-stats":               "Transport-route transmissions by region scope (window 1h, 24h, 7d)",
}

func init() { maps.Copy(routeDocs, analyticsRouteDocs) }

// windowSpans are the accepted relative `window` values (API.md §0.4).
var windowSpans = map[string]time.Duration{
	"1h": time.Hour, "24h": 24 * time.Hour, "1d": 24 * time.Hour, "3d": 72 * time.Hour,
	"7d": 7 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour,
}

// timeWindowParam parses from/to (absolute, precedence) or window (relative);
// an unknown window is a 400 (the original silently ignored it).
func timeWindowParam(q url.Values) (analytics.TimeWindow, error) {
	from, err := timeParam(q, "from")
	if err != nil {
		return analytics.TimeWindow{}, err
	}
	to, err := timeParam(q, "to")
	if err != nil {
		return analytics.TimeWindow{}, err
	}
	if !from.IsZero() || !to.IsZero() {
		return analytics.TimeWindow{FromMs: unixMs(from), ToMs: unixMs(to)}, nil
	}
	w := strings.TrimSpace(q.Get("window"))
	if w == "" || strings.EqualFold(w, "all") {
		return analytics.TimeWindow{}, nil
	}
	span, ok := windowSpans[strings.ToLower(w)]
	if !ok {
		return analytics.TimeWindow{}, badRequest("window must be one of 1h, 24h, 1d, 3d, 7d, 1w, 30d, got %q", w)
	}
	return analytics.TimeWindow{Label: strings.ToLower(w), Span: span}, nil
}

// filterParam parses region and area into the canonical cache key.
func (s *Server) filterParam(q url.Values) analytics.Filter {
	area, _ := s.areaParam(q)
	return analytics.NewFilter(regionParam(q), area)
}

func (s *Server) scopeParam(q url.Values) (analytics.Scope, error) {
	w, err := timeWindowParam(q)
	return analytics.Scope{Filter: s.filterParam(q), Window: w}, err
}

func (s *Server) serveScope(h *analytics.Handle[analytics.Scope]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.scopeParam(r.URL.Query())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := h.Get(r.Context(), p)
		s.serveResult(w, r, res, err)
	}
}

func (s *Server) serveFilter(h *analytics.Handle[analytics.Filter]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := h.Get(r.Context(), s.filterParam(r.URL.Query()))
		s.serveResult(w, r, res, err)
	}
}

// analyticsSubpaths serves GET /api/analytics/subpaths?minLen&maxLen&limit&region.
func (s *Server) analyticsSubpaths(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lo, err := intParam(q, "minLen", 2)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hi, err := intParam(q, "maxLen", 8)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := limitParam(q, 100, maxSubpathLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lo = max(lo, 2)
	if hi < lo {
		s.writeError(w, r, badRequest("maxLen must be at least minLen (%d), got %d", lo, hi))
		return
	}
	groups := fmt.Sprintf("%d-%d:%d", lo, min(hi, maxSubpathLen), limit)
	res, err := s.an.subpaths.Get(r.Context(), subpathParams{Groups: groups, Region: s.filterParam(q).Region, Single: true})
	s.serveResult(w, r, res, err)
}

const (
	maxSubpathLimit = 1000
	maxSubpathLen   = 64
)

// analyticsSubpathsBulk serves GET /api/analytics/subpaths-bulk?groups=&region=.
// A missing or invalid groups list is a 400 (the original answered 200 with
// {"error": …}); the messages are the original's.
func (s *Server) analyticsSubpathsBulk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	groups, err := analytics.ParseSubpathGroups(q.Get("groups"))
	if err != nil {
		s.writeError(w, r, badRequest("%s", err.Error()))
		return
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		if g.Limit > maxSubpathLimit || g.MaxLen > maxSubpathLen {
			s.writeError(w, r, badRequest("groups: limit must be at most %d and maxLen at most %d", maxSubpathLimit, maxSubpathLen))
			return
		}
		parts[i] = fmt.Sprintf("%d-%d:%d", g.MinLen, g.MaxLen, g.Limit)
	}
	res, err := s.an.subpaths.Get(r.Context(), subpathParams{Groups: strings.Join(parts, ","), Region: s.filterParam(q).Region})
	s.serveResult(w, r, res, err)
}

// analyticsSubpathDetail serves GET /api/analytics/subpath-detail?hops=a,b[,…].
func (s *Server) analyticsSubpathDetail(w http.ResponseWriter, r *http.Request) {
	hops := listParam(r.URL.Query(), "hops")
	if len(hops) < 2 {
		s.writeError(w, r, badRequest("hops: need at least 2 hops"))
		return
	}
	if len(hops) > maxSubpathLen {
		s.writeError(w, r, badRequest("hops: at most %d hops", maxSubpathLen))
		return
	}
	for i, h := range hops {
		if !isHex(h) || len(h) > 64 {
			s.writeError(w, r, badRequest("hops: %q is not a hex hop prefix", h))
			return
		}
		for _, bl := range s.cfg.NodeBlacklist {
			if strings.EqualFold(strings.TrimSpace(bl), h) {
				s.writeError(w, r, statusError(http.StatusNotFound, "Not found"))
				return
			}
		}
		hops[i] = strings.ToUpper(h)
	}
	res, err := s.an.subpathDetail.Get(r.Context(), strings.Join(hops, ","))
	s.serveResult(w, r, res, err)
}

func isHex(s string) bool {
	if s == "" || len(s)%2 == 1 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// analyticsNeighborGraph serves GET /api/analytics/neighbor-graph.
func (s *Server) analyticsNeighborGraph(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	minCount, err := intParam(q, "min_count", 5)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if minCount < 1 {
		s.writeError(w, r, badRequest("min_count must be at least 1, got %d", minCount))
		return
	}
	minScore := 0.1
	if v := strings.TrimSpace(q.Get("min_score")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			s.writeError(w, r, badRequest("min_score must be a number between 0 and 1, got %q", v))
			return
		}
		minScore = f
	}
	p := analytics.GraphParams{MinCount: minCount, MinScore: minScore, Region: s.filterParam(q).Region,
		Role: strings.ToLower(strings.TrimSpace(q.Get("role")))}
	res, err := s.an.graph.Get(r.Context(), p)
	s.serveResult(w, r, res, err)
}

// scopeStats serves GET /api/scope-stats?window=1h|24h|7d (default 24h).
func (s *Server) scopeStats(w http.ResponseWriter, r *http.Request) {
	win := strings.TrimSpace(r.URL.Query().Get("window"))
	if win == "" {
		win = "24h"
	}
	if _, ok := analytics.ScopeWindows[win]; !ok {
		s.writeError(w, r, badRequest("window must be 1h, 24h, or 7d"))
		return
	}
	res, err := s.an.scopeStats.Get(r.Context(), win)
	s.serveResult(w, r, res, err)
}
