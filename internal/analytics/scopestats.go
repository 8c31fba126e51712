package analytics

import (
	"sort"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// ScopeStats is GET /api/scope-stats.
type ScopeStats struct {
	Window     string            `json:"window"`
	Summary    ScopeSummary      `json:"summary"`
	ByRegion   []ScopeRegion     `json:"byRegion"`
	TimeSeries []ScopeTimeBucket `json:"timeSeries"`
}

// ScopeSummary counts transport-route transmissions by scope.
type ScopeSummary struct {
	TransportTotal int `json:"transportTotal"`
	Scoped         int `json:"scoped"`       // scope_name not null (includes unknown)
	Unscoped       int `json:"unscoped"`     // scope_name null
	UnknownScope   int `json:"unknownScope"` // scope_name ""
}

// ScopeRegion is one named scope's transmissions.
type ScopeRegion struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ScopeTimeBucket is one time bucket of the series.
type ScopeTimeBucket struct {
	T        string `json:"t"`
	Scoped   int    `json:"scoped"`
	Unscoped int    `json:"unscoped"`
}

// ScopeWindows are the accepted windows and their bucket sizes.
var ScopeWindows = map[string]struct{ Span, Bucket time.Duration }{
	"1h":  {time.Hour, 5 * time.Minute},
	"24h": {24 * time.Hour, time.Hour},
	"7d":  {7 * 24 * time.Hour, 6 * time.Hour},
}

// ComputeScopeStats counts the transport-route transmissions (route type 0
// or 3) first seen within the window by region scope, with a continuous
// series of every bucket in the window (oldest first).
func ComputeScopeStats(v *View, window string) ScopeStats {
	w := ScopeWindows[window]
	out := ScopeStats{Window: window, ByRegion: []ScopeRegion{}}
	from := v.Now.Add(-w.Span).UnixMilli()
	bucketMs := w.Bucket.Milliseconds()
	start := from / bucketMs * bucketMs
	n := int((v.Now.UnixMilli()-start)/bucketMs) + 1
	series := make([]ScopeTimeBucket, n)
	for i := range series {
		series[i].T = store.FormatTime(start + int64(i)*bucketMs)
	}
	regions := map[string]int{}
	for _, t := range v.Snapshot.Txs {
		if t.FirstSeen < from {
			continue
		}
		if t.RouteType != 0 && t.RouteType != 3 {
			continue
		}
		out.Summary.TransportTotal++
		b := int((t.FirstSeen - start) / bucketMs)
		if b >= n {
			b = n - 1
		}
		if !t.ScopeName.Valid {
			out.Summary.Unscoped++
			series[b].Unscoped++
			continue
		}
		out.Summary.Scoped++
		series[b].Scoped++
		if t.ScopeName.V == "" {
			out.Summary.UnknownScope++
			continue
		}
		regions[t.ScopeName.V]++
	}
	for name, c := range regions {
		out.ByRegion = append(out.ByRegion, ScopeRegion{name, c})
	}
	sort.Slice(out.ByRegion, func(i, j int) bool {
		a, b := out.ByRegion[i], out.ByRegion[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Name < b.Name)
	})
	out.TimeSeries = series
	return out
}
