package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/corescope/corescope/internal/store"
)

// Node endpoint limits (documented in API.md).
const (
	maxNodeLimit   = store.MaxNodeLimit
	maxSearchLimit = 50
	maxResolveHops = 256
	maxBulkHealth  = 200
)

// lastHeardWindows are the accepted values of /api/nodes?lastHeard=.
var lastHeardWindows = map[string]time.Duration{
	"1h": time.Hour, "6h": 6 * time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour,
}

// listNodes serves GET /api/nodes (API.md §5.5).
func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	nq := store.NodeQuery{Role: strings.TrimSpace(q.Get("role")), Search: strings.TrimSpace(q.Get("search")), Regions: regionParam(q), Now: s.now()}
	_, nq.AreaContains = s.areaParam(q)
	if nq.Limit, err = limitParam(q, store.DefaultNodeLimit, maxNodeLimit); err != nil {
		s.writeError(w, r, err)
		return
	}
	if nq.Offset, err = offsetParam(q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if nq.Before, err = timeParam(q, "before"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if lh := strings.TrimSpace(q.Get("lastHeard")); lh != "" {
		d, ok := lastHeardWindows[lh]
		if !ok {
			s.writeError(w, r, badRequest("lastHeard must be one of 1h, 6h, 24h, 7d, 30d; got %q", lh))
			return
		}
		nq.LastHeard = d
	}
	switch sb := q.Get("sortBy"); sb {
	case "", "lastSeen", "name", "packetCount", "advertCount":
		nq.SortBy = sb
	default:
		s.writeError(w, r, badRequest("sortBy must be name, lastSeen or packetCount; got %q", sb))
		return
	}
	writeJSON(w, http.StatusOK, st.Nodes(nq))
}

// bulkHealth serves GET /api/nodes/bulk-health?limit=&region=&area= (bare
// array, limit default 50, max 200).
func (s *Server) bulkHealth(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, err := limitParam(q, 50, maxBulkHealth)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, area := s.areaParam(q)
	writeJSON(w, http.StatusOK, st.BulkHealth(limit, regionParam(q), area, s.now()))
}

// searchNodes serves GET /api/nodes/search?q= (max 10 by default).
func (s *Server) searchNodes(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := limitParam(r.URL.Query(), 10, maxSearchLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Nodes []store.NodeJSON `json:"nodes"`
	}{Nodes: st.SearchNodes(r.URL.Query().Get("q"), limit)})
}

// getNode serves GET /api/nodes/{pubkey} (full key or unique 8+ hex prefix).
func (s *Server) getNode(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := st.Node(mux.Vars(r)["pubkey"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) nodeHealth(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := st.NodeHealth(mux.Vars(r)["pubkey"], s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) nodePaths(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := st.NodePaths(mux.Vars(r)["pubkey"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// nodeNeighbors serves GET /api/nodes/{pubkey}/neighbors?min_count=&min_score=&include_ambiguous=.
func (s *Server) nodeNeighbors(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	minCount, err := intParam(q, "min_count", 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if minCount < 1 {
		s.writeError(w, r, badRequest("min_count must be ≥ 1, got %d", minCount))
		return
	}
	minScore := 0.0
	if v := strings.TrimSpace(q.Get("min_score")); v != "" {
		if minScore, err = strconv.ParseFloat(v, 64); err != nil || !finite(minScore) {
			s.writeError(w, r, badRequest("min_score must be a number, got %q", v))
			return
		}
	}
	includeAmb := true
	if v := strings.TrimSpace(q.Get("include_ambiguous")); v != "" {
		if includeAmb, err = strconv.ParseBool(v); err != nil {
			s.writeError(w, r, badRequest("include_ambiguous must be true or false, got %q", v))
			return
		}
	}
	n, err := st.NodeNeighbors(strings.ToLower(mux.Vars(r)["pubkey"]), minCount, minScore, includeAmb, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// resolveHops serves GET /api/resolve-hops?hops=a,b,c[&from_node=&observer=].
func (s *Server) resolveHops(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	hops := listParam(q, "hops")
	if len(hops) > maxResolveHops {
		s.writeError(w, r, badRequest("too many hops (max %d)", maxResolveHops))
		return
	}
	writeJSON(w, http.StatusOK, st.ResolveHops(hops, strings.TrimSpace(q.Get("from_node")), strings.TrimSpace(q.Get("observer")), s.now()))
}
