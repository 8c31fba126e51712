package store

import (
	"context"
	"database/sql"
	"maps"
	"strings"

	"github.com/corescope/corescope/internal/db"
)

// Observer RF-health samples (observer_metrics, STORAGE.md §3.5), held in
// memory so /api/observers/{id}/metrics, /api/observers/metrics/summary and
// /api/nodes/{pk}/battery never read SQLite. The ingestor writes one row per
// observer and sample bucket and replaces the current bucket's row as status
// messages arrive; retention deletes old rows. The sync keeps this set in
// step: every tick re-reads the rows from the newest timestamp held (a cheap
// index range), and every full reload drops what retention pruned.

// MetricSample is one observer_metrics row. Compact (64 bytes): a month of
// 5-minute samples for 35 observers is ~300k rows.
type MetricSample struct {
	At    int64    // unix seconds (bucket start)
	vals  [6]int64 // see the Metric* indexes
	noise float32
	valid uint8 // bit i: vals[i] is set; bit 6: noise
}

// Indexes of the cumulative counters and battery in MetricSample.
const (
	MetricTxAirSecs = iota
	MetricRxAirSecs
	MetricRecvErrors
	MetricBatteryMV
	MetricPacketsSent
	MetricPacketsRecv
	noiseBit = 6
)

// Value returns counter i (Metric*) or NULL.
func (m MetricSample) Value(i int) OptInt {
	return OptInt{m.vals[i], m.valid&(1<<i) != 0}
}

// NoiseFloor returns the noise floor (dBm) or NULL.
func (m MetricSample) NoiseFloor() OptFloat {
	return OptFloat{float64(m.noise), m.valid&(1<<noiseBit) != 0}
}

func metricFromRow(r db.MetricsRow) (MetricSample, bool) {
	ms := parseTimeMs(r.Timestamp)
	if ms == 0 {
		return MetricSample{}, false
	}
	m := MetricSample{At: ms / 1000}
	for i, v := range [...]sql.NullInt64{r.TxAirSecs, r.RxAirSecs, r.RecvErrors, r.BatteryMV, r.PacketsSent, r.PacketsRecv} {
		if v.Valid {
			m.vals[i] = v.Int64
			m.valid |= 1 << i
		}
	}
	if r.NoiseFloor.Valid {
		m.noise = float32(r.NoiseFloor.Float64)
		m.valid |= 1 << noiseBit
	}
	return m, true
}

// MetricsSet is an immutable snapshot of every observer's samples. Slices are
// shared with later snapshots (the sync only appends beyond a published length
// or builds a new array) and must not be modified.
type MetricsSet struct {
	byObserver map[string][]MetricSample // lower-case observer id → ascending At
	maxTS      string                    // newest timestamp text held (sync watermark)
	oldest     int64                     // unix s of the oldest sample held
}

// Samples returns the samples of observer id (case-insensitive), oldest first.
func (m *MetricsSet) Samples(id string) []MetricSample {
	if m == nil {
		return nil
	}
	return m.byObserver[strings.ToLower(id)]
}

// ObserverIDs returns the lower-case ids that have samples (unordered).
func (m *MetricsSet) ObserverIDs() []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m.byObserver))
	for id := range m.byObserver {
		out = append(out, id)
	}
	return out
}

// Metrics returns the current metrics snapshot (never nil).
func (s *Store) Metrics() *MetricsSet {
	if m := s.metrics.Load(); m != nil {
		return m
	}
	return &MetricsSet{}
}

// syncMetrics reads the observer_metrics rows at or after the newest held
// timestamp and, on a full reload, drops samples older than the table's
// oldest row (retention). Runs on the Run goroutine only.
func (s *Store) syncMetrics(ctx context.Context, q db.Querier, full bool) error {
	cur := s.Metrics()
	rows, err := db.ReadMetricsSince(ctx, q, cur.maxTS)
	if err != nil {
		return err
	}
	var oldest int64
	if full && cur.maxTS != "" {
		ts, err := db.ReadMetricsOldest(ctx, q)
		if err != nil {
			return err
		}
		oldest = parseTimeMs(ts) / 1000
	}
	next, changed := mergeMetrics(cur, rows, oldest)
	if changed {
		s.metrics.Store(next)
		s.setsGen.Add(1)
	}
	return nil
}

// mergeMetrics returns cur plus rows (ascending timestamp), with samples older
// than oldest (unix s, 0 = keep all) dropped. An existing sample of the same
// observer and bucket is replaced in a new array; a newer one is appended.
func mergeMetrics(cur *MetricsSet, rows []db.MetricsRow, oldest int64) (*MetricsSet, bool) {
	next := &MetricsSet{byObserver: maps.Clone(cur.byObserver), maxTS: cur.maxTS, oldest: cur.oldest}
	if next.byObserver == nil {
		next.byObserver = map[string][]MetricSample{}
	}
	changed := false
	for _, r := range rows {
		m, ok := metricFromRow(r)
		if !ok {
			continue
		}
		if r.Timestamp > next.maxTS {
			next.maxTS = r.Timestamp
		}
		id := strings.ToLower(r.ObserverID)
		list := next.byObserver[id]
		i := searchSample(list, m.At)
		switch {
		case i < len(list) && list[i].At == m.At:
			if list[i] == m {
				continue // the newest bucket, re-read unchanged
			}
			cp := make([]MetricSample, len(list))
			copy(cp, list)
			cp[i] = m
			list = cp
		case i == len(list):
			list = append(list, m) // beyond every published length
		default: // an older bucket written late: new array
			cp := make([]MetricSample, 0, len(list)+1)
			cp = append(append(append(cp, list[:i]...), m), list[i:]...)
			list = cp
		}
		next.byObserver[id] = list
		changed = true
	}
	if oldest > next.oldest {
		for id, list := range next.byObserver {
			i := searchSample(list, oldest)
			if i == 0 {
				continue
			}
			changed = true
			if i == len(list) {
				delete(next.byObserver, id)
			} else {
				next.byObserver[id] = list[i:]
			}
		}
		next.oldest = oldest
	}
	return next, changed
}

// searchSample returns the first index with At >= at.
func searchSample(list []MetricSample, at int64) int {
	lo, hi := 0, len(list)
	for lo < hi {
		mid := (lo + hi) / 2
		if list[mid].At < at {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
