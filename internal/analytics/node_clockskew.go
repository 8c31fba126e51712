package analytics

import (
	"encoding/json"
	"math"
	"sort"

	"github.com/corescope/corescope/internal/store"
)

// NodeClockSkew is a node's advert clock analysis (API.md §5.5). The fleet
// list omits Samples, RecentHashEvidence and CalibrationSummary.
type NodeClockSkew struct {
	Pubkey               string              `json:"pubkey"`
	MeanSkewSec          float64             `json:"meanSkewSec"`
	MedianSkewSec        float64             `json:"medianSkewSec"`
	LastSkewSec          float64             `json:"lastSkewSec"`
	RecentMedianSkewSec  float64             `json:"recentMedianSkewSec"`
	DriftPerDaySec       float64             `json:"driftPerDaySec"`
	Severity             string              `json:"severity"`
	SampleCount          int                 `json:"sampleCount"`
	Calibrated           bool                `json:"calibrated"`
	LastAdvertTS         int64               `json:"lastAdvertTS"`
	LastObservedTS       int64               `json:"lastObservedTS"`
	GoodFraction         float64             `json:"goodFraction"`
	RecentBadSampleCount int                 `json:"recentBadSampleCount"`
	RecentSampleCount    int                 `json:"recentSampleCount"`
	NodeName             string              `json:"nodeName,omitempty"`
	NodeRole             string              `json:"nodeRole,omitempty"`
	Samples              []SkewSample        `json:"samples,omitempty"`
	RecentHashEvidence   []HashEvidence      `json:"recentHashEvidence,omitempty"`
	CalibrationSummary   *CalibrationSummary `json:"calibrationSummary,omitempty"`
}

// SkewSample is one advert: observation time (unix s) and corrected skew (s).
type SkewSample struct {
	TS   int64   `json:"ts"`
	Skew float64 `json:"skew"`
}

// HashEvidence is one recent advert with each observer's view of it.
type HashEvidence struct {
	Hash                   string             `json:"hash"`
	Observers              []ObserverEvidence `json:"observers"`
	MedianCorrectedSkewSec float64            `json:"medianCorrectedSkewSec"`
	Timestamp              int64              `json:"timestamp"`
}

// ObserverEvidence is one observation of an advert.
type ObserverEvidence struct {
	ObserverID        string  `json:"observerID"`
	ObserverName      string  `json:"observerName"`
	RawSkewSec        float64 `json:"rawSkewSec"`
	CorrectedSkewSec  float64 `json:"correctedSkewSec"`
	ObserverOffsetSec float64 `json:"observerOffsetSec"`
	Calibrated        bool    `json:"calibrated"`
}

// CalibrationSummary counts the observations behind the samples.
type CalibrationSummary struct {
	TotalSamples        int `json:"totalSamples"`
	CalibratedSamples   int `json:"calibratedSamples"`
	UncalibratedSamples int `json:"uncalibratedSamples"`
}

// ClockSkewTable is every node's clock analysis. It encodes as the fleet
// list (GET /api/nodes/clock-skew); Node gives the full entry.
type ClockSkewTable struct {
	list  []NodeClockSkew // fleet form, sorted by pubkey
	byKey map[string]*NodeClockSkew
}

// MarshalJSON encodes the fleet list (a bare array).
func (c *ClockSkewTable) MarshalJSON() ([]byte, error) { return json.Marshal(c.list) }

// Node returns the full analysis of pubkey (lower-case), or nil.
func (c *ClockSkewTable) Node(pubkey string) *NodeClockSkew {
	if c == nil {
		return nil
	}
	return c.byKey[pubkey]
}

// Fleet returns the fleet list. Shared: never modify.
func (c *ClockSkewTable) Fleet() []NodeClockSkew { return c.list }

// Clock-skew tuning.
const (
	recentSkewWindowSec = 24 * 3600 // "recent" = within a day of the newest sample
	badSkewSec          = 3600      // a sample this far off counts as bad
	recentEvidence      = 5         // adverts listed in recentHashEvidence
	minDriftSpanSec     = 6 * 3600  // drift needs samples spanning this long
)

// ComputeNodeClockSkews analyses the sender timestamp of every ADVERT in
// adverts: per observation, raw skew = advert timestamp − observation time,
// corrected by the observer's offset when that is calibrated
// (ComputeObserverSkews); an advert's sample is the median corrected skew of
// its observations. Positive = node clock ahead. node resolves a pubkey
// (nil = not listed: blacklisted or unknown), keep filters nodes (nil = all,
// e.g. an area), observer resolves observation idxs.
func ComputeNodeClockSkews(adverts []*store.Transmission, offsets ObserverOffsets,
	node func(pk string) *store.Node, keep func(*store.Node) bool, observer func(idx int64) *store.Observer) *ClockSkewTable {
	type acc struct {
		samples  []SkewSample
		evidence []HashEvidence
		lastTS   int64
		cal      CalibrationSummary
	}
	by := map[string]*acc{}
	var corr []float64
	for _, t := range adverts {
		if t.FromPubkey == "" || t.DecodedJSON == "" {
			continue
		}
		n := node(t.FromPubkey)
		if n == nil || (keep != nil && !keep(n)) {
			continue
		}
		ts := advertTimestamp(t)
		if ts <= 0 {
			continue
		}
		a := by[t.FromPubkey]
		if a == nil {
			a = &acc{}
			by[t.FromPubkey] = a
		}
		corr = corr[:0]
		ev := HashEvidence{Hash: t.Hash, Observers: []ObserverEvidence{}}
		var seenAt int64
		for _, o := range t.Observations() {
			obsSec := o.Timestamp / 1000
			raw := float64(ts - obsSec)
			off, cal := offsets.Offset(o.ObserverIdx)
			// An observer whose times run off seconds ahead makes the advert
			// look off seconds early: add it back.
			c := raw + off
			corr = append(corr, c)
			a.cal.TotalSamples++
			if cal {
				a.cal.CalibratedSamples++
			} else {
				a.cal.UncalibratedSamples++
			}
			e := ObserverEvidence{RawSkewSec: round(raw, 1), CorrectedSkewSec: round(c, 1), ObserverOffsetSec: off, Calibrated: cal}
			if ob := observer(o.ObserverIdx); ob != nil {
				e.ObserverID, e.ObserverName = ob.ID, ob.Name
			}
			ev.Observers = append(ev.Observers, e)
			if seenAt == 0 || obsSec < seenAt {
				seenAt = obsSec
			}
		}
		if len(corr) == 0 {
			continue
		}
		med := round(median(corr), 1)
		ev.MedianCorrectedSkewSec, ev.Timestamp = med, seenAt
		a.samples = append(a.samples, SkewSample{TS: seenAt, Skew: med})
		a.evidence = append(a.evidence, ev)
		a.lastTS = max(a.lastTS, ts)
	}
	tbl := &ClockSkewTable{list: make([]NodeClockSkew, 0, len(by)), byKey: make(map[string]*NodeClockSkew, len(by))}
	for pk, a := range by {
		if len(a.samples) == 0 {
			continue
		}
		full := summarizeSkew(pk, a.samples, a.evidence, a.cal)
		full.LastAdvertTS = a.lastTS
		if n := node(pk); n != nil {
			full.NodeName, full.NodeRole = n.Name, n.Role
		}
		tbl.byKey[pk] = full
		fleet := *full
		fleet.Samples, fleet.RecentHashEvidence, fleet.CalibrationSummary = nil, nil, nil
		tbl.list = append(tbl.list, fleet)
	}
	sort.Slice(tbl.list, func(i, j int) bool { return tbl.list[i].Pubkey < tbl.list[j].Pubkey })
	return tbl
}

// summarizeSkew computes the statistics of one node's samples (any order).
func summarizeSkew(pk string, samples []SkewSample, evidence []HashEvidence, cal CalibrationSummary) *NodeClockSkew {
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].TS < samples[j].TS })
	sort.SliceStable(evidence, func(i, j int) bool { return evidence[i].Timestamp > evidence[j].Timestamp })
	all := make([]float64, len(samples))
	for i, s := range samples {
		all[i] = s.Skew
	}
	last := samples[len(samples)-1]
	var recent []float64
	bad, good := 0, 0
	for _, s := range samples {
		if s.TS < last.TS-recentSkewWindowSec {
			continue
		}
		recent = append(recent, s.Skew)
		if math.Abs(s.Skew) >= badSkewSec {
			bad++
		} else {
			good++
		}
	}
	r := &NodeClockSkew{
		Pubkey:               pk,
		MeanSkewSec:          round(mean(all), 1),
		MedianSkewSec:        round(median(all), 1),
		LastSkewSec:          last.Skew,
		RecentMedianSkewSec:  round(median(recent), 1),
		DriftPerDaySec:       round(driftPerDay(samples), 2),
		SampleCount:          len(samples),
		Calibrated:           cal.CalibratedSamples > 0,
		LastObservedTS:       last.TS,
		GoodFraction:         round(float64(good)/float64(len(recent)), 2),
		RecentBadSampleCount: bad,
		RecentSampleCount:    len(recent),
		Samples:              samples,
		RecentHashEvidence:   evidence[:min(recentEvidence, len(evidence))],
		CalibrationSummary:   &cal,
	}
	r.Severity = SkewSeverity(math.Abs(r.RecentMedianSkewSec))
	if good >= 2 && bad >= 2 {
		// The clock alternates between right and wrong (e.g. a GPS that
		// loses its fix): no single figure describes it.
		r.Severity = "bimodal_clock"
	}
	return r
}

// driftPerDay is the least-squares slope of skew over time (s/day) of the
// samples within an hour of the true time, 0 when they span less than
// minDriftSpanSec or are fewer than three.
func driftPerDay(samples []SkewSample) float64 {
	var xs, ys []float64
	for _, s := range samples {
		if math.Abs(s.Skew) < badSkewSec {
			xs = append(xs, float64(s.TS))
			ys = append(ys, s.Skew)
		}
	}
	if len(xs) < 3 || xs[len(xs)-1]-xs[0] < minDriftSpanSec {
		return 0
	}
	mx, my := mean(xs), mean(ys)
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den * 86400
}
