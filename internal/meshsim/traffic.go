package meshsim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/channel"
)

// channelDef is a channel the simulated users chat on. name is the codec's
// name for it ("Public", "#test"); empty for a private channel whose key no
// analyzer has.
type channelDef struct {
	name   string
	key    channel.Key
	weight float64
}

// defaultChannels: Public and hashtags the codec derives by itself (they are
// in channel.CommonHashtags, so a default install decrypts them), plus two
// private channels for "no key" traffic.
func defaultChannels(r *rand.Rand) []channelDef {
	priv := func() channel.Key {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return channel.NewKey("", b)
	}
	return []channelDef{
		{"Public", channel.PublicKey(), 0.55},
		{"#test", channel.HashtagKey("#test"), 0.10},
		{"#emergency", channel.HashtagKey("#emergency"), 0.04},
		{"#weather", channel.HashtagKey("#weather"), 0.06},
		{"#hiking", channel.HashtagKey("#hiking"), 0.05},
		{"#wardriving", channel.HashtagKey("#wardriving"), 0.05},
		{"", priv(), 0.08},
		{"", priv(), 0.07},
	}
}

// txKind is what a transmission carries.
type txKind int

const (
	kindAdvert txKind = iota
	kindGrpTxt
	kindTxtMsg
	kindAck
	kindReq
	kindResponse
	kindPath
	kindTrace
	kindAnonReq
	kindGrpData
	kindControl
	numKinds
)

// kindWeights: roughly the mix of a busy real mesh (the CoreScope fixture DB
// has about 30 % channel text, 20 % adverts, the rest mostly datagrams).
var kindWeights = [numKinds]float64{
	kindAdvert: 0.17, kindGrpTxt: 0.27, kindTxtMsg: 0.11, kindAck: 0.09, kindReq: 0.09,
	kindResponse: 0.10, kindPath: 0.06, kindTrace: 0.03, kindAnonReq: 0.03, kindGrpData: 0.02,
	kindControl: 0.02,
}

// routing says how a transmission spreads.
type routing int

const (
	viaFlood   routing = iota // repeaters append themselves
	viaDirect                 // source-routed along route
	viaZeroHop                // heard by radio neighbours only
	viaTrace                  // TRACE: direct along route, SNR bytes grow
)

// tx is one transmission before propagation.
type tx struct {
	seq     int
	at      time.Time
	src     int
	dst     int
	how     routing
	route   []int32 // viaDirect / viaTrace
	traceSN []int8  // viaTrace: SNR*4 recorded by route[i]
	pkt     packet
	from    string
	to      string
	channel string
	text    string
	scope   string // region scope of a TRANSPORT_FLOOD
}

func pickWeighted(r *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func pickFrom(r *rand.Rand, pools ...[]int) int {
	for _, p := range pools {
		if len(p) > 0 {
			return p[r.IntN(len(p))]
		}
	}
	return -1
}

func (s *Sim) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], s.r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// transmit makes one transmission at t and queues every observation of it.
// A transmission no observer could hear is replaced by another one.
func (s *Sim) transmit(t time.Time) {
	r := s.r
	x := &tx{seq: s.seq, at: t}
	s.seq++
	for try := 0; ; try++ {
		reg := s.nodes[r.IntN(len(s.nodes))].region
		rn := &s.byRegion[reg]
		*x = tx{seq: x.seq, at: t, dst: -1}
		kind := txKind(pickWeighted(r, kindWeights[:]))
		switch kind {
		case kindAdvert:
			s.buildAdvert(x, rn)
		case kindGrpTxt, kindGrpData:
			s.buildGroup(x, rn, kind == kindGrpData)
		case kindTrace:
			s.buildTrace(x, rn)
		case kindControl:
			s.buildControl(x, rn)
		default:
			s.buildDatagram(x, rn, kind)
		}
		if s.propagate(x, reg) || try == 50 {
			return
		}
	}
}

func (s *Sim) buildAdvert(x *tx, rn *regionNodes) {
	r := s.r
	// Nodes advertise in turns (a fresh random order each round), as each
	// node re-advertises on its own timer: even a short run gets an advert
	// from most nodes, so hop prefixes resolve to known repeaters.
	if len(rn.advertTurns) == 0 {
		rn.advertTurns = append(rn.advertTurns[:0], rn.all...)
		r.Shuffle(len(rn.advertTurns), func(i, j int) {
			rn.advertTurns[i], rn.advertTurns[j] = rn.advertTurns[j], rn.advertTurns[i]
		})
	}
	x.src = rn.advertTurns[0]
	rn.advertTurns = rn.advertTurns[1:]
	n := s.nodes[x.src]
	var tel *telemetry
	if n.Role == RoleSensor {
		mv := 3300 + r.IntN(900)
		if mv&0xFF == 0 {
			mv++
		}
		tel = &telemetry{batteryMV: mv, temperatureC: float64(r.IntN(3500)-500) / 100}
	}
	ts := uint32(x.at.Unix() + n.clockSkew)
	x.pkt = packet{ptype: typeAdvert, payload: advertPayload(n, ts, advertAppData(n, tel))}
	x.from = n.PubKey
	if r.Float64() < 0.25 {
		x.how = viaZeroHop
	} else {
		x.how = viaFlood
	}
}

func (s *Sim) buildGroup(x *tx, rn *regionNodes, data bool) {
	r := s.r
	x.src = pickFrom(r, rn.companions, rn.all)
	if !data && len(rn.rooms) > 0 && r.Float64() < 0.08 {
		x.src = pickFrom(r, rn.rooms)
	}
	n := s.nodes[x.src]
	w := make([]float64, len(s.channels))
	for i, c := range s.channels {
		w[i] = c.weight
	}
	ch := s.channels[pickWeighted(r, w)]
	if data {
		ch = s.channels[r.IntN(2)] // Public or #test
	}
	plain := binary.LittleEndian.AppendUint32(nil, uint32(x.at.Unix()+n.clockSkew))
	if data {
		// Developer-namespace datagram: sender clock then a short reading,
		// so no two are byte-identical (they would share a packet hash).
		blob := binary.LittleEndian.AppendUint32(nil, uint32(x.at.Unix()))
		blob = append(blob, fmt.Sprintf("v=%d", r.IntN(100000))...)
		plain = append(plain[:0], 0xFF, 0xFF, byte(len(blob)))
		plain = append(plain, blob...)
		x.pkt = packet{ptype: typeGrpData, payload: ch.key.SealPayload(plain)}
	} else {
		lat, lon := s.opts.Regions[n.region].Lat, s.opts.Regions[n.region].Lon
		if n.HasLocation {
			lat, lon = n.Lat, n.Lon
		}
		body := chatText(r, ch.name, s.opts.Regions[n.region].Places, lat, lon)
		if s.opts.ChatText != nil {
			body = s.opts.ChatText(n, ch.name, body)
		}
		text := n.Name + ": " + body
		text = truncUTF8(text, maxPayloadLen-3-5-16) // stays within 184 bytes after padding
		plain = append(plain, 0)                     // flags: txt_type 0, attempt 0
		plain = append(plain, text...)
		x.pkt = packet{ptype: typeGrpTxt, payload: ch.key.SealPayload(plain)}
		x.text = text
	}
	x.channel = ch.name
	x.from = n.PubKey
	x.how = viaFlood
}

// buildDatagram covers the encrypted two-party packets (TXT_MSG, REQ,
// RESPONSE, PATH, ACK) and ANON_REQ. Their ciphertext is random: a passive
// analyzer cannot decrypt them, so the content would never be seen.
func (s *Sim) buildDatagram(x *tx, rn *regionNodes, kind txKind) {
	r := s.r
	servers := append(append(append([]int(nil), rn.repeaters...), rn.rooms...), rn.sensors...)
	pickDst := func(pools ...[]int) {
		for try := 0; try < 8; try++ {
			x.dst = pickFrom(r, pools...)
			if x.dst != x.src {
				return
			}
		}
	}
	directShare := 0.6
	var ptype byte
	cipherLen := 16
	switch kind {
	case kindTxtMsg:
		ptype = typeTxtMsg
		x.src = pickFrom(r, rn.companions, rn.all)
		pickDst(rn.chatty, rn.all)
		cipherLen = 16 * (1 + r.IntN(4))
	case kindReq:
		ptype = typeReq
		x.src = pickFrom(r, rn.companions, rn.all)
		pickDst(servers, rn.all)
	case kindResponse:
		ptype = typeResponse
		x.src = pickFrom(r, servers, rn.all)
		pickDst(rn.companions, rn.all)
		cipherLen = 16 * (1 + r.IntN(4))
		directShare = 0.7
	case kindPath:
		ptype = typePath
		x.src = pickFrom(r, rn.chatty, rn.all)
		pickDst(rn.companions, rn.all)
		cipherLen = 16 * (1 + r.IntN(2))
		directShare = 0
	case kindAck:
		ptype = typeAck
		x.src = pickFrom(r, rn.chatty, rn.all)
		pickDst(rn.companions, rn.all)
	case kindAnonReq:
		ptype = typeAnonReq
		x.src = pickFrom(r, rn.companions, rn.all)
		pickDst(rn.rooms, servers, rn.all)
		cipherLen = 16 * (1 + r.IntN(2))
		directShare = 0.3
	}
	src, dst := s.nodes[x.src], s.nodes[x.dst]
	var payload []byte
	switch kind {
	case kindAck:
		payload = s.randBytes(4)
		if r.Float64() < 0.3 { // firmware 1.16+: attempt byte and a random byte
			payload = append(payload, byte(r.IntN(3)), byte(r.Uint32()))
		}
		x.from = src.PubKey
	case kindAnonReq:
		payload = append(payload, dst.pub[0])
		if r.Float64() < 0.5 {
			payload = append(payload, src.pub...)
			x.from = src.PubKey
		} else {
			payload = append(payload, s.randBytes(32)...) // fresh ephemeral key
		}
		payload = append(payload, s.randBytes(2+cipherLen)...)
	default:
		payload = append(payload, dst.pub[0], src.pub[0])
		payload = append(payload, s.randBytes(2+cipherLen)...)
		x.from = src.PubKey
	}
	x.to = dst.PubKey
	x.pkt = packet{ptype: ptype, payload: payload}
	x.how = viaFlood
	if r.Float64() < directShare {
		if route, ok := s.topo.route(r, x.src, x.dst); ok {
			x.how, x.route = viaDirect, route
		}
	}
}

// buildTrace sends a TRACE out along 1..4 repeaters (and back half the time).
func (s *Sim) buildTrace(x *tx, rn *regionNodes) {
	r := s.r
	x.src = pickFrom(r, rn.companions, rn.repeaters, rn.all)
	d := s.topo.tree(x.src)
	var far []int32
	want := int8(1 + r.IntN(4))
	for _, rep := range rn.repeaters {
		if d[rep] == want {
			far = append(far, int32(rep))
		}
	}
	for _, rep := range rn.repeaters {
		if len(far) > 0 {
			break
		}
		if d[rep] > 0 {
			far = append(far, int32(rep))
		}
	}
	var route []int32
	if len(far) > 0 {
		route = s.topo.chain(r, x.src, far[r.IntN(len(far))])
	}
	if len(route) > 1 && r.Float64() < 0.5 {
		for i := len(route) - 2; i >= 0; i-- {
			route = append(route, route[i])
		}
	}
	payload := binary.LittleEndian.AppendUint32(nil, r.Uint32()|1)
	payload = binary.LittleEndian.AppendUint32(payload, r.Uint32())
	payload = append(payload, 0) // flags: 1-byte route entries
	for _, n := range route {
		payload = append(payload, s.nodes[n].pub[0])
	}
	x.route = route
	x.traceSN = make([]int8, len(route))
	prev := x.src
	for i, n := range route {
		_, snr := s.signal(prev, int(n), 0)
		x.traceSN[i] = int8(snr * 4)
		prev = int(n)
	}
	x.pkt = packet{ptype: typeTrace, payload: payload}
	x.from = s.nodes[x.src].PubKey
	x.how = viaTrace
	if len(route) == 0 {
		x.how = viaZeroHop
	}
}

// buildControl is a zero-hop node discovery request or response.
func (s *Sim) buildControl(x *tx, rn *regionNodes) {
	r := s.r
	var payload []byte
	if r.Float64() < 0.5 {
		x.src = pickFrom(r, rn.companions, rn.all)
		payload = []byte{0x80 | byte(r.IntN(2)), 1 << 2}                               // DISCOVER_REQ, want repeaters
		payload = binary.LittleEndian.AppendUint32(payload, r.Uint32())                // tag
		payload = binary.LittleEndian.AppendUint32(payload, uint32(x.at.Unix()-86400)) // since
	} else {
		x.src = pickFrom(r, rn.repeaters, rn.all)
		n := s.nodes[x.src]
		payload = []byte{0x90 | n.Role.advertType(), byte(int8(r.IntN(60) - 20))} // DISCOVER_RESP, snr*4
		payload = binary.LittleEndian.AppendUint32(payload, r.Uint32())
		payload = append(payload, n.pub[:8]...)
	}
	x.pkt = packet{ptype: typeControl, payload: payload}
	x.from = s.nodes[x.src].PubKey
	x.how = viaZeroHop
}

func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
