package analytics

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/corescope/corescope/internal/store"
)

// NeighborGraph is GET /api/analytics/neighbor-graph.
type NeighborGraph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
	Stats GraphStats  `json:"stats"`
}

// GraphNode is an edge endpoint.
type GraphNode struct {
	Pubkey        string `json:"pubkey"`
	Name          string `json:"name"`
	Role          string `json:"role"`
	NeighborCount int    `json:"neighbor_count"`
}

// GraphEdge is a pair of nodes heard next to each other in paths.
type GraphEdge struct {
	Source        string   `json:"source"`
	Target        string   `json:"target"` // "prefix:<hex>" when the hop did not resolve
	Weight        int      `json:"weight"`
	Score         float64  `json:"score"`
	Bidirectional bool     `json:"bidirectional"`
	AvgSnr        *float64 `json:"avg_snr"`
	Ambiguous     bool     `json:"ambiguous"`
}

// GraphStats summarises the returned graph.
type GraphStats struct {
	TotalNodes          int     `json:"total_nodes"`
	TotalEdges          int     `json:"total_edges"`
	AmbiguousEdges      int     `json:"ambiguous_edges"`
	AvgClusterSize      float64 `json:"avg_cluster_size"`
	RejectedEdgesGeoFar int     `json:"rejected_edges_geo_far"`
}

// GraphParams are the neighbor-graph filters.
type GraphParams struct {
	MinCount int
	MinScore float64
	Region   string // canonical Filter.Region
	Role     string // lower-case; "" = any
}

// baseEdge is an edge of the full graph before filtering.
type baseEdge struct {
	a, b      string // canonical order (a < b); unresolved end "prefix:<HEX>"
	count     int
	lastMs    int64
	snrSum    float64
	snrN      int
	ambiguous bool
	observers []int64 // observers whose observations witnessed it (few: a slice, not a map)
}

// baseGraph is the unfiltered graph of one snapshot generation.
type baseGraph struct {
	gen      uint64
	edges    []*baseEdge
	rejected int
	observer map[string]*store.Observer // endpoint id (lower-case) → observer, for observer-only endpoints
}

// GraphCache memoises the unfiltered graph per store generation, so every
// parameter set of one generation shares one scan of the observations.
type GraphCache struct {
	// MaxEdgeKm drops edges between two GPS-known nodes farther apart
	// (neighborGraph.maxEdgeKm; ≤ 0 = no check).
	MaxEdgeKm float64
	mu        sync.Mutex
	last      *baseGraph
}

func (c *GraphCache) get(v *View) *baseGraph {
	c.mu.Lock()
	defer c.mu.Unlock() // concurrent callers of one generation wait for one build
	if c.last != nil && c.last.gen == v.Gen {
		return c.last
	}
	c.last = buildGraph(v, c.MaxEdgeKm)
	return c.last
}

// buildGraph derives the neighbour edges of every observation in memory:
// an advert's originator and its first hop, consecutive hops, and the last
// hop and the observer (the originator and the observer when the path is
// empty). A hop is its resolved node, else "prefix:<HEX>" (ambiguous when
// several repeaters share the prefix).
func buildGraph(v *View, maxKm float64) *baseGraph {
	g := &baseGraph{gen: v.Gen, observer: map[string]*store.Observer{}}
	type key struct{ a, b string }
	m := map[key]*baseEdge{}
	add := func(x, y string, amb bool, o *store.Observation, withSnr bool) {
		if x == "" || y == "" || x == y {
			return
		}
		if y < x {
			x, y = y, x
		}
		e := m[key{x, y}]
		if e == nil {
			e = &baseEdge{a: x, b: y}
			m[key{x, y}] = e
		}
		e.count++
		e.lastMs = max(e.lastMs, o.Timestamp)
		e.ambiguous = e.ambiguous || amb
		if o.ObserverIdx != 0 && !slices.Contains(e.observers, o.ObserverIdx) {
			e.observers = append(e.observers, o.ObserverIdx)
		}
		if withSnr && o.SNR.Valid {
			e.snrSum += o.SNR.V
			e.snrN++
		}
	}
	hopID := func(o *store.Observation, i int) (string, bool) {
		if _, n := v.hop(o, i); n != nil {
			return n.PublicKey, false
		}
		h := v.hopInfoOf(o, i)
		return h.prefixID, h.cands > 1
	}
	for _, t := range v.Snapshot.Txs {
		for _, o := range t.Observations() {
			ob := v.Observer(o.ObserverIdx)
			obsID := ""
			if ob != nil {
				obsID = strings.ToLower(ob.ID)
				g.observer[obsID] = ob
			}
			n := o.Path.Len()
			prev, prevAmb := "", false
			if t.PayloadType == 4 && t.FromPubkey != "" {
				prev = t.FromPubkey
			}
			for i := 0; i < n; i++ {
				id, amb := hopID(o, i)
				add(prev, id, amb || prevAmb, o, false)
				prev, prevAmb = id, amb
			}
			// The last link into the observer is the one its SNR measures.
			add(prev, obsID, prevAmb, o, true)
		}
	}
	g.edges = make([]*baseEdge, 0, len(m))
	for _, e := range m {
		if maxKm > 0 {
			na, nb := v.Node(e.a), v.Node(e.b)
			if HasGPS(na) && HasGPS(nb) && haversineKm(na.Lat.V, na.Lon.V, nb.Lat.V, nb.Lon.V) > maxKm {
				g.rejected++
				continue
			}
		}
		g.edges = append(g.edges, e)
	}
	sort.Slice(g.edges, func(i, j int) bool {
		if g.edges[i].a != g.edges[j].a {
			return g.edges[i].a < g.edges[j].a
		}
		return g.edges[i].b < g.edges[j].b
	})
	return g
}

// edgeScore is min(1, count/100) decayed with a 7-day half-life since the
// edge was last seen (the node neighbours' score), 3 dp.
func edgeScore(count int, lastMs, nowMs int64) float64 {
	hours := math.Max(float64(nowMs-lastMs)/3.6e6, 0)
	return math.Round(math.Min(1, float64(count)/100)*math.Exp(-math.Ln2*hours/168)*1000) / 1000
}

// ComputeNeighborGraph filters the generation's graph: edges with at least
// MinCount sightings and MinScore, witnessed by an observer of the region
// (if set), with an endpoint of the role (if set).
func ComputeNeighborGraph(v *View, c *GraphCache, p GraphParams) NeighborGraph {
	g := c.get(v)
	observers := v.ObserverSet(Filter{Region: p.Region})
	nowMs := v.Now.UnixMilli()
	out := NeighborGraph{Nodes: []GraphNode{}, Edges: []GraphEdge{}}
	nodes := map[string]*GraphNode{}
	endpoint := func(id string) *GraphNode {
		if gn := nodes[id]; gn != nil {
			return gn
		}
		gn := &GraphNode{Pubkey: id, Role: "unknown"}
		switch {
		case v.Node(id) != nil:
			n := v.Node(id)
			gn.Name, gn.Role = n.Name, n.Role
		case g.observer[id] != nil:
			gn.Name, gn.Role = g.observer[id].Name, "observer"
		case strings.HasPrefix(id, "prefix:"):
			gn.Name = strings.TrimPrefix(id, "prefix:")
		}
		nodes[id] = gn
		return gn
	}
	minCount := max(p.MinCount, 1)
	for _, e := range g.edges {
		if e.count < minCount {
			continue
		}
		score := edgeScore(e.count, e.lastMs, nowMs)
		if score < p.MinScore || !witnessed(e, observers) {
			continue
		}
		a, b := endpoint(e.a), endpoint(e.b)
		if p.Role != "" && !strings.EqualFold(a.Role, p.Role) && !strings.EqualFold(b.Role, p.Role) {
			continue
		}
		src, dst := e.a, e.b
		if strings.HasPrefix(src, "prefix:") {
			src, dst = dst, src // an unresolved end is always the target
		}
		ge := GraphEdge{Source: src, Target: dst, Weight: e.count, Score: score, Bidirectional: true, Ambiguous: e.ambiguous}
		if e.snrN > 0 {
			s := round(e.snrSum/float64(e.snrN), 2)
			ge.AvgSnr = &s
		}
		a.NeighborCount++
		b.NeighborCount++
		if ge.Ambiguous {
			out.Stats.AmbiguousEdges++
		}
		out.Edges = append(out.Edges, ge)
	}
	for _, gn := range nodes {
		if gn.NeighborCount > 0 {
			out.Nodes = append(out.Nodes, *gn)
		}
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].Pubkey < out.Nodes[j].Pubkey })
	out.Stats.TotalNodes, out.Stats.TotalEdges = len(out.Nodes), len(out.Edges)
	if len(out.Nodes) > 0 {
		out.Stats.AvgClusterSize = round(2*float64(len(out.Edges))/float64(len(out.Nodes)), 2)
	}
	out.Stats.RejectedEdgesGeoFar = g.rejected
	return out
}

func witnessed(e *baseEdge, observers map[int64]bool) bool {
	if observers == nil {
		return true
	}
	for _, idx := range e.observers {
		if observers[idx] {
			return true
		}
	}
	return false
}
