package store

import (
	"math"
	"sort"
	"strings"
	"time"
)

// NodeJSON is a node row (API.md §0.6 "Node row"). Of the repeater/room
// enrichment the store fills the relay fields (relay.go); usefulness, traffic
// share and bridge scores are not computed.
type NodeJSON struct {
	PublicKey         string   `json:"public_key"`
	Name              *string  `json:"name"`
	Role              *string  `json:"role"`
	Lat               *float64 `json:"lat"`
	Lon               *float64 `json:"lon"`
	LastSeen          *string  `json:"last_seen"`
	FirstSeen         *string  `json:"first_seen"`
	AdvertCount       int64    `json:"advert_count"`
	LastHeard         *string  `json:"last_heard"`
	HashSize          *int     `json:"hash_size"`
	HashSizeInconsist bool     `json:"hash_size_inconsistent"`
	HashSizesSeen     []int    `json:"hash_sizes_seen,omitempty"`
	Foreign           bool     `json:"foreign"`
	BatteryMV         *int64   `json:"battery_mv"`
	TemperatureC      *float64 `json:"temperature_c"`
	DefaultScope      *string  `json:"default_scope"`
	// Repeaters and rooms only (nil = omitted for other roles).
	LastRelayed   *string `json:"last_relayed,omitempty"`
	RelayActive   *bool   `json:"relay_active,omitempty"`
	RelayCount1h  *int64  `json:"relay_count_1h,omitempty"`
	RelayCount24h *int64  `json:"relay_count_24h,omitempty"`
	// Computed by the node-scores analysis (node_scores.go); omitted until
	// its first pass. relay_window_hours is on the detail only.
	UsefulnessScore      *float64 `json:"usefulness_score,omitempty"`
	TrafficShareScore    *float64 `json:"traffic_share_score,omitempty"`
	BridgeScore          *float64 `json:"bridge_score,omitempty"`
	RelayWindowHours     *float64 `json:"relay_window_hours,omitempty"`
	MultiByteStatus      *string  `json:"multi_byte_status,omitempty"`
	MultiByteEvidence    *string  `json:"multi_byte_evidence,omitempty"`
	MultiByteMaxHashSize *int     `json:"multi_byte_max_hash_size,omitempty"`
}

// NodeJSON renders the node row.
func (n *Node) JSON() NodeJSON {
	ls := timePtr(n.LastSeen)
	return NodeJSON{
		PublicKey: n.PublicKey, Name: strPtr(n.Name), Role: strPtr(n.Role),
		Lat: n.Lat.Ptr(), Lon: n.Lon.Ptr(), LastSeen: ls, FirstSeen: timePtr(n.FirstSeen),
		AdvertCount: n.AdvertCount, LastHeard: ls, Foreign: n.Foreign,
		BatteryMV: n.BatteryMV.Ptr(), TemperatureC: n.TemperatureC.Ptr(),
		DefaultScope: n.DefaultScope.Ptr(),
	}
}

// Node list limits.
const (
	DefaultNodeLimit = 50
	MaxNodeLimit     = 10000
)

// NodeQuery selects nodes for GET /api/nodes.
type NodeQuery struct {
	Limit, Offset int
	Role          string        // exact role
	Search        string        // name substring (case-insensitive) or pubkey prefix
	Before        time.Time     // first_seen <= Before (zero = off)
	LastHeard     time.Duration // last_seen within this duration of now (0 = off)
	SortBy        string        // "name" asc | "lastSeen" desc (default) | "packetCount"/"advertCount" desc
	Regions       []string      // nodes with an ADVERT heard by an observer in these IATA codes
	Now           time.Time     // reference for LastHeard (zero = store clock)
	// AreaContains keeps only nodes whose advertised position is inside the
	// area (config `areas`); nodes at 0,0 or without GPS never match.
	AreaContains func(lat, lon float64) bool
}

// NodePage is GET /api/nodes.
type NodePage struct {
	Nodes  []NodeJSON `json:"nodes"`
	Total  int        `json:"total"`
	Counts StatCounts `json:"counts"` // all-time per role, unfiltered
}

// Nodes filters, sorts and pages the node table.
func (s *Store) Nodes(q NodeQuery) NodePage {
	limit := clampLimit(q.Limit, DefaultNodeLimit, MaxNodeLimit)
	ns := s.nodes.Load()
	now := q.Now
	if now.IsZero() {
		now = s.cfg.Now()
	}
	var regionSet map[int64]bool
	if len(normRegions(q.Regions)) > 0 {
		regionSet = regionObservers(s.observers.Load(), q.Regions)
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	var heardAfter, before int64
	if q.LastHeard > 0 {
		heardAfter = now.Add(-q.LastHeard).UnixMilli()
	}
	if !q.Before.IsZero() {
		before = q.Before.UnixMilli()
	}
	geo := s.geo.Load()
	matched := make([]*Node, 0, len(ns.list))
	for _, n := range ns.list {
		if q.Role != "" && n.Role != q.Role {
			continue
		}
		if !s.geoKeep(geo, n) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(n.Name), search) && !strings.HasPrefix(n.PublicKey, search) {
			continue
		}
		if heardAfter != 0 && n.LastSeen <= heardAfter {
			continue
		}
		if before != 0 && n.FirstSeen > before {
			continue
		}
		if q.AreaContains != nil && !(hasGPS(n) && q.AreaContains(n.Lat.V, n.Lon.V)) {
			continue
		}
		if regionSet != nil && !s.advertHeardIn(n.PublicKey, regionSet) {
			continue
		}
		matched = append(matched, n)
	}
	switch q.SortBy {
	case "name":
		sort.SliceStable(matched, func(i, j int) bool {
			return strings.ToLower(matched[i].Name) < strings.ToLower(matched[j].Name)
		})
	case "packetCount", "advertCount", "advert_count":
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].AdvertCount > matched[j].AdvertCount })
	}
	page := NodePage{Nodes: []NodeJSON{}, Total: len(matched)}
	page.Counts = StatCounts{ns.counts.Repeaters, ns.counts.Rooms, ns.counts.Companions, ns.counts.Sensors}
	lo := min(max(q.Offset, 0), len(matched))
	hi := min(lo+limit, len(matched))
	for _, n := range matched[lo:hi] {
		page.Nodes = append(page.Nodes, s.enrichedNode(n))
	}
	return page
}

// enrichedNode adds the hash-size fields from the node's own adverts in memory
// and, for repeaters and rooms, the relay fields.
func (s *Store) enrichedNode(n *Node) NodeJSON {
	j := n.JSON()
	relay := isRelay(n.Role)
	nowMs := s.cfg.Now().UnixMilli()
	s.mu.RLock()
	list := s.idx.byFrom[n.PublicKey]
	if relay {
		relayFields(&j, s.idx.relays[n.PublicKey], nowMs, s.cfg.RelayActive.Milliseconds())
	}
	s.mu.RUnlock()
	s.applyScores(&j, relay)
	var sizes []int
	latest := 0
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i].Best()
		if b == nil || b.Path.HopSize == 0 {
			continue
		}
		sz := int(b.Path.HopSize)
		if latest == 0 {
			latest = sz
		}
		if !containsInt(sizes, sz) {
			sizes = append(sizes, sz)
		}
	}
	if latest != 0 {
		j.HashSize = &latest
	}
	if len(sizes) > 1 {
		sort.Ints(sizes)
		j.HashSizeInconsist = true
		j.HashSizesSeen = sizes
	}
	return j
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// advertHeardIn reports whether one of the node's adverts was heard by an
// observer of the set.
func (s *Store) advertHeardIn(pk string, set map[int64]bool) bool {
	s.mu.RLock()
	list := s.idx.byFrom[pk]
	s.mu.RUnlock()
	for _, t := range list {
		if heardIn(t, set) {
			return true
		}
	}
	return false
}

// SearchNodes returns up to limit (1..50, default 10) nodes whose name contains
// q (case-insensitive) or whose pubkey starts with q, most recently seen first.
func (s *Store) SearchNodes(q string, limit int) []NodeJSON {
	limit = clampLimit(limit, 10, 50)
	out := []NodeJSON{}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return out
	}
	geo := s.geo.Load()
	for _, n := range s.nodes.Load().list {
		if (strings.Contains(strings.ToLower(n.Name), q) || strings.HasPrefix(n.PublicKey, q)) && s.geoKeep(geo, n) {
			out = append(out, n.JSON())
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// NodeDetail is GET /api/nodes/{pubkey}.
type NodeDetail struct {
	Node          NodeJSON `json:"node"`
	RecentAdverts []TxJSON `json:"recentAdverts"`
}

// findNode resolves an exact pubkey, or an 8–63 hex char prefix.
// Errors: ErrNotFound, ErrAmbiguous.
func (s *Store) findNode(key string) (*Node, error) {
	ns := s.nodes.Load()
	key = strings.ToLower(strings.TrimSpace(key))
	if n := ns.byKey[key]; n != nil {
		return n, nil
	}
	if len(key) < 8 || len(key) >= 64 || !isHex(key) {
		return nil, ErrNotFound
	}
	var found *Node
	for _, n := range ns.list {
		if strings.HasPrefix(n.PublicKey, key) {
			if found != nil {
				return nil, ErrAmbiguous
			}
			found = n
		}
	}
	if found == nil {
		return nil, ErrNotFound
	}
	return found, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Node returns a node (exact pubkey or unique prefix of 8+ hex chars) and its 20
// newest adverts with observations. Errors: ErrNotFound, ErrAmbiguous.
func (s *Store) Node(pubkeyOrPrefix string) (NodeDetail, error) {
	n, err := s.findNode(pubkeyOrPrefix)
	if err != nil {
		return NodeDetail{}, err
	}
	d := NodeDetail{Node: s.enrichedNode(n), RecentAdverts: []TxJSON{}}
	if isRelay(n.Role) {
		h := s.cfg.RelayActive.Hours()
		d.Node.RelayWindowHours = &h
	}
	os := s.observers.Load()
	s.mu.RLock()
	list := s.idx.byFrom[n.PublicKey]
	s.mu.RUnlock()
	for i := len(list) - 1; i >= 0 && len(d.RecentAdverts) < 20; i-- {
		d.RecentAdverts = append(d.RecentAdverts, s.packetOf(os, list[i], true).JSON())
	}
	return d, nil
}

// NodeObserverStat is one observer's view of a node.
type NodeObserverStat struct {
	ObserverID   string   `json:"observer_id"`
	ObserverName *string  `json:"observer_name"`
	IATA         *string  `json:"iata,omitempty"`
	AvgSNR       *float64 `json:"avgSnr"`
	AvgRSSI      *float64 `json:"avgRssi"`
	PacketCount  int      `json:"packetCount"`
}

// NodeStats are the counters of GET /api/nodes/{pk}/health.
type NodeStats struct {
	TotalTransmissions int      `json:"totalTransmissions"`
	TotalObservations  int      `json:"totalObservations"`
	TotalPackets       int      `json:"totalPackets"`
	PacketsToday       int      `json:"packetsToday"`
	AvgSNR             *float64 `json:"avgSnr"`
	AvgHops            int      `json:"avgHops"`
	LastHeard          *string  `json:"lastHeard"`
}

// NodeHealth is GET /api/nodes/{pk}/health.
type NodeHealth struct {
	Node          NodeJSON           `json:"node"`
	Observers     []NodeObserverStat `json:"observers"`
	Stats         NodeStats          `json:"stats"`
	RecentPackets []TxJSON           `json:"recentPackets"`
}

type accum struct {
	snrSum, rssiSum float64
	snrN, rssiN     int
	count           int
	// txs counts distinct transmissions (an observer can hear one transmission several
	// times, over different paths); lastTx is the last one counted.
	txs    int
	lastTx *Transmission
}

// addTx counts t once, however many of its observations this accumulator sees.
func (a *accum) addTx(t *Transmission) {
	if a.lastTx != t {
		a.lastTx = t
		a.txs++
	}
}

func (a *accum) add(o *Observation) {
	a.count++
	if o.SNR.Valid {
		a.snrSum += o.SNR.V
		a.snrN++
	}
	if o.RSSI.Valid {
		a.rssiSum += o.RSSI.V
		a.rssiN++
	}
}

func avgPtr(sum float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := math.Round(sum/float64(n)*100) / 100
	return &v
}

// NodeHealth summarises the packets attributed to a node (via the node index).
// An unknown node with packets gets a synthetic row (name "Unknown").
// Errors: ErrNotFound (unknown node without packets).
func (s *Store) NodeHealth(pubkey string, now time.Time) (NodeHealth, error) {
	pk := strings.ToLower(strings.TrimSpace(pubkey))
	if s.cfg.nodeBL[pk] {
		return NodeHealth{}, ErrNotFound
	}
	os, nset := s.observers.Load(), s.nodes.Load()
	s.mu.RLock()
	list := s.idx.byNode[pk]
	s.mu.RUnlock()
	n := nset.byKey[pk]
	if n == nil && len(list) == 0 {
		// A short link (#/nodes/<8+ hex>) names a node by key prefix, as GET /api/nodes/{pk} does.
		found, err := s.findNode(pk)
		if err != nil {
			return NodeHealth{}, err
		}
		n, pk = found, found.PublicKey
		if s.cfg.nodeBL[pk] {
			return NodeHealth{}, ErrNotFound
		}
		s.mu.RLock()
		list = s.idx.byNode[pk]
		s.mu.RUnlock()
	}
	h := NodeHealth{Observers: []NodeObserverStat{}, RecentPackets: []TxJSON{}}
	if n != nil {
		h.Node = s.enrichedNode(n)
	} else {
		name, role := "Unknown", "unknown"
		h.Node = NodeJSON{PublicKey: pk, Name: &name, Role: &role}
	}
	h.Stats, h.Observers, h.RecentPackets = s.nodeStats(list, os, now, 20)
	return h, nil
}

// nodeStats summarises a node's transmissions: counters, per-observer signal
// and the newest `recent` packets (without observations).
func (s *Store) nodeStats(list []*Transmission, os *observerSet, now time.Time, recent int) (NodeStats, []NodeObserverStat, []TxJSON) {
	var st NodeStats
	observers := []NodeObserverStat{}
	packets := []TxJSON{}
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixMilli()
	per := map[int64]*accum{}
	var all accum
	var hopSum, hopN int
	var lastHeard int64
	for i := len(list) - 1; i >= 0; i-- {
		t := list[i]
		st.TotalTransmissions++
		if t.FirstSeen >= today {
			st.PacketsToday++
		}
		if lt := t.Latest(); lt > lastHeard {
			lastHeard = lt
		}
		if b := t.Best(); b != nil && b.Path.Len() > 0 {
			hopSum += b.Path.Len()
			hopN++
		}
		for _, o := range t.Observations() {
			all.add(o)
			a := per[o.ObserverIdx]
			if a == nil {
				a = &accum{}
				per[o.ObserverIdx] = a
			}
			a.add(o)
			a.addTx(t)
		}
		if len(packets) < recent {
			packets = append(packets, s.packetOf(os, t, false).JSON())
		}
	}
	st.TotalObservations = all.count
	st.TotalPackets = st.TotalTransmissions
	st.AvgSNR = avgPtr(all.snrSum, all.snrN)
	if hopN > 0 {
		st.AvgHops = int(math.Round(float64(hopSum) / float64(hopN)))
	}
	st.LastHeard = timePtr(lastHeard)
	for idx, a := range per {
		// packetCount = transmissions this observer heard, so no observer exceeds the
		// node's totalTransmissions ([improve]: the original counted observations).
		o := NodeObserverStat{PacketCount: a.txs, AvgSNR: avgPtr(a.snrSum, a.snrN), AvgRSSI: avgPtr(a.rssiSum, a.rssiN)}
		if ob := os.byIdx[idx]; ob != nil {
			o.ObserverID, o.ObserverName, o.IATA = ob.ID, strPtr(ob.Name), strPtr(ob.IATA)
		}
		observers = append(observers, o)
	}
	sort.Slice(observers, func(i, j int) bool {
		if observers[i].PacketCount != observers[j].PacketCount {
			return observers[i].PacketCount > observers[j].PacketCount
		}
		return observers[i].ObserverID < observers[j].ObserverID
	})
	return st, observers, packets
}

// BulkHealthEntry is one node of GET /api/nodes/bulk-health.
type BulkHealthEntry struct {
	PublicKey string             `json:"public_key"`
	Name      *string            `json:"name"`
	Role      *string            `json:"role"`
	Lat       *float64           `json:"lat"`
	Lon       *float64           `json:"lon"`
	Stats     BulkHealthStats    `json:"stats"`
	Observers []NodeObserverStat `json:"observers"`
}

// BulkHealthStats are the per-node counters of bulk-health (no avgHops).
type BulkHealthStats struct {
	TotalTransmissions int      `json:"totalTransmissions"`
	TotalObservations  int      `json:"totalObservations"`
	TotalPackets       int      `json:"totalPackets"`
	PacketsToday       int      `json:"packetsToday"`
	AvgSNR             *float64 `json:"avgSnr"`
	LastHeard          *string  `json:"lastHeard"`
}

// BulkHealth returns health stats of the most recently seen nodes (limit
// clamped 1..200, default 50), filtered like Nodes by region and area.
func (s *Store) BulkHealth(limit int, regions []string, areaContains func(lat, lon float64) bool, now time.Time) []BulkHealthEntry {
	limit = clampLimit(limit, 50, 200)
	page := s.Nodes(NodeQuery{Limit: limit, Regions: regions, AreaContains: areaContains, Now: now})
	ns, os := s.nodes.Load(), s.observers.Load()
	out := make([]BulkHealthEntry, 0, len(page.Nodes))
	for _, nj := range page.Nodes {
		n := ns.byKey[nj.PublicKey]
		if n == nil {
			continue
		}
		s.mu.RLock()
		list := s.idx.byNode[n.PublicKey]
		s.mu.RUnlock()
		st, observers, _ := s.nodeStats(list, os, now, 0)
		out = append(out, BulkHealthEntry{
			PublicKey: n.PublicKey, Name: strPtr(n.Name), Role: strPtr(n.Role), Lat: n.Lat.Ptr(), Lon: n.Lon.Ptr(),
			Stats: BulkHealthStats{TotalTransmissions: st.TotalTransmissions, TotalObservations: st.TotalObservations,
				TotalPackets: st.TotalPackets, PacketsToday: st.PacketsToday, AvgSNR: st.AvgSNR, LastHeard: st.LastHeard},
			Observers: observers,
		})
	}
	return out
}

// NodeTransmissions returns the transmissions attributed to a node (advert
// sender or resolved path hop), ascending id; shared slice, do not modify.
func (s *Store) NodeTransmissions(pubkey string) []*Transmission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.byNode[strings.ToLower(strings.TrimSpace(pubkey))]
}
