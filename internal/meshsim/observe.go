package meshsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hearBase is the chance that an observer decodes a copy sent by a radio
// neighbour zero hops from the source; it falls by hopDecay per hop (busier
// channel, more collisions far from the source). Tuned so the reference
// workload averages about 4 observations per transmission.
const (
	hearBase         = 0.75
	hopDecay         = 0.8
	maxCopiesPerObs  = 2    // an observer reports at most this many copies of one packet
	transportShare   = 0.08 // floods sent as TRANSPORT_FLOOD with a region scope
	maxObsTimeOffset = 30 * time.Second
)

// txCopy is one retransmission of a packet: who sent it and how far it got.
type txCopy struct {
	sender int32
	hops   int
}

func (s *Sim) isNeighbour(a, b int) bool {
	nb := s.nodes[a].neighbours
	i := sort.Search(len(nb), func(i int) bool { return nb[i] >= int32(b) })
	return i < len(nb) && nb[i] == int32(b)
}

// signal returns RSSI (dBm) and SNR (dB, quarter-dB steps) of a frame sent
// by node a as received by node b: log-distance path loss plus noise.
func (s *Sim) signal(a, b int, noiseFloor float64) (rssi, snr float64) {
	na, nb := s.nodes[a], s.nodes[b]
	d := math.Max(distanceKm(na.Lat, na.Lon, nb.Lat, nb.Lon), 0.05)
	rssi = -55 - 22*math.Log10(d/0.05) + s.r.NormFloat64()*4
	rssi = math.Round(math.Max(-120, math.Min(-40, rssi)))
	if noiseFloor == 0 {
		noiseFloor = -108
	}
	snr = rssi - noiseFloor - 5 + s.r.NormFloat64()*2.5
	if snr > 6 { // LoRa SNR saturates: compress strong signals towards +12
		snr = 6 + 6*(1-math.Exp(-(snr-6)/6))
	}
	snr = math.Round(math.Max(-20, math.Min(12, snr))*4) / 4
	return rssi, snr
}

// propagate works out which observers hear which copies of x and queues
// their messages. It returns false, queueing nothing, when no observer is in
// range of any copy (the caller then picks another transmission: packets no
// observer hears never reach a database).
func (s *Sim) propagate(x *tx, reg int) bool {
	r := s.r
	p := &x.pkt
	src := s.nodes[x.src]
	p.route, p.transport, p.code1 = routeDirect, false, 0
	p.hashSize = src.HashSize
	switch x.how {
	case viaFlood:
		p.route = routeFlood
		if r.Float64() < transportShare {
			p.route = routeTransportFlood
			p.transport = true
			p.code1 = regionCode(s.byRegion[reg].regionKey, p.ptype, p.payload)
			x.scope = "#" + lower(s.opts.Regions[reg].IATA)
		}
	case viaTrace, viaZeroHop:
		p.hashSize = 1 // SNR bytes / no path: path_len carries no hash size
	case viaDirect:
		if len(x.route) == 0 {
			p.hashSize = 1
		}
	}
	hopDelay := time.Duration(300+r.IntN(900)) * time.Millisecond
	var tree []int8
	if x.how == viaFlood {
		tree = s.topo.tree(x.src)
	}
	type report struct {
		obs  int
		c    txCopy
		path []byte
	}
	var reports, fallback []report
	var cands []txCopy
	for _, oi := range s.byRegion[reg].observers {
		on := s.observers[oi].Node
		cands = cands[:0]
		if on != x.src && s.isNeighbour(on, x.src) {
			cands = append(cands, txCopy{int32(x.src), 0})
		}
		switch x.how {
		case viaFlood:
			for _, rep := range s.nodes[on].repeaters {
				if h := tree[rep]; h > 0 && int(rep) != x.src {
					cands = append(cands, txCopy{rep, int(h)})
				}
			}
			sort.SliceStable(cands, func(i, j int) bool { return cands[i].hops < cands[j].hops })
		case viaDirect, viaTrace:
			for i, rep := range x.route {
				if int(rep) != on && s.isNeighbour(on, int(rep)) {
					cands = append(cands, txCopy{rep, i + 1})
				}
			}
		}
		if len(cands) > 0 {
			fallback = append(fallback, report{oi, cands[0], nil})
		}
		first := len(reports)
		for _, c := range cands {
			if len(reports)-first == maxCopiesPerObs {
				break
			}
			if r.Float64() >= hearBase*math.Pow(hopDecay, float64(c.hops)) {
				continue
			}
			path := s.copyPath(x, c)
			// Two copies with the same path bytes (1-byte prefixes collide)
			// are one observation to an analyzer; report it once.
			dup := false
			for _, prev := range reports[first:] {
				dup = dup || bytes.Equal(prev.path, path)
			}
			if !dup {
				reports = append(reports, report{oi, c, path})
			}
		}
	}
	if len(reports) == 0 {
		if len(fallback) == 0 {
			return false
		}
		// Somebody heard it: the nearest copy of one observer in range.
		rp := fallback[r.IntN(len(fallback))]
		rp.path = s.copyPath(x, rp.c)
		reports = append(reports, rp)
	}
	for _, rp := range reports {
		at := x.at.Add(time.Duration(rp.c.hops)*hopDelay + time.Duration(r.IntN(80_000))*time.Microsecond)
		if at.After(x.at.Add(maxObsTimeOffset)) {
			at = x.at.Add(maxObsTimeOffset)
		}
		s.observe(x, rp.obs, rp.c, rp.path, at)
	}
	return true
}

// copyPath returns the header path bytes of copy c of x: the repeaters so
// far (flood), the hops still ahead (direct), or the SNR bytes (trace).
func (s *Sim) copyPath(x *tx, c txCopy) []byte {
	hs := x.pkt.hashSize
	var nodes []int32
	switch x.how {
	case viaFlood:
		if c.hops > 0 {
			nodes = s.topo.chain(s.r, x.src, c.sender)
		}
	case viaDirect:
		nodes = x.route[c.hops:]
	case viaTrace:
		path := make([]byte, c.hops)
		for i := range path {
			path[i] = byte(x.traceSN[i])
		}
		return path
	}
	path := make([]byte, 0, len(nodes)*hs)
	for _, n := range nodes {
		path = append(path, s.nodes[n].pub[:hs]...)
	}
	return path
}

// observe queues the packet message observer oi publishes for copy c.
func (s *Sim) observe(x *tx, oi int, c txCopy, path []byte, at time.Time) {
	ob := s.observers[oi]
	pk := x.pkt // copy; the path differs per copy
	pk.path = path
	var hops []string
	if x.how == viaTrace {
		for _, n := range x.route {
			hops = append(hops, upperHex(s.nodes[n].pub[:1]))
		}
	}
	if x.how != viaTrace {
		hops = make([]string, 0, len(pk.path)/pk.hashSize)
		for i := 0; i+pk.hashSize <= len(pk.path); i += pk.hashSize {
			hops = append(hops, upperHex(pk.path[i:i+pk.hashSize]))
		}
	}
	raw := pk.encode()
	hash := pk.contentHash()
	rssi, snr := s.signal(int(c.sender), ob.Node, ob.noiseFloor)
	air := airtimeMs(len(raw))
	ob.recv++
	ob.rxAir += air / 1000
	route := "F"
	if !pk.isFlood() {
		route = "D"
	}
	rawHex := upperHex(raw)
	msg := packetMsg{
		Origin:     ob.Name,
		OriginID:   ob.ID,
		Timestamp:  s.stamp(at),
		Type:       "PACKET",
		Direction:  "rx",
		Time:       at.Format("15:04:05"),
		Date:       fmt.Sprintf("%d/%d/%d", at.Day(), int(at.Month()), at.Year()),
		Len:        strconv.Itoa(len(raw)),
		PacketType: strconv.Itoa(int(pk.ptype)),
		Route:      route,
		PayloadLen: strconv.Itoa(len(pk.payload)),
		Raw:        rawHex,
		SNR:        strconv.FormatFloat(snr, 'f', -1, 64),
		RSSI:       strconv.FormatFloat(rssi, 'f', -1, 64),
		Score:      strconv.Itoa(int(math.Round(math.Max(0, math.Min(1, (snr+20)/27)) * 1000))),
		Duration:   strconv.Itoa(int(math.Round(air))),
		Hash:       strings.ToUpper(hash),
	}
	body, err := json.Marshal(msg)
	if err != nil {
		panic(err) // plain strings only; cannot fail
	}
	s.enqueue(Message{
		Topic:       "meshcore/" + ob.IATA + "/" + ob.ID + "/packets",
		Payload:     body,
		Time:        at,
		Kind:        KindPacket,
		ObserverID:  ob.ID,
		IATA:        ob.IATA,
		Seq:         x.seq,
		Hash:        hash,
		Raw:         rawHex,
		RouteType:   int(pk.route),
		PayloadType: int(pk.ptype),
		HashSize:    pk.hashSize,
		Hops:        hops,
		SNR:         snr,
		RSSI:        rssi,
		From:        x.from,
		To:          x.to,
		Channel:     x.channel,
		Text:        x.text,
		Scope:       x.scope,
	})
}

// packetMsg is the meshcoretomqtt packet message, fields in the bridge's
// order (INGEST.md §2.1); every value is a string, as the bridge sends it.
type packetMsg struct {
	Origin     string `json:"origin"`
	OriginID   string `json:"origin_id"`
	Timestamp  string `json:"timestamp"`
	Type       string `json:"type"`
	Direction  string `json:"direction"`
	Time       string `json:"time"`
	Date       string `json:"date"`
	Len        string `json:"len"`
	PacketType string `json:"packet_type"`
	Route      string `json:"route"`
	PayloadLen string `json:"payload_len"`
	Raw        string `json:"raw"`
	SNR        string `json:"SNR"`
	RSSI       string `json:"RSSI"`
	Score      string `json:"score"`
	Duration   string `json:"duration"`
	Hash       string `json:"hash"`
}

// stamp formats an envelope timestamp: python isoformat() with
// microseconds, with or without the UTC designator (Options.NaiveTimestamps).
func (s *Sim) stamp(t time.Time) string {
	v := t.UTC().Format("2006-01-02T15:04:05.000000")
	if s.opts.NaiveTimestamps {
		return v
	}
	return v + "Z"
}

// airtimeMs is the LoRa time on air of a frame of n bytes at SF7, 62.5 kHz,
// CR 4/5, 16-symbol preamble (the US MeshCore preset).
func airtimeMs(n int) float64 {
	const sf, tsym = 7.0, 2.048 // ms per symbol: 2^7 / 62.5 kHz
	payloadSym := 8 + math.Max(math.Ceil((8*float64(n)-4*sf+28+16)/(4*sf))*5, 0)
	return (16+4.25)*tsym + payloadSym*tsym
}
