package analytics

import (
	"encoding/json"
	"math"
	"sort"
	"strings"

	"github.com/corescope/corescope/internal/store"
)

// Roles is GET /api/analytics/roles.
type Roles struct {
	TotalNodes int        `json:"totalNodes"`
	Roles      []RoleStat `json:"roles"`
}

// RoleStat is one role's row: node count and its clock-skew summary.
type RoleStat struct {
	Role             string  `json:"role"`
	NodeCount        int     `json:"nodeCount"`
	WithSkew         int     `json:"withSkew"`
	MeanAbsSkewSec   float64 `json:"meanAbsSkewSec"`
	MedianAbsSkewSec float64 `json:"medianAbsSkewSec"`
	OKCount          int     `json:"okCount"`
	WarningCount     int     `json:"warningCount"`
	CriticalCount    int     `json:"criticalCount"`
	AbsurdCount      int     `json:"absurdCount"`
	NoClockCount     int     `json:"noClockCount"`
}

// Clock-skew severity bounds (API.md §5.5 NodeClockSkew.severity).
const (
	skewWarningSec  = 5 * 60
	skewCriticalSec = 3600
	skewAbsurdSec   = 30 * 86400
	skewNoClockSec  = 365 * 86400
)

// SkewSeverity classifies an absolute clock skew in seconds.
func SkewSeverity(absSec float64) string {
	switch {
	case absSec < skewWarningSec:
		return "ok"
	case absSec < skewCriticalSec:
		return "warning"
	case absSec < skewAbsurdSec:
		return "critical"
	case absSec <= skewNoClockSec:
		return "absurd"
	default:
		return "no_clock"
	}
}

// ComputeRoles groups nodes by lower-cased role ("unknown" when empty), most
// nodes first then by name, with each role's clock-skew summary from
// AdvertSkews. Params are ignored (API.md §5.6).
func ComputeRoles(v *View) Roles {
	skews := AdvertSkews(v)
	type acc struct {
		RoleStat
		abs []float64
	}
	by := map[string]*acc{}
	nodes := v.Nodes()
	for _, n := range nodes {
		role := strings.ToLower(strings.TrimSpace(n.Role))
		if role == "" {
			role = "unknown"
		}
		a := by[role]
		if a == nil {
			a = &acc{RoleStat: RoleStat{Role: role}}
			by[role] = a
		}
		a.NodeCount++
		s, ok := skews[n.PublicKey]
		if !ok {
			continue
		}
		abs := math.Abs(s)
		a.WithSkew++
		a.abs = append(a.abs, abs)
		switch SkewSeverity(abs) {
		case "ok":
			a.OKCount++
		case "warning":
			a.WarningCount++
		case "critical":
			a.CriticalCount++
		case "absurd":
			a.AbsurdCount++
		default:
			a.NoClockCount++
		}
	}
	out := Roles{TotalNodes: len(nodes), Roles: make([]RoleStat, 0, len(by))}
	for _, a := range by {
		if len(a.abs) > 0 {
			a.MeanAbsSkewSec = round(mean(a.abs), 1)
			a.MedianAbsSkewSec = round(median(a.abs), 1)
		}
		out.Roles = append(out.Roles, a.RoleStat)
	}
	sort.Slice(out.Roles, func(i, j int) bool {
		a, b := out.Roles[i], out.Roles[j]
		if a.NodeCount != b.NodeCount {
			return a.NodeCount > b.NodeCount
		}
		return a.Role < b.Role
	})
	return out
}

// AdvertSkews returns, per node pubkey, the median clock skew in seconds of
// its ADVERTs: the advert's own timestamp minus the time it was first heard
// (positive = node clock ahead). Adverts without a timestamp are skipped.
// It is the uncalibrated estimate; the per-observer calibrated one is the
// clock-skew analysis's.
func AdvertSkews(v *View) map[string]float64 {
	samples := map[string][]float64{}
	for _, t := range v.ByType(4) {
		if t.FromPubkey == "" || t.DecodedJSON == "" {
			continue
		}
		ts := advertTimestamp(t)
		if ts <= 0 {
			continue
		}
		samples[t.FromPubkey] = append(samples[t.FromPubkey], float64(ts)-float64(t.FirstSeen)/1000)
	}
	out := make(map[string]float64, len(samples))
	for pk, s := range samples {
		out[pk] = median(s)
	}
	return out
}

// advertTimestamp returns the advert's sender timestamp (unix s), 0 if absent.
func advertTimestamp(t *store.Transmission) int64 {
	var d struct {
		Timestamp int64 `json:"timestamp"`
	}
	if json.Unmarshal([]byte(t.DecodedJSON), &d) != nil {
		return 0
	}
	return d.Timestamp
}
