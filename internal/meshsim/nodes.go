package meshsim

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Role is a node's advert type, named as CoreScope labels it.
type Role string

// Node roles (ADVERT flags low nibble 1..4).
const (
	RoleCompanion Role = "companion"
	RoleRepeater  Role = "repeater"
	RoleRoom      Role = "room"
	RoleSensor    Role = "sensor"
)

// advertType is the role's ADVERT flags low nibble.
func (r Role) advertType() byte {
	switch r {
	case RoleCompanion:
		return 1
	case RoleRepeater:
		return 2
	case RoleRoom:
		return 3
	case RoleSensor:
		return 4
	}
	return 0
}

// Node is one simulated radio. Lat/Lon are exactly what the decoder reads
// back from the node's adverts (micro-degree resolution).
type Node struct {
	Index       int
	Name        string
	Role        Role
	Lat, Lon    float64
	HasLocation bool   // adverts carry the location (most nodes; some companions hide it)
	PubKey      string // 64 lower-case hex digits
	IATA        string // region the node is in
	// HashSize is the path hash size (1..3 bytes) this node uses for the
	// floods it originates.
	HashSize int

	pub    ed25519.PublicKey
	priv   ed25519.PrivateKey
	region int
	// neighbours are the nodes within radio range (both directions);
	// repeaters is the subset that forwards.
	neighbours []int32
	repeaters  []int32
	clockSkew  int64 // seconds the node's clock is off (adverts carry it)
}

// Observer is an observer radio and its bridge: a repeater that publishes
// what it hears under meshcore/<IATA>/<ID>/.
type Observer struct {
	ID            string // upper-case hex public key (topic segment 2, observers.id)
	Name          string // `origin` in the messages
	IATA          string
	Node          int // index into Sim.Nodes()
	Model         string
	Firmware      string
	ClientVersion string
	Radio         string

	bootUnix   int64   // for uptime_secs
	solar      bool    // battery follows the sun
	noiseFloor float64 // dBm, drifts
	txAir      float64
	rxAir      float64
	recvErrors int
	sent, recv int
}

var observerModels = []string{"Heltec V3", "RAK4631", "Seeed Xiao S3 WIO", "LilyGo T-Beam", "Station G2", "Heltec T114"}
var observerFirmware = []string{"1.12.0", "1.11.0", "1.13.0", "v1.12.0-9a3f1c2"}
var observerClients = []string{
	"meshcoretomqtt/1.0.8.0-e52c5ed", "meshcoretomqtt/1.1.0.0-31aad7d",
	"meshcore-packet-capture/1.2.1-1bd909c", "pyMC_repeater/1.0.6.dev140+gdd7f3b21f",
}

const earthRadiusKm = 6371.0

func distanceKm(aLat, aLon, bLat, bLon float64) float64 {
	la1, la2 := aLat*math.Pi/180, bLat*math.Pi/180
	dLat := la2 - la1
	dLon := (bLon - aLon) * math.Pi / 180
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// microDeg rounds to the advert's int32 micro-degree encoding and back, so
// Node coordinates equal what a decoder reports.
func microDeg(v float64) (int32, float64) {
	i := int32(math.Round(v * 1e6))
	return i, float64(i) / 1e6
}

func pickRole(r *rand.Rand) Role {
	x := r.Float64()
	switch {
	case x < 0.30:
		return RoleRepeater
	case x < 0.36:
		return RoleRoom
	case x < 0.43:
		return RoleSensor
	default:
		return RoleCompanion
	}
}

// buildNodes creates the population: identities, roles, names, positions.
func buildNodes(r *rand.Rand, o Options) []*Node {
	total := 0.0
	for _, rg := range o.Regions {
		total += rg.Share
	}
	nodes := make([]*Node, 0, o.Nodes)
	names := make(map[string]int, o.Nodes)
	for i := 0; i < o.Nodes; i++ {
		// Regions get nodes in proportion to their share, interleaved so a
		// small Nodes count still covers every region.
		reg := regionFor(i, o.Regions, total)
		rg := o.Regions[reg]
		role := pickRole(r)
		var seed [ed25519.SeedSize]byte
		for j := range seed {
			seed[j] = byte(r.Uint32())
		}
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)

		d := rg.RadiusKm * math.Sqrt(r.Float64())
		theta := r.Float64() * 2 * math.Pi
		lat := rg.Lat + d*math.Cos(theta)/111.32
		lon := rg.Lon + d*math.Sin(theta)/(111.32*math.Cos(rg.Lat*math.Pi/180))
		_, lat = microDeg(lat)
		_, lon = microDeg(lon)

		name := truncUTF8(nodeName(r, role, rg.Places), 24)
		if n := names[name]; n > 0 {
			names[name] = n + 1
			name = truncUTF8(fmt.Sprintf("%s %d", name, n+1), 28)
		} else {
			names[name] = 1
		}
		hs := 1
		switch x := r.Float64(); {
		case x < 0.12:
			hs = 3
		case x < 0.40:
			hs = 2
		}
		skew := int64(0)
		if r.Float64() < 0.05 {
			skew = int64(r.IntN(600)) - 300
		}
		nodes = append(nodes, &Node{
			Index:       i,
			Name:        name,
			Role:        role,
			Lat:         lat,
			Lon:         lon,
			HasLocation: role != RoleCompanion || r.Float64() < 0.6,
			PubKey:      hex.EncodeToString(pub),
			IATA:        rg.IATA,
			HashSize:    hs,
			pub:         pub,
			priv:        priv,
			region:      reg,
			clockSkew:   skew,
		})
	}
	return nodes
}

func regionFor(i int, regions []Region, total float64) int {
	// A golden-ratio sequence spreads node i over the cumulative shares: the
	// proportions hold for any n, and regions interleave in index order
	// instead of forming one contiguous block.
	q := math.Mod(float64(i)*0.6180339887498949+0.5, 1) * total
	acc := 0.0
	for k, rg := range regions {
		acc += rg.Share
		if q < acc {
			return k
		}
	}
	return len(regions) - 1
}

// link wires nodes within range, then every node to its nearest repeater in
// the same region (so nobody is isolated) and every repeater to its two
// nearest repeaters (so the backbone is mostly connected).
func link(nodes []*Node, rangeKm float64) {
	n := len(nodes)
	adj := make([]map[int32]struct{}, n)
	for i := range adj {
		adj[i] = map[int32]struct{}{}
	}
	add := func(a, b int) {
		if a == b {
			return
		}
		adj[a][int32(b)] = struct{}{}
		adj[b][int32(a)] = struct{}{}
	}
	type cand struct {
		j int
		d float64
	}
	for i := 0; i < n; i++ {
		a := nodes[i]
		var near [3]cand
		for k := range near {
			near[k] = cand{-1, math.Inf(1)}
		}
		for j := 0; j < n; j++ {
			b := nodes[j]
			if i == j || a.region != b.region {
				continue
			}
			d := distanceKm(a.Lat, a.Lon, b.Lat, b.Lon)
			if d <= rangeKm && j > i {
				add(i, j)
			}
			if b.Role == RoleRepeater {
				for k := range near {
					if d < near[k].d {
						copy(near[k+1:], near[k:len(near)-1])
						near[k] = cand{j, d}
						break
					}
				}
			}
		}
		want := 1
		if a.Role == RoleRepeater {
			want = 2
		}
		for k := 0; k < want; k++ {
			if near[k].j >= 0 {
				add(i, near[k].j)
			}
		}
	}
	for i, nd := range nodes {
		nd.neighbours = nd.neighbours[:0]
		nd.repeaters = nd.repeaters[:0]
		for j := range adj[i] {
			nd.neighbours = append(nd.neighbours, j)
		}
		slices.Sort(nd.neighbours) // map order is random; determinism needs a fixed order
		for _, j := range nd.neighbours {
			if nodes[j].Role == RoleRepeater {
				nd.repeaters = append(nd.repeaters, j)
			}
		}
	}
}

// pickObservers chooses repeaters spread out over each region (farthest
// point sampling), in proportion to the region shares.
func pickObservers(r *rand.Rand, nodes []*Node, o Options) []*Observer {
	total := 0.0
	for _, rg := range o.Regions {
		total += rg.Share
	}
	counts := make([]int, len(o.Regions))
	left := o.Observers
	for k, rg := range o.Regions {
		c := int(math.Round(float64(o.Observers) * rg.Share / total))
		if c < 1 && left > 0 {
			c = 1
		}
		if c > left {
			c = left
		}
		counts[k] = c
		left -= c
	}
	for k := 0; left > 0; k = (k + 1) % len(counts) {
		counts[k]++
		left--
	}
	taken := make([]bool, len(nodes))
	usedNames := map[string]bool{}
	var out []*Observer
	for reg, want := range counts {
		var pool []int
		for _, nd := range nodes {
			if nd.region == reg && nd.Role == RoleRepeater {
				pool = append(pool, nd.Index)
			}
		}
		if len(pool) < want { // few repeaters: any node in the region will do
			for _, nd := range nodes {
				if nd.region == reg && nd.Role != RoleRepeater {
					pool = append(pool, nd.Index)
				}
			}
		}
		if len(pool) < want { // region too small: borrow from anywhere
			for _, nd := range nodes {
				if nd.region != reg {
					pool = append(pool, nd.Index)
				}
			}
		}
		var chosen []int
		for len(chosen) < want && len(chosen) < len(pool) {
			best, bestD := -1, -1.0
			if len(chosen) == 0 {
				best = pool[r.IntN(len(pool))]
			} else {
				for _, c := range pool {
					if taken[c] {
						continue
					}
					md := math.Inf(1)
					for _, s := range chosen {
						md = math.Min(md, distanceKm(nodes[c].Lat, nodes[c].Lon, nodes[s].Lat, nodes[s].Lon))
					}
					if md > bestD {
						best, bestD = c, md
					}
				}
			}
			if best < 0 || taken[best] {
				break
			}
			taken[best] = true
			chosen = append(chosen, best)
		}
		for _, idx := range chosen {
			nd := nodes[idx]
			name := truncUTF8(observerName(r, o.Regions[reg].IATA, nd.Name), 40)
			for k := 2; usedNames[name]; k++ {
				name = fmt.Sprintf("%s-%d", truncUTF8(observerName(r, o.Regions[reg].IATA, nd.Name), 36), k)
			}
			usedNames[name] = true
			ob := &Observer{
				ID:            strings.ToUpper(nd.PubKey),
				Name:          name,
				IATA:          o.Regions[reg].IATA,
				Node:          idx,
				Model:         observerModels[r.IntN(len(observerModels))],
				Firmware:      observerFirmware[r.IntN(len(observerFirmware))],
				ClientVersion: observerClients[r.IntN(len(observerClients))],
				Radio:         "910.5250244,62.5,7,5",
				bootUnix:      o.End.Add(-o.Duration).Unix() - int64(r.IntN(30*86400)),
				solar:         r.Float64() < 0.5,
				noiseFloor:    -112 + r.Float64()*8,
			}
			out = append(out, ob)
		}
	}
	return out
}
