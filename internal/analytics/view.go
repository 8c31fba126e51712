// Package analytics holds the mesh analyses behind /api/analytics/* (and the
// node/observer analytics): pure functions from an immutable store snapshot
// (View) to typed results, and the engine that keeps the shapes the web app
// asks for precomputed in the background (recompute.go) while computing any
// other parameter set on demand, shared between identical requests
// (handle.go). Nothing here reads SQLite or holds a store lock.
package analytics

import (
	"slices"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// View is what an analysis reads: a store snapshot and the time it was taken
// (relative windows and decay are computed against Now, never time.Now()).
type View struct {
	*store.Snapshot
	Now time.Time
	// Areas are the config areas as point tests (Engine Options.Areas).
	Areas map[string]func(lat, lon float64) bool
}

// Filter is the region/area part of a parameter set, in canonical form so
// that it can be a cache key.
type Filter struct {
	// Region is the upper-case IATA codes, sorted, comma-joined; "" = all.
	Region string
	// Area is a config area key; "" (or an unknown key) = all.
	Area string
}

// NewFilter canonicalises region codes (as regionParam returns them) and an
// area key.
func NewFilter(regions []string, area string) Filter {
	rs := make([]string, 0, len(regions))
	for _, r := range regions {
		if r = strings.ToUpper(strings.TrimSpace(r)); r != "" && r != "ALL" {
			rs = append(rs, r)
		}
	}
	slices.Sort(rs)
	return Filter{Region: strings.Join(slices.Compact(rs), ","), Area: area}
}

// Regions returns the region codes (nil = no region filter).
func (f Filter) Regions() []string {
	if f.Region == "" {
		return nil
	}
	return strings.Split(f.Region, ",")
}

// Txs returns the transmissions the region filter keeps (all when off),
// ascending id. The area filter is applied per transmission with AreaNodes.
func (v *View) Txs(f Filter) []*store.Transmission {
	if f.Region == "" {
		return v.Snapshot.Txs
	}
	return v.RegionTxs(f.Regions())
}

// ObserverSet returns the observer idxs of the region filter (nil = off).
func (v *View) ObserverSet(f Filter) map[int64]bool {
	if f.Region == "" {
		return nil
	}
	return v.RegionObservers(f.Regions())
}

// AreaNodes returns the pubkeys of the nodes whose advertised GPS lies in the
// filter's area (nil = no area filter). Nodes without GPS or at (0,0) never
// match (API.md §0.4).
func (v *View) AreaNodes(f Filter) map[string]bool {
	if f.Area == "" {
		return nil
	}
	in := v.Areas[f.Area]
	if in == nil {
		return nil // unknown key: filter off
	}
	set := map[string]bool{}
	for _, n := range v.Nodes() {
		if HasGPS(n) && in(n.Lat.V, n.Lon.V) {
			set[n.PublicKey] = true
		}
	}
	return set
}

// HasGPS reports whether a node advertised a usable position.
func HasGPS(n *store.Node) bool {
	return n != nil && n.Lat.Valid && n.Lon.Valid && (n.Lat.V != 0 || n.Lon.V != 0)
}

// keepTx applies the area filter: with an area, only transmissions whose
// originator (ADVERT sender) is in it count (API.md §0.4).
func keepTx(t *store.Transmission, area map[string]bool) bool {
	return area == nil || (t.FromPubkey != "" && area[t.FromPubkey])
}

// keepObs applies the region filter to one observation.
func keepObs(o *store.Observation, observers map[int64]bool) bool {
	return observers == nil || observers[o.ObserverIdx]
}

// TimeWindow is the rf/topology/channels time window (API.md §0.4): a
// relative Label ("24h", "7d", …) or absolute bounds; the zero value is
// unbounded.
type TimeWindow struct {
	Label  string        // relative window label, the cache key
	Span   time.Duration // its length
	FromMs int64         // absolute bounds (unix ms), 0 = open
	ToMs   int64
}

// Bounds returns the window in unix ms at now (0 = open side).
func (w TimeWindow) Bounds(now time.Time) (from, to int64) {
	if w.Span > 0 {
		return now.Add(-w.Span).UnixMilli(), 0
	}
	return w.FromMs, w.ToMs
}

// contains reports whether ms lies in [from, to] (0 = open side).
func contains(from, to, ms int64) bool {
	return (from == 0 || ms >= from) && (to == 0 || ms <= to)
}
