package meshsim

import "math/rand/v2"

// maxFloodHops caps how far a flood spreads (real meshes rarely see more).
const maxFloodHops = 8

// topology caches, per source node, the breadth-first hop distance of every
// repeater from that source (1 = a direct neighbour of the source forwarded
// it). -1 means unreachable within maxFloodHops.
type topology struct {
	nodes []*Node
	trees [][]int8
}

func newTopology(nodes []*Node) *topology {
	return &topology{nodes: nodes, trees: make([][]int8, len(nodes))}
}

func (t *topology) tree(src int) []int8 {
	if d := t.trees[src]; d != nil {
		return d
	}
	d := make([]int8, len(t.nodes))
	for i := range d {
		d[i] = -1
	}
	queue := make([]int32, 0, 64)
	for _, r := range t.nodes[src].repeaters {
		d[r] = 1
		queue = append(queue, r)
	}
	d[src] = 0
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		if d[r] >= maxFloodHops {
			continue
		}
		for _, nb := range t.nodes[r].repeaters {
			if d[nb] == -1 {
				d[nb] = d[r] + 1
				queue = append(queue, nb)
			}
		}
	}
	t.trees[src] = d
	return d
}

// chain returns the repeaters a flood copy passed through to reach repeater
// `last` (oldest first, last included), choosing randomly among equally short
// predecessors so paths vary between transmissions.
func (t *topology) chain(r *rand.Rand, src int, last int32) []int32 {
	d := t.tree(src)
	h := int(d[last])
	if h <= 0 {
		return nil
	}
	out := make([]int32, h)
	cur := last
	for k := h - 1; k >= 0; k-- {
		out[k] = cur
		if k == 0 {
			break
		}
		var preds [16]int32
		n := 0
		for _, nb := range t.nodes[cur].repeaters {
			if int(d[nb]) == k && n < len(preds) {
				preds[n] = nb
				n++
			}
		}
		if n == 0 { // cannot happen for a BFS tree; keep the walk safe anyway
			return out[k:]
		}
		cur = preds[r.IntN(n)]
	}
	return out
}

// route returns a shortest repeater route from src to dst for a direct
// packet; empty when they are radio neighbours. ok is false when dst is not
// reachable.
func (t *topology) route(r *rand.Rand, src, dst int) ([]int32, bool) {
	for _, nb := range t.nodes[src].neighbours {
		if int(nb) == dst {
			return nil, true
		}
	}
	d := t.tree(src)
	best, bestD := int32(-1), int8(127)
	for _, rep := range t.nodes[dst].repeaters {
		if int(rep) == src {
			return nil, true
		}
		if d[rep] > 0 && d[rep] < bestD {
			best, bestD = rep, d[rep]
		}
	}
	if best < 0 {
		return nil, false
	}
	return t.chain(r, src, best), true
}
