package store

import "maps"

// Node score enrichment (API.md §0.6 node row): the traffic-share
// (= usefulness) and bridge scores of repeaters and rooms and the multi-byte
// capability of any node are computed by a background analysis
// (internal/analytics, node_scores.go) and published here as one immutable
// map, so a node list joins them with a map lookup per row.

// NodeScores are one node's computed fields; nil pointers are omitted.
type NodeScores struct {
	TrafficShare         *float64 // repeaters/rooms: share of non-advert traffic relayed (0..1)
	Bridge               *float64 // repeaters/rooms: betweenness in the neighbor graph (0..1)
	MultiByteStatus      string   // "" = no capability entry
	MultiByteEvidence    string
	MultiByteMaxHashSize int
}

// SetNodeScores publishes the scores by lower-case pubkey (the map is not
// modified afterwards) and reports whether they changed. The api's
// recomputer calls it after each pass. Only a change moves the store
// generation: the recomputer rebuilds when the generation moved, so an
// unconditional bump would make every pass schedule the next one forever.
func (s *Store) SetNodeScores(m map[string]NodeScores) bool {
	if old := s.scores.Load(); old != nil && maps.EqualFunc(*old, m, NodeScores.equal) {
		return false
	}
	s.scores.Store(&m)
	s.setsGen.Add(1)
	return true
}

func (a NodeScores) equal(b NodeScores) bool {
	return eqPtr(a.TrafficShare, b.TrafficShare) && eqPtr(a.Bridge, b.Bridge) &&
		a.MultiByteStatus == b.MultiByteStatus && a.MultiByteEvidence == b.MultiByteEvidence &&
		a.MultiByteMaxHashSize == b.MultiByteMaxHashSize
}

func eqPtr(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// applyScores fills the score fields of j; relay says the node is a repeater
// or room.
func (s *Store) applyScores(j *NodeJSON, relay bool) {
	p := s.scores.Load()
	if p == nil {
		return
	}
	sc, ok := (*p)[j.PublicKey]
	if !ok {
		return
	}
	if relay && sc.TrafficShare != nil {
		j.UsefulnessScore, j.TrafficShareScore = sc.TrafficShare, sc.TrafficShare
	}
	if relay {
		j.BridgeScore = sc.Bridge
	}
	if sc.MultiByteStatus != "" {
		st, ev, mx := sc.MultiByteStatus, sc.MultiByteEvidence, sc.MultiByteMaxHashSize
		j.MultiByteStatus, j.MultiByteEvidence, j.MultiByteMaxHashSize = &st, &ev, &mx
	}
}
