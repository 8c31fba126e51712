package store

import (
	"context"
	"maps"
	"sort"
	"strings"

	"github.com/corescope/corescope/internal/db"
)

// nodeSet is an immutable view of the nodes table with its lookup indexes.
type nodeSet struct {
	list     []*Node // sorted by last_seen desc, then pubkey
	byKey    map[string]*Node
	byName   map[string]*Node   // exact name → most recently seen node with it
	prefixes map[string][]*Node // 2/4/6 lower-hex prefix → repeaters and rooms
	counts   RoleCounts
	maxSeen  string // largest last_seen text, the incremental sync watermark
}

// RoleCounts counts nodes per role.
type RoleCounts struct {
	Repeaters  int
	Rooms      int
	Companions int
	Sensors    int
	Other      int
}

func (c *RoleCounts) add(role string) {
	switch role {
	case "repeater":
		c.Repeaters++
	case "room":
		c.Rooms++
	case "companion":
		c.Companions++
	case "sensor":
		c.Sensors++
	default:
		c.Other++
	}
}

// isRelay reports whether nodes of this role forward packets (can be a path hop).
func isRelay(role string) bool { return role == "repeater" || role == "room" }

func buildNodeSet(nodes map[string]*Node) *nodeSet {
	ns := &nodeSet{
		list:     make([]*Node, 0, len(nodes)),
		byKey:    make(map[string]*Node, len(nodes)),
		byName:   make(map[string]*Node),
		prefixes: make(map[string][]*Node),
	}
	for k, n := range nodes {
		ns.byKey[k] = n
		ns.list = append(ns.list, n)
		ns.counts.add(n.Role)
	}
	sort.Slice(ns.list, func(i, j int) bool {
		a, b := ns.list[i], ns.list[j]
		if a.LastSeen != b.LastSeen {
			return a.LastSeen > b.LastSeen
		}
		return a.PublicKey < b.PublicKey
	})
	for _, n := range ns.list {
		if n.Name != "" {
			if _, ok := ns.byName[n.Name]; !ok {
				ns.byName[n.Name] = n
			}
		}
		if isRelay(n.Role) {
			for _, l := range []int{2, 4, 6} {
				if len(n.PublicKey) >= l {
					p := n.PublicKey[:l]
					ns.prefixes[p] = append(ns.prefixes[p], n)
				}
			}
		}
	}
	return ns
}

// relayCandidates returns the repeaters/rooms whose pubkey starts with hop
// (hex, any case).
func (ns *nodeSet) relayCandidates(hop string) []*Node {
	hop = strings.ToLower(hop)
	if len(hop) < 2 {
		return nil
	}
	key := hop
	if len(key) > 6 {
		key = key[:6]
	}
	if len(key)%2 == 1 {
		key = key[:len(key)-1]
	}
	cands := ns.prefixes[key]
	if len(hop) == len(key) {
		return cands
	}
	var out []*Node
	for _, n := range cands {
		if strings.HasPrefix(n.PublicKey, hop) {
			out = append(out, n)
		}
	}
	return out
}

// resolveHop returns the pubkey of the single relay matching hop, or "".
func (ns *nodeSet) resolveHop(hop string) string {
	c := ns.relayCandidates(hop)
	if len(c) == 1 {
		return c[0].PublicKey
	}
	return ""
}

// observerSet is an immutable view of the observers table.
type observerSet struct {
	list  []*Observer // last_seen desc
	byIdx map[int64]*Observer
	byID  map[string]*Observer
	// byIATA maps upper-case IATA → observer idxs.
	byIATA  map[string][]int64
	maxSeen string
}

func buildObserverSet(obs map[int64]*Observer) *observerSet {
	os := &observerSet{
		list:   make([]*Observer, 0, len(obs)),
		byIdx:  make(map[int64]*Observer, len(obs)),
		byID:   make(map[string]*Observer, len(obs)),
		byIATA: make(map[string][]int64),
	}
	for idx, o := range obs {
		os.byIdx[idx] = o
		os.byID[o.ID] = o
		os.list = append(os.list, o)
		if o.IATA != "" {
			k := strings.ToUpper(o.IATA)
			os.byIATA[k] = append(os.byIATA[k], idx)
		}
	}
	sort.Slice(os.list, func(i, j int) bool {
		a, b := os.list[i], os.list[j]
		if a.LastSeen != b.LastSeen {
			return a.LastSeen > b.LastSeen
		}
		return a.ID < b.ID
	})
	return os
}

func nodeFromRow(r db.NodeRow) *Node {
	return &Node{
		PublicKey:         strings.ToLower(r.PublicKey),
		Name:              r.Name.String,
		Role:              r.Role.String,
		Lat:               OptFloat{r.Lat.Float64, r.Lat.Valid},
		Lon:               OptFloat{r.Lon.Float64, r.Lon.Valid},
		LastSeen:          parseTimeMs(r.LastSeen.String),
		FirstSeen:         parseTimeMs(r.FirstSeen.String),
		AdvertCount:       r.AdvertCount.Int64,
		BatteryMV:         OptInt{r.BatteryMV.Int64, r.BatteryMV.Valid},
		TemperatureC:      OptFloat{r.TemperatureC.Float64, r.TemperatureC.Valid},
		Foreign:           r.ForeignAdvert.Int64 != 0,
		DefaultScope:      OptString{r.DefaultScope.String, r.DefaultScope.Valid},
		MultibyteSup:      r.MultibyteSup.Int64,
		MultibyteEvidence: r.MultibyteEvidence.String,
	}
}

func observerFromRow(r db.ObserverRow) *Observer {
	return &Observer{
		Idx:               r.Idx,
		ID:                r.ID,
		Name:              r.Name.String,
		IATA:              strings.ToUpper(strings.TrimSpace(r.IATA.String)),
		LastSeen:          parseTimeMs(r.LastSeen.String),
		FirstSeen:         parseTimeMs(r.FirstSeen.String),
		PacketCount:       r.PacketCount.Int64,
		Model:             OptString{r.Model.String, r.Model.Valid},
		Firmware:          OptString{r.Firmware.String, r.Firmware.Valid},
		ClientVersion:     OptString{r.ClientVersion.String, r.ClientVersion.Valid},
		Radio:             OptString{r.Radio.String, r.Radio.Valid},
		BatteryMV:         OptInt{r.BatteryMV.Int64, r.BatteryMV.Valid},
		UptimeSecs:        OptInt{r.UptimeSecs.Int64, r.UptimeSecs.Valid},
		NoiseFloor:        OptFloat{r.NoiseFloor.Float64, r.NoiseFloor.Valid},
		Inactive:          r.Inactive.Int64 != 0,
		LastPacketAt:      parseTimeMs(r.LastPacketAt.String),
		ClockSkewSeconds:  OptInt{r.ClockSkewSeconds.Int64, r.ClockSkewSeconds.Valid},
		ClockSkewCount24h: r.ClockSkewCount24h.Int64,
		ClockLastNaiveAt:  parseTimeMs(r.ClockLastNaiveAt.String),
	}
}

// reloadNodes reads nodes changed since the watermark (all when since is "") and
// publishes a new nodeSet when anything differs.
func (s *Store) reloadNodes(ctx context.Context, q db.Querier, since string) error {
	rows, err := db.ReadNodes(ctx, q, since)
	if err != nil {
		return err
	}
	entries := make([]rowEntry[string, Node], 0, len(rows))
	for _, r := range rows {
		n := nodeFromRow(r)
		if s.cfg.nodeBL[n.PublicKey] {
			continue
		}
		entries = append(entries, rowEntry[string, Node]{n.PublicKey, n, r.LastSeen.String})
	}
	cur := s.nodes.Load()
	next, maxSeen, changed := applyRows(cur.byKey, cur.maxSeen, since, entries)
	if !changed {
		return nil
	}
	ns := buildNodeSet(next)
	ns.maxSeen = maxSeen
	s.nodes.Store(ns)
	s.setsGen.Add(1)
	return nil
}

// reloadObservers is reloadNodes for observers.
func (s *Store) reloadObservers(ctx context.Context, q db.Querier, since string) error {
	rows, err := db.ReadObservers(ctx, q, since)
	if err != nil {
		return err
	}
	entries := make([]rowEntry[int64, Observer], 0, len(rows))
	for _, r := range rows {
		o := observerFromRow(r)
		entries = append(entries, rowEntry[int64, Observer]{o.Idx, o, r.LastSeen.String})
	}
	cur := s.observers.Load()
	next, maxSeen, changed := applyRows(cur.byIdx, cur.maxSeen, since, entries)
	if !changed {
		return nil
	}
	os := buildObserverSet(next)
	os.maxSeen = maxSeen
	s.observers.Store(os)
	s.setsGen.Add(1)
	return nil
}

// rowEntry is one re-read node or observer row: its key, value and
// last_seen text (the watermark of the incremental reload).
type rowEntry[K comparable, V comparable] struct {
	key  K
	val  *V
	seen string
}

// applyRows returns a new map: cur's entries (none on a full reload, since
// == "") with rows applied, the new last_seen watermark, and whether anything
// differs from cur (a full reload always counts as a change, so deleted rows
// disappear). cur itself is never modified: readers may hold it.
func applyRows[K, V comparable](cur map[K]*V, curMax, since string, rows []rowEntry[K, V]) (map[K]*V, string, bool) {
	full := since == ""
	maxSeen, changed := curMax, full
	next := make(map[K]*V, len(cur)+len(rows))
	if full {
		maxSeen = ""
	} else {
		maps.Copy(next, cur)
	}
	for _, r := range rows {
		if old, ok := next[r.key]; !ok || *old != *r.val {
			changed = true
		}
		next[r.key] = r.val
		maxSeen = max(maxSeen, r.seen)
	}
	return next, maxSeen, changed
}
