package analytics

import (
	"math"
	"slices"
	"time"
)

// round rounds x to dp decimal places.
func round(x float64, dp int) float64 {
	p := math.Pow(10, float64(dp))
	return math.Round(x*p) / p
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// median returns the middle value (mean of the two middle ones for an even
// count); it sorts a copy.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// sortedMedian is median of an already sorted slice.
func sortedMedian(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stddev is the population standard deviation.
func stddev(xs []float64, m float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)))
}

// Histogram is the original's histogram shape: equal-width bins from min to
// max; a value equal to max falls in the last bin.
type Histogram struct {
	Bins []Bin   `json:"bins"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// Bin is one histogram bin: start X, width W.
type Bin struct {
	X     float64 `json:"x"`
	W     float64 `json:"w"`
	Count int     `json:"count"`
}

// histogram bins xs into n bins; dp ≥ 0 rounds x and w to dp decimals.
// Empty input → no bins, min = max = 0.
func histogram(xs []float64, n, dp int) Histogram {
	if len(xs) == 0 {
		return Histogram{Bins: []Bin{}}
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	w := span / float64(n)
	h := Histogram{Bins: make([]Bin, n), Min: lo, Max: hi}
	for i := range h.Bins {
		h.Bins[i] = Bin{X: lo + float64(i)*w, W: w}
		if dp >= 0 {
			h.Bins[i].X, h.Bins[i].W = round(h.Bins[i].X, dp), round(w, dp)
		}
	}
	for _, x := range xs {
		i := int((x - lo) / w)
		i = min(max(i, 0), n-1)
		h.Bins[i].Count++
	}
	return h
}

// hourOf is the hour bucket of a unix-ms time (cheap map key; hourKey
// renders it once per bucket).
func hourOf(ms int64) int64 {
	if ms < 0 {
		return (ms - 3_599_999) / 3_600_000
	}
	return ms / 3_600_000
}

// hourKey renders an hour bucket as "YYYY-MM-DDTHH" UTC (API.md §5.6).
func hourKey(h int64) string {
	return time.UnixMilli(h * 3_600_000).UTC().Format("2006-01-02T15")
}
