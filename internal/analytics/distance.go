package analytics

import (
	"slices"
	"sort"

	"github.com/corescope/corescope/internal/store"
)

// Distance is GET /api/analytics/distance.
type Distance struct {
	Summary       DistSummary        `json:"summary"`
	TopHops       []DistHop          `json:"topHops"`
	TopPaths      []DistPath         `json:"topPaths"`
	CatStats      map[string]CatStat `json:"catStats"` // "R↔R", "C↔R", "C↔C"
	DistHistogram Histogram          `json:"distHistogram"`
	DistOverTime  []HourDist         `json:"distOverTime"`
}

// DistSummary totals the hop distances (km, 2 dp).
type DistSummary struct {
	TotalHops  int     `json:"totalHops"`
	TotalPaths int     `json:"totalPaths"`
	AvgDist    float64 `json:"avgDist"`
	MaxDist    float64 `json:"maxDist"`
}

// DistHop is one node pair's hop distance with its signal.
type DistHop struct {
	FromName  string   `json:"fromName"`
	FromPk    string   `json:"fromPk"`
	ToName    string   `json:"toName"`
	ToPk      string   `json:"toPk"`
	Dist      float64  `json:"dist"`
	Type      string   `json:"type"`
	BestSnr   *float64 `json:"bestSnr"`
	MedianSnr *float64 `json:"medianSnr"`
	ObsCount  int      `json:"obsCount"`
	Hash      string   `json:"hash"`
	Timestamp string   `json:"timestamp"`
}

// DistPath is one transmission's path with its hop distances.
type DistPath struct {
	Hash      string        `json:"hash"`
	TotalDist float64       `json:"totalDist"`
	HopCount  int           `json:"hopCount"`
	Timestamp string        `json:"timestamp"`
	Hops      []DistPathHop `json:"hops"`
}

// DistPathHop is one hop of a DistPath.
type DistPathHop struct {
	FromName string  `json:"fromName"`
	FromPk   string  `json:"fromPk"`
	ToName   string  `json:"toName"`
	ToPk     string  `json:"toPk"`
	Dist     float64 `json:"dist"`
}

// CatStat summarises the hops of one link type.
type CatStat struct {
	Count  int     `json:"count"`
	Avg    float64 `json:"avg"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// HourDist is the mean hop distance of one hour.
type HourDist struct {
	Hour  string  `json:"hour"`
	Avg   float64 `json:"avg"`
	Count int     `json:"count"`
}

// maxHopKm drops hops longer than this as implausible (a wrong prefix
// resolution), like the neighbour graph's default maxEdgeKm.
const maxHopKm = 500

func linkType(a, b *store.Node) string {
	ra, rb := isRelay(a.Role), isRelay(b.Role)
	switch {
	case ra && rb:
		return "R↔R"
	case ra || rb:
		return "C↔R"
	default:
		return "C↔C"
	}
}

// ComputeDistance measures every hop between two GPS-known nodes along each
// transmission's longest kept path (the originator of an advert first,
// then the resolved hops). Hops over 500 km are dropped as implausible.
func ComputeDistance(v *View, f Filter) Distance {
	type pairKey struct{ a, b string }
	type pairAcc struct {
		h    DistHop
		snrs []float64
		last int64
	}
	pairs := map[pairKey]*pairAcc{}
	cats := map[string][]float64{}
	var all []float64
	type hourAcc struct {
		n   int
		sum float64
	}
	hours := map[int64]*hourAcc{}
	var paths []DistPath
	totalPaths, minKept := 0, 0.0
	chain := make([]*store.Node, 0, 16)
	v.each(f, TimeWindow{}, func(t *store.Transmission, obs []*store.Observation) {
		best := obs[0]
		for _, o := range obs {
			if o.Path.Len() > best.Path.Len() {
				best = o
			}
		}
		chain = chain[:0]
		if t.PayloadType == 4 && t.FromPubkey != "" {
			chain = append(chain, v.Node(t.FromPubkey))
		}
		for i := 0; i < best.Path.Len(); i++ {
			chain = append(chain, v.hopNode(best, i))
		}
		var dp DistPath
		for i := 1; i < len(chain); i++ {
			a, b := chain[i-1], chain[i]
			if !HasGPS(a) || !HasGPS(b) || a.PublicKey == b.PublicKey {
				continue
			}
			d := haversineKm(a.Lat.V, a.Lon.V, b.Lat.V, b.Lon.V)
			if d > maxHopKm {
				continue
			}
			d = round(d, 2)
			typ := linkType(a, b)
			all = append(all, d)
			cats[typ] = append(cats[typ], d)
			h := hourOf(t.FirstSeen)
			ha := hours[h]
			if ha == nil {
				ha = &hourAcc{}
				hours[h] = ha
			}
			ha.n++
			ha.sum += d
			dp.Hops = append(dp.Hops, DistPathHop{FromName: a.Name, FromPk: a.PublicKey, ToName: b.Name, ToPk: b.PublicKey, Dist: d})
			dp.TotalDist += d
			k := pairKey{a.PublicKey, b.PublicKey}
			if k.b < k.a {
				k.a, k.b = k.b, k.a
			}
			pa := pairs[k]
			if pa == nil {
				pa = &pairAcc{h: DistHop{FromName: a.Name, FromPk: a.PublicKey, ToName: b.Name, ToPk: b.PublicKey, Dist: d, Type: typ}}
				pairs[k] = pa
			}
			pa.h.ObsCount++
			if best.SNR.Valid {
				pa.snrs = append(pa.snrs, best.SNR.V)
			}
			if t.FirstSeen >= pa.last {
				pa.last, pa.h.Hash, pa.h.Timestamp = t.FirstSeen, t.Hash, store.FormatTime(t.FirstSeen)
			}
		}
		if len(dp.Hops) > 0 {
			totalPaths++
			dp.TotalDist = round(dp.TotalDist, 2)
			// Keep only what can still make the top 20 (bounded memory).
			if len(paths) < 4*maxTopPaths || dp.TotalDist > minKept {
				dp.Hash, dp.HopCount, dp.Timestamp = t.Hash, len(dp.Hops), store.FormatTime(t.FirstSeen)
				paths = append(paths, dp)
				if len(paths) >= 8*maxTopPaths {
					paths, minKept = trimPaths(paths)
				}
			}
		}
	})
	out := Distance{CatStats: map[string]CatStat{}}
	out.Summary.TotalHops, out.Summary.TotalPaths = len(all), totalPaths
	if len(all) > 0 {
		out.Summary.AvgDist = round(mean(all), 2)
		out.Summary.MaxDist = slices.Max(all)
	}
	out.TopHops = make([]DistHop, 0, 20)
	for _, pa := range pairs {
		if len(pa.snrs) > 0 {
			b, m := slices.Max(pa.snrs), median(pa.snrs)
			pa.h.BestSnr, pa.h.MedianSnr = &b, &m
		}
		out.TopHops = append(out.TopHops, pa.h)
	}
	sort.Slice(out.TopHops, func(i, j int) bool {
		a, b := out.TopHops[i], out.TopHops[j]
		return a.Dist > b.Dist || (a.Dist == b.Dist && a.FromPk+a.ToPk < b.FromPk+b.ToPk)
	})
	out.TopHops = out.TopHops[:min(20, len(out.TopHops))]
	paths, _ = trimPaths(paths)
	out.TopPaths = paths[:min(maxTopPaths, len(paths))]
	if out.TopPaths == nil {
		out.TopPaths = []DistPath{}
	}
	for typ, ds := range cats {
		slices.Sort(ds)
		out.CatStats[typ] = CatStat{Count: len(ds), Avg: round(mean(ds), 2), Median: round(sortedMedian(ds), 2), Min: ds[0], Max: ds[len(ds)-1]}
	}
	out.DistHistogram = histogram(all, 25, 1)
	out.DistOverTime = make([]HourDist, 0, len(hours))
	for h, a := range hours {
		out.DistOverTime = append(out.DistOverTime, HourDist{Hour: hourKey(h), Avg: round(a.sum/float64(a.n), 2), Count: a.n})
	}
	sort.Slice(out.DistOverTime, func(i, j int) bool { return out.DistOverTime[i].Hour < out.DistOverTime[j].Hour })
	return out
}

const maxTopPaths = 20

// trimPaths sorts paths longest first, keeps the top 4×20 and returns the
// shortest total kept (anything shorter can no longer make the top 20).
func trimPaths(paths []DistPath) ([]DistPath, float64) {
	sort.Slice(paths, func(i, j int) bool {
		return paths[i].TotalDist > paths[j].TotalDist || (paths[i].TotalDist == paths[j].TotalDist && paths[i].Hash < paths[j].Hash)
	})
	paths = paths[:min(len(paths), 4*maxTopPaths)]
	if len(paths) == 0 {
		return paths, 0
	}
	return paths, paths[len(paths)-1].TotalDist
}
