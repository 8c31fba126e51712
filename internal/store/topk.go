package store

import (
	"container/heap"
	"sort"
)

// ranked is a transmission with the time it is ranked by (newest first; ties
// by higher id).
type ranked struct {
	t  *Transmission
	ms int64
}

func rankedBefore(a, b ranked) bool {
	if a.ms != b.ms {
		return a.ms > b.ms
	}
	return a.t.ID > b.t.ID
}

// rankHeap is a min-heap on rank order: its root is the worst kept item.
type rankHeap []ranked

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return rankedBefore(h[j], h[i]) }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(ranked)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// topRanked keeps the k best items pushed (O(n log k)) so a page of a list
// ordered by latest activity does not sort every match.
type topRanked struct {
	k int
	h rankHeap
}

func (tr *topRanked) push(r ranked) {
	if tr.k <= 0 {
		return
	}
	if len(tr.h) < tr.k {
		heap.Push(&tr.h, r)
		return
	}
	if rankedBefore(r, tr.h[0]) {
		tr.h[0] = r
		heap.Fix(&tr.h, 0)
	}
}

// sorted returns the kept items, best first.
func (tr *topRanked) sorted() []ranked {
	out := append([]ranked(nil), tr.h...)
	sort.Slice(out, func(i, j int) bool { return rankedBefore(out[i], out[j]) })
	return out
}
