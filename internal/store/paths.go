package store

import (
	"math"
	"sort"
	"strings"
	"time"
)

// PathHop is one hop of a grouped path.
type PathHop struct {
	Prefix string   `json:"prefix"`
	Name   string   `json:"name"` // resolved node name, else the prefix
	Pubkey *string  `json:"pubkey"`
	Lat    *float64 `json:"lat"`
	Lon    *float64 `json:"lon"`
}

// PathGroup is one distinct resolved hop sequence through a node.
type PathGroup struct {
	Hops       []PathHop `json:"hops"`
	Count      int       `json:"count"`
	LastSeen   *string   `json:"lastSeen"`
	SampleHash string    `json:"sampleHash"`
	lastMs     int64
}

// NodeRef is the short node object of the paths response.
type NodeRef struct {
	PublicKey string   `json:"public_key"`
	Name      *string  `json:"name"`
	Lat       *float64 `json:"lat"`
	Lon       *float64 `json:"lon"`
}

// NodePaths is GET /api/nodes/{pk}/paths.
type NodePaths struct {
	Node               NodeRef     `json:"node"`
	Paths              []PathGroup `json:"paths"`
	TotalPaths         int         `json:"totalPaths"`
	TotalTransmissions int         `json:"totalTransmissions"`
}

// NodePaths groups the observed paths that pass through the node (a hop resolved
// to it — from the stored resolved_path, or unambiguously in memory), newest
// group first, at most 50 groups. Errors: ErrNotFound for an unknown node.
func (s *Store) NodePaths(pubkey string) (NodePaths, error) {
	n, err := s.findNode(pubkey)
	if err != nil {
		return NodePaths{}, err
	}
	ns := s.nodes.Load()
	out := NodePaths{Node: NodeRef{n.PublicKey, strPtr(n.Name), n.Lat.Ptr(), n.Lon.Ptr()}, Paths: []PathGroup{}}
	s.mu.RLock()
	list := s.idx.byNode[n.PublicKey]
	s.mu.RUnlock()
	groups := map[string]*PathGroup{}
	for _, t := range list {
		through := false
		for _, o := range t.Observations() {
			idx := indexOf(o.Resolved, n.PublicKey)
			if idx < 0 {
				continue
			}
			through = true
			var key strings.Builder
			for i := 0; i < o.Path.Len(); i++ {
				if o.Resolved[i] != "" {
					key.WriteString(o.Resolved[i])
				} else {
					key.WriteString(o.Path.Hop(i))
				}
				key.WriteByte(',')
			}
			g := groups[key.String()]
			if g == nil {
				g = &PathGroup{Hops: make([]PathHop, o.Path.Len())}
				for i := range g.Hops {
					hop := o.Path.Hop(i)
					h := PathHop{Prefix: hop, Name: hop}
					if pk := o.Resolved[i]; pk != "" {
						h.Pubkey = strPtr(pk)
						if rn := ns.byKey[pk]; rn != nil {
							if rn.Name != "" {
								h.Name = rn.Name
							}
							h.Lat, h.Lon = rn.Lat.Ptr(), rn.Lon.Ptr()
						}
					}
					g.Hops[i] = h
				}
				groups[key.String()] = g
			}
			g.Count++
			if o.Timestamp > g.lastMs {
				g.lastMs = o.Timestamp
				g.SampleHash = t.Hash
			}
		}
		if through {
			out.TotalTransmissions++
		}
	}
	for _, g := range groups {
		g.LastSeen = timePtr(g.lastMs)
		out.Paths = append(out.Paths, *g)
	}
	sort.Slice(out.Paths, func(i, j int) bool {
		a, b := out.Paths[i], out.Paths[j]
		if a.lastMs != b.lastMs {
			return a.lastMs > b.lastMs
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.SampleHash < b.SampleHash
	})
	out.TotalPaths = len(out.Paths)
	if len(out.Paths) > 50 {
		out.Paths = out.Paths[:50]
	}
	return out, nil
}

func indexOf(l []string, v string) int {
	for i, x := range l {
		if x == v {
			return i
		}
	}
	return -1
}

// Neighbor is one entry of GET /api/nodes/{pk}/neighbors.
type Neighbor struct {
	Pubkey     *string         `json:"pubkey"`
	Prefix     string          `json:"prefix"`
	Name       *string         `json:"name"`
	Role       *string         `json:"role"`
	Count      int             `json:"count"`
	Score      float64         `json:"score"`
	FirstSeen  string          `json:"first_seen"`
	LastSeen   string          `json:"last_seen"`
	AvgSNR     *float64        `json:"avg_snr"`
	DistanceKm *float64        `json:"distance_km,omitempty"`
	Observers  []string        `json:"observers"`
	Ambiguous  bool            `json:"ambiguous"`
	Unresolved bool            `json:"unresolved,omitempty"`
	Candidates []HopCandidate  `json:"candidates,omitempty"`
	firstMs    int64           `json:"-"`
	lastMs     int64           `json:"-"`
	snr        accum           `json:"-"`
	observers  map[string]bool `json:"-"`
}

// NodeNeighbors is GET /api/nodes/{pk}/neighbors.
type NodeNeighbors struct {
	Node              string     `json:"node"`
	TotalObservations int        `json:"total_observations"`
	Neighbors         []Neighbor `json:"neighbors"`
}

// NodeNeighbors derives the node's neighbours from path adjacency in memory: the
// hops right before and after it in every observed path, the first hop of its
// own adverts, and the observer when it is the last hop. Score =
// min(1, count/100) × 7-day half-life decay of the last sighting. Unknown node →
// empty list; blacklisted node → ErrNotFound.
func (s *Store) NodeNeighbors(pubkey string, minCount int, minScore float64, includeAmbiguous bool, now time.Time) (NodeNeighbors, error) {
	pk := strings.ToLower(strings.TrimSpace(pubkey))
	if s.cfg.nodeBL[pk] {
		return NodeNeighbors{}, ErrNotFound
	}
	ns, os := s.nodes.Load(), s.observers.Load()
	out := NodeNeighbors{Node: pk, Neighbors: []Neighbor{}}
	s.mu.RLock()
	list := s.idx.byNode[pk]
	s.mu.RUnlock()
	acc := map[string]*Neighbor{}
	see := func(key, prefix, resolved string, o *Observation) {
		nb := acc[key]
		if nb == nil {
			nb = &Neighbor{Prefix: prefix, observers: map[string]bool{}, firstMs: o.Timestamp}
			if resolved != "" {
				nb.Pubkey = strPtr(resolved)
				if rn := ns.byKey[resolved]; rn != nil {
					nb.Name, nb.Role = strPtr(rn.Name), strPtr(rn.Role)
				}
			} else {
				cands := ns.relayCandidates(prefix)
				nb.Unresolved = true
				nb.Ambiguous = len(cands) > 1
				for _, c := range cands {
					nb.Candidates = append(nb.Candidates, HopCandidate{Name: strPtr(c.Name), Pubkey: c.PublicKey, Lat: c.Lat.Ptr(), Lon: c.Lon.Ptr()})
				}
			}
			acc[key] = nb
		}
		nb.Count++
		nb.firstMs = min(nb.firstMs, o.Timestamp)
		nb.lastMs = max(nb.lastMs, o.Timestamp)
		if o.SNR.Valid {
			nb.snr.snrSum += o.SNR.V
			nb.snr.snrN++
		}
		if ob := os.byIdx[o.ObserverIdx]; ob != nil {
			nb.observers[ob.ID] = true
		}
	}
	hopKey := func(o *Observation, i int) (key, prefix, resolved string) {
		prefix = o.Path.Hop(i)
		if o.Resolved != nil && o.Resolved[i] != "" {
			return o.Resolved[i], prefix, o.Resolved[i]
		}
		return "?" + prefix, prefix, ""
	}
	for _, t := range list {
		for _, o := range t.Observations() {
			n := o.Path.Len()
			pos := indexOf(o.Resolved, pk)
			if pos < 0 && t.FromPubkey == pk && n > 0 {
				pos = -1 // the originator sits before hop 0
				k, p, r := hopKey(o, 0)
				see(k, p, r, o)
				continue
			}
			if pos < 0 {
				continue
			}
			if pos > 0 {
				k, p, r := hopKey(o, pos-1)
				see(k, p, r, o)
			} else if t.FromPubkey != "" && t.FromPubkey != pk {
				see(t.FromPubkey, t.FromPubkey[:2], t.FromPubkey, o)
			}
			if pos < n-1 {
				k, p, r := hopKey(o, pos+1)
				see(k, p, r, o)
			} else if ob := os.byIdx[o.ObserverIdx]; ob != nil {
				opk := strings.ToLower(ob.ID)
				if opk != pk && len(opk) >= 2 {
					see(opk, strings.ToUpper(opk[:2]), opk, o)
				}
			}
		}
	}
	self := ns.byKey[pk]
	minCount = max(minCount, 1)
	for _, nb := range acc {
		hours := float64(now.UnixMilli()-nb.lastMs) / 3.6e6
		nb.Score = math.Round(math.Min(1, float64(nb.Count)/100)*math.Exp(-math.Ln2*math.Max(hours, 0)/168)*1000) / 1000
		if nb.Count < minCount || nb.Score < minScore || (!includeAmbiguous && nb.Ambiguous) {
			continue
		}
		nb.FirstSeen, nb.LastSeen = FormatTime(nb.firstMs), FormatTime(nb.lastMs)
		nb.AvgSNR = avgPtr(nb.snr.snrSum, nb.snr.snrN)
		for id := range nb.observers {
			nb.Observers = append(nb.Observers, id)
		}
		sort.Strings(nb.Observers)
		if nb.Observers == nil {
			nb.Observers = []string{}
		}
		if self != nil && nb.Pubkey != nil {
			if other := ns.byKey[*nb.Pubkey]; other != nil {
				nb.DistanceKm = distanceKm(self, other)
			}
		}
		out.TotalObservations += nb.Count
		out.Neighbors = append(out.Neighbors, *nb)
	}
	sort.Slice(out.Neighbors, func(i, j int) bool {
		a, b := out.Neighbors[i], out.Neighbors[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Prefix < b.Prefix
	})
	return out, nil
}

func hasGPS(n *Node) bool {
	return n.Lat.Valid && n.Lon.Valid && (n.Lat.V != 0 || n.Lon.V != 0)
}

func distanceKm(a, b *Node) *float64 {
	if !hasGPS(a) || !hasGPS(b) {
		return nil
	}
	const r = 6371.0
	la1, la2 := a.Lat.V*math.Pi/180, b.Lat.V*math.Pi/180
	dla := la2 - la1
	dlo := (b.Lon.V - a.Lon.V) * math.Pi / 180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	d := math.Round(2*r*math.Asin(math.Sqrt(h))*100) / 100
	return &d
}

// HopCandidate is a node a hop prefix may stand for.
type HopCandidate struct {
	Name          *string  `json:"name"`
	Pubkey        string   `json:"pubkey"`
	Lat           *float64 `json:"lat"`
	Lon           *float64 `json:"lon"`
	AffinityScore *float64 `json:"affinityScore"`
}

// HopResolution is one hop of GET /api/resolve-hops.
type HopResolution struct {
	Name          *string        `json:"name"`
	Pubkey        *string        `json:"pubkey,omitempty"`
	Ambiguous     bool           `json:"ambiguous,omitempty"`
	Candidates    []HopCandidate `json:"candidates"`
	Conflicts     []HopCandidate `json:"conflicts"`
	BestCandidate *string        `json:"bestCandidate,omitempty"`
	Confidence    string         `json:"confidence"`
}

// ResolvedHops is GET /api/resolve-hops.
type ResolvedHops struct {
	Resolved map[string]HopResolution `json:"resolved"`
}

// ResolveHops maps hop prefixes (hex, any case) to candidate repeaters/rooms via
// the prefix index. With several candidates, the one adjacent to fromNode or
// observer in observed paths wins (neighbor_affinity), else the one with GPS
// (gps_preference), else the most recently seen (ambiguous).
func (s *Store) ResolveHops(hops []string, fromNode, observer string, now time.Time) ResolvedHops {
	ns := s.nodes.Load()
	out := ResolvedHops{Resolved: map[string]HopResolution{}}
	var affinity map[string]int
	for _, hop := range hops {
		h := strings.TrimSpace(hop)
		if h == "" {
			continue
		}
		cands := ns.relayCandidates(h)
		r := HopResolution{Candidates: []HopCandidate{}, Conflicts: []HopCandidate{}, Confidence: "no_match"}
		for _, c := range cands {
			r.Candidates = append(r.Candidates, HopCandidate{Name: strPtr(c.Name), Pubkey: c.PublicKey, Lat: c.Lat.Ptr(), Lon: c.Lon.Ptr()})
		}
		switch {
		case len(cands) == 1:
			r.Confidence = "unique_prefix"
			r.Name, r.Pubkey = strPtr(cands[0].Name), strPtr(cands[0].PublicKey)
		case len(cands) > 1:
			r.Ambiguous = true
			r.Conflicts = r.Candidates
			if affinity == nil {
				affinity = s.affinity(fromNode, observer, now)
			}
			best, conf := cands[0], "ambiguous" // list is last_seen desc
			bestScore := 0
			for i, c := range cands {
				if sc := affinity[c.PublicKey]; sc > bestScore {
					best, bestScore, conf = c, sc, "neighbor_affinity"
				}
				if sc := float64(affinity[c.PublicKey]); sc > 0 {
					v := math.Round(math.Min(1, sc/100)*1000) / 1000
					r.Candidates[i].AffinityScore = &v
				}
			}
			if conf == "ambiguous" {
				for _, c := range cands {
					if hasGPS(c) {
						best, conf = c, "gps_preference"
						break
					}
				}
			}
			r.Confidence = conf
			r.Name, r.Pubkey = strPtr(best.Name), strPtr(best.PublicKey)
			if conf == "neighbor_affinity" {
				r.BestCandidate = strPtr(best.PublicKey)
			}
		}
		out.Resolved[hop] = r
	}
	return out
}

// affinity counts path adjacency of each node with the context nodes.
func (s *Store) affinity(fromNode, observer string, now time.Time) map[string]int {
	out := map[string]int{}
	for _, ctx := range []string{fromNode, observer} {
		if ctx == "" {
			continue
		}
		nbs, _ := s.NodeNeighbors(ctx, 1, 0, false, now)
		for _, nb := range nbs.Neighbors {
			if nb.Pubkey != nil {
				out[*nb.Pubkey] += nb.Count
			}
		}
	}
	return out
}
