package store

import "sort"

// index holds the packet indexes. Readers copy the slice headers they need under
// Store.mu.RLock; the Run goroutine (the only writer) appends beyond every
// published length or builds a new backing array, so an element a reader can
// see is never written again.
type index struct {
	txs []*Transmission // ascending id: the byTxID index (binary search)
	// txMaxFS[i] ≥ max first_seen of txs[0..i] (non-decreasing, same length as
	// txs): everything before the first index with txMaxFS > since is older,
	// so a since-filter over all packets starts there (binary search).
	txMaxFS []int64
	obs     []*Observation // ascending id: the byObsID index (binary search)

	byHash        map[string]*Transmission
	byObserverObs map[int64][]*Observation   // observer idx → observations, ascending id
	byObserverTx  map[int64][]*Transmission  // observer idx → transmissions heard, ascending id
	byRegion      map[string][]*Transmission // observer IATA → transmissions heard there
	byNode        map[string][]*Transmission
	byFrom        map[string][]*Transmission // advert originator pubkey → its adverts
	byType        map[int8][]*Transmission
	byChannel     map[string][]*Transmission
	relays        map[string]*relayStat // node pubkey → relay activity (never evicted: time-windowed)

	// observation counts per minute (global and per observer) for the last-hour
	// and last-24h figures, kept incrementally.
	minutes           *minuteRing
	observerMinutes   map[int64]*minuteRing
	oldestFirstSeenMs int64
}

func newIndex() index {
	return index{
		byHash:          make(map[string]*Transmission),
		byObserverObs:   make(map[int64][]*Observation),
		byObserverTx:    make(map[int64][]*Transmission),
		byRegion:        make(map[string][]*Transmission),
		byNode:          make(map[string][]*Transmission),
		byFrom:          make(map[string][]*Transmission),
		byType:          make(map[int8][]*Transmission),
		byChannel:       make(map[string][]*Transmission),
		relays:          make(map[string]*relayStat),
		minutes:         &minuteRing{},
		observerMinutes: make(map[int64]*minuteRing),
	}
}

// findTx returns the transmission with id, by binary search over ascending ids.
func findTx(txs []*Transmission, id int64) *Transmission {
	i := sort.Search(len(txs), func(i int) bool { return txs[i].ID >= id })
	if i < len(txs) && txs[i].ID == id {
		return txs[i]
	}
	return nil
}

func findObs(obs []*Observation, id int64) *Observation {
	i := sort.Search(len(obs), func(i int) bool { return obs[i].ID >= id })
	if i < len(obs) && obs[i].ID == id {
		return obs[i]
	}
	return nil
}

// byID is what the sorted index lists hold: transmissions and observations,
// ordered by their database id.
type byID interface {
	*Transmission | *Observation
	rowID() int64
}

func (t *Transmission) rowID() int64 { return t.ID }
func (o *Observation) rowID() int64  { return o.ID }

// insertSorted adds v to an ascending list, keeping it sorted and free of
// duplicates. The common case (v newest) appends; otherwise a new array is
// built so that readers holding the old header never see a shifted element.
func insertSorted[T byID](list []T, v T) []T {
	n, id := len(list), v.rowID()
	if n == 0 || list[n-1].rowID() < id {
		return append(list, v)
	}
	i := sort.Search(n, func(i int) bool { return list[i].rowID() >= id })
	if i < n && list[i].rowID() == id {
		return list
	}
	out := make([]T, 0, n+1+n/8)
	out = append(out, list[:i]...)
	out = append(out, v)
	return append(out, list[i:]...)
}

// mergeSorted merges two ascending lists into a new array (duplicates
// dropped).
func mergeSorted[T byID](a, b []T) []T {
	if len(a) == 0 {
		return append([]T(nil), b...)
	}
	if len(b) == 0 {
		return append([]T(nil), a...)
	}
	out := make([]T, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ai, bj := a[i].rowID(), b[j].rowID()
		switch {
		case ai < bj:
			out = append(out, a[i])
			i++
		case ai > bj:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// minuteRing counts observations per minute over the last 24 h. Guarded by
// Store.mu like the rest of the index.
type minuteRing struct {
	minute [1440]int64 // which minute (unix/60) the slot currently holds
	count  [1440]int64
}

func (r *minuteRing) add(ms int64) {
	m := ms / 60000
	slot := int(m % 1440)
	if slot < 0 {
		return
	}
	if r.minute[slot] != m {
		if r.minute[slot] > m {
			return // older than what the slot holds: outside the 24 h window
		}
		r.minute[slot] = m
		r.count[slot] = 0
	}
	r.count[slot]++
}

// countMinute adds o to the global and its observer's per-minute counters.
// Caller holds Store.mu for writing.
func (ix *index) countMinute(o *Observation) {
	ix.minutes.add(o.Timestamp)
	r := ix.observerMinutes[o.ObserverIdx]
	if r == nil {
		r = &minuteRing{}
		ix.observerMinutes[o.ObserverIdx] = r
	}
	r.add(o.Timestamp)
}

// sum returns the count of observations in (now-window, now].
func (r *minuteRing) sum(nowMs int64, minutes int) int64 {
	cur := nowMs / 60000
	var total int64
	for i := 0; i < 1440; i++ {
		m := r.minute[i]
		if m > cur-int64(minutes) && m <= cur {
			total += r.count[i]
		}
	}
	return total
}

// prefixMaxFS computes txMaxFS for txs.
func prefixMaxFS(txs []*Transmission) []int64 {
	out := make([]int64, len(txs), cap(txs))
	var m int64
	for i, t := range txs {
		m = max(m, t.FirstSeen)
		out[i] = m
	}
	return out
}

// appendMaxFS extends txMaxFS for newly appended transmissions.
func appendMaxFS(pm []int64, added []*Transmission) []int64 {
	var m int64
	if len(pm) > 0 {
		m = pm[len(pm)-1]
	}
	for _, t := range added {
		m = max(m, t.FirstSeen)
		pm = append(pm, m)
	}
	return pm
}

// sinceStart returns the first index of txs that can have first_seen > since.
func sinceStart(pm []int64, since int64) int {
	return sort.Search(len(pm), func(i int) bool { return pm[i] > since })
}
