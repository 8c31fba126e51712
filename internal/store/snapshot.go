package store

import (
	"maps"
	"slices"
	"strings"
)

// Snapshot is an immutable view of the store for background analyses
// (internal/analytics): the transmission list, the region and type indexes,
// the node and observer tables and the neighbour edges as they were when it
// was taken. Taking one copies a few slice headers and two small maps under
// the read lock (microseconds); everything it points to is append-only or
// immutable, so it can be iterated for seconds without blocking the sync.
// Transmissions keep receiving observations after the snapshot was taken:
// Observations() may show a few more than Gen accounts for, never fewer.
type Snapshot struct {
	// Gen is the store's Generation when the snapshot was taken.
	Gen uint64
	// Txs are all transmissions in memory, ascending id. Shared: never modify.
	Txs []*Transmission

	byRegion  map[string][]*Transmission
	byType    map[int8][]*Transmission
	nodes     *nodeSet
	observers *observerSet
	edges     *edgeSet
	obsBL     map[string]bool
	// node and observer analytics (snapshot_nodeanalytics.go)
	byNode        map[string][]*Transmission
	byObserverObs map[int64][]*Observation
	metrics       *MetricsSet
}

// Snapshot returns the current immutable view of the store.
func (s *Store) Snapshot() *Snapshot {
	gen := s.Generation() // read first: a change during the copy makes the next pass rebuild
	sn := &Snapshot{
		Gen:       gen,
		nodes:     s.nodes.Load(),
		observers: s.observers.Load(),
		edges:     s.edges.Load(),
		obsBL:     s.cfg.observerBL,
		metrics:   s.Metrics(),
	}
	s.mu.RLock()
	sn.Txs = s.idx.txs
	sn.byRegion = maps.Clone(s.idx.byRegion)
	sn.byType = maps.Clone(s.idx.byType)
	sn.byNode, sn.byObserverObs = maps.Clone(s.idx.byNode), maps.Clone(s.idx.byObserverObs)
	s.mu.RUnlock()
	if sn.edges == nil {
		sn.edges = &edgeSet{}
	}
	return sn
}

// ByType returns the transmissions of one payload type, ascending id.
func (sn *Snapshot) ByType(pt int8) []*Transmission { return sn.byType[pt] }

// RegionTxs returns the transmissions heard by at least one observer whose
// IATA is in regions (upper-case codes), ascending id without duplicates.
func (sn *Snapshot) RegionTxs(regions []string) []*Transmission {
	var acc []*Transmission
	for i, r := range normRegions(regions) {
		l := sn.byRegion[r]
		if i == 0 {
			acc = l
			continue
		}
		acc = mergeSorted(acc, l)
	}
	return acc
}

// RegionObservers returns the observer idxs whose IATA is in regions; nil when
// regions is empty (no filter).
func (sn *Snapshot) RegionObservers(regions []string) map[int64]bool {
	return regionObservers(sn.observers, regions)
}

// Regions returns the IATA codes that have at least one observer, sorted.
func (sn *Snapshot) Regions() []string {
	return slices.Sorted(maps.Keys(sn.observers.byIATA))
}

// Nodes returns every node (blacklisted ones are never loaded), most recently
// seen first. Shared: never modify.
func (sn *Snapshot) Nodes() []*Node { return sn.nodes.list }

// Node returns the node with this lower-case pubkey, or nil.
func (sn *Snapshot) Node(pubkey string) *Node { return sn.nodes.byKey[pubkey] }

// RelayCandidates returns the repeaters and rooms whose pubkey starts with the
// hop prefix (hex, any case).
func (sn *Snapshot) RelayCandidates(hop string) []*Node { return sn.nodes.relayCandidates(hop) }

// Observers returns the observers that are not blacklisted, most recently seen
// first.
func (sn *Snapshot) Observers() []*Observer {
	if len(sn.obsBL) == 0 {
		return sn.observers.list
	}
	out := make([]*Observer, 0, len(sn.observers.list))
	for _, o := range sn.observers.list {
		if !sn.obsBL[strings.ToLower(o.ID)] {
			out = append(out, o)
		}
	}
	return out
}

// Observer returns the observer with this rowid (blacklisted ones included:
// their observations stay in packet data), or nil.
func (sn *Snapshot) Observer(idx int64) *Observer { return sn.observers.byIdx[idx] }

// ObserverByID returns the observer with this id, or nil.
func (sn *Snapshot) ObserverByID(id string) *Observer { return sn.observers.byID[id] }

// NeighborEdges returns the neighbor_edges table (STORAGE.md §3.7) as last
// loaded, sorted by (NodeA, NodeB). Shared: never modify.
func (sn *Snapshot) NeighborEdges() []NeighborEdge { return sn.edges.list }
