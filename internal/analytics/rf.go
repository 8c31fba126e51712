package analytics

import (
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/store"
)

// RF is GET /api/analytics/rf.
type RF struct {
	TotalPackets       int            `json:"totalPackets"`       // observations with an SNR
	TotalAllPackets    int            `json:"totalAllPackets"`    // observations considered
	TotalTransmissions int            `json:"totalTransmissions"` // distinct transmissions
	SNR                Summary        `json:"snr"`
	RSSI               Summary        `json:"rssi"`
	SNRValues          Histogram      `json:"snrValues"`
	RSSIValues         Histogram      `json:"rssiValues"`
	PacketSizes        Histogram      `json:"packetSizes"`
	MinPacketSize      int            `json:"minPacketSize"`
	MaxPacketSize      int            `json:"maxPacketSize"`
	AvgPacketSize      int            `json:"avgPacketSize"`
	PacketsPerHour     []HourCount    `json:"packetsPerHour"`
	PayloadTypes       []TypeCount    `json:"payloadTypes"`
	SNRByType          []TypeSignal   `json:"snrByType"`
	SignalOverTime     []HourSignal   `json:"signalOverTime"`
	ScatterData        []ScatterPoint `json:"scatterData"`
	TimeSpanHours      float64        `json:"timeSpanHours"`
}

// Summary is min/max/avg/median/stddev of a sample (zeros when empty).
type Summary struct {
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Avg    float64 `json:"avg"`
	Median float64 `json:"median"`
	Stddev float64 `json:"stddev"`
}

// HourCount is a count per UTC hour ("YYYY-MM-DDTHH").
type HourCount struct {
	Hour  string `json:"hour"`
	Count int    `json:"count"`
}

// TypeCount counts transmissions of one payload type.
type TypeCount struct {
	Type  *int   `json:"type"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TypeSignal is the SNR of one payload type's observations.
type TypeSignal struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	Avg   float64 `json:"avg"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// HourSignal is the observation count and mean SNR of one hour.
type HourSignal struct {
	Hour   string  `json:"hour"`
	Count  int     `json:"count"`
	AvgSnr float64 `json:"avgSnr"`
}

// ScatterPoint is one (SNR, RSSI) observation.
type ScatterPoint struct {
	SNR  float64 `json:"snr"`
	RSSI float64 `json:"rssi"`
}

const scatterTarget = 500

func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := mean(s)
	return Summary{Min: s[0], Max: s[len(s)-1], Avg: m, Median: sortedMedian(s), Stddev: stddev(s, m)}
}

// payloadName is the original's name for a payload type; unknown → "UNK(n)".
func payloadName(pt int8) string {
	if pt < 0 {
		return "UNK(null)"
	}
	n := meshcore.PayloadTypeName(int(pt))
	if n == "UNKNOWN" {
		return "UNK(" + strconv.Itoa(int(pt)) + ")"
	}
	return n
}

// ComputeRF summarises the signal of every observation in scope: SNR/RSSI
// statistics and histograms (observations with a value), packet sizes (one
// per transmission, raw bytes), hourly volume (all observations) and signal,
// per-type counts (transmissions) and SNR (observations), and a scatter of
// (SNR, RSSI) pairs down-sampled by a fixed stride to about 500 points.
func ComputeRF(v *View, p Scope) RF {
	var snr, rssi, sizes []float64
	var pairs []ScatterPoint
	perHour := map[int64]int{}
	type hourAcc struct {
		n   int
		sum float64
	}
	sigHour := map[int64]*hourAcc{}
	typeTx := map[int8]int{}
	type typeAcc struct {
		n             int
		sum, min, max float64
	}
	typeSNR := map[int8]*typeAcc{}
	out := RF{}
	var first, last int64
	v.each(p.Filter, p.Window, func(t *store.Transmission, obs []*store.Observation) {
		out.TotalTransmissions++
		sizes = append(sizes, float64(len(t.Raw)))
		typeTx[t.PayloadType]++
		for _, o := range obs {
			out.TotalAllPackets++
			if first == 0 || o.Timestamp < first {
				first = o.Timestamp
			}
			last = max(last, o.Timestamp)
			h := hourOf(o.Timestamp)
			perHour[h]++
			if o.RSSI.Valid {
				rssi = append(rssi, o.RSSI.V)
			}
			if !o.SNR.Valid {
				continue
			}
			snr = append(snr, o.SNR.V)
			if o.RSSI.Valid {
				pairs = append(pairs, ScatterPoint{SNR: o.SNR.V, RSSI: o.RSSI.V})
			}
			ha := sigHour[h]
			if ha == nil {
				ha = &hourAcc{}
				sigHour[h] = ha
			}
			ha.n++
			ha.sum += o.SNR.V
			ta := typeSNR[t.PayloadType]
			if ta == nil {
				ta = &typeAcc{min: o.SNR.V, max: o.SNR.V}
				typeSNR[t.PayloadType] = ta
			}
			ta.n++
			ta.sum += o.SNR.V
			ta.min, ta.max = math.Min(ta.min, o.SNR.V), math.Max(ta.max, o.SNR.V)
		}
	})
	out.TotalPackets = len(snr)
	out.SNR, out.RSSI = summarize(snr), summarize(rssi)
	out.SNRValues, out.RSSIValues = histogram(snr, 20, -1), histogram(rssi, 20, -1)
	out.PacketSizes = histogram(sizes, 25, -1)
	if len(sizes) > 0 {
		s := summarize(sizes)
		out.MinPacketSize, out.MaxPacketSize, out.AvgPacketSize = int(s.Min), int(s.Max), int(math.Round(s.Avg))
	}
	out.PacketsPerHour = make([]HourCount, 0, len(perHour))
	for h, n := range perHour {
		out.PacketsPerHour = append(out.PacketsPerHour, HourCount{hourKey(h), n})
	}
	sort.Slice(out.PacketsPerHour, func(i, j int) bool { return out.PacketsPerHour[i].Hour < out.PacketsPerHour[j].Hour })
	out.SignalOverTime = make([]HourSignal, 0, len(sigHour))
	for h, a := range sigHour {
		out.SignalOverTime = append(out.SignalOverTime, HourSignal{hourKey(h), a.n, a.sum / float64(a.n)})
	}
	sort.Slice(out.SignalOverTime, func(i, j int) bool { return out.SignalOverTime[i].Hour < out.SignalOverTime[j].Hour })
	out.PayloadTypes = make([]TypeCount, 0, len(typeTx))
	for pt, n := range typeTx {
		tc := TypeCount{Name: payloadName(pt), Count: n}
		if pt >= 0 {
			x := int(pt)
			tc.Type = &x
		}
		out.PayloadTypes = append(out.PayloadTypes, tc)
	}
	sort.Slice(out.PayloadTypes, func(i, j int) bool {
		a, b := out.PayloadTypes[i], out.PayloadTypes[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Name < b.Name
	})
	out.SNRByType = make([]TypeSignal, 0, len(typeSNR))
	for pt, a := range typeSNR {
		out.SNRByType = append(out.SNRByType, TypeSignal{Name: payloadName(pt), Count: a.n, Avg: a.sum / float64(a.n), Min: a.min, Max: a.max})
	}
	sort.Slice(out.SNRByType, func(i, j int) bool {
		a, b := out.SNRByType[i], out.SNRByType[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Name < b.Name
	})
	out.ScatterData = downsample(pairs, scatterTarget)
	if last > first {
		out.TimeSpanHours = float64(last-first) / 3.6e6
	}
	return out
}

// downsample keeps every k-th point so that about n remain (all when fewer).
func downsample(pts []ScatterPoint, n int) []ScatterPoint {
	if len(pts) <= n {
		if pts == nil {
			return []ScatterPoint{}
		}
		return pts
	}
	step := int(math.Ceil(float64(len(pts)) / float64(n)))
	out := make([]ScatterPoint, 0, n+1)
	for i := 0; i < len(pts); i += step {
		out = append(out, pts[i])
	}
	return out
}
