package analytics

import (
	"sort"
	"strconv"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// Topology is GET /api/analytics/topology.
type Topology struct {
	UniqueNodes      int                      `json:"uniqueNodes"`
	AvgHops          float64                  `json:"avgHops"`
	MedianHops       int                      `json:"medianHops"`
	MaxHops          int                      `json:"maxHops"`
	HopDistribution  []HopCount               `json:"hopDistribution"`
	TopRepeaters     []HopRef                 `json:"topRepeaters"`
	TopPairs         []HopPair                `json:"topPairs"`
	HopsVsSnr        []HopSignal              `json:"hopsVsSnr"`
	Observers        []ObserverRef            `json:"observers"`
	PerObserverReach map[string]ObserverReach `json:"perObserverReach"`
	MultiObsNodes    []MultiObsNode           `json:"multiObsNodes"`
	BestPathList     []BestPath               `json:"bestPathList"`
}

// HopCount is the number of transmissions with a hop count.
type HopCount struct {
	Hops  int `json:"hops"`
	Count int `json:"count"`
}

// HopRef is a hop prefix, how often it appears and the node it resolves to.
type HopRef struct {
	Hop    string  `json:"hop"`
	Count  int     `json:"count"`
	Name   *string `json:"name"`
	Pubkey *string `json:"pubkey"`
}

// HopPair is an adjacent pair of hops.
type HopPair struct {
	HopA    string  `json:"hopA"`
	HopB    string  `json:"hopB"`
	Count   int     `json:"count"`
	NameA   *string `json:"nameA"`
	NameB   *string `json:"nameB"`
	PubkeyA *string `json:"pubkeyA"`
	PubkeyB *string `json:"pubkeyB"`
}

// HopSignal is the mean SNR of transmissions with a hop count.
type HopSignal struct {
	Hops   int     `json:"hops"`
	Count  int     `json:"count"`
	AvgSnr float64 `json:"avgSnr"`
}

// ObserverRef names an observer.
type ObserverRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ObserverReach is one observer's nodes by hop distance.
type ObserverReach struct {
	ObserverName string `json:"observer_name"`
	Rings        []Ring `json:"rings"`
}

// Ring lists the nodes first reached at a hop distance.
type Ring struct {
	Hops  int        `json:"hops"`
	Nodes []RingNode `json:"nodes"`
}

// RingNode is a hop seen by an observer: its nearest distance places it in a
// ring; DistRange is "min-max" when it was also heard farther away.
type RingNode struct {
	Hop       string  `json:"hop"`
	Name      *string `json:"name"`
	Pubkey    *string `json:"pubkey"`
	Count     int     `json:"count"`
	DistRange *string `json:"distRange"`
}

// MultiObsNode is a hop seen by several observers.
type MultiObsNode struct {
	Hop       string        `json:"hop"`
	Name      *string       `json:"name"`
	Pubkey    *string       `json:"pubkey"`
	Observers []ObserverHop `json:"observers"`
}

// ObserverHop is one observer's nearest distance to a hop.
type ObserverHop struct {
	ObserverID   string `json:"observer_id"`
	ObserverName string `json:"observer_name"`
	MinDist      int    `json:"minDist"`
	Count        int    `json:"count"`
}

// BestPath is the observer closest (in hops) to a hop.
type BestPath struct {
	Hop          string  `json:"hop"`
	Name         *string `json:"name"`
	Pubkey       *string `json:"pubkey"`
	MinDist      int     `json:"minDist"`
	ObserverID   string  `json:"observer_id"`
	ObserverName string  `json:"observer_name"`
}

const (
	maxHopBucket    = 25
	maxSnrHopBucket = 20
	activeNodeDays  = 7
)

// hopNames remembers, per hop prefix, the first node it resolved to.
type hopNames map[string]*store.Node

func (h hopNames) see(hop string, n *store.Node) {
	if n != nil && h[hop] == nil {
		h[hop] = n
	}
}

func (h hopNames) ref(hop string) (name, pubkey *string) {
	if n := h[hop]; n != nil {
		return strPtr(n.Name), strPtr(n.PublicKey)
	}
	return nil, nil
}

type reachAcc struct {
	count    int
	min, max int
}

// ComputeTopology derives hop statistics from the paths in scope. Per
// transmission (its longest kept path): hop distribution, averages, top
// repeaters, adjacent pairs and hops vs SNR. Per observation: each
// observer's reach (distance of a hop = its position from the end of the
// path, the last hop being 1), nodes seen by several observers and the
// closest observer of each node. uniqueNodes counts nodes heard in the last
// 7 days.
func ComputeTopology(v *View, p Scope) Topology {
	names := hopNames{}
	dist := map[int]int{}
	var hopCounts []int
	repeaters := map[string]int{}
	type pairKey struct{ a, b string }
	pairs := map[pairKey]int{}
	type snrAcc struct {
		n   int
		sum float64
	}
	snrByHops := map[int]*snrAcc{}
	reach := map[int64]map[string]*reachAcc{} // observer idx → hop → distances
	v.each(p.Filter, p.Window, func(t *store.Transmission, obs []*store.Observation) {
		best := obs[0]
		for _, o := range obs {
			if o.Path.Len() >= best.Path.Len() {
				best = o
			}
			n := o.Path.Len()
			if n == 0 || o.ObserverIdx == 0 {
				continue
			}
			r := reach[o.ObserverIdx]
			if r == nil {
				r = map[string]*reachAcc{}
				reach[o.ObserverIdx] = r
			}
			for i := 0; i < n; i++ {
				hop, node := v.hop(o, i)
				d := n - i
				names.see(hop, node)
				a := r[hop]
				if a == nil {
					a = &reachAcc{min: d, max: d}
					r[hop] = a
				}
				a.count++
				a.min, a.max = min(a.min, d), max(a.max, d)
			}
		}
		n := best.Path.Len()
		if n == 0 {
			return
		}
		hopCounts = append(hopCounts, n)
		if n <= maxHopBucket {
			dist[n]++
		}
		prev := ""
		for i := 0; i < n; i++ {
			hop, node := v.hop(best, i)
			names.see(hop, node)
			repeaters[hop]++
			if i > 0 {
				pairs[pairKey{prev, hop}]++
			}
			prev = hop
		}
		if best.SNR.Valid && n <= maxSnrHopBucket {
			a := snrByHops[n]
			if a == nil {
				a = &snrAcc{}
				snrByHops[n] = a
			}
			a.n++
			a.sum += best.SNR.V
		}
	})
	out := Topology{UniqueNodes: activeNodes(v, activeNodeDays)}
	if len(hopCounts) > 0 {
		sort.Ints(hopCounts)
		sum := 0
		for _, h := range hopCounts {
			sum += h
		}
		out.AvgHops = float64(sum) / float64(len(hopCounts))
		out.MedianHops = hopCounts[len(hopCounts)/2]
		out.MaxHops = hopCounts[len(hopCounts)-1]
	}
	out.HopDistribution = make([]HopCount, 0, len(dist))
	for h, c := range dist {
		out.HopDistribution = append(out.HopDistribution, HopCount{h, c})
	}
	sort.Slice(out.HopDistribution, func(i, j int) bool { return out.HopDistribution[i].Hops < out.HopDistribution[j].Hops })
	out.TopRepeaters = make([]HopRef, 0, 20)
	for hop, c := range repeaters {
		name, pk := names.ref(hop)
		out.TopRepeaters = append(out.TopRepeaters, HopRef{Hop: hop, Count: c, Name: name, Pubkey: pk})
	}
	sort.Slice(out.TopRepeaters, func(i, j int) bool {
		a, b := out.TopRepeaters[i], out.TopRepeaters[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Hop < b.Hop)
	})
	out.TopRepeaters = out.TopRepeaters[:min(20, len(out.TopRepeaters))]
	out.TopPairs = make([]HopPair, 0, 15)
	for k, c := range pairs {
		hp := HopPair{HopA: k.a, HopB: k.b, Count: c}
		hp.NameA, hp.PubkeyA = names.ref(k.a)
		hp.NameB, hp.PubkeyB = names.ref(k.b)
		out.TopPairs = append(out.TopPairs, hp)
	}
	sort.Slice(out.TopPairs, func(i, j int) bool {
		a, b := out.TopPairs[i], out.TopPairs[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.HopA != b.HopA {
			return a.HopA < b.HopA
		}
		return a.HopB < b.HopB
	})
	out.TopPairs = out.TopPairs[:min(15, len(out.TopPairs))]
	out.HopsVsSnr = make([]HopSignal, 0, len(snrByHops))
	for h, a := range snrByHops {
		out.HopsVsSnr = append(out.HopsVsSnr, HopSignal{h, a.n, a.sum / float64(a.n)})
	}
	sort.Slice(out.HopsVsSnr, func(i, j int) bool { return out.HopsVsSnr[i].Hops < out.HopsVsSnr[j].Hops })
	reachSections(v, &out, reach, names)
	return out
}

// reachSections fills observers, perObserverReach, multiObsNodes and
// bestPathList from the per-observer hop distances.
func reachSections(v *View, out *Topology, reach map[int64]map[string]*reachAcc, names hopNames) {
	out.Observers = []ObserverRef{}
	out.PerObserverReach = map[string]ObserverReach{}
	type obsHop struct {
		ob *store.Observer
		a  *reachAcc
	}
	byHop := map[string][]obsHop{}
	for _, ob := range v.Observers() {
		r := reach[ob.Idx]
		if r == nil {
			continue
		}
		out.Observers = append(out.Observers, ObserverRef{ID: ob.ID, Name: ob.Name})
		rings := map[int][]RingNode{}
		for hop, a := range r {
			rn := RingNode{Hop: hop, Count: a.count}
			rn.Name, rn.Pubkey = names.ref(hop)
			if a.max > a.min {
				s := strconv.Itoa(a.min) + "-" + strconv.Itoa(a.max)
				rn.DistRange = &s
			}
			rings[a.min] = append(rings[a.min], rn)
			byHop[hop] = append(byHop[hop], obsHop{ob, a})
		}
		rr := ObserverReach{ObserverName: ob.Name, Rings: make([]Ring, 0, len(rings))}
		for d, nodes := range rings {
			sort.Slice(nodes, func(i, j int) bool {
				return nodes[i].Count > nodes[j].Count || (nodes[i].Count == nodes[j].Count && nodes[i].Hop < nodes[j].Hop)
			})
			rr.Rings = append(rr.Rings, Ring{Hops: d, Nodes: nodes})
		}
		sort.Slice(rr.Rings, func(i, j int) bool { return rr.Rings[i].Hops < rr.Rings[j].Hops })
		out.PerObserverReach[ob.ID] = rr
	}
	out.MultiObsNodes = []MultiObsNode{}
	out.BestPathList = make([]BestPath, 0, len(byHop))
	for hop, list := range byHop {
		name, pk := names.ref(hop)
		best := list[0]
		for _, x := range list[1:] {
			if x.a.min < best.a.min {
				best = x
			}
		}
		out.BestPathList = append(out.BestPathList, BestPath{Hop: hop, Name: name, Pubkey: pk, MinDist: best.a.min,
			ObserverID: best.ob.ID, ObserverName: best.ob.Name})
		if len(list) < 2 {
			continue
		}
		m := MultiObsNode{Hop: hop, Name: name, Pubkey: pk, Observers: make([]ObserverHop, 0, len(list))}
		for _, x := range list {
			m.Observers = append(m.Observers, ObserverHop{ObserverID: x.ob.ID, ObserverName: x.ob.Name, MinDist: x.a.min, Count: x.a.count})
		}
		out.MultiObsNodes = append(out.MultiObsNodes, m)
	}
	sort.Slice(out.MultiObsNodes, func(i, j int) bool {
		a, b := out.MultiObsNodes[i], out.MultiObsNodes[j]
		return len(a.Observers) > len(b.Observers) || (len(a.Observers) == len(b.Observers) && a.Hop < b.Hop)
	})
	out.MultiObsNodes = out.MultiObsNodes[:min(50, len(out.MultiObsNodes))]
	sort.Slice(out.BestPathList, func(i, j int) bool {
		a, b := out.BestPathList[i], out.BestPathList[j]
		return a.MinDist < b.MinDist || (a.MinDist == b.MinDist && a.Hop < b.Hop)
	})
	out.BestPathList = out.BestPathList[:min(50, len(out.BestPathList))]
}

// activeNodes counts nodes heard within the last days.
func activeNodes(v *View, days int) int {
	cutoff := v.Now.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	n := 0
	for _, nd := range v.Nodes() {
		if nd.LastSeen >= cutoff {
			n++
		}
	}
	return n
}
