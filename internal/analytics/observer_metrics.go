package analytics

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// ObserverMetrics is GET /api/observers/{id}/metrics (API.md §5.8).
type ObserverMetrics struct {
	ObserverID   string                `json:"observer_id"`
	ObserverName *string               `json:"observer_name"`
	Reboots      []string              `json:"reboots"`
	Metrics      []ObserverMetricPoint `json:"metrics"`
}

// ObserverMetricPoint is one sample with the rates derived from the previous one.
type ObserverMetricPoint struct {
	Timestamp      string   `json:"timestamp"`
	NoiseFloor     *float64 `json:"noise_floor"`
	BatteryMV      *int64   `json:"battery_mv"`
	TxAirtimePct   *float64 `json:"tx_airtime_pct"`
	RxAirtimePct   *float64 `json:"rx_airtime_pct"`
	RecvErrorRate  *float64 `json:"recv_error_rate"`
	TxAirSecs      *int64   `json:"tx_air_secs,omitempty"`
	RxAirSecs      *int64   `json:"rx_air_secs,omitempty"`
	RecvErrors     *int64   `json:"recv_errors,omitempty"`
	PacketsSent    *int64   `json:"packets_sent,omitempty"`
	PacketsRecv    *int64   `json:"packets_recv,omitempty"`
	IsRebootSample bool     `json:"is_reboot_sample,omitempty"`
}

// MetricsResolution maps the resolution parameter to its bucket (0 = raw).
var MetricsResolution = map[string]time.Duration{"5m": 0, "1h": time.Hour, "1d": 24 * time.Hour}

// ComputeObserverMetrics returns the samples in [since, until] at the given
// resolution (0 = every sample, else the last sample of each bucket), with
// airtime and error rates from the deltas of the cumulative counters between
// consecutive points. A gap of more than two buckets (interval = the
// ingestor's sample interval for raw samples) or a counter that went down
// (the observer rebooted) gives null rates; reboot points are flagged and
// listed.
func ComputeObserverMetrics(id string, name *string, samples []store.MetricSample, since, until time.Time,
	resolution, interval time.Duration) ObserverMetrics {
	out := ObserverMetrics{ObserverID: id, ObserverName: name, Reboots: []string{}, Metrics: []ObserverMetricPoint{}}
	pts := bucketLast(samples, since.Unix(), until.Unix(), int64(resolution/time.Second))
	step := resolution
	if step == 0 {
		step = interval
	}
	maxGap := 2 * int64(step/time.Second)
	for i, m := range pts {
		p := ObserverMetricPoint{
			Timestamp:   time.Unix(m.At, 0).UTC().Format(time.RFC3339),
			NoiseFloor:  roundPtr(m.NoiseFloor(), 1),
			BatteryMV:   m.Value(store.MetricBatteryMV).Ptr(),
			TxAirSecs:   m.Value(store.MetricTxAirSecs).Ptr(),
			RxAirSecs:   m.Value(store.MetricRxAirSecs).Ptr(),
			RecvErrors:  m.Value(store.MetricRecvErrors).Ptr(),
			PacketsSent: m.Value(store.MetricPacketsSent).Ptr(),
			PacketsRecv: m.Value(store.MetricPacketsRecv).Ptr(),
		}
		if i > 0 {
			prev := pts[i-1]
			if rebooted(prev, m) {
				p.IsRebootSample = true
				out.Reboots = append(out.Reboots, p.Timestamp)
			} else if dt := m.At - prev.At; dt > 0 && dt <= maxGap {
				p.TxAirtimePct = airtimePct(prev, m, store.MetricTxAirSecs, dt)
				p.RxAirtimePct = airtimePct(prev, m, store.MetricRxAirSecs, dt)
				p.RecvErrorRate = errorRate(prev, m)
			}
		}
		out.Metrics = append(out.Metrics, p)
	}
	return out
}

// bucketLast returns the samples with since ≤ At ≤ until, keeping only the
// last of each bucket of width secs (0 = all).
func bucketLast(samples []store.MetricSample, since, until, secs int64) []store.MetricSample {
	lo := sort.Search(len(samples), func(i int) bool { return samples[i].At >= since })
	var out []store.MetricSample
	for _, m := range samples[lo:] {
		if m.At > until {
			break
		}
		if secs > 0 && len(out) > 0 && naFloorDiv(out[len(out)-1].At, secs) == naFloorDiv(m.At, secs) {
			out[len(out)-1] = m
			continue
		}
		out = append(out, m)
	}
	return out
}

var cumulative = []int{store.MetricTxAirSecs, store.MetricRxAirSecs, store.MetricRecvErrors,
	store.MetricPacketsSent, store.MetricPacketsRecv}

// rebooted reports whether a cumulative counter went down between a and b.
func rebooted(a, b store.MetricSample) bool {
	for _, i := range cumulative {
		x, y := a.Value(i), b.Value(i)
		if x.Valid && y.Valid && y.V < x.V {
			return true
		}
	}
	return false
}

func airtimePct(a, b store.MetricSample, i int, dt int64) *float64 {
	x, y := a.Value(i), b.Value(i)
	if !x.Valid || !y.Valid {
		return nil
	}
	v := round(naClamp(float64(y.V-x.V)*100/float64(dt), 0, 100), 2)
	return &v
}

// errorRate is the share (%) of receptions between a and b that failed:
// Δrecv_errors / (Δrecv_errors + Δpackets_recv).
func errorRate(a, b store.MetricSample) *float64 {
	e0, e1 := a.Value(store.MetricRecvErrors), b.Value(store.MetricRecvErrors)
	r0, r1 := a.Value(store.MetricPacketsRecv), b.Value(store.MetricPacketsRecv)
	if !e0.Valid || !e1.Valid {
		return nil
	}
	de := float64(e1.V - e0.V)
	total := de
	if r0.Valid && r1.Valid {
		total += float64(r1.V - r0.V)
	}
	v := 0.0
	if total > 0 {
		v = round(naClamp(de*100/total, 0, 100), 2)
	}
	return &v
}

func naClamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func roundPtr(o store.OptFloat, dp int) *float64 {
	if !o.Valid {
		return nil
	}
	v := round(o.V, dp)
	return &v
}

// MetricsSummary is GET /api/observers/metrics/summary.
type MetricsSummary struct {
	Observers []ObserverMetricsSummary `json:"observers"`
}

// ObserverMetricsSummary is one observer's noise-floor summary over the
// window (the *_24h names are the original's, whatever the window).
type ObserverMetricsSummary struct {
	ObserverID        string    `json:"observer_id"`
	ObserverName      *string   `json:"observer_name"`
	IATA              *string   `json:"iata,omitempty"`
	CurrentNoiseFloor *float64  `json:"current_noise_floor"`
	AvgNoiseFloor24h  *float64  `json:"avg_noise_floor_24h"`
	MaxNoiseFloor24h  *float64  `json:"max_noise_floor_24h"`
	BatteryMV         *int64    `json:"battery_mv"`
	SampleCount       int       `json:"sample_count"`
	Sparkline         []float64 `json:"sparkline"`
}

// ComputeMetricsSummary summarises every listed observer (region "" = all,
// else observers whose IATA equals it, case-insensitive) that has samples in
// [since, until], by max noise floor descending (observers without a noise
// floor last, then by id).
func ComputeMetricsSummary(observers []*store.Observer, set *store.MetricsSet, region string, since, until time.Time) MetricsSummary {
	out := MetricsSummary{Observers: []ObserverMetricsSummary{}}
	for _, o := range observers {
		if o.Inactive || (region != "" && !strings.EqualFold(o.IATA, region)) {
			continue
		}
		pts := bucketLast(set.Samples(o.ID), since.Unix(), until.Unix(), 0)
		if len(pts) == 0 {
			continue
		}
		s := ObserverMetricsSummary{ObserverID: o.ID, ObserverName: optName(o.Name), IATA: optName(o.IATA),
			SampleCount: len(pts), Sparkline: []float64{}}
		var sum float64
		for _, m := range pts {
			if nf := m.NoiseFloor(); nf.Valid {
				v := round(nf.V, 1)
				s.Sparkline = append(s.Sparkline, v)
				sum += nf.V
				if s.MaxNoiseFloor24h == nil || v > *s.MaxNoiseFloor24h {
					s.MaxNoiseFloor24h = &v
				}
				s.CurrentNoiseFloor = &v
			}
			if b := m.Value(store.MetricBatteryMV); b.Valid {
				s.BatteryMV = &b.V
			}
		}
		if n := len(s.Sparkline); n > 0 {
			avg := round(sum/float64(n), 1)
			s.AvgNoiseFloor24h = &avg
		}
		out.Observers = append(out.Observers, s)
	}
	sort.SliceStable(out.Observers, func(i, j int) bool {
		a, b := out.Observers[i].MaxNoiseFloor24h, out.Observers[j].MaxNoiseFloor24h
		if (a == nil) != (b == nil) {
			return a != nil
		}
		if a != nil && *a != *b {
			return *a > *b
		}
		return out.Observers[i].ObserverID < out.Observers[j].ObserverID
	})
	return out
}
