package analytics

import (
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// NetworkStatus is GET /api/nodes/network-status (API.md §5.5).
type NetworkStatus struct {
	Total      int            `json:"total"`
	Active     int            `json:"active"`
	Degraded   int            `json:"degraded"`
	Silent     int            `json:"silent"`
	RoleCounts map[string]int `json:"roleCounts"` // role (lower-case, "unknown" when empty) → nodes
}

// NodeHealthThresholds are the node health limits: a node not heard for
// Degraded is degraded, for Silent silent; repeaters and rooms ("infra") have
// their own pair.
type NodeHealthThresholds struct {
	InfraDegraded, InfraSilent time.Duration
	NodeDegraded, NodeSilent   time.Duration
}

// ComputeNetworkStatus classifies every node by the age of its last_seen at
// now (a node never seen is silent).
func ComputeNetworkStatus(nodes []*store.Node, th NodeHealthThresholds, now time.Time) NetworkStatus {
	out := NetworkStatus{Total: len(nodes), RoleCounts: map[string]int{}}
	nowMs := now.UnixMilli()
	for _, n := range nodes {
		role := strings.ToLower(strings.TrimSpace(n.Role))
		if role == "" {
			role = "unknown"
		}
		out.RoleCounts[role]++
		degraded, silent := th.NodeDegraded, th.NodeSilent
		if role == "repeater" || role == "room" {
			degraded, silent = th.InfraDegraded, th.InfraSilent
		}
		age := time.Duration(nowMs-n.LastSeen) * time.Millisecond
		switch {
		case n.LastSeen == 0 || age >= silent:
			out.Silent++
		case age >= degraded:
			out.Degraded++
		default:
			out.Active++
		}
	}
	return out
}

// NodeBattery is GET /api/nodes/{pubkey}/battery (API.md §5.5).
type NodeBattery struct {
	PublicKey  string                `json:"public_key"`
	Days       int                   `json:"days"`
	Samples    []NodeBatterySample   `json:"samples"`
	LatestMV   *int64                `json:"latest_mv"`
	LatestTS   *string               `json:"latest_ts"`
	Status     string                `json:"status"`
	Thresholds NodeBatteryThresholds `json:"thresholds"`
}

// NodeBatterySample is one battery reading.
type NodeBatterySample struct {
	Timestamp string `json:"timestamp"`
	BatteryMV int64  `json:"battery_mv"`
}

// NodeBatteryThresholds are the status limits (mV).
type NodeBatteryThresholds struct {
	LowMV      int `json:"low_mv"`
	CriticalMV int `json:"critical_mv"`
}

// maxSampleRounding bounds how far after now the ingestor's rounding can put
// an observer_metrics sample (half of the largest sensible sample interval).
const maxSampleRounding = 30 * time.Minute

// ComputeBattery lists the battery readings of the node's observer_metrics
// samples (a node that is also an observer) of the last days before now,
// oldest first, and rates the latest against th.
func ComputeBattery(pubkey string, samples []store.MetricSample, th NodeBatteryThresholds, days int, now time.Time) NodeBattery {
	out := NodeBattery{PublicKey: strings.ToLower(pubkey), Days: days, Samples: []NodeBatterySample{}, Status: "unknown", Thresholds: th}
	// The ingestor rounds sample times to the nearest bucket, so the newest
	// can lie up to half a sample interval after now.
	until := now.Add(maxSampleRounding).Unix()
	for _, m := range bucketLast(samples, now.Add(-time.Duration(days)*24*time.Hour).Unix(), until, 0) {
		b := m.Value(store.MetricBatteryMV)
		if !b.Valid {
			continue
		}
		ts := time.Unix(m.At, 0).UTC().Format(time.RFC3339)
		out.Samples = append(out.Samples, NodeBatterySample{ts, b.V})
		v := b.V
		out.LatestMV, out.LatestTS = &v, &ts
	}
	if out.LatestMV != nil {
		switch mv := *out.LatestMV; {
		case mv < int64(th.CriticalMV):
			out.Status = "critical"
		case mv < int64(th.LowMV):
			out.Status = "low"
		default:
			out.Status = "ok"
		}
	}
	return out
}
