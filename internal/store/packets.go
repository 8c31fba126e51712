package store

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Packet list limits (API.md §0.4: CoreScope clamps every limit).
const (
	DefaultPacketLimit = 50
	MaxPacketLimit     = 10000
)

// PacketQuery selects transmissions for the packet list (API.md §5.4). Zero
// values mean "no filter".
type PacketQuery struct {
	Types     []int    // payload types (any of)
	Routes    []int    // route types (any of)
	Observers []string // observer ids: heard by any of them
	Regions   []string // IATA codes: heard by an observer in any of them
	Hash      string   // exact content hash (case-insensitive)
	Node      string   // pubkey or exact node name: transmissions attributed to it
	Nodes     []string // several pubkeys/names: attributed to any of them
	Channel   string   // channel_hash (GRP_TXT grouping key)
	// Area (config `areas`): only packets whose originator (advert sender) has
	// an advertised position inside it — AreaContains tests a point, AreaKey
	// names the area (cache key). Nodes at 0,0 or without GPS never match.
	AreaKey      string
	AreaContains func(lat, lon float64) bool
	Since        time.Time // zero = unbounded; exclusive: first_seen > Since
	Until        time.Time // zero = unbounded; exclusive: first_seen < Until
	// BeforeID is a key cursor: in newest-first order only ids < BeforeID, in
	// oldest-first order only ids > BeforeID. 0 = from the start.
	BeforeID int64
	Offset   int
	Limit    int  // clamped to 1..MaxPacketLimit, default DefaultPacketLimit
	Asc      bool // oldest first (default newest first, by transmission id)
	Expand   bool // include every observation
}

// PacketPage is one page of the packet list.
type PacketPage struct {
	Packets []TxJSON `json:"packets"`
	Total   int      `json:"total"` // matches before paging (cursor and offset do not change it)
	// NextBefore is the cursor for the next page (0 when this page is the last).
	NextBefore int64 `json:"-"`
}

// Packets answers the packet list: filtered, newest (or oldest) first by
// transmission id, paginated by key cursor and/or offset. Index-driven: it walks
// the smallest matching index list, not every packet.
func (s *Store) Packets(q PacketQuery) PacketPage {
	ps, total, next := s.packets(q)
	return PacketPage{Packets: packetsJSON(ps), Total: total, NextBefore: next}
}

// PacketViewPage is Packets' result as views (no JSON conversion), for callers
// that encode the views themselves.
type PacketViewPage struct {
	Packets    []Packet
	Total      int
	NextBefore int64
}

// PacketViews is Packets without the JSON conversion: the same selection,
// order, paging and totals, as views into the store.
func (s *Store) PacketViews(q PacketQuery) PacketViewPage {
	ps, total, next := s.packets(q)
	return PacketViewPage{Packets: ps, Total: total, NextBefore: next}
}

// NodePacketViews is NodePackets without the JSON conversion.
func (s *Store) NodePacketViews(nodes []string, q PacketQuery) PacketViewPage {
	if len(nodes) == 0 {
		return PacketViewPage{Packets: []Packet{}}
	}
	return s.PacketViews(nodeQuery(nodes, q))
}

func nodeQuery(nodes []string, q PacketQuery) PacketQuery {
	return PacketQuery{Nodes: nodes, Since: q.Since, Until: q.Until, Limit: q.Limit, Offset: q.Offset,
		Asc: q.Asc, BeforeID: q.BeforeID, Expand: q.Expand}
}

// NodePackets is the multi-node mode (`nodes=`): transmissions attributed to any
// of the pubkeys/names; only Since/Until/Limit/Offset/Asc/BeforeID of q apply.
func (s *Store) NodePackets(nodes []string, q PacketQuery) PacketPage {
	if len(nodes) == 0 {
		return PacketPage{Packets: []TxJSON{}}
	}
	return s.Packets(nodeQuery(nodes, q))
}

func clampLimit(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	if limit > max {
		return max
	}
	return limit
}

// matcher holds a packet query's predicates that the chosen index list does not
// already guarantee.
type matcher struct {
	types, routes map[int8]bool
	observers     map[int64]bool // observer filter ∩ region filter, as idx sets
	nodeLists     [][]*Transmission
	hash          string
	hashPrefix    bool // hash is a hex prefix (< 16 chars): matched by scanning, not byHash
	channel       string
	since, until  int64
	empty         bool // some filter can match nothing
	active        bool
}

func (m *matcher) match(t *Transmission) bool {
	if m.types != nil && !m.types[t.PayloadType] {
		return false
	}
	if m.routes != nil && !m.routes[t.RouteType] {
		return false
	}
	if m.since != 0 && t.FirstSeen <= m.since {
		return false
	}
	if m.until != 0 && t.FirstSeen >= m.until {
		return false
	}
	if m.hash != "" && t.Hash != m.hash && !(m.hashPrefix && strings.HasPrefix(t.Hash, m.hash)) {
		return false
	}
	if m.channel != "" && t.ChannelHash != m.channel {
		return false
	}
	if m.observers != nil {
		ok := false
		for _, o := range t.Observations() {
			if m.observers[o.ObserverIdx] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if m.nodeLists != nil {
		ok := false
		for _, l := range m.nodeLists {
			if findTx(l, t.ID) != nil {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// candidates picks the smallest index list that covers the query and a matcher
// for the remaining predicates (a predicate the chosen list already guarantees
// is dropped). Called under s.mu.RLock: it only copies headers (and, for
// multi-key filters, merges a few lists into a new array).
func (s *Store) candidates(q PacketQuery, os *observerSet, ns *nodeSet) ([]*Transmission, *matcher) {
	ix := &s.idx
	m := &matcher{since: msOrZero(q.Since), until: msOrZero(q.Until)}
	type source struct {
		list []*Transmission
		drop func() // removes the predicate the list guarantees
	}
	sources := []source{{ix.txs, func() {}}}

	if len(q.Types) > 0 {
		m.types = map[int8]bool{}
		var merged []*Transmission
		for _, t := range q.Types {
			if !m.types[int8(t)] {
				m.types[int8(t)] = true
				merged = mergeIfMany(merged, ix.byType[int8(t)], len(q.Types))
			}
		}
		sources = append(sources, source{merged, func() { m.types = nil }})
	}
	if len(q.Routes) > 0 {
		m.routes = map[int8]bool{}
		for _, r := range q.Routes {
			m.routes[int8(r)] = true
		}
	}
	if q.Hash != "" {
		m.hash = strings.ToLower(strings.TrimSpace(q.Hash))
		// The UI shows 8 hash characters: a shorter hex string is a prefix, checked per
		// packet outside the lock (no index list to take; the other filters narrow the scan).
		if len(m.hash) < 16 && isHex(m.hash) {
			m.hashPrefix = true
		} else if t := ix.byHash[m.hash]; t != nil {
			sources = append(sources, source{[]*Transmission{t}, func() { m.hash = "" }})
		} else {
			m.empty = true
		}
	}
	if q.Channel != "" {
		m.channel = q.Channel
		sources = append(sources, source{ix.byChannel[q.Channel], func() { m.channel = "" }})
	}
	regions := normRegions(q.Regions)
	switch {
	case len(q.Observers) > 0:
		obsSet := map[int64]bool{}
		regionSet := regionObservers(os, regions)
		for _, id := range q.Observers {
			if o := os.byID[strings.TrimSpace(id)]; o != nil && (regionSet == nil || regionSet[o.Idx]) {
				obsSet[o.Idx] = true
			}
		}
		m.observers = obsSet
		if len(obsSet) == 0 {
			m.empty = true
		}
		var merged []*Transmission
		for idx := range obsSet {
			merged = mergeIfMany(merged, ix.byObserverTx[idx], len(obsSet))
		}
		sources = append(sources, source{merged, func() { m.observers = nil }})
	case len(regions) > 0:
		m.observers = regionObservers(os, regions)
		var merged []*Transmission
		seen := map[string]bool{}
		for _, r := range regions {
			if !seen[r] {
				seen[r] = true
				merged = mergeIfMany(merged, ix.byRegion[r], len(regions))
			}
		}
		if len(merged) == 0 {
			m.empty = true
		}
		sources = append(sources, source{merged, func() { m.observers = nil }})
	}
	if q.AreaContains != nil {
		var merged []*Transmission
		for _, pk := range nodesInArea(ns, q.AreaContains) {
			merged = mergeSorted(merged, ix.byFrom[pk])
		}
		if len(merged) == 0 {
			m.empty = true
		}
		// The list is exact (adverts of nodes in the area): no per-packet check.
		sources = append(sources, source{merged, func() {}})
	}
	nodes := q.Nodes
	if q.Node != "" {
		nodes = append([]string{q.Node}, nodes...)
	}
	if len(nodes) > 0 {
		var merged []*Transmission
		for _, key := range nodes {
			pk := resolveNodeKey(ns, key)
			l := ix.byNode[pk]
			m.nodeLists = append(m.nodeLists, l)
			merged = mergeIfMany(merged, l, len(nodes))
		}
		sources = append(sources, source{merged, func() { m.nodeLists = nil }})
	}
	// Start from the smallest list and intersect it with the other index lists
	// (binary search of each kept element: O(small · log large)), so every
	// indexed filter is answered by its index rather than a per-packet check.
	filters := sources[1:]
	if len(filters) == 0 {
		if m.since != 0 {
			// Every packet before this index is at least as old as since.
			return ix.txs[sinceStart(ix.txMaxFS, m.since):], m.finish()
		}
		return ix.txs, m.finish()
	}
	sort.SliceStable(filters, func(i, j int) bool { return len(filters[i].list) < len(filters[j].list) })
	list := filters[0].list
	filters[0].drop()
	for _, f := range filters[1:] {
		list = intersectTx(list, f.list)
		f.drop()
	}
	return list, m.finish()
}

// finish computes whether any predicate is left.
func (m *matcher) finish() *matcher {
	m.active = m.types != nil || m.routes != nil || m.since != 0 || m.until != 0 || m.hash != "" ||
		m.channel != "" || m.observers != nil || m.nodeLists != nil
	return m
}

// intersectTx returns the elements of small that are also in large (both
// ascending by id), as a new slice.
func intersectTx(small, large []*Transmission) []*Transmission {
	if len(small) > len(large) {
		small, large = large, small
	}
	out := make([]*Transmission, 0, len(small))
	lo := 0
	for _, t := range small {
		// Gallop from the previous position: matches are usually close by.
		step, hi := 1, lo
		for hi < len(large) && large[hi].ID < t.ID {
			lo = hi + 1
			hi += step
			step *= 2
		}
		hi = min(hi+1, len(large))
		i := lo + sort.Search(hi-lo, func(i int) bool { return large[lo+i].ID >= t.ID })
		if i < len(large) && large[i].ID == t.ID {
			out = append(out, t)
		}
		lo = i
		if lo >= len(large) {
			break
		}
	}
	return out
}

// mergeIfMany returns l itself for a single-key filter (no copy), else the merge.
func mergeIfMany(acc, l []*Transmission, keys int) []*Transmission {
	if keys == 1 {
		return l
	}
	return mergeSorted(acc, l)
}

func normRegions(in []string) []string {
	var out []string
	for _, r := range in {
		for _, p := range strings.Split(r, ",") {
			p = strings.ToUpper(strings.TrimSpace(p))
			if p == "" || p == "ALL" {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

// resolveNodeKey maps a pubkey (any case) or an exact node name to a pubkey.
func resolveNodeKey(ns *nodeSet, key string) string {
	key = strings.TrimSpace(key)
	lk := strings.ToLower(key)
	if _, ok := ns.byKey[lk]; ok {
		return lk
	}
	if n := ns.byName[key]; n != nil {
		return n.PublicKey
	}
	return lk
}

func (s *Store) packets(q PacketQuery) (ps []Packet, total int, next int64) {
	limit := clampLimit(q.Limit, DefaultPacketLimit, MaxPacketLimit)
	os, ns := s.observers.Load(), s.nodes.Load()
	s.mu.RLock()
	list, m := s.candidates(q, os, ns)
	s.mu.RUnlock()
	if m.empty {
		return []Packet{}, 0, 0
	}
	page := struct {
		Packets []Packet
		Total   int
	}{Packets: make([]Packet, 0, min(limit, len(list)))}
	n := len(list)
	// Position of the cursor in list order.
	start, end := 0, n // ascending index range still eligible
	if q.BeforeID > 0 {
		i := sort.Search(n, func(i int) bool { return list[i].ID >= q.BeforeID })
		if q.Asc {
			if i < n && list[i].ID == q.BeforeID {
				i++
			}
			start = i
		} else {
			end = i
		}
	}
	if !m.active {
		page.Total = n
		var sel []*Transmission
		if q.Asc {
			lo := min(start+q.Offset, end)
			hi := min(lo+limit, end)
			sel = list[lo:hi]
		} else {
			hi := max(end-q.Offset, start)
			lo := max(hi-limit, start)
			sel = make([]*Transmission, 0, hi-lo)
			for i := hi - 1; i >= lo; i-- {
				sel = append(sel, list[i])
			}
		}
		for _, t := range sel {
			page.Packets = append(page.Packets, s.packetOf(os, t, q.Expand))
		}
		return page.Packets, page.Total, nextCursor(page.Packets, limit)
	}
	skip := q.Offset
	visit := func(i int) {
		t := list[i]
		if !m.match(t) {
			return
		}
		page.Total++
		if i < start || i >= end {
			return
		}
		if skip > 0 {
			skip--
			return
		}
		if len(page.Packets) < limit {
			page.Packets = append(page.Packets, s.packetOf(os, t, q.Expand))
		}
	}
	if q.Asc {
		for i := 0; i < n; i++ {
			visit(i)
		}
	} else {
		for i := n - 1; i >= 0; i-- {
			visit(i)
		}
	}
	return page.Packets, page.Total, nextCursor(page.Packets, limit)
}

func nextCursor(ps []Packet, limit int) int64 {
	if len(ps) < limit || len(ps) == 0 {
		return 0
	}
	return ps[len(ps)-1].Tx.ID
}

// GroupedTx is one row of the grouped-by-hash view (API.md §5.4).
type GroupedTx struct {
	Hash             string   `json:"hash"`
	FirstSeen        string   `json:"first_seen"`
	Count            int      `json:"count"`
	ObserverCount    int      `json:"observer_count"`
	ObservationCount int      `json:"observation_count"`
	Latest           string   `json:"latest"`
	ObserverID       *string  `json:"observer_id"`
	ObserverName     *string  `json:"observer_name"`
	ObserverIATA     *string  `json:"observer_iata"`
	DistinctIATAs    []string `json:"distinct_iatas"`
	PathJSON         *string  `json:"path_json"`
	PayloadType      *int     `json:"payload_type"`
	RouteType        *int     `json:"route_type"`
	RawHex           *string  `json:"raw_hex"`
	DecodedJSON      *string  `json:"decoded_json"`
	SNR              *float64 `json:"snr"`
	RSSI             *float64 `json:"rssi"`
	// ID is the transmission id (not in the original's grouped shape).
	ID int64 `json:"-"`
}

// GroupedPage is one page of the grouped view.
type GroupedPage struct {
	Packets []GroupedTx `json:"packets"`
	Total   int         `json:"total"`
}

// GroupedPackets answers groupByHash=true: the same filters as Packets, sorted by
// newest observation desc; Asc and BeforeID are ignored, Offset pages. The
// sorted match list is cached per filter set until the data changes, or for at
// most GroupedCacheTTL while it keeps changing (like the original's 3 s cache).
func (s *Store) GroupedPackets(q PacketQuery) GroupedPage {
	limit := clampLimit(q.Limit, DefaultPacketLimit, MaxPacketLimit)
	os, ns := s.observers.Load(), s.nodes.Load()
	s.mu.RLock()
	list, m := s.candidates(q, os, ns)
	s.mu.RUnlock()
	if m.empty {
		return GroupedPage{Packets: []GroupedTx{}}
	}
	matched := s.grouped.get(q, s.gen.Load(), time.Now(), func() []ranked {
		all := make([]ranked, 0, len(list))
		for _, t := range list {
			if !m.active || m.match(t) {
				all = append(all, ranked{t, t.Latest()})
			}
		}
		sort.Slice(all, func(i, j int) bool { return rankedBefore(all[i], all[j]) })
		return all
	})
	out := GroupedPage{Total: len(matched), Packets: []GroupedTx{}}
	lo := min(max(q.Offset, 0), len(matched))
	hi := min(lo+limit, len(matched))
	for _, it := range matched[lo:hi] {
		t := it.t
		latest := it.ms
		tj := s.packetOf(os, t, false).JSON()
		g := GroupedTx{
			ID: t.ID, Hash: t.Hash, FirstSeen: tj.FirstSeen,
			Count: tj.ObservationCount, ObservationCount: tj.ObservationCount,
			ObserverCount: t.ObserverCount(), Latest: FormatTime(latest),
			ObserverID: tj.ObserverID, ObserverName: tj.ObserverName, ObserverIATA: tj.ObserverIATA,
			PathJSON: tj.PathJSON, PayloadType: tj.PayloadType, RouteType: tj.RouteType,
			RawHex: tj.RawHex, DecodedJSON: tj.DecodedJSON, SNR: tj.SNR, RSSI: tj.RSSI,
			DistinctIATAs: []string{},
		}
		seen := map[string]bool{}
		for _, o := range t.Observations() {
			if ob := os.byIdx[o.ObserverIdx]; ob != nil && ob.IATA != "" && !seen[ob.IATA] {
				seen[ob.IATA] = true
				g.DistinctIATAs = append(g.DistinctIATAs, ob.IATA)
			}
		}
		sort.Strings(g.DistinctIATAs)
		out.Packets = append(out.Packets, g)
	}
	return out
}

// PacketDetail is GET /api/packets/{id}: the transmission with its
// observations, the best observation's hops, and the enriched observations.
type PacketDetail struct {
	Packet           TxJSON    `json:"packet"`
	Path             []string  `json:"path"`
	ObservationCount int       `json:"observation_count"`
	Observations     []ObsJSON `json:"observations,omitempty"`
	// MatchedObservationID is set when idOrHash matched an observation id.
	MatchedObservationID int64 `json:"-"`
	// Raw is the transmission's raw bytes (for the codec breakdown); shared, do not modify.
	Raw []byte `json:"-"`
}

// Packet looks a transmission up by 16-hex content hash, transmission id, or
// observation id (in that order). Errors: ErrNotFound.
func (s *Store) Packet(idOrHash string) (PacketDetail, error) {
	t, o := s.lookup(idOrHash)
	if t == nil {
		return PacketDetail{}, ErrNotFound
	}
	os := s.observers.Load()
	p := s.packetOf(os, t, true)
	d := PacketDetail{Packet: p.JSON(), Path: []string{}, ObservationCount: max(1, t.ObservationCount()), Raw: t.Raw}
	if b := t.Best(); b != nil {
		d.Path = b.Path.Strings()
	}
	for _, v := range p.Observations {
		d.Observations = append(d.Observations, v.JSON(true))
	}
	if o != nil {
		d.MatchedObservationID = o.ID
	}
	return d, nil
}

// RawBytes returns the raw bytes of the transmission idOrHash names (as Packet).
func (s *Store) RawBytes(idOrHash string) ([]byte, bool) {
	t, _ := s.lookup(idOrHash)
	if t == nil {
		return nil, false
	}
	return t.Raw, true
}

func (s *Store) lookup(idOrHash string) (*Transmission, *Observation) {
	key := strings.ToLower(strings.TrimSpace(idOrHash))
	s.mu.RLock()
	byHash := s.idx.byHash[key]
	txs, obs := s.idx.txs, s.idx.obs
	s.mu.RUnlock()
	if byHash != nil {
		return byHash, nil
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	if t := findTx(txs, id); t != nil {
		return t, nil
	}
	if o := findObs(obs, id); o != nil {
		return o.Tx, o
	}
	return nil, nil
}

// ObservationsByHash returns the enriched observations of each hash (keyed as
// given); unknown hashes map to an empty slice.
func (s *Store) ObservationsByHash(hashes []string) map[string][]ObsJSON {
	os := s.observers.Load()
	txs := make([]*Transmission, len(hashes))
	s.mu.RLock()
	for i, h := range hashes {
		txs[i] = s.idx.byHash[strings.ToLower(strings.TrimSpace(h))]
	}
	s.mu.RUnlock()
	out := make(map[string][]ObsJSON, len(hashes))
	for i, h := range hashes {
		views := []ObsJSON{}
		if t := txs[i]; t != nil {
			for _, o := range t.Observations() {
				views = append(views, s.obsView(os, o).JSON(true))
			}
		}
		out[h] = views
	}
	return out
}

// Trace is one observation in GET /api/traces/{hash}.
type Trace struct {
	Observer     *string  `json:"observer"`
	ObserverName *string  `json:"observer_name"`
	Time         string   `json:"time"`
	SNR          *float64 `json:"snr"`
	RSSI         *float64 `json:"rssi"`
	PathJSON     string   `json:"path_json"`
}

// Traces returns every observation of a hash across observers, oldest first;
// an unknown hash gives an empty slice.
func (s *Store) Traces(hash string) []Trace {
	os := s.observers.Load()
	s.mu.RLock()
	t := s.idx.byHash[strings.ToLower(strings.TrimSpace(hash))]
	s.mu.RUnlock()
	out := []Trace{}
	if t == nil {
		return out
	}
	obs := append([]*Observation(nil), t.Observations()...)
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Timestamp < obs[j].Timestamp })
	for _, o := range obs {
		v := s.obsView(os, o)
		out = append(out, Trace{
			Observer:     strPtr(v.ObserverID()),
			ObserverName: strPtr(v.ObserverName()),
			Time:         FormatTime(o.Timestamp),
			SNR:          o.SNR.Ptr(),
			RSSI:         o.RSSI.Ptr(),
			PathJSON:     o.Path.PathJSON(),
		})
	}
	return out
}

// Timestamps returns first_seen of every transmission with first_seen > since,
// ascending (never nil).
func (s *Store) Timestamps(since time.Time) []string {
	ms := since.UnixMilli()
	s.mu.RLock()
	txs := s.idx.txs[sinceStart(s.idx.txMaxFS, ms):]
	s.mu.RUnlock()
	var sel []int64
	for _, t := range txs {
		if t.FirstSeen > ms {
			sel = append(sel, t.FirstSeen)
		}
	}
	sort.Slice(sel, func(i, j int) bool { return sel[i] < sel[j] })
	out := make([]string, len(sel))
	for i, v := range sel {
		out[i] = FormatTime(v)
	}
	return out
}

// Transmissions returns every transmission in memory, ascending id. The slice
// is shared and must not be modified (for analytics passes).
func (s *Store) Transmissions() []*Transmission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.txs
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// nodesInArea returns the pubkeys of nodes with a real advertised position
// inside the area.
func nodesInArea(ns *nodeSet, contains func(lat, lon float64) bool) []string {
	var out []string
	for _, n := range ns.list {
		if hasGPS(n) && contains(n.Lat.V, n.Lon.V) {
			out = append(out, n.PublicKey)
		}
	}
	return out
}
