package analytics

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// SubpathGroup is one `minLen-maxLen:limit` request.
type SubpathGroup struct {
	MinLen, MaxLen, Limit int
}

// ParseSubpathGroups parses the subpaths-bulk `groups` list
// ("2-2:50,3-3:30"); the error message is the original's.
func ParseSubpathGroups(s string) ([]SubpathGroup, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("groups parameter required (e.g. groups=2-2:50,3-3:30)")
	}
	var out []SubpathGroup
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		rng, lim, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("invalid group format: %s", part)
		}
		lo, hi, ok := strings.Cut(rng, "-")
		if !ok {
			return nil, fmt.Errorf("invalid range format: %s", rng)
		}
		g := SubpathGroup{}
		var e1, e2, e3 error
		g.MinLen, e1 = strconv.Atoi(lo)
		g.MaxLen, e2 = strconv.Atoi(hi)
		g.Limit, e3 = strconv.Atoi(lim)
		if e1 != nil || e2 != nil || e3 != nil || g.MinLen < 2 || g.MaxLen < g.MinLen || g.Limit < 1 {
			return nil, fmt.Errorf("invalid group: %s", part)
		}
		out = append(out, g)
	}
	return out, nil
}

// Subpaths is GET /api/analytics/subpaths (and one result of the bulk form).
type Subpaths struct {
	Subpaths   []Subpath `json:"subpaths"`
	TotalPaths int       `json:"totalPaths"`
}

// Subpath is a run of consecutive hops and how often it occurs.
type Subpath struct {
	Path    string   `json:"path"` // hop names (or hex) joined by " → "
	RawHops []string `json:"rawHops"`
	Count   int      `json:"count"`
	Hops    int      `json:"hops"`
	Pct     float64  `json:"pct"`
}

// SubpathsBulk is GET /api/analytics/subpaths-bulk.
type SubpathsBulk struct {
	Results []Subpaths `json:"results"`
}

// subKey is a subpath: the raw hop bytes (a substring of Path.Hops, so
// counting allocates nothing per occurrence) and the hop size.
type subKey struct {
	hops string
	size uint8
}

// bestPath returns the longest kept path of a transmission (ties: latest).
func bestPath(obs []*store.Observation) *store.Observation {
	best := obs[0]
	for _, o := range obs {
		if o.Path.Len() >= best.Path.Len() {
			best = o
		}
	}
	return best
}

// ComputeSubpaths counts, over each transmission's longest kept path with at
// least two hops, every run of consecutive hops for each group's lengths,
// in one scan, and returns each group's most frequent runs.
func ComputeSubpaths(v *View, f Filter, groups []SubpathGroup) SubpathsBulk {
	lo, hi := 1<<30, 0
	for _, g := range groups {
		lo, hi = min(lo, g.MinLen), max(hi, g.MaxLen)
	}
	counts := map[subKey]int{}
	names := hopNames{}
	total := 0
	v.each(f, TimeWindow{}, func(t *store.Transmission, obs []*store.Observation) {
		b := bestPath(obs)
		n, hs := b.Path.Len(), int(b.Path.HopSize)
		if n < 2 || hs == 0 {
			return
		}
		total++
		for i := 0; i < n; i++ {
			names.see(v.hop(b, i))
		}
		for l := lo; l <= min(hi, n); l++ {
			for i := 0; i+l <= n; i++ {
				counts[subKey{b.Path.Hops[i*hs : (i+l)*hs], uint8(hs)}]++
			}
		}
	})
	out := SubpathsBulk{Results: make([]Subpaths, len(groups))}
	for gi, g := range groups {
		var list []Subpath
		type kc struct {
			k subKey
			c int
		}
		var sel []kc
		for k, c := range counts {
			if l := len(k.hops) / int(k.size); l >= g.MinLen && l <= g.MaxLen {
				sel = append(sel, kc{k, c})
			}
		}
		sort.Slice(sel, func(i, j int) bool {
			return sel[i].c > sel[j].c || (sel[i].c == sel[j].c && sel[i].k.hops < sel[j].k.hops)
		})
		for _, x := range sel[:min(g.Limit, len(sel))] {
			p := store.Path{Hops: x.k.hops, HopSize: x.k.size}
			raw := p.Strings()
			disp := make([]string, len(raw))
			for i, h := range raw {
				disp[i] = h
				if n := names[h]; n != nil && n.Name != "" {
					disp[i] = n.Name
				}
			}
			pct := 0.0
			if total > 0 {
				pct = round(float64(x.c)/float64(total)*100, 1)
			}
			list = append(list, Subpath{Path: strings.Join(disp, " → "), RawHops: raw, Count: x.c, Hops: len(raw), Pct: pct})
		}
		if list == nil {
			list = []Subpath{}
		}
		out.Results[gi] = Subpaths{Subpaths: list, TotalPaths: total}
	}
	return out
}

// SubpathDetail is GET /api/analytics/subpath-detail.
type SubpathDetail struct {
	Hops             []string        `json:"hops"`
	Nodes            []SubpathNode   `json:"nodes"`
	TotalMatches     int             `json:"totalMatches"`
	FirstSeen        string          `json:"firstSeen"`
	LastSeen         string          `json:"lastSeen"`
	Signal           SubpathSignal   `json:"signal"`
	HourDistribution [24]int         `json:"hourDistribution"`
	ParentPaths      []ParentPath    `json:"parentPaths"`
	Observers        []ObserverCount `json:"observers"`
}

// SubpathNode is one hop of the requested run with the node it resolves to.
type SubpathNode struct {
	Hop    string   `json:"hop"`
	Name   *string  `json:"name"`
	Lat    *float64 `json:"lat"`
	Lon    *float64 `json:"lon"`
	Pubkey *string  `json:"pubkey"`
}

// SubpathSignal averages the signal of the matching transmissions' observations.
type SubpathSignal struct {
	AvgSnr  *float64 `json:"avgSnr"`
	AvgRssi *float64 `json:"avgRssi"`
	Samples int      `json:"samples"`
}

// ParentPath is a full path containing the run.
type ParentPath struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// ObserverCount is how many matching observations an observer made.
type ObserverCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ComputeSubpathDetail describes the transmissions whose longest path
// contains hops (hex prefixes, any case) as a consecutive run.
func ComputeSubpathDetail(v *View, hops []string) SubpathDetail {
	want := make([]string, len(hops))
	for i, h := range hops {
		want[i] = strings.ToUpper(strings.TrimSpace(h))
	}
	out := SubpathDetail{Hops: hops, Nodes: make([]SubpathNode, len(want)), ParentPaths: []ParentPath{}, Observers: []ObserverCount{}}
	names := hopNames{}
	parents := map[string]int{}
	observers := map[string]int{}
	var snr, rssi float64
	var nSnr, nRssi int
	var first, last int64
	v.each(Filter{}, TimeWindow{}, func(t *store.Transmission, obs []*store.Observation) {
		b := bestPath(obs)
		hs := b.Path.Strings()
		at := indexRun(hs, want)
		if at < 0 {
			return
		}
		for i := range want {
			names.see(want[i], v.hopNode(b, at+i))
		}
		out.TotalMatches++
		if first == 0 || t.FirstSeen < first {
			first = t.FirstSeen
		}
		last = max(last, t.FirstSeen)
		out.HourDistribution[time.UnixMilli(t.FirstSeen).UTC().Hour()]++
		parents[strings.Join(hs, ",")]++
		for _, o := range obs {
			if o.SNR.Valid {
				snr += o.SNR.V
				nSnr++
			}
			if o.RSSI.Valid {
				rssi += o.RSSI.V
				nRssi++
			}
			if ob := v.Observer(o.ObserverIdx); ob != nil {
				observers[ob.Name]++
			}
		}
	})
	for i, h := range want {
		sn := SubpathNode{Hop: hops[i]}
		if n := names[h]; n != nil {
			sn.Name, sn.Pubkey, sn.Lat, sn.Lon = strPtr(n.Name), strPtr(n.PublicKey), n.Lat.Ptr(), n.Lon.Ptr()
		}
		out.Nodes[i] = sn
	}
	out.FirstSeen, out.LastSeen = store.FormatTime(first), store.FormatTime(last)
	out.Signal.Samples = max(nSnr, nRssi)
	if nSnr > 0 {
		x := round(snr/float64(nSnr), 2)
		out.Signal.AvgSnr = &x
	}
	if nRssi > 0 {
		x := round(rssi/float64(nRssi), 2)
		out.Signal.AvgRssi = &x
	}
	for p, c := range parents {
		hs := strings.Split(p, ",")
		disp := make([]string, len(hs))
		for i, h := range hs {
			disp[i] = h
			if n := names[h]; n != nil && n.Name != "" {
				disp[i] = n.Name
			}
		}
		out.ParentPaths = append(out.ParentPaths, ParentPath{Path: strings.Join(disp, " → "), Count: c})
	}
	sort.Slice(out.ParentPaths, func(i, j int) bool {
		a, b := out.ParentPaths[i], out.ParentPaths[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Path < b.Path)
	})
	out.ParentPaths = out.ParentPaths[:min(15, len(out.ParentPaths))]
	for n, c := range observers {
		out.Observers = append(out.Observers, ObserverCount{n, c})
	}
	sort.Slice(out.Observers, func(i, j int) bool {
		a, b := out.Observers[i], out.Observers[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Name < b.Name)
	})
	out.Observers = out.Observers[:min(10, len(out.Observers))]
	return out
}

// indexRun returns where want occurs as a consecutive run in hs, or -1.
func indexRun(hs, want []string) int {
	for i := 0; i+len(want) <= len(hs); i++ {
		ok := true
		for j := range want {
			if hs[i+j] != want[j] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}
