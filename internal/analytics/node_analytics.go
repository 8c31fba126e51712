package analytics

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// NodeAnalytics is GET /api/nodes/{pubkey}/analytics?days=N (API.md §5.5).
type NodeAnalytics struct {
	Node                 store.NodeJSON         `json:"node"`
	NodeTimeRange        NodeTimeRange          `json:"timeRange"`
	ActivityTimeline     []NodeActivityBucket   `json:"activityTimeline"`
	SNRTrend             []NodeSNRPoint         `json:"snrTrend"`
	PacketTypeBreakdown  []NodeTypeCount        `json:"packetTypeBreakdown"`
	NodeObserverCoverage []NodeObserverCoverage `json:"observerCoverage"`
	HopDistribution      []NodeHopCount         `json:"hopDistribution"`
	PeerInteractions     []NodePeerInteraction  `json:"peerInteractions"`
	UptimeHeatmap        []NodeHeatCell         `json:"uptimeHeatmap"`
	ComputedStats        NodeComputedStats      `json:"computedStats"`
	ClockSkew            *NodeClockSkew         `json:"clockSkew,omitempty"`
}

// NodeTimeRange is the analysed window.
type NodeTimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
}

// NodeActivityBucket is one hour of the activity timeline.
type NodeActivityBucket struct {
	Bucket string `json:"bucket"`
	Count  int    `json:"count"`
}

// NodeSNRPoint is one observation's signal.
type NodeSNRPoint struct {
	Timestamp    string   `json:"timestamp"`
	SNR          float64  `json:"snr"`
	RSSI         *float64 `json:"rssi"`
	ObserverID   *string  `json:"observer_id"`
	ObserverName *string  `json:"observer_name"`
}

// NodeTypeCount counts packets of one payload type.
type NodeTypeCount struct {
	PayloadType int `json:"payload_type"`
	Count       int `json:"count"`
}

// NodeObserverCoverage is one observer's view of the node in the window.
type NodeObserverCoverage struct {
	ObserverID   string   `json:"observer_id"`
	ObserverName *string  `json:"observer_name"`
	PacketCount  int      `json:"packetCount"`
	AvgSNR       *float64 `json:"avgSnr"`
	AvgRSSI      *float64 `json:"avgRssi"`
	IATA         *string  `json:"iata,omitempty"`
	FirstSeen    string   `json:"firstSeen,omitempty"`
	LastSeen     string   `json:"lastSeen,omitempty"`
}

// NodeHopCount counts packets by hop count ("0".."3", "4+").
type NodeHopCount struct {
	Hops  string `json:"hops"`
	Count int    `json:"count"`
}

// NodePeerInteraction is a node the analysed node exchanged direct messages with.
type NodePeerInteraction struct {
	PeerKey      string  `json:"peer_key"`
	PeerName     *string `json:"peer_name"`
	MessageCount int     `json:"messageCount"`
	LastContact  string  `json:"lastContact"`
}

// NodeHeatCell counts packets in one weekday (0 = Sunday, UTC) and hour.
type NodeHeatCell struct {
	DayOfWeek int `json:"dayOfWeek"`
	Hour      int `json:"hour"`
	Count     int `json:"count"`
}

// NodeComputedStats are the node analytics page's stat cards.
type NodeComputedStats struct {
	AvailabilityPct     float64 `json:"availabilityPct"`
	LongestSilenceMs    int64   `json:"longestSilenceMs"`
	LongestSilenceStart *string `json:"longestSilenceStart"`
	SignalGrade         string  `json:"signalGrade"`
	SNRMean             float64 `json:"snrMean"`
	SNRStdDev           float64 `json:"snrStdDev"`
	RelayPct            float64 `json:"relayPct"`
	TotalPackets        int     `json:"totalPackets"`
	UniqueObservers     int     `json:"uniqueObservers"`
	UniquePeers         int     `json:"uniquePeers"`
	AvgPacketsPerDay    float64 `json:"avgPacketsPerDay"`
}

// MaxSNRTrend caps snrTrend at the newest points: a busy repeater over a
// year has hundreds of thousands of observations, more than a chart can show.
const MaxSNRTrend = 500

// NodeAnalyticsInput is what ComputeNodeAnalytics reads.
type NodeAnalyticsInput struct {
	Node store.NodeJSON // the row echoed as "node"
	// Txs are the transmissions indexed to the node (its adverts and the
	// packets whose path resolves to it), ascending id. Shared: not modified.
	Txs       []*store.Transmission
	Observer  func(idx int64) *store.Observer
	PeerName  func(hashPrefix string) *string // name of the unique node with this prefix
	ClockSkew *NodeClockSkew
	Now       time.Time
	Days      int
}

// ComputeNodeAnalytics summarises the node's packets whose first_seen lies in
// the last Days before Now.
func ComputeNodeAnalytics(in NodeAnalyticsInput) NodeAnalytics {
	nowMs := in.Now.UnixMilli()
	fromMs := nowMs - int64(in.Days)*86400*1000
	out := NodeAnalytics{
		Node:          in.Node,
		NodeTimeRange: NodeTimeRange{store.FormatTime(fromMs), store.FormatTime(nowMs), in.Days},
		ClockSkew:     in.ClockSkew,
	}
	var txs []*store.Transmission
	for _, t := range in.Txs {
		if t.FirstSeen >= fromMs && t.FirstSeen <= nowMs {
			txs = append(txs, t)
		}
	}
	sort.SliceStable(txs, func(i, j int) bool { return txs[i].FirstSeen < txs[j].FirstSeen })

	hours := map[int64]int{}
	heat := map[[2]int]int{}
	types := map[int]int{}
	hopCounts := [5]int{}
	relayed := 0
	for _, t := range txs {
		hours[naFloorDiv(t.FirstSeen, 3600_000)]++
		tm := time.UnixMilli(t.FirstSeen).UTC()
		heat[[2]int{int(tm.Weekday()), tm.Hour()}]++
		if t.PayloadType >= 0 {
			types[int(t.PayloadType)]++
		}
		h := 0
		if b := t.Best(); b != nil {
			h = b.Path.Len()
		}
		hopCounts[min(h, 4)]++
		if h > 0 {
			relayed++
		}
	}
	out.ActivityTimeline = hourBuckets(hours)
	out.UptimeHeatmap = heatCells(heat)
	out.PacketTypeBreakdown = typeCounts(types)
	out.HopDistribution = []NodeHopCount{}
	for i, c := range hopCounts {
		if c > 0 {
			label := []string{"0", "1", "2", "3", "4+"}[i]
			out.HopDistribution = append(out.HopDistribution, NodeHopCount{label, c})
		}
	}
	var snrs []float64
	out.NodeObserverCoverage, out.SNRTrend, snrs = coverage(txs, in.Observer)
	out.PeerInteractions = peers(txs, in.Node.PublicKey, in.PeerName)

	st := &out.ComputedStats
	st.TotalPackets = len(txs)
	st.UniqueObservers = len(out.NodeObserverCoverage)
	st.UniquePeers = len(out.PeerInteractions)
	if in.Days > 0 {
		st.AvailabilityPct = round(math.Min(100, float64(len(hours))*100/float64(in.Days*24)), 1)
		st.AvgPacketsPerDay = round(float64(len(txs))/float64(in.Days), 1)
	}
	if len(txs) > 0 {
		st.RelayPct = round(float64(relayed)*100/float64(len(txs)), 1)
	}
	for i := 1; i < len(txs); i++ {
		if gap := txs[i].FirstSeen - txs[i-1].FirstSeen; gap > st.LongestSilenceMs {
			st.LongestSilenceMs = gap
			s := store.FormatTime(txs[i-1].FirstSeen)
			st.LongestSilenceStart = &s
		}
	}
	if len(snrs) > 0 {
		st.SNRMean = round(mean(snrs), 1)
		st.SNRStdDev = round(stddev(snrs, mean(snrs)), 1)
	}
	st.SignalGrade = signalGrade(mean(snrs), stddev(snrs, mean(snrs)), len(snrs) > 0)
	return out
}

// signalGrade is the original's grade of the mean SNR and its spread.
func signalGrade(m, sd float64, any bool) string {
	switch {
	case !any:
		return "D"
	case m > 15 && sd < 2:
		return "A"
	case m > 15:
		return "A-"
	case m > 12 && sd < 3:
		return "B+"
	case m > 8:
		return "B"
	case m > 3:
		return "C"
	}
	return "D"
}

func hourBuckets(hours map[int64]int) []NodeActivityBucket {
	keys := make([]int64, 0, len(hours))
	for h := range hours {
		keys = append(keys, h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]NodeActivityBucket, len(keys))
	for i, h := range keys {
		out[i] = NodeActivityBucket{time.UnixMilli(h * 3600_000).UTC().Format("2006-01-02T15:00:00Z"), hours[h]}
	}
	return out
}

func heatCells(heat map[[2]int]int) []NodeHeatCell {
	out := make([]NodeHeatCell, 0, len(heat))
	for k, c := range heat {
		out = append(out, NodeHeatCell{k[0], k[1], c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DayOfWeek != out[j].DayOfWeek {
			return out[i].DayOfWeek < out[j].DayOfWeek
		}
		return out[i].Hour < out[j].Hour
	})
	return out
}

func typeCounts(types map[int]int) []NodeTypeCount {
	out := make([]NodeTypeCount, 0, len(types))
	for pt, c := range types {
		out = append(out, NodeTypeCount{pt, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].PayloadType < out[j].PayloadType
	})
	return out
}

// coverage returns per-observer packet counts and signal (packetCount desc),
// the SNR trend (oldest first, the newest MaxSNRTrend points) and every SNR.
func coverage(txs []*store.Transmission, observer func(int64) *store.Observer) ([]NodeObserverCoverage, []NodeSNRPoint, []float64) {
	type acc struct {
		packets         int
		snrSum, rssiSum float64
		snrN, rssiN     int
		first, last     int64
		lastTx          int64
	}
	by := map[int64]*acc{}
	var withSNR []*store.Observation
	var snrs []float64
	for _, t := range txs {
		for _, o := range t.Observations() {
			a := by[o.ObserverIdx]
			if a == nil {
				a = &acc{first: o.Timestamp}
				by[o.ObserverIdx] = a
			}
			if a.lastTx != t.ID { // a packet counts once per observer
				a.packets++
				a.lastTx = t.ID
			}
			a.first, a.last = min(a.first, o.Timestamp), max(a.last, o.Timestamp)
			if o.RSSI.Valid {
				a.rssiSum += o.RSSI.V
				a.rssiN++
			}
			if !o.SNR.Valid {
				continue
			}
			a.snrSum += o.SNR.V
			a.snrN++
			snrs = append(snrs, o.SNR.V)
			withSNR = append(withSNR, o)
		}
	}
	// Only the points kept are rendered (a busy node has hundreds of
	// thousands of observations).
	sort.SliceStable(withSNR, func(i, j int) bool { return withSNR[i].Timestamp < withSNR[j].Timestamp })
	withSNR = withSNR[max(0, len(withSNR)-MaxSNRTrend):]
	trend := make([]NodeSNRPoint, len(withSNR))
	for i, o := range withSNR {
		trend[i] = NodeSNRPoint{Timestamp: store.FormatTime(o.Timestamp), SNR: o.SNR.V, RSSI: o.RSSI.Ptr()}
		if ob := observer(o.ObserverIdx); ob != nil {
			trend[i].ObserverID, trend[i].ObserverName = &ob.ID, optName(ob.Name)
		}
	}
	out := make([]NodeObserverCoverage, 0, len(by))
	for idx, a := range by {
		c := NodeObserverCoverage{PacketCount: a.packets, FirstSeen: store.FormatTime(a.first), LastSeen: store.FormatTime(a.last)}
		if ob := observer(idx); ob != nil {
			c.ObserverID, c.ObserverName = ob.ID, optName(ob.Name)
			if ob.IATA != "" {
				iata := ob.IATA
				c.IATA = &iata
			}
		}
		if a.snrN > 0 {
			v := round(a.snrSum/float64(a.snrN), 1)
			c.AvgSNR = &v
		}
		if a.rssiN > 0 {
			v := round(a.rssiSum/float64(a.rssiN), 1)
			c.AvgRSSI = &v
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PacketCount != out[j].PacketCount {
			return out[i].PacketCount > out[j].PacketCount
		}
		return out[i].ObserverID < out[j].ObserverID
	})
	return out, trend, snrs
}

// peers counts direct messages (payloads with srcHash/destHash) between the
// node (its first pubkey byte) and others: top 20 by count.
func peers(txs []*store.Transmission, pubkey string, name func(string) *string) []NodePeerInteraction {
	out := []NodePeerInteraction{}
	if len(pubkey) < 2 {
		return out
	}
	self := strings.ToLower(pubkey[:2])
	type acc struct {
		n    int
		last int64
	}
	by := map[string]*acc{}
	for _, t := range txs {
		if !hasPeerHashes(t.PayloadType) {
			continue
		}
		src := strings.ToLower(jsonStringAfter(t.DecodedJSON, `"srcHash":"`))
		dst := strings.ToLower(jsonStringAfter(t.DecodedJSON, `"destHash":"`))
		var peer string
		switch {
		case src == self && dst != "" && dst != self:
			peer = dst
		case dst == self && src != "" && src != self:
			peer = src
		default:
			continue
		}
		a := by[peer]
		if a == nil {
			a = &acc{}
			by[peer] = a
		}
		a.n++
		a.last = max(a.last, t.FirstSeen)
	}
	for k, a := range by {
		p := NodePeerInteraction{PeerKey: k, MessageCount: a.n, LastContact: store.FormatTime(a.last)}
		if name != nil {
			p.PeerName = name(k)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MessageCount != out[j].MessageCount {
			return out[i].MessageCount > out[j].MessageCount
		}
		return out[i].PeerKey < out[j].PeerKey
	})
	return out[:min(20, len(out))]
}

func optName(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
