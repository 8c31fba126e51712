package store

import (
	"sort"
	"sync/atomic"
	"time"
)

type memCounters struct {
	tracked atomic.Int64 // self-accounted bytes of transmissions + observations
	evicted atomic.Int64 // transmissions evicted so far
}

// MemoryStats is the store's honest memory report for /api/health and /api/perf.
// TrackedMB is the store's own accounting (approximate struct and index sizes
// plus the bytes of every raw packet, decoded JSON, path and resolved path); it
// drives the budget. The Go heap and RSS are measured separately by the caller.
type MemoryStats struct {
	Transmissions     int     `json:"packets"`
	Observations      int     `json:"observations"`
	TrackedMB         float64 `json:"trackedMB"`
	MaxMB             int     `json:"maxMB"` // 0 = unlimited
	AvgBytesPerPacket int64   `json:"avgBytesPerPacket"`
	Evicted           int64   `json:"evicted"`
	OldestFirstSeen   string  `json:"oldestFirstSeen,omitempty"`
	Indexes           struct {
		ByHash     int `json:"byHash"`
		ByObserver int `json:"byObserver"`
		ByNode     int `json:"byNode"`
		ByType     int `json:"byType"`
		ByChannel  int `json:"byChannel"`
	} `json:"indexes"`
	AccountingNote string `json:"accountingNote"`

	budgetBytes, trackedBytes int64
}

// Memory returns the store's memory accounting.
func (s *Store) Memory() MemoryStats {
	s.mu.RLock()
	ix := &s.idx
	m := MemoryStats{Transmissions: len(ix.txs), Observations: len(ix.obs)}
	m.Indexes.ByHash = len(ix.byHash)
	m.Indexes.ByObserver = len(ix.byObserverObs)
	m.Indexes.ByNode = len(ix.byNode)
	m.Indexes.ByType = len(ix.byType)
	m.Indexes.ByChannel = len(ix.byChannel)
	var oldest int64
	if len(ix.txs) > 0 {
		oldest = ix.txs[0].FirstSeen
	}
	s.mu.RUnlock()
	tracked := s.mem.tracked.Load()
	m.TrackedMB = float64(tracked*10/(1<<20)) / 10
	m.MaxMB = s.cfg.MaxMemoryMB
	m.budgetBytes = s.budgetBytes()
	m.trackedBytes = tracked
	if m.Transmissions > 0 {
		m.AvgBytesPerPacket = tracked / int64(m.Transmissions)
	}
	m.Evicted = s.mem.evicted.Load()
	m.OldestFirstSeen = FormatTime(oldest)
	m.AccountingNote = "self-accounted: per transmission 320 B + raw + decoded JSON; per observation 160 B + path + own raw + 16 B per resolved hop"
	return m
}

func (s *Store) budgetBytes() int64 {
	if s.cfg.maxBytes > 0 {
		return s.cfg.maxBytes
	}
	return int64(s.cfg.MaxMemoryMB) << 20
}

func (s *Store) retentionCutoff(now time.Time) int64 {
	if s.cfg.RetentionHours <= 0 {
		return 0
	}
	return now.Add(-time.Duration(s.cfg.RetentionHours * float64(time.Hour))).UnixMilli()
}

// evict drops the oldest transmissions (by id, i.e. ingest order) that are
// outside the retention window, then, while tracked bytes exceed the budget,
// more of the oldest until under 85 % of it (at most a quarter per run).
func (s *Store) evict(now time.Time) {
	ix := &s.idx // read without the lock: only this goroutine writes
	n := len(ix.txs)
	if n == 0 {
		return
	}
	k := 0
	if cutoff := s.retentionCutoff(now); cutoff > 0 {
		for k < n && ix.txs[k].FirstSeen < cutoff {
			k++
		}
	}
	// While loading, the load itself stops at the budget; evicting here would
	// only throw away the chunk just loaded and let the load read older ones.
	loading := s.prog.phase.Load() == PhaseLoading
	if budget := s.budgetBytes(); budget > 0 && !loading && s.mem.tracked.Load() > budget {
		target := s.mem.tracked.Load() - budget*85/100
		var freed int64
		kb := 0
		for i := 0; i < n && freed < target; i++ {
			freed += int64(ix.txs[i].bytes)
			for _, o := range ix.txs[i].Observations() {
				freed += obsBytes(o)
			}
			kb = i + 1
		}
		k = max(k, min(kb, max(n/4, 1)))
	}
	if k == 0 {
		return
	}
	s.evictOldest(k)
}

// evictOldest removes the k oldest transmissions and their observations from
// every index.
func (s *Store) evictOldest(k int) {
	ix := &s.idx
	gone := ix.txs[:k]
	cut := int64(1) << 62
	if k < len(ix.txs) {
		cut = ix.txs[k].ID
	}
	var freed int64
	for _, t := range gone {
		freed += int64(t.bytes)
		for _, o := range t.Observations() {
			freed += obsBytes(o)
		}
	}
	trimTx := func(l []*Transmission) []*Transmission {
		i := sort.Search(len(l), func(i int) bool { return l[i].ID >= cut })
		rest := l[i:]
		if i > len(rest) { // release the evicted prefix's array
			rest = append([]*Transmission(nil), rest...)
		}
		return rest
	}
	keepObs := func(l []*Observation) []*Observation {
		out := make([]*Observation, 0, len(l))
		for _, o := range l {
			if o.Tx.ID >= cut {
				out = append(out, o)
			}
		}
		return out
	}
	txs := trimTx(ix.txs)
	txMaxFS := ix.txMaxFS[len(ix.txMaxFS)-len(txs):]
	if cap(txMaxFS) > 2*len(txMaxFS) {
		txMaxFS = append([]int64(nil), txMaxFS...)
	}
	obs := keepObs(ix.obs)
	byObserverObs := make(map[int64][]*Observation, len(ix.byObserverObs))
	for key, l := range ix.byObserverObs {
		if kept := keepObs(l); len(kept) > 0 {
			byObserverObs[key] = kept
		}
	}
	trimMap := func(m map[string][]*Transmission) map[string][]*Transmission {
		out := make(map[string][]*Transmission, len(m))
		for key, l := range m {
			if r := trimTx(l); len(r) > 0 {
				out[key] = r
			}
		}
		return out
	}
	byNode, byChannel := trimMap(ix.byNode), trimMap(ix.byChannel)
	byRegion, byFrom := trimMap(ix.byRegion), trimMap(ix.byFrom)
	byType := make(map[int8][]*Transmission, len(ix.byType))
	for key, l := range ix.byType {
		if r := trimTx(l); len(r) > 0 {
			byType[key] = r
		}
	}
	byObserverTx := make(map[int64][]*Transmission, len(ix.byObserverTx))
	for key, l := range ix.byObserverTx {
		if r := trimTx(l); len(r) > 0 {
			byObserverTx[key] = r
		}
	}
	s.mu.Lock()
	ix.txs, ix.txMaxFS, ix.obs = txs, txMaxFS, obs
	ix.byObserverObs, ix.byObserverTx = byObserverObs, byObserverTx
	ix.byNode, ix.byChannel, ix.byType = byNode, byChannel, byType
	ix.byRegion, ix.byFrom = byRegion, byFrom
	for _, t := range gone {
		if ix.byHash[t.Hash] == t {
			delete(ix.byHash, t.Hash)
		}
	}
	s.mu.Unlock()
	s.mem.tracked.Add(-freed)
	s.mem.evicted.Add(int64(k))
	s.gen.Add(1)
	s.log.Info("store evicted oldest", "transmissions", k, "freed_mb", freed>>20,
		"tracked_mb", s.mem.tracked.Load()>>20)
}
