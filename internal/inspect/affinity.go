package inspect

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// Affinity debug view (GET /api/debug/affinity, API.md §5.3): the neighbour
// edges with names and scores, and how each 1-byte hop prefix resolves on
// the edge evidence. The original derived both from its own in-server graph;
// here they come from neighbor_edges (the ingestor's graph, in memory).

// ResolveThreshold is the evidence ratio (best / second) above which an
// ambiguous prefix counts as resolved.
const ResolveThreshold = 3.0

// AffinityEdge is one neighbour edge.
type AffinityEdge struct {
	NodeA            string   `json:"nodeA"`
	NodeAName        *string  `json:"nodeAName,omitempty"`
	NodeB            string   `json:"nodeB"`
	NodeBName        *string  `json:"nodeBName,omitempty"`
	Prefix           string   `json:"prefix"`
	Weight           int64    `json:"weight"`
	ObservationCount int64    `json:"observationCount"`
	LastSeen         string   `json:"lastSeen"`
	Score            float64  `json:"score"`
	Observers        []string `json:"observers"`
	Ambiguous        bool     `json:"ambiguous"`
}

// AffinityCandidate is one node a prefix may stand for.
type AffinityCandidate struct {
	Pubkey  string  `json:"pubkey"`
	Name    *string `json:"name,omitempty"`
	Score   float64 `json:"score"`
	Jaccard float64 `json:"jaccard"`
}

// Resolution is how one prefix resolves.
type Resolution struct {
	Prefix           string              `json:"prefix"`
	Chosen           *string             `json:"chosen,omitempty"`
	ChosenName       *string             `json:"chosenName,omitempty"`
	ChosenScore      float64             `json:"chosenScore"`
	ChosenJaccard    float64             `json:"chosenJaccard"`
	Confidence       string              `json:"confidence"`
	Candidates       []AffinityCandidate `json:"candidates"`
	Ratio            float64             `json:"ratio"`
	ThresholdApplied float64             `json:"thresholdApplied"`
	Method           string              `json:"method"`
	Tier             string              `json:"tier"`
	KnownNode        bool                `json:"knownNode"`
	KnownNodeName    *string             `json:"knownNodeName,omitempty"`
}

// AffinityStats summarises the graph and the resolutions.
type AffinityStats struct {
	TotalEdges        int     `json:"totalEdges"`
	TotalNodes        int     `json:"totalNodes"`
	ResolvedCount     int     `json:"resolvedCount"`
	AmbiguousCount    int     `json:"ambiguousCount"`
	UnresolvedCount   int     `json:"unresolvedCount"`
	AvgConfidence     float64 `json:"avgConfidence"`
	ColdStartCoverage float64 `json:"coldStartCoverage"`
	CacheAge          string  `json:"cacheAge"`
	LastRebuild       string  `json:"lastRebuild"`
}

// Affinity is the answer of GET /api/debug/affinity.
type Affinity struct {
	Edges       []AffinityEdge `json:"edges"`
	Resolutions []Resolution   `json:"resolutions"`
	Stats       AffinityStats  `json:"stats"`
}

// AffinityFilter narrows the answer: Prefix (a hop prefix, any case) keeps
// the edges and resolution of that 1-byte prefix; Node (a pubkey) keeps the
// edges it is an endpoint of and the resolutions it is a candidate in.
type AffinityFilter struct {
	Prefix, Node string
}

// DebugAffinity builds the view from the snapshot and its edge index g
// (built at built). Stats describe the whole graph, whatever the filter.
func DebugAffinity(sn *store.Snapshot, g *Graph, f AffinityFilter, built, now time.Time) Affinity {
	nowMs := now.UnixMilli()
	obsByID := map[string]*store.Observer{}
	for _, o := range sn.Observers() {
		obsByID[strings.ToLower(o.ID)] = o
	}
	name := func(id string) *string {
		if n := sn.Node(id); n != nil && n.Name != "" {
			return &n.Name
		}
		if o := obsByID[id]; o != nil && o.Name != "" {
			return &o.Name
		}
		return nil
	}
	fPrefix, fNode := strings.ToLower(f.Prefix), strings.ToLower(f.Node)
	if len(fPrefix) > 2 {
		fPrefix = fPrefix[:2]
	}
	out := Affinity{Edges: []AffinityEdge{}, Resolutions: []Resolution{}}
	endpoints := map[string]bool{}
	for _, e := range sn.NeighborEdges() {
		endpoints[e.NodeA], endpoints[e.NodeB] = true, true
		ae := AffinityEdge{NodeA: e.NodeA, NodeAName: name(e.NodeA), NodeB: e.NodeB, NodeBName: name(e.NodeB),
			Weight: e.Count, ObservationCount: e.Count, LastSeen: store.FormatTime(e.LastSeen),
			Score: round3(edgeScore(e, nowMs)), Observers: []string{}}
		hopEnd := e.NodeB // the end that appears as a hop prefix: a node, not an observer
		if sn.Node(hopEnd) == nil {
			hopEnd = e.NodeA
		}
		ae.Prefix = strings.ToUpper(hopEnd[:min(2, len(hopEnd))])
		ae.Ambiguous = len(sn.RelayCandidates(ae.Prefix)) > 1
		for _, id := range []string{e.NodeA, e.NodeB} {
			if o := obsByID[id]; o != nil {
				ae.Observers = append(ae.Observers, o.ID)
			}
		}
		sort.Strings(ae.Observers)
		if (fPrefix == "" || strings.EqualFold(ae.Prefix, fPrefix)) && (fNode == "" || e.NodeA == fNode || e.NodeB == fNode) {
			out.Edges = append(out.Edges, ae)
		}
	}
	sort.SliceStable(out.Edges, func(i, j int) bool { return out.Edges[i].Weight > out.Edges[j].Weight })

	var confSum float64
	covered := 0
	for b := 0; b < 256; b++ {
		p := fmt.Sprintf("%02x", b)
		cands := sn.RelayCandidates(p)
		if len(cands) == 0 {
			continue
		}
		r, evidence := g.resolve(p, cands, nowMs)
		if evidence >= 3 {
			covered++
		}
		switch {
		case evidence == 0:
			out.Stats.UnresolvedCount++
		case r.Chosen != nil:
			out.Stats.ResolvedCount++
			confSum += r.ChosenJaccard
		default:
			out.Stats.AmbiguousCount++
		}
		if (fPrefix == "" || p == fPrefix) && (fNode == "" || hasCandidate(r, fNode)) {
			out.Resolutions = append(out.Resolutions, r)
		}
	}
	out.Stats.TotalEdges = len(sn.NeighborEdges())
	out.Stats.TotalNodes = len(endpoints)
	if out.Stats.ResolvedCount > 0 {
		out.Stats.AvgConfidence = round3(confSum / float64(out.Stats.ResolvedCount))
	}
	out.Stats.ColdStartCoverage = math.Round(float64(covered)*1000/256) / 10
	out.Stats.CacheAge = fmt.Sprintf("%.1fs", now.Sub(built).Seconds())
	out.Stats.LastRebuild = built.UTC().Format(time.RFC3339)
	return out
}

// resolve weighs the candidates of prefix p by their edge evidence: score =
// sum of their edge scores, jaccard = their share of the prefix's edge
// count. evidence is the prefix's total edge count.
func (g *Graph) resolve(p string, cands []*store.Node, nowMs int64) (Resolution, int64) {
	r := Resolution{Prefix: strings.ToUpper(p), ThresholdApplied: ResolveThreshold, Candidates: []AffinityCandidate{}}
	counts := make([]int64, len(cands))
	var total int64
	for i, c := range cands {
		var sc float64
		for _, e := range g.adj[c.PublicKey] {
			counts[i] += e.Count
			sc += edgeScore(e, nowMs)
		}
		total += counts[i]
		ac := AffinityCandidate{Pubkey: c.PublicKey, Score: round3(sc)}
		if c.Name != "" {
			n := c.Name
			ac.Name = &n
		}
		r.Candidates = append(r.Candidates, ac)
	}
	for i := range r.Candidates {
		if total > 0 {
			r.Candidates[i].Jaccard = round3(float64(counts[i]) / float64(total))
		}
	}
	sort.SliceStable(r.Candidates, func(i, j int) bool { return r.Candidates[i].Jaccard > r.Candidates[j].Jaccard })
	best := r.Candidates[0]
	second := 0.0
	if len(r.Candidates) > 1 {
		second = r.Candidates[1].Jaccard
	}
	r.Ratio = 999
	if second > 0 {
		r.Ratio = math.Round(best.Jaccard/second*10) / 10
	}
	r.ChosenScore, r.ChosenJaccard = best.Score, best.Jaccard
	switch {
	case len(cands) == 1:
		r.Tier = "unique_prefix"
	case total == 0:
		r.Tier = "no_evidence"
	case r.Ratio >= ResolveThreshold:
		r.Tier = "edge_evidence"
	default:
		r.Tier = "ambiguous"
	}
	if r.Tier == "unique_prefix" || r.Tier == "edge_evidence" {
		r.Chosen, r.ChosenName = &best.Pubkey, best.Name
		r.Confidence, r.Method = "HIGH", "auto-resolved"
		r.KnownNode, r.KnownNodeName = true, best.Name
	} else {
		r.Confidence, r.Method = "AMBIGUOUS", "ambiguous"
	}
	return r, total
}

func hasCandidate(r Resolution, pubkey string) bool {
	for _, c := range r.Candidates {
		if c.Pubkey == pubkey {
			return true
		}
	}
	return false
}

// edgeScore is min(1, count/100) with a 7-day half-life since last seen
// (the neighbour score used across the API).
func edgeScore(e store.NeighborEdge, nowMs int64) float64 {
	decay := 0.0
	if e.LastSeen > 0 {
		decay = math.Exp(-math.Ln2 * math.Max(float64(nowMs-e.LastSeen)/3.6e6, 0) / 168)
	}
	return math.Min(1, float64(e.Count)/100) * decay
}
