package analytics

import (
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// The node and observer analyses read from a View (a store snapshot) through
// these entry points; the Compute* functions they call take plain inputs so
// that tests can feed them directly.

// visibleObserver returns the view's observer lookup by rowid that hides
// blacklisted observers.
func visibleObserver(v *View) func(idx int64) *store.Observer {
	vis := map[int64]*store.Observer{}
	for _, o := range v.Observers() {
		vis[o.Idx] = o
	}
	return func(idx int64) *store.Observer { return vis[idx] }
}

// FindObserver returns the listed (not blacklisted) observer with this id,
// exact first, else case-insensitive; nil when there is none.
func FindObserver(v *View, id string) *store.Observer {
	var fold *store.Observer
	for _, o := range v.Observers() {
		if o.ID == id {
			return o
		}
		if fold == nil && strings.EqualFold(o.ID, id) {
			fold = o
		}
	}
	return fold
}

// ObserverAnalyticsFor is GET /api/observers/{id}/analytics; ok is false when
// the observer is unknown or blacklisted.
func ObserverAnalyticsFor(v *View, id string, days int) (ObserverAnalytics, bool) {
	o := FindObserver(v, id)
	if o == nil {
		return ObserverAnalytics{}, false
	}
	return ComputeObserverAnalytics(o, v.ObserverObservations(o.Idx), v.Now, days), true
}

// ObserverSkewsFor is GET /api/observers/clock-skew and the calibration of
// the node clock analysis.
func ObserverSkewsFor(v *View) ([]ObserverSkew, ObserverOffsets) {
	return ComputeObserverSkews(v.Snapshot.Txs, visibleObserver(v))
}

// NodeClockSkewsFor is GET /api/nodes/clock-skew (area "" = every node; an
// unknown area key is ignored like the other area filters).
func NodeClockSkewsFor(v *View, area string) *ClockSkewTable {
	_, offsets := ObserverSkewsFor(v)
	var keep func(*store.Node) bool
	if in := v.Areas[area]; in != nil {
		keep = func(n *store.Node) bool { return HasGPS(n) && in(n.Lat.V, n.Lon.V) }
	}
	return ComputeNodeClockSkews(v.ByType(4), offsets, v.Node, keep, visibleObserver(v))
}

// NodeAnalyticsFor is GET /api/nodes/{pubkey}/analytics for a node of the
// view (lower-case pubkey); ok is false when it is unknown or blacklisted.
// skew is the node's clock analysis (nil = none).
func NodeAnalyticsFor(v *View, pubkey string, days int, skew *NodeClockSkew) (NodeAnalytics, bool) {
	n := v.Node(pubkey)
	if n == nil {
		return NodeAnalytics{}, false
	}
	return ComputeNodeAnalytics(NodeAnalyticsInput{
		Node: n.JSON(), Txs: v.NodeTxs(pubkey), Observer: visibleObserver(v),
		PeerName:  func(prefix string) *string { return uniqueNodeName(v, prefix) },
		ClockSkew: skew, Now: v.Now, Days: days,
	}), true
}

// uniqueNodeName returns the name of the only node whose pubkey starts with
// prefix, nil when none or several do.
func uniqueNodeName(v *View, prefix string) *string {
	var found *store.Node
	for _, n := range v.Nodes() {
		if strings.HasPrefix(n.PublicKey, prefix) {
			if found != nil {
				return nil
			}
			found = n
		}
	}
	if found == nil {
		return nil
	}
	return optName(found.Name)
}

// NetworkStatusFor is GET /api/nodes/network-status.
func NetworkStatusFor(v *View, th NodeHealthThresholds) NetworkStatus {
	return ComputeNetworkStatus(v.Nodes(), th, v.Now)
}

// NodeScoresFor computes the node-row scores (traffic share over window).
func NodeScoresFor(v *View, window time.Duration) map[string]store.NodeScores {
	edges := v.NeighborEdges()
	pairs := make([][2]string, 0, len(edges))
	for _, e := range edges {
		if v.Node(e.NodeA) != nil && v.Node(e.NodeB) != nil {
			pairs = append(pairs, [2]string{e.NodeA, e.NodeB})
		}
	}
	return ComputeNodeScores(NodeScoresInput{Txs: v.Snapshot.Txs, Adverts: v.ByType(4), Edges: pairs, Now: v.Now, Window: window})
}
