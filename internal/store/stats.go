package store

import "time"

// Stats is the store part of GET /api/stats (the caller adds engine, version,
// memory figures). Every figure is read from counters kept by the sync, not
// recomputed over the packets.
type Stats struct {
	TotalPackets       int        `json:"totalPackets"`
	TotalTransmissions int        `json:"totalTransmissions"`
	TotalObservations  int        `json:"totalObservations"`
	TotalNodes         int        `json:"totalNodes"` // last_seen within 7 days
	TotalNodesAllTime  int        `json:"totalNodesAllTime"`
	TotalObservers     int        `json:"totalObservers"`
	PacketsLastHour    int64      `json:"packetsLastHour"` // observations by timestamp
	PacketsLast24h     int64      `json:"packetsLast24h"`
	Counts             StatCounts `json:"counts"` // 7-day active per role
	Backfilling        bool       `json:"backfilling"`
	BackfillProgress   float64    `json:"backfillProgress"`
	StoreDataMB        float64    `json:"storeDataMB"`
}

// StatCounts is nodes per role.
type StatCounts struct {
	Repeaters  int `json:"repeaters"`
	Rooms      int `json:"rooms"`
	Companions int `json:"companions"`
	Sensors    int `json:"sensors"`
}

// Stats returns the counters for /api/stats. Backfilling reports the store's
// own background load (API.md §1.1 [quirk] fixed: it is driven by real progress).
func (s *Store) Stats(now time.Time) Stats {
	nowMs := now.UnixMilli()
	ns, os := s.nodes.Load(), s.observers.Load()
	st := Stats{TotalNodesAllTime: len(ns.list), TotalObservers: len(os.list)}
	active := nowMs - 7*24*3600*1000
	for _, n := range ns.list { // sorted by last_seen desc: stop at the first stale node
		if n.LastSeen < active {
			break
		}
		st.TotalNodes++
		switch n.Role {
		case "repeater":
			st.Counts.Repeaters++
		case "room":
			st.Counts.Rooms++
		case "companion":
			st.Counts.Companions++
		case "sensor":
			st.Counts.Sensors++
		}
	}
	s.mu.RLock()
	st.TotalTransmissions = len(s.idx.txs)
	st.TotalObservations = len(s.idx.obs)
	st.PacketsLastHour = s.idx.minutes.sum(nowMs, 60)
	st.PacketsLast24h = s.idx.minutes.sum(nowMs, 1440)
	s.mu.RUnlock()
	st.TotalPackets = st.TotalTransmissions
	p := s.Progress()
	st.Backfilling = p.Phase != PhaseReady
	st.BackfillProgress = p.Fraction()
	st.StoreDataMB = float64(s.mem.tracked.Load()*10/(1<<20)) / 10
	return st
}
