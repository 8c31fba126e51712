package analytics

import (
	"math"
	"sort"

	"github.com/corescope/corescope/internal/store"
)

// ObserverSkew is one row of GET /api/observers/clock-skew.
type ObserverSkew struct {
	ObserverID string  `json:"observerID"`
	OffsetSec  float64 `json:"offsetSec"` // + = the observer's timestamps run ahead of its peers'
	Samples    int     `json:"samples"`
}

// minCalibrationSamples is how many shared packets an observer needs before
// its offset is trusted to correct node clock samples (else "uncalibrated").
const minCalibrationSamples = 10

// ObserverOffsets is the per-observer calibration of ComputeObserverSkews,
// by observer idx.
type ObserverOffsets map[int64]ObserverSkew

// Offset returns the observer's offset in seconds and whether it is
// calibrated (enough shared packets).
func (m ObserverOffsets) Offset(idx int64) (float64, bool) {
	s, ok := m[idx]
	if !ok || s.Samples < minCalibrationSamples {
		return 0, false
	}
	return s.OffsetSec, true
}

// ComputeObserverSkews estimates each observer's clock offset from packets
// heard by at least two observers: per packet, an observer's deviation is its
// observation time minus the median observation time of that packet; the
// offset is the median deviation (1 dp). Observation times are the times the
// ingestor stored (INGEST §5.2), so for bridge-fed observers the offset
// measures how late their packets reach the ingestor relative to the others.
// observer resolves an observation's idx to its row (nil = unknown, skipped).
// Sorted by |offset| descending, then id.
func ComputeObserverSkews(txs []*store.Transmission, observer func(idx int64) *store.Observer) ([]ObserverSkew, ObserverOffsets) {
	devs := map[int64][]float64{}
	var ts []float64
	var idxs []int64
	for _, t := range txs {
		obs := t.Observations()
		if t.ObserverCount() < 2 {
			continue
		}
		ts, idxs = ts[:0], idxs[:0]
		for _, o := range obs {
			if o.ObserverIdx == 0 || containsIdx(idxs, o.ObserverIdx) {
				continue // first observation per observer only
			}
			idxs = append(idxs, o.ObserverIdx)
			ts = append(ts, float64(o.Timestamp)/1000)
		}
		if len(idxs) < 2 {
			continue
		}
		med := median(ts)
		for i, idx := range idxs {
			devs[idx] = append(devs[idx], ts[i]-med)
		}
	}
	offsets := ObserverOffsets{}
	out := make([]ObserverSkew, 0, len(devs))
	for idx, d := range devs {
		o := observer(idx)
		if o == nil {
			continue
		}
		s := ObserverSkew{ObserverID: o.ID, OffsetSec: round(median(d), 1), Samples: len(d)}
		offsets[idx] = s
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := math.Abs(out[i].OffsetSec), math.Abs(out[j].OffsetSec)
		if a != b {
			return a > b
		}
		return out[i].ObserverID < out[j].ObserverID
	})
	return out, offsets
}

func containsIdx(l []int64, v int64) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}
