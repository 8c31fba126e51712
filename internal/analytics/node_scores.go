package analytics

import (
	"time"

	"github.com/corescope/corescope/internal/store"
)

// NodeScoresInput is what ComputeNodeScores reads.
type NodeScoresInput struct {
	Txs     []*store.Transmission // all in memory, ascending id
	Adverts []*store.Transmission // payload type 4
	Edges   [][2]string           // neighbor graph edges (pubkey pairs)
	Now     time.Time
	Window  time.Duration // traffic-share window (healthThresholds.relayActiveHours)
}

// ComputeNodeScores returns, per node pubkey, the node-row scores (API.md
// §0.6):
//   - traffic share (= usefulness): of the non-advert transmissions first
//     seen in the window, the fraction whose resolved path includes the node
//     (0..1, 3 dp);
//   - bridge: the node's betweenness centrality in the neighbor graph,
//     normalised by (n-1)(n-2)/2 so a node on every shortest path scores 1;
//   - multi-byte capability: "confirmed" (evidence "advert") when an advert
//     of the node was sent with a path-hash size above 1 byte, "suspected"
//     ("path") when the node only appears as a multi-byte hop in others'
//     paths, "unknown" ("") when it was seen with 1-byte hashes only; the
//     max hash size is the largest size seen either way.
func ComputeNodeScores(in NodeScoresInput) map[string]store.NodeScores {
	out := map[string]store.NodeScores{}
	get := func(pk string) store.NodeScores { return out[pk] }

	nowMs, fromMs := in.Now.UnixMilli(), in.Now.Add(-in.Window).UnixMilli()
	relayed := map[string]int{}
	total := 0
	var seen []string
	for _, t := range in.Txs {
		inWindow := t.PayloadType != 4 && t.FirstSeen >= fromMs && t.FirstSeen <= nowMs
		if inWindow {
			total++
		}
		seen = seen[:0]
		for _, o := range t.Observations() {
			for _, pk := range o.Resolved {
				if pk == "" || hasStr(seen, pk) {
					continue
				}
				seen = append(seen, pk)
				if inWindow {
					relayed[pk]++
				}
				if hs := int(o.Path.HopSize); hs > 0 {
					sc := get(pk)
					sc.MultiByteMaxHashSize = max(sc.MultiByteMaxHashSize, hs)
					if hs > 1 && sc.MultiByteStatus != "confirmed" {
						sc.MultiByteStatus, sc.MultiByteEvidence = "suspected", "path"
					}
					out[pk] = sc
				}
			}
		}
	}
	for _, t := range in.Adverts {
		hs := advertHashSize(t.Raw)
		if t.FromPubkey == "" || hs == 0 {
			continue
		}
		sc := get(t.FromPubkey)
		sc.MultiByteMaxHashSize = max(sc.MultiByteMaxHashSize, hs)
		if hs > 1 {
			sc.MultiByteStatus, sc.MultiByteEvidence = "confirmed", "advert"
		}
		out[t.FromPubkey] = sc
	}
	for pk, sc := range out {
		if sc.MultiByteStatus == "" {
			sc.MultiByteStatus = "unknown"
			out[pk] = sc
		}
	}
	if total > 0 {
		for pk, n := range relayed {
			sc := get(pk)
			v := round(float64(n)/float64(total), 3)
			sc.TrafficShare = &v
			if sc.MultiByteStatus == "" {
				sc.MultiByteStatus = "unknown"
			}
			out[pk] = sc
		}
	}
	for pk, b := range Betweenness(in.Edges) {
		sc := get(pk)
		v := round(b, 3)
		sc.Bridge = &v
		out[pk] = sc
	}
	return out
}

// advertHashSize returns the path-hash size (1..3 bytes) the originator of a
// raw packet chose (PROTOCOL.md §1: the top two bits of the path-length byte),
// 0 when the bytes do not parse.
func advertHashSize(raw []byte) int {
	if len(raw) < 2 {
		return 0
	}
	off := 1
	if rt := raw[0] & 0x03; rt == 0 || rt == 3 {
		off += 4
	}
	if len(raw) <= off {
		return 0
	}
	size := int(raw[off]>>6) + 1
	if size > 3 {
		return 0
	}
	return size
}

func hasStr(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// Betweenness returns each node's betweenness centrality in the undirected,
// unweighted graph of edges (Brandes' algorithm), normalised to 0..1 by the
// number of node pairs that do not include the node.
func Betweenness(edges [][2]string) map[string]float64 {
	id := map[string]int{}
	var names []string
	var adj [][]int
	node := func(pk string) int {
		if i, ok := id[pk]; ok {
			return i
		}
		id[pk] = len(names)
		names = append(names, pk)
		adj = append(adj, nil)
		return len(names) - 1
	}
	for _, e := range edges {
		if e[0] == e[1] {
			continue
		}
		a, b := node(e[0]), node(e[1])
		if !hasInt(adj[a], b) {
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	n := len(names)
	bc := make([]float64, n)
	sigma := make([]float64, n)
	dist := make([]int, n)
	delta := make([]float64, n)
	preds := make([][]int, n)
	order := make([]int, 0, n)
	queue := make([]int, 0, n)
	for s := 0; s < n; s++ {
		for i := range dist {
			dist[i], sigma[i], delta[i], preds[i] = -1, 0, 0, preds[i][:0]
		}
		dist[s], sigma[s] = 0, 1
		order, queue = order[:0], append(queue[:0], s)
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			order = append(order, v)
			for _, w := range adj[v] {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					queue = append(queue, w)
				}
				if dist[w] == dist[v]+1 {
					sigma[w] += sigma[v]
					preds[w] = append(preds[w], v)
				}
			}
		}
		for i := len(order) - 1; i >= 0; i-- {
			w := order[i]
			for _, v := range preds[w] {
				delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
			}
			if w != s {
				bc[w] += delta[w]
			}
		}
	}
	out := make(map[string]float64, n)
	norm := float64((n - 1) * (n - 2)) // each unordered pair was counted twice
	for i, pk := range names {
		v := 0.0
		if norm > 0 {
			v = bc[i] / norm
		}
		out[pk] = v
	}
	return out
}

func hasInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}
