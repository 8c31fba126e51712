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

	// hops memoises hop resolution (hopInfoOf). A View is used by one
	// goroutine at a time: the engine builds one per pass or computation.
	hops map[string]*hopInfo
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

// TxsIn returns the transmissions the region filter keeps (all when off),
// ascending id. The area filter is applied per transmission with AreaNodes.
func (v *View) TxsIn(f Filter) []*store.Transmission {
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

// Scope is the region/area filter plus the time window (rf, topology,
// channels).
type Scope struct {
	Filter
	Window TimeWindow
}

// each calls fn for every transmission the filter and window keep (window on
// first_seen), with its observations the region filter keeps (at least
// one). obs is a scratch slice: fn must not retain it.
func (v *View) each(f Filter, w TimeWindow, fn func(t *store.Transmission, obs []*store.Observation)) {
	v.eachOf(v.TxsIn(f), f, w, fn)
}

// eachOf is each over a given transmission list (e.g. one payload type).
func (v *View) eachOf(txs []*store.Transmission, f Filter, w TimeWindow, fn func(t *store.Transmission, obs []*store.Observation)) {
	from, to := w.Bounds(v.Now)
	area := v.AreaNodes(f)
	observers := v.ObserverSet(f)
	var buf []*store.Observation
	for _, t := range txs {
		if !contains(from, to, t.FirstSeen) || !keepTx(t, area) {
			continue
		}
		obs := t.Observations()
		if observers != nil {
			buf = buf[:0]
			for _, o := range obs {
				if keepObs(o, observers) {
					buf = append(buf, o)
				}
			}
			obs = buf
		}
		if len(obs) == 0 {
			continue
		}
		fn(t, obs)
	}
}

// hopInfo is what a hop prefix resolves to, memoised per View.
type hopInfo struct {
	hex      string      // upper-case hex
	node     *store.Node // the single repeater/room with the prefix, or nil
	cands    int         // repeaters/rooms with the prefix
	prefixID string      // "prefix:<HEX>", the neighbour graph's unresolved endpoint
}

// hopInfoOf returns hop i of o's path, memoised by its raw bytes (a
// substring of the path, so a hit allocates nothing).
func (v *View) hopInfoOf(o *store.Observation, i int) *hopInfo {
	p := o.Path
	if p.HopSize == 0 { // legacy text path: rare, not memoised
		hex := p.Hop(i)
		return newHopInfo(v, hex)
	}
	n := int(p.HopSize)
	key := p.Hops[i*n : (i+1)*n]
	if h, ok := v.hops[key]; ok {
		return h
	}
	h := newHopInfo(v, p.Hop(i))
	if v.hops == nil {
		v.hops = map[string]*hopInfo{}
	}
	v.hops[key] = h
	return h
}

func newHopInfo(v *View, hex string) *hopInfo {
	c := v.RelayCandidates(hex)
	h := &hopInfo{hex: hex, cands: len(c), prefixID: "prefix:" + hex}
	if len(c) == 1 {
		h.node = c[0]
	}
	return h
}

// hop returns hop i of o as hex and the node it resolves to: the stored or
// in-memory resolution, else the single repeater/room whose pubkey has that
// prefix; nil when unknown or ambiguous.
func (v *View) hop(o *store.Observation, i int) (string, *store.Node) {
	h := v.hopInfoOf(o, i)
	if o.Resolved != nil && i < len(o.Resolved) && o.Resolved[i] != "" {
		if n := v.Node(o.Resolved[i]); n != nil {
			return h.hex, n
		}
	}
	return h.hex, h.node
}

// hopNode is hop without the hex.
func (v *View) hopNode(o *store.Observation, i int) *store.Node {
	_, n := v.hop(o, i)
	return n
}

// strPtr returns nil for "", else a pointer (JSON null vs a name).
func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
