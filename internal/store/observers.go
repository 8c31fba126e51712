package store

import (
	"sort"
	"strings"
	"time"
)

// ObserverJSON is an observer in /api/observers and /api/observers/{id}.
type ObserverJSON struct {
	ID                string   `json:"id"`
	Name              *string  `json:"name"`
	IATA              *string  `json:"iata"`
	LastSeen          *string  `json:"last_seen"`
	FirstSeen         *string  `json:"first_seen"`
	PacketCount       int64    `json:"packet_count"`
	Model             *string  `json:"model"`
	Firmware          *string  `json:"firmware"`
	ClientVersion     *string  `json:"client_version"`
	Radio             *string  `json:"radio"`
	BatteryMV         *int64   `json:"battery_mv"`
	UptimeSecs        *int64   `json:"uptime_secs"`
	NoiseFloor        *float64 `json:"noise_floor"`
	LastPacketAt      *string  `json:"last_packet_at"`
	PacketsLastHour   int64    `json:"packetsLastHour"`
	PacketsLast24h    int64    `json:"packetsLast24h"`
	Lat               *float64 `json:"lat"`
	Lon               *float64 `json:"lon"`
	NodeRole          *string  `json:"nodeRole"`
	ClockNaive        bool     `json:"clock_naive"`
	ClockSkewSeconds  *int64   `json:"clock_skew_seconds"`
	ClockSkewCount24h int64    `json:"clock_skew_count_24h"`
	ClockLastNaiveAt  *string  `json:"clock_last_naive_at"`
	// PacketHealth is set by the server (internal/api/ops.go), not the store.
	PacketHealth string `json:"packet_health"`
	// ObservationsInMemory counts this observer's observations held by the store.
	ObservationsInMemory int `json:"-"`
}

// ObserverList is GET /api/observers.
type ObserverList struct {
	Observers  []ObserverJSON `json:"observers"`
	ServerTime string         `json:"server_time"`
}

func timePtr(ms int64) *string { return strPtr(FormatTime(ms)) }

func (s *Store) observerJSON(o *Observer, ns *nodeSet, nowMs int64) ObserverJSON {
	j := ObserverJSON{
		ID: o.ID, Name: strPtr(o.Name), IATA: strPtr(o.IATA),
		LastSeen: timePtr(o.LastSeen), FirstSeen: timePtr(o.FirstSeen), PacketCount: o.PacketCount,
		Model: o.Model.Ptr(), Firmware: o.Firmware.Ptr(), ClientVersion: o.ClientVersion.Ptr(),
		Radio: o.Radio.Ptr(), BatteryMV: o.BatteryMV.Ptr(), UptimeSecs: o.UptimeSecs.Ptr(),
		NoiseFloor: o.NoiseFloor.Ptr(), LastPacketAt: timePtr(o.LastPacketAt),
	}
	if n := ns.byKey[strings.ToLower(o.ID)]; n != nil {
		j.Lat, j.Lon = n.Lat.Ptr(), n.Lon.Ptr()
		j.NodeRole = strPtr(n.Role)
	}
	if o.ClockLastNaiveAt > 0 && nowMs-o.ClockLastNaiveAt < 24*3600*1000 {
		j.ClockNaive = true
		j.ClockSkewSeconds = o.ClockSkewSeconds.Ptr()
		j.ClockSkewCount24h = o.ClockSkewCount24h
		j.ClockLastNaiveAt = timePtr(o.ClockLastNaiveAt)
	}
	return j
}

// Observers returns the active (not inactive) observers, last_seen desc, with
// observation counts for the last hour and 24 h (from the store's incremental
// per-minute counters). Config.ObserverBlacklist entries are left out.
func (s *Store) Observers(now time.Time) ObserverList {
	os, ns := s.observers.Load(), s.nodes.Load()
	nowMs := now.UnixMilli()
	out := ObserverList{Observers: []ObserverJSON{}, ServerTime: now.UTC().Format(time.RFC3339)}
	for _, o := range os.list {
		if o.Inactive || s.observerBlacklisted(o.ID) {
			continue
		}
		out.Observers = append(out.Observers, s.observerJSON(o, ns, nowMs))
	}
	s.mu.RLock()
	for i := range out.Observers {
		idx := os.byID[out.Observers[i].ID].Idx
		if r := s.idx.observerMinutes[idx]; r != nil {
			out.Observers[i].PacketsLastHour = r.sum(nowMs, 60)
			out.Observers[i].PacketsLast24h = r.sum(nowMs, 1440)
		}
		out.Observers[i].ObservationsInMemory = len(s.idx.byObserverObs[idx])
	}
	s.mu.RUnlock()
	return out
}

// Observer returns one observer (inactive ones too). Errors: ErrNotFound.
func (s *Store) Observer(id string, now time.Time) (ObserverJSON, error) {
	os := s.observers.Load()
	o := os.byID[id]
	if o == nil || s.observerBlacklisted(id) {
		return ObserverJSON{}, ErrNotFound
	}
	nowMs := now.UnixMilli()
	j := s.observerJSON(o, s.nodes.Load(), nowMs)
	s.mu.RLock()
	if r := s.idx.observerMinutes[o.Idx]; r != nil {
		j.PacketsLastHour = r.sum(nowMs, 60)
		j.PacketsLast24h = r.sum(nowMs, 1440)
	}
	j.ObservationsInMemory = len(s.idx.byObserverObs[o.Idx])
	s.mu.RUnlock()
	return j, nil
}

// ObserverIATAs returns the distinct IATA codes of active observers, sorted.
func (s *Store) ObserverIATAs() []string {
	os := s.observers.Load()
	out := []string{}
	for code, idxs := range os.byIATA {
		for _, idx := range idxs {
			if o := os.byIdx[idx]; o != nil && !o.Inactive {
				out = append(out, code)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// ObserverRecent returns the observer's newest observations (enriched), newest
// first, at most limit (clamped 1..500). Unknown observer → empty.
func (s *Store) ObserverRecent(id string, limit int) []ObsJSON {
	limit = clampLimit(limit, 20, 500)
	os := s.observers.Load()
	out := []ObsJSON{}
	o := os.byID[id]
	if o == nil {
		return out
	}
	s.mu.RLock()
	list := s.idx.byObserverObs[o.Idx]
	s.mu.RUnlock()
	for i := len(list) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, s.obsView(os, list[i]).JSON(true))
	}
	return out
}

// ObserverObservations returns the observer's observations in memory with
// timestamp >= since (unix ms), ascending id (for observer analytics).
func (s *Store) ObserverObservations(id string, since int64) []*Observation {
	os := s.observers.Load()
	o := os.byID[id]
	if o == nil {
		return nil
	}
	s.mu.RLock()
	list := s.idx.byObserverObs[o.Idx]
	s.mu.RUnlock()
	var out []*Observation
	for _, ob := range list {
		if ob.Timestamp >= since {
			out = append(out, ob)
		}
	}
	return out
}

func (s *Store) observerBlacklisted(id string) bool {
	return len(s.cfg.observerBL) > 0 && s.cfg.observerBL[strings.ToLower(id)]
}
