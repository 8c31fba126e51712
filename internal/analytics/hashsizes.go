package analytics

import (
	"sort"

	"github.com/corescope/corescope/internal/store"
)

// HashSizes is GET /api/analytics/hash-sizes.
type HashSizes struct {
	Total                   int              `json:"total"`
	Distribution            SizeCounts       `json:"distribution"`
	DistributionByRepeaters SizeCounts       `json:"distributionByRepeaters"`
	Hourly                  []HourSizes      `json:"hourly"`
	TopHops                 []SizedHop       `json:"topHops"`
	MultiByteNodes          []MultiByteNode  `json:"multiByteNodes"`
	AttributionMethod       string           `json:"attributionMethod"`
	MultiByteCapability     []CapabilityNode `json:"multiByteCapability"`
}

// SizeCounts counts per hash size ("1", "2", "3").
type SizeCounts struct {
	One   int `json:"1"`
	Two   int `json:"2"`
	Three int `json:"3"`
}

func (c *SizeCounts) add(size int) {
	switch size {
	case 1:
		c.One++
	case 2:
		c.Two++
	case 3:
		c.Three++
	}
}

// HourSizes is one hour's transmissions per hash size.
type HourSizes struct {
	Hour string `json:"hour"`
	SizeCounts
}

// SizedHop is a path hop with its byte size and appearances.
type SizedHop struct {
	Hex    string  `json:"hex"`
	Size   int     `json:"size"`
	Count  int     `json:"count"`
	Name   *string `json:"name"`
	Pubkey *string `json:"pubkey"`
}

// MultiByteNode is a node whose adverts use a multi-byte path hash.
type MultiByteNode struct {
	Name     string `json:"name"`
	HashSize int    `json:"hashSize"`
	Packets  int    `json:"packets"`
	LastSeen string `json:"lastSeen"`
	Pubkey   string `json:"pubkey"`
	Role     string `json:"role"`
}

// CapabilityNode is a repeater/room's multi-byte hash capability.
type CapabilityNode struct {
	Pubkey      string `json:"pubkey"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	Status      string `json:"status"`   // confirmed | suspected | unknown
	Evidence    string `json:"evidence"` // advert | path | ""
	MaxHashSize int    `json:"maxHashSize"`
	LastSeen    string `json:"lastSeen"`
}

// pathHeader returns the hop size (1..3) and hop count of a raw packet from
// its path-length byte (PROTOCOL.md §1); ok is false when it does not parse.
func pathHeader(raw []byte) (size, count int, ok bool) {
	off := 1
	if len(raw) < 2 {
		return 0, 0, false
	}
	if rt := raw[0] & 0x03; rt == 0 || rt == 3 {
		off += 4
	}
	if len(raw) <= off {
		return 0, 0, false
	}
	size, count = int(raw[off]>>6)+1, int(raw[off]&0x3F)
	return size, count, size <= 3
}

const payloadTrace = 9

// advertSizes is one node's hash sizes from its own adverts.
type advertSizes struct {
	latest  int // size of the newest advert with hops
	maxSize int
	sizes   []int // distinct, ascending
	adverts int   // adverts with a size
	last    int64 // newest advert first_seen
}

// nodeAdvertSizes returns, per advert originator, the path-hash sizes its
// adverts were heard with (best observation's hop size, as the node list's
// hash_size).
func nodeAdvertSizes(v *View) map[string]*advertSizes {
	out := map[string]*advertSizes{}
	adverts := v.ByType(4)
	for i := len(adverts) - 1; i >= 0; i-- {
		t := adverts[i]
		b := t.Best()
		if t.FromPubkey == "" || b == nil || b.Path.HopSize == 0 {
			continue
		}
		sz := int(b.Path.HopSize)
		a := out[t.FromPubkey]
		if a == nil {
			a = &advertSizes{latest: sz, last: t.FirstSeen}
			out[t.FromPubkey] = a
		}
		a.adverts++
		a.maxSize = max(a.maxSize, sz)
		if !containsInt(a.sizes, sz) {
			a.sizes = append(a.sizes, sz)
			sort.Ints(a.sizes)
		}
	}
	return out
}

func containsInt(l []int, x int) bool {
	for _, v := range l {
		if v == x {
			return true
		}
	}
	return false
}

func isRelay(role string) bool { return role == "repeater" || role == "room" }

// ComputeHashSizes counts the path-hash size of every transmission in scope
// with at least one hop (TRACE excluded: its path carries SNRs), from the
// path-length byte of its raw bytes; top hops come from each transmission's
// longest kept path.
func ComputeHashSizes(v *View, f Filter) HashSizes {
	out := HashSizes{AttributionMethod: "observer"}
	hourly := map[int64]*SizeCounts{}
	names := hopNames{}
	type hopKey struct {
		hex  string
		size int
	}
	hops := map[hopKey]int{}
	multiHops := map[string]int{} // resolved pubkey → largest multi-byte hop size it appeared with
	v.each(f, TimeWindow{}, func(t *store.Transmission, obs []*store.Observation) {
		if t.PayloadType == payloadTrace {
			return
		}
		size, count, ok := pathHeader(t.Raw)
		if !ok || count == 0 {
			return
		}
		out.Total++
		out.Distribution.add(size)
		h := hourOf(t.FirstSeen)
		hc := hourly[h]
		if hc == nil {
			hc = &SizeCounts{}
			hourly[h] = hc
		}
		hc.add(size)
		best := obs[0]
		for _, o := range obs {
			if o.Path.Len() > best.Path.Len() {
				best = o
			}
		}
		if best.Path.HopSize == 0 {
			return
		}
		for i := 0; i < best.Path.Len(); i++ {
			hex, n := v.hop(best, i)
			names.see(hex, n)
			hops[hopKey{hex, int(best.Path.HopSize)}]++
			if best.Path.HopSize > 1 && n != nil {
				multiHops[n.PublicKey] = max(multiHops[n.PublicKey], int(best.Path.HopSize))
			}
		}
	})
	out.Hourly = make([]HourSizes, 0, len(hourly))
	for h, c := range hourly {
		out.Hourly = append(out.Hourly, HourSizes{Hour: hourKey(h), SizeCounts: *c})
	}
	sort.Slice(out.Hourly, func(i, j int) bool { return out.Hourly[i].Hour < out.Hourly[j].Hour })
	out.TopHops = make([]SizedHop, 0, 50)
	for k, c := range hops {
		sh := SizedHop{Hex: k.hex, Size: k.size, Count: c}
		sh.Name, sh.Pubkey = names.ref(k.hex)
		out.TopHops = append(out.TopHops, sh)
	}
	sort.Slice(out.TopHops, func(i, j int) bool {
		a, b := out.TopHops[i], out.TopHops[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Hex < b.Hex)
	})
	out.TopHops = out.TopHops[:min(50, len(out.TopHops))]
	nodeSizes(v, f, &out, multiHops)
	return out
}

// nodeSizes fills the per-node parts: repeaters per size, multi-byte
// adopters and every repeater's capability. With an area, only nodes in it.
func nodeSizes(v *View, f Filter, out *HashSizes, multiHops map[string]int) {
	sizes := nodeAdvertSizes(v)
	area := v.AreaNodes(f)
	out.MultiByteNodes = []MultiByteNode{}
	out.MultiByteCapability = []CapabilityNode{}
	for _, n := range v.Nodes() {
		if area != nil && !area[n.PublicKey] {
			continue
		}
		a := sizes[n.PublicKey]
		if a != nil && isRelay(n.Role) {
			out.DistributionByRepeaters.add(a.latest)
		}
		if a != nil && a.latest > 1 {
			out.MultiByteNodes = append(out.MultiByteNodes, MultiByteNode{Name: n.Name, HashSize: a.latest,
				Packets: a.adverts, LastSeen: store.FormatTime(a.last), Pubkey: n.PublicKey, Role: n.Role})
		}
		if !isRelay(n.Role) {
			continue
		}
		c := CapabilityNode{Pubkey: n.PublicKey, Name: n.Name, Role: n.Role, Status: "unknown", LastSeen: store.FormatTime(n.LastSeen)}
		switch {
		case a != nil && a.maxSize > 1:
			c.Status, c.Evidence, c.MaxHashSize = "confirmed", "advert", a.maxSize
		case multiHops[n.PublicKey] > 0:
			c.Status, c.Evidence, c.MaxHashSize = "suspected", "path", multiHops[n.PublicKey]
		case a != nil:
			c.MaxHashSize = a.maxSize
		}
		out.MultiByteCapability = append(out.MultiByteCapability, c)
	}
	sort.Slice(out.MultiByteNodes, func(i, j int) bool {
		a, b := out.MultiByteNodes[i], out.MultiByteNodes[j]
		return a.Packets > b.Packets || (a.Packets == b.Packets && a.Pubkey < b.Pubkey)
	})
	rank := map[string]int{"confirmed": 0, "suspected": 1, "unknown": 2}
	sort.SliceStable(out.MultiByteCapability, func(i, j int) bool {
		return rank[out.MultiByteCapability[i].Status] < rank[out.MultiByteCapability[j].Status]
	})
}
