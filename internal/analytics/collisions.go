package analytics

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/corescope/corescope/internal/store"
)

// HashCollisions is GET /api/analytics/hash-collisions.
type HashCollisions struct {
	InconsistentNodes []CollisionNode          `json:"inconsistent_nodes"`
	BySize            map[string]CollisionSize `json:"by_size"` // "1", "2", "3"
}

// CollisionNode is a repeater/room as the collision views show it.
type CollisionNode struct {
	PublicKey            string   `json:"public_key"`
	Name                 string   `json:"name"`
	Role                 string   `json:"role"`
	Lat                  *float64 `json:"lat"`
	Lon                  *float64 `json:"lon"`
	HashSize             *int     `json:"hash_size"`
	HashSizeInconsistent bool     `json:"hash_size_inconsistent"`
	HashSizesSeen        []int    `json:"hash_sizes_seen,omitempty"`
}

// CollisionSize is one hash size's prefix usage and collisions.
type CollisionSize struct {
	Stats        CollisionStats             `json:"stats"`
	Collisions   []Collision                `json:"collisions"`
	OneByteCells map[string][]CollisionNode `json:"one_byte_cells,omitempty"`
	TwoByteCells map[string]TwoByteCell     `json:"two_byte_cells,omitempty"`
}

// CollisionStats summarises one hash size.
type CollisionStats struct {
	TotalNodes     int     `json:"total_nodes"`
	NodesForByte   int     `json:"nodes_for_byte"`
	UsingThisSize  int     `json:"using_this_size"`
	UniquePrefixes int     `json:"unique_prefixes"`
	CollisionCount int     `json:"collision_count"`
	SpaceSize      int     `json:"space_size"`
	PctUsed        float64 `json:"pct_used"`
}

// Collision is a prefix shared by several repeaters of the same hash size.
type Collision struct {
	Prefix         string          `json:"prefix"`
	ByteSize       int             `json:"byte_size"`
	Appearances    int             `json:"appearances"`
	Nodes          []CollisionNode `json:"nodes"`
	MaxDistKm      float64         `json:"max_dist_km"`
	Classification string          `json:"classification"`
	WithCoords     int             `json:"with_coords"`
}

// TwoByteCell groups the 2-byte prefixes starting with one byte.
type TwoByteCell struct {
	GroupNodes     int                        `json:"group_nodes"`
	TwoByteMap     map[string][]CollisionNode `json:"two_byte_map"`
	MaxCollision   int                        `json:"max_collision"`
	CollisionCount int                        `json:"collision_count"`
}

var classOrder = map[string]int{"local": 0, "regional": 1, "distant": 2, "incomplete": 3, "unknown": 4}

// ComputeHashCollisions finds repeaters and rooms sharing a path-hash prefix
// at their own hash size (a node whose adverts never showed a size counts as
// 1 byte, the firmware default). With a region, only nodes whose adverts
// were heard there; with an area, only nodes in it.
func ComputeHashCollisions(v *View, f Filter) HashCollisions {
	sizes := nodeAdvertSizes(v)
	area := v.AreaNodes(f)
	var inRegion map[string]bool
	if f.Region != "" {
		inRegion = map[string]bool{}
		v.eachOf(v.ByType(4), f, TimeWindow{}, func(t *store.Transmission, _ []*store.Observation) {
			if t.FromPubkey != "" {
				inRegion[t.FromPubkey] = true
			}
		})
	}
	out := HashCollisions{InconsistentNodes: []CollisionNode{}, BySize: map[string]CollisionSize{}}
	type sized struct {
		n    *store.Node
		cn   CollisionNode
		size int
	}
	var relays []sized
	for _, n := range v.Nodes() {
		if !isRelay(n.Role) || (area != nil && !area[n.PublicKey]) || (inRegion != nil && !inRegion[n.PublicKey]) {
			continue
		}
		cn := CollisionNode{PublicKey: n.PublicKey, Name: n.Name, Role: n.Role, Lat: n.Lat.Ptr(), Lon: n.Lon.Ptr()}
		size := 1
		if a := sizes[n.PublicKey]; a != nil {
			l := a.latest
			cn.HashSize, size = &l, l
			if len(a.sizes) > 1 {
				cn.HashSizeInconsistent, cn.HashSizesSeen = true, a.sizes
			}
		}
		if cn.HashSizeInconsistent {
			out.InconsistentNodes = append(out.InconsistentNodes, cn)
		}
		relays = append(relays, sized{n, cn, size})
	}
	for size := 1; size <= 3; size++ {
		groups := map[string][]sized{}
		cs := CollisionSize{Collisions: []Collision{}}
		cs.Stats.TotalNodes = len(relays)
		for _, r := range relays {
			if r.size != size || len(r.n.PublicKey) < 2*size {
				continue
			}
			cs.Stats.NodesForByte++
			if r.cn.HashSize != nil {
				cs.Stats.UsingThisSize++
			}
			p := strings.ToUpper(r.n.PublicKey[:2*size])
			groups[p] = append(groups[p], r)
		}
		cs.Stats.UniquePrefixes = len(groups)
		cs.Stats.SpaceSize = 1 << (8 * size)
		cs.Stats.PctUsed = round(float64(len(groups))/float64(cs.Stats.SpaceSize)*100, 2)
		for p, g := range groups {
			if len(g) < 2 {
				continue
			}
			cs.Stats.CollisionCount++
			nodes := make([]*store.Node, len(g))
			c := Collision{Prefix: p, ByteSize: size, Appearances: len(g), Nodes: make([]CollisionNode, len(g))}
			for i, r := range g {
				nodes[i], c.Nodes[i] = r.n, r.cn
			}
			c.MaxDistKm, c.WithCoords = maxPairDistance(nodes)
			c.Classification = classify(c.MaxDistKm, c.WithCoords)
			cs.Collisions = append(cs.Collisions, c)
		}
		sort.Slice(cs.Collisions, func(i, j int) bool {
			a, b := cs.Collisions[i], cs.Collisions[j]
			if classOrder[a.Classification] != classOrder[b.Classification] {
				return classOrder[a.Classification] < classOrder[b.Classification]
			}
			return a.Appearances > b.Appearances || (a.Appearances == b.Appearances && a.Prefix < b.Prefix)
		})
		switch size {
		case 1:
			cs.OneByteCells = make(map[string][]CollisionNode, 256)
			for b := 0; b < 256; b++ {
				k := fmt.Sprintf("%02X", b)
				cells := make([]CollisionNode, 0, len(groups[k]))
				for _, r := range groups[k] {
					cells = append(cells, r.cn)
				}
				cs.OneByteCells[k] = cells
			}
		case 2:
			cs.TwoByteCells = make(map[string]TwoByteCell, 256)
			for b := 0; b < 256; b++ {
				cs.TwoByteCells[fmt.Sprintf("%02X", b)] = TwoByteCell{TwoByteMap: map[string][]CollisionNode{}}
			}
			for p, g := range groups {
				cell := cs.TwoByteCells[p[:2]]
				list := make([]CollisionNode, len(g))
				for i, r := range g {
					list[i] = r.cn
				}
				cell.TwoByteMap[p] = list
				cell.GroupNodes += len(g)
				cell.MaxCollision = max(cell.MaxCollision, len(g))
				if len(g) > 1 {
					cell.CollisionCount++
				}
				cs.TwoByteCells[p[:2]] = cell
			}
		}
		out.BySize[strconv.Itoa(size)] = cs
	}
	return out
}

// maxPairDistance returns the largest distance (km, 2 dp) between two nodes
// with GPS, and how many have GPS.
func maxPairDistance(nodes []*store.Node) (float64, int) {
	var gps []*store.Node
	for _, n := range nodes {
		if HasGPS(n) {
			gps = append(gps, n)
		}
	}
	best := 0.0
	for i := range gps {
		for j := i + 1; j < len(gps); j++ {
			best = math.Max(best, haversineKm(gps[i].Lat.V, gps[i].Lon.V, gps[j].Lat.V, gps[j].Lon.V))
		}
	}
	return round(best, 2), len(gps)
}

func classify(km float64, withCoords int) string {
	switch {
	case withCoords < 2:
		return "incomplete"
	case km < 50:
		return "local"
	case km < 200:
		return "regional"
	default:
		return "distant"
	}
}

// haversineKm is the great-circle distance in km.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	la1, la2 := lat1*math.Pi/180, lat2*math.Pi/180
	dla, dlo := la2-la1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}
