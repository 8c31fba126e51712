package store

import "reflect"

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
// modified afterwards). The api's recomputer calls it after each pass.
//
// The generation moves only when a score changed: the recomputer rebuilds
// whenever the generation moved, so bumping it for an identical map made
// every pass trigger the next one (and invalidated the response cache each
// time) with no new data.
func (s *Store) SetNodeScores(m map[string]NodeScores) {
	if cur := s.scores.Load(); cur != nil && reflect.DeepEqual(*cur, m) {
		return
	}
	s.scores.Store(&m)
	s.setsGen.Add(1)
}

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
