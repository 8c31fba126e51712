package api

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/analytics"
)

// meshAnalytics holds the analytics engine and the handles of the mesh
// analytics routes (API.md §5.6, /api/scope-stats). The engine is built with
// the server and gets the store in SetStore; RunAnalytics drives it.
type meshAnalytics struct {
	engine *analytics.Engine
	roles  *analytics.Handle[struct{}]
}

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
	"GET /api/analytics/roles": "Nodes per role with their clock-skew summary (precomputed)",
}

func init() { maps.Copy(routeDocs, analyticsRouteDocs) }
