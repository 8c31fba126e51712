package inspect

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// Path inspector (POST /api/paths/inspect, API.md §5.9): which chains of
// repeaters can a list of hop prefixes stand for? A beam search over the
// relay candidates of each prefix, scored per hop against the neighbour
// graph the ingestor derives (neighbor_edges, loaded by the store).

// BeamWidth is how many partial paths survive each hop.
const BeamWidth = 20

// Per-hop score weights (the original's): edge affinity, geographic
// plausibility, edge recency, prefix uniqueness; the score is floored.
const (
	wAffinity   = 0.35
	wGeo        = 0.20
	wRecency    = 0.15
	wUniqueness = 0.30
	scoreFloor  = 0.05
	// SpeculativeBelow marks candidates whose score is below it.
	SpeculativeBelow = 0.7
	maxAlternatives  = 5
)

// Graph is the neighbour graph as adjacency, built once per snapshot.
type Graph struct {
	// Built is when the index was built (the affinity view's cache age).
	Built time.Time
	adj   map[string]map[string]store.NeighborEdge
	best  map[string]store.NeighborEdge // each endpoint's strongest edge
}

// NewGraph indexes the snapshot's neighbour edges.
func NewGraph(sn *store.Snapshot) *Graph {
	g := &Graph{adj: map[string]map[string]store.NeighborEdge{}, best: map[string]store.NeighborEdge{}}
	for _, e := range sn.NeighborEdges() {
		for _, p := range [2][2]string{{e.NodeA, e.NodeB}, {e.NodeB, e.NodeA}} {
			m := g.adj[p[0]]
			if m == nil {
				m = map[string]store.NeighborEdge{}
				g.adj[p[0]] = m
			}
			m[p[1]] = e
			if b, ok := g.best[p[0]]; !ok || e.Count > b.Count {
				g.best[p[0]] = e
			}
		}
	}
	return g
}

// Alternative is another candidate of a hop with its score.
type Alternative struct {
	PublicKey string  `json:"publicKey"`
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
}

// HopEvidence explains one hop of a candidate path.
type HopEvidence struct {
	Prefix               string        `json:"prefix"`
	CandidatesConsidered int           `json:"candidatesConsidered"`
	Chosen               string        `json:"chosen"`
	EdgeWeight           int64         `json:"edgeWeight"`
	Alternatives         []Alternative `json:"alternatives,omitempty"`
}

// Candidate is one full path the prefixes may stand for.
type Candidate struct {
	Path        []string `json:"path"`
	Names       []string `json:"names"`
	Score       float64  `json:"score"`
	Speculative bool     `json:"speculative"`
	Evidence    struct {
		PerHop []HopEvidence `json:"perHop"`
	} `json:"evidence"`
}

// InspectInput echoes the normalised request.
type InspectInput struct {
	Prefixes []string `json:"prefixes"`
	Hops     int      `json:"hops"`
}

// InspectStats describes the search.
type InspectStats struct {
	BeamWidth     int     `json:"beamWidth"`
	ExpansionsRun int     `json:"expansionsRun"`
	ElapsedMs     float64 `json:"elapsedMs"`
}

// Inspection is the answer of POST /api/paths/inspect.
type Inspection struct {
	Candidates []Candidate  `json:"candidates"`
	Input      InspectInput `json:"input"`
	Stats      InspectStats `json:"stats"`
}

// state is a partial path in the beam.
type state struct {
	nodes  []*store.Node
	scores []float64
	weight []int64
	logSum float64
}

func (s *state) mean() float64 { return math.Exp(s.logSum / float64(len(s.scores))) }

// Inspect finds up to limit paths for prefixes (lower-case hex, validated by
// the caller), best first. now dates edge recency.
func Inspect(sn *store.Snapshot, g *Graph, prefixes []string, limit int, now time.Time) Inspection {
	start := time.Now()
	out := Inspection{Candidates: []Candidate{}, Input: InspectInput{Prefixes: prefixes, Hops: len(prefixes)},
		Stats: InspectStats{BeamWidth: BeamWidth}}
	cands := make([][]*store.Node, len(prefixes))
	for i, p := range prefixes {
		cands[i] = sn.RelayCandidates(p)
	}
	nowMs := now.UnixMilli()
	beam := []*state{{}}
	for i := range prefixes {
		var next []*state
		for _, s := range beam {
			var prev *store.Node
			if len(s.nodes) > 0 {
				prev = s.nodes[len(s.nodes)-1]
			}
			for _, c := range cands[i] {
				if contains(s.nodes, c) {
					continue // a packet does not pass a repeater twice
				}
				out.Stats.ExpansionsRun++
				sc, w := g.hopScore(prev, c, len(cands[i]), nowMs)
				next = append(next, &state{
					nodes:  append(append([]*store.Node{}, s.nodes...), c),
					scores: append(append([]float64{}, s.scores...), sc),
					weight: append(append([]int64{}, s.weight...), w),
					logSum: s.logSum + math.Log(sc),
				})
			}
		}
		sort.SliceStable(next, func(a, b int) bool { return next[a].mean() > next[b].mean() })
		beam = next[:min(len(next), BeamWidth)]
		if len(beam) == 0 {
			break // a prefix nothing matches: no path
		}
	}
	if len(prefixes) > 0 && len(beam) > 0 && len(beam[0].nodes) == len(prefixes) {
		for _, s := range beam[:min(len(beam), limit)] {
			out.Candidates = append(out.Candidates, g.candidate(s, prefixes, cands, nowMs))
		}
	}
	out.Stats.ElapsedMs = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return out
}

// hopScore scores candidate c after prev (nil for the first hop) and returns
// the weight of the edge between them. The first hop has no predecessor:
// its edge terms use the candidate's strongest edge (an active relay beats a
// silent one) and its geography is neutral.
func (g *Graph) hopScore(prev, c *store.Node, nCands int, nowMs int64) (float64, int64) {
	var e store.NeighborEdge
	var ok bool
	geo := 0.5 // unknown positions
	if prev == nil {
		e, ok = g.best[c.PublicKey]
		geo = 1
	} else {
		e, ok = g.adj[prev.PublicKey][c.PublicKey]
		if d := store.DistanceKm(prev, c); d != nil {
			geo = 1
			if *d > 50 {
				geo = math.Max(50 / *d, 0.1)
			}
		}
	}
	aff, rec := 0.0, 0.0
	if ok {
		aff = math.Min(1, float64(e.Count)/100)
		if e.LastSeen > 0 {
			hours := math.Max(float64(nowMs-e.LastSeen)/3.6e6, 0)
			rec = math.Exp(-math.Ln2 * hours / 168) // 7-day half-life
		}
	}
	s := wAffinity*aff + wGeo*geo + wRecency*rec + wUniqueness/float64(nCands)
	var w int64
	if ok && prev != nil {
		w = e.Count
	}
	return math.Max(s, scoreFloor), w
}

func (g *Graph) candidate(s *state, prefixes []string, cands [][]*store.Node, nowMs int64) Candidate {
	c := Candidate{Path: make([]string, len(s.nodes)), Names: make([]string, len(s.nodes))}
	c.Score = round3(s.mean())
	c.Speculative = c.Score < SpeculativeBelow
	for i, n := range s.nodes {
		c.Path[i], c.Names[i] = n.PublicKey, n.Name
		ev := HopEvidence{Prefix: prefixes[i], CandidatesConsidered: len(cands[i]), Chosen: n.PublicKey, EdgeWeight: s.weight[i]}
		var prev *store.Node
		if i > 0 {
			prev = s.nodes[i-1]
		}
		for _, alt := range cands[i] {
			if alt == n || len(ev.Alternatives) == maxAlternatives {
				continue
			}
			sc, _ := g.hopScore(prev, alt, len(cands[i]), nowMs)
			ev.Alternatives = append(ev.Alternatives, Alternative{PublicKey: alt.PublicKey, Name: alt.Name, Score: round3(sc)})
		}
		c.Evidence.PerHop = append(c.Evidence.PerHop, ev)
	}
	return c
}

func contains(l []*store.Node, n *store.Node) bool {
	for _, x := range l {
		if x == n {
			return true
		}
	}
	return false
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// NormalizePrefix lower-cases a hop prefix.
func NormalizePrefix(p string) string { return strings.ToLower(strings.TrimSpace(p)) }
