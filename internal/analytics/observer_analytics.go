package analytics

import (
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// ObserverAnalytics is GET /api/observers/{id}/analytics?days=N (API.md §5.8).
type ObserverAnalytics struct {
	Timeline        []ObserverLabelCount   `json:"timeline"`
	PacketTypes     map[string]int         `json:"packetTypes"` // payload type (decimal) → observations
	NodesTimeline   []ObserverLabelCount   `json:"nodesTimeline"`
	SNRDistribution []ObserverSNRRange     `json:"snrDistribution"`
	RecentPackets   []ObserverRecentPacket `json:"recentPackets"`
}

// ObserverLabelCount is one time bucket of a timeline.
type ObserverLabelCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ObserverSNRRange is one 2 dB SNR bucket ("a to b").
type ObserverSNRRange struct {
	Range string `json:"range"`
	Count int    `json:"count"`
}

// ObserverRecentPacket is an observation in the original's enriched "store map" form
// (the key set of observer-analytics.json's recentPackets).
type ObserverRecentPacket struct {
	ID             int64    `json:"id"`
	TransmissionID int64    `json:"transmission_id"`
	Hash           string   `json:"hash"`
	ObserverID     *string  `json:"observer_id"`
	ObserverName   *string  `json:"observer_name"`
	SNR            *float64 `json:"snr"`
	RSSI           *float64 `json:"rssi"`
	PathJSON       string   `json:"path_json"`
	Timestamp      string   `json:"timestamp"`
	RawHex         string   `json:"raw_hex"`
	PayloadType    *int     `json:"payload_type"`
	DecodedJSON    *string  `json:"decoded_json"`
	RouteType      *int     `json:"route_type"`
}

// ObserverAnalyticsDays are the windows the observer page offers; they are
// kept warm for every observer.
var ObserverAnalyticsDays = []int{1, 3, 7, 30}

// observerBucket returns the bucket width and label layout for a window of
// days (API.md §5.8): ≤1 day hourly, ≤7 days 4-hourly, else daily.
func observerBucket(days int) (time.Duration, string) {
	switch {
	case days <= 1:
		return time.Hour, "15:04"
	case days <= 7:
		return 4 * time.Hour, "Mon 15:04"
	}
	return 24 * time.Hour, "Jan 02"
}

// observerWindow returns the number of buckets of a days window and the
// index (unix ms / width) of the first: the window is the last n whole buckets
// up to and including the current one, so no two buckets share a label.
func observerWindow(now time.Time, days int) (n int, first int64) {
	width, _ := observerBucket(days)
	n = max(1, int(time.Duration(days)*24*time.Hour/width))
	return n, naFloorDiv(now.UnixMilli(), width.Milliseconds()) - int64(n) + 1
}

// ComputeObserverAnalytics summarises the observations obs of observer o
// (ascending id, as the store keeps them) that fall in the window of
// observerWindow.
//
// Unlike the original, the timelines list every bucket of the window
// (zero counts included) in time order: the original listed only non-empty
// buckets, so a silent observer's chart closed its gaps.
func ComputeObserverAnalytics(o *store.Observer, obs []*store.Observation, now time.Time, days int) ObserverAnalytics {
	width, layout := observerBucket(days)
	w := width.Milliseconds()
	nowMs := now.UnixMilli()
	n, first := observerWindow(now, days)
	from := first * w
	counts := make([]int, n)
	nodeCounts := make([]int, n)
	heard := nodeBuckets{ids: map[string]int32{}, bits: make([][]uint64, n)}
	out := ObserverAnalytics{PacketTypes: map[string]int{}, SNRDistribution: []ObserverSNRRange{}, RecentPackets: []ObserverRecentPacket{}}
	snr := map[int]int{}
	var recent []*store.Observation
	// obs ascend by id, which follows the receive time (the ingestor stamps
	// observations as it writes them; imports go in time order): walk back
	// from the newest and stop a day past the window start (slack for
	// reordering within the ingestor's batches), instead of scanning the
	// whole history for a one-day window.
	stop := from - 24*3600*1000
	for i := len(obs) - 1; i >= 0; i-- {
		ob := obs[i]
		if ob.Timestamp < stop {
			break
		}
		if ob.Timestamp < from || ob.Timestamp > nowMs {
			continue
		}
		b := int(naFloorDiv(ob.Timestamp, w) - first)
		counts[b]++
		addHeardNodes(ob, func(key string) {
			if heard.add(b, key) {
				nodeCounts[b]++
			}
		})
		if pt := ob.Tx.PayloadType; pt >= 0 {
			out.PacketTypes[strconv.Itoa(int(pt))]++
		}
		if ob.SNR.Valid {
			snr[int(math.Floor(ob.SNR.V/2))*2]++
		}
		recent = keepNewest(recent, ob, 20)
	}
	out.Timeline = make([]ObserverLabelCount, n)
	out.NodesTimeline = make([]ObserverLabelCount, n)
	for i := range counts {
		label := time.UnixMilli((first + int64(i)) * w).UTC().Format(layout)
		out.Timeline[i] = ObserverLabelCount{label, counts[i]}
		out.NodesTimeline[i] = ObserverLabelCount{label, nodeCounts[i]}
	}
	lows := make([]int, 0, len(snr))
	for lo := range snr {
		lows = append(lows, lo)
	}
	sort.Ints(lows)
	for _, lo := range lows {
		out.SNRDistribution = append(out.SNRDistribution, ObserverSNRRange{fmt.Sprintf("%d to %d", lo, lo+2), snr[lo]})
	}
	for _, ob := range recent[:min(20, len(recent))] {
		out.RecentPackets = append(out.RecentPackets, recentObs(o, ob))
	}
	return out
}

// nodeBuckets records which nodes were heard in which bucket: each node key
// gets a small id once, and each bucket a bitset of ids (one string lookup
// per key instead of a (bucket, key) map entry).
type nodeBuckets struct {
	ids  map[string]int32
	bits [][]uint64
}

// add marks key as heard in bucket b and reports whether it was new there.
func (nb *nodeBuckets) add(b int, key string) bool {
	id, ok := nb.ids[key]
	if !ok {
		id = int32(len(nb.ids))
		nb.ids[key] = id
	}
	w := int(id >> 6)
	if w >= len(nb.bits[b]) {
		nb.bits[b] = append(nb.bits[b], make([]uint64, w-len(nb.bits[b])+1)...)
	}
	m := uint64(1) << (id & 63)
	if nb.bits[b][w]&m != 0 {
		return false
	}
	nb.bits[b][w] |= m
	return true
}

// addHeardNodes calls add with the nodes an observation names: the advert's
// sender (full pubkey), the payload's source/destination hashes and the path
// hops (the original's "distinct nodes per bucket"). Hashes and hops are
// keyed by their raw bytes, so a hop and a hash of the same node prefix count
// once, and no hex string is built per hop.
func addHeardNodes(ob *store.Observation, add func(string)) {
	t := ob.Tx
	if t.FromPubkey != "" {
		add(t.FromPubkey)
	}
	if hasPeerHashes(t.PayloadType) {
		for _, k := range []string{`"srcHash":"`, `"destHash":"`} {
			if v := jsonStringAfter(t.DecodedJSON, k); v != "" {
				if b, err := hex.DecodeString(v); err == nil {
					add(string(b))
				}
			}
		}
	}
	if n := int(ob.Path.HopSize); n > 0 {
		for i := 0; i+n <= len(ob.Path.Hops); i += n {
			add(ob.Path.Hops[i : i+n])
		}
	}
}

// hasPeerHashes reports whether payloads of this type carry srcHash/destHash
// (REQ, RESPONSE, TXT_MSG, PATH; ANON_REQ has destHash only): the others are
// not scanned.
func hasPeerHashes(pt int8) bool { return pt == 0 || pt == 1 || pt == 2 || pt == 7 || pt == 8 }

// keepNewest keeps the n newest observations (time, then id) in list,
// newest first, inserting ob.
func keepNewest(list []*store.Observation, ob *store.Observation, n int) []*store.Observation {
	newer := func(a, b *store.Observation) bool {
		if a.Timestamp != b.Timestamp {
			return a.Timestamp > b.Timestamp
		}
		return a.ID > b.ID
	}
	if len(list) == n && !newer(ob, list[n-1]) {
		return list
	}
	i := sort.Search(len(list), func(i int) bool { return newer(ob, list[i]) })
	if len(list) < n {
		list = append(list, nil)
	}
	copy(list[i+1:], list[i:len(list)-1])
	list[i] = ob
	return list
}

// jsonStringAfter returns the string value following key (which includes the
// opening quote of the value) in a flat JSON object, "" if absent. The decoded
// payloads are written by our own encoder, so a plain scan is exact and avoids
// parsing every payload of every observation.
func jsonStringAfter(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	rest := s[i+len(key):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

func recentObs(o *store.Observer, ob *store.Observation) ObserverRecentPacket {
	t := ob.Tx
	r := ObserverRecentPacket{
		ID: ob.ID, TransmissionID: t.ID, Hash: t.Hash,
		SNR: ob.SNR.Ptr(), RSSI: ob.RSSI.Ptr(), PathJSON: ob.Path.PathJSON(),
		Timestamp: store.FormatTime(ob.Timestamp), RawHex: ob.RawHex(),
		PayloadType: int8Ptr(t.PayloadType), RouteType: int8Ptr(t.RouteType),
	}
	if o != nil {
		r.ObserverID = &o.ID
		if o.Name != "" {
			r.ObserverName = &o.Name
		}
	}
	if t.DecodedJSON != "" {
		d := t.DecodedJSON
		r.DecodedJSON = &d
	}
	return r
}

func int8Ptr(v int8) *int {
	if v < 0 {
		return nil
	}
	i := int(v)
	return &i
}

// naFloorDiv is a/b rounded towards minus infinity.
func naFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
