package store

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/corescope/corescope/internal/db"
)

// NeighborEdge is one neighbor_edges row: the ingestor's derived neighbour
// graph (STORAGE.md §3.7, §3.9). NodeA < NodeB, both lower-case; an endpoint
// is a node pubkey or an observer id.
type NeighborEdge struct {
	NodeA, NodeB string
	Count        int64
	LastSeen     int64 // unix ms, 0 = NULL
}

// edgeSet is an immutable copy of the neighbor_edges table.
type edgeSet struct {
	list    []NeighborEdge // sorted by (NodeA, NodeB)
	maxSeen string         // largest last_seen text: the incremental watermark
}

type edgeKey struct{ a, b string }

// reloadEdges reads the edges changed since the watermark (all when since is
// "") and publishes a new set when anything differs. Called by the sync in
// its read transaction, like reloadNodes.
func (s *Store) reloadEdges(ctx context.Context, q db.Querier, since string) error {
	rows, err := db.ReadNeighborEdges(ctx, q, since)
	if err != nil {
		return err
	}
	cur := s.edges.Load()
	if cur == nil {
		cur = &edgeSet{}
	}
	next, changed := mergeEdges(cur, rows, since == "")
	if !changed {
		return nil
	}
	s.edges.Store(next)
	s.setsGen.Add(1)
	return nil
}

// mergeEdges applies rows to cur: a full read replaces the set, an
// incremental one updates and adds. changed is false when nothing differs.
func mergeEdges(cur *edgeSet, rows []db.NeighborEdgeRow, full bool) (*edgeSet, bool) {
	m := make(map[edgeKey]NeighborEdge, len(cur.list)+len(rows))
	if !full {
		for _, e := range cur.list {
			m[edgeKey{e.NodeA, e.NodeB}] = e
		}
	}
	maxSeen := ""
	if !full {
		maxSeen = cur.maxSeen
	}
	for _, r := range rows {
		e := NeighborEdge{NodeA: strings.ToLower(r.NodeA), NodeB: strings.ToLower(r.NodeB), Count: r.Count,
			LastSeen: parseTimeMs(r.LastSeen.String)}
		m[edgeKey{e.NodeA, e.NodeB}] = e
		maxSeen = max(maxSeen, r.LastSeen.String)
	}
	list := slices.SortedFunc(maps.Values(m), func(a, b NeighborEdge) int {
		if c := strings.Compare(a.NodeA, b.NodeA); c != 0 {
			return c
		}
		return strings.Compare(a.NodeB, b.NodeB)
	})
	if slices.Equal(list, cur.list) {
		return cur, false
	}
	return &edgeSet{list: list, maxSeen: maxSeen}, true
}
