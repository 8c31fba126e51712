package meshsim

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Route and payload types (PROTOCOL.md §1.1).
const (
	routeTransportFlood  = 0
	routeFlood           = 1
	routeDirect          = 2
	routeTransportDirect = 3

	typeReq      = 0x00
	typeResponse = 0x01
	typeTxtMsg   = 0x02
	typeAck      = 0x03
	typeAdvert   = 0x04
	typeGrpTxt   = 0x05
	typeGrpData  = 0x06
	typeAnonReq  = 0x07
	typePath     = 0x08
	typeTrace    = 0x09
	typeControl  = 0x0B

	maxPathBytes  = 64
	maxPayloadLen = 184
)

// packet is one on-air frame before encoding.
type packet struct {
	route     byte
	ptype     byte
	transport bool   // route 0/3: carries transport codes
	code1     uint16 // region scope code (transport_code_1)
	hashSize  int    // 1..3 bytes per path entry
	path      []byte // raw path bytes, len = count*hashSize
	payload   []byte
}

func (p *packet) isFlood() bool { return p.route == routeFlood || p.route == routeTransportFlood }

func (p *packet) pathLenByte() byte {
	count := len(p.path) / p.hashSize
	return byte(p.hashSize-1)<<6 | byte(count)
}

// encode returns the wire bytes. It panics on a path or payload the firmware
// would reject: those are generator bugs, caught by the round-trip tests.
func (p *packet) encode() []byte {
	if len(p.path) > maxPathBytes || len(p.path)%p.hashSize != 0 || len(p.payload) > maxPayloadLen || len(p.payload) == 0 {
		panic(fmt.Sprintf("meshsim: invalid packet type %d: path %d bytes (hash size %d), payload %d bytes",
			p.ptype, len(p.path), p.hashSize, len(p.payload)))
	}
	out := make([]byte, 0, 1+4+1+len(p.path)+len(p.payload))
	out = append(out, p.ptype<<2|p.route)
	if p.transport {
		out = binary.LittleEndian.AppendUint16(out, p.code1)
		out = binary.LittleEndian.AppendUint16(out, 0)
	}
	out = append(out, p.pathLenByte())
	out = append(out, p.path...)
	return append(out, p.payload...)
}

// contentHash is CoreScope's de-duplication hash (PROTOCOL.md §4): 16
// lower-case hex digits.
func (p *packet) contentHash() string {
	h := sha256.New()
	h.Write([]byte{p.ptype})
	if p.ptype == typeTrace {
		h.Write([]byte{p.pathLenByte(), 0})
	}
	h.Write(p.payload)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// regionCode is transport_code_1 for a region scope `#name` (PROTOCOL.md §1.2).
func regionCode(regionKey []byte, ptype byte, payload []byte) uint16 {
	m := hmac.New(sha256.New, regionKey)
	m.Write([]byte{ptype})
	m.Write(payload)
	c := binary.LittleEndian.Uint16(m.Sum(nil)[:2])
	switch c {
	case 0x0000:
		return 0x0001
	case 0xFFFF:
		return 0xFFFE
	}
	return c
}

// hashtagKey derives a hashtag channel's (or region's) 16-byte secret.
func hashtagKey(name string) []byte {
	s := sha256.Sum256([]byte(name))
	return s[:16]
}

// advertPayload builds a signed ADVERT payload: pubkey, timestamp,
// signature over pubkey||timestamp||appdata, appdata.
func advertPayload(n *Node, ts uint32, appData []byte) []byte {
	out := make([]byte, 0, 100+len(appData))
	out = append(out, n.pub...)
	out = binary.LittleEndian.AppendUint32(out, ts)
	msg := make([]byte, 0, 36+len(appData))
	msg = append(msg, out...)
	msg = append(msg, appData...)
	out = append(out, ed25519.Sign(n.priv, msg)...)
	return append(out, appData...)
}

// telemetry is a sensor reading appended after the advert name.
type telemetry struct {
	batteryMV    int // 1..10000, low byte never 0 (see advertAppData)
	temperatureC float64
}

// advertAppData builds the advert app data: flags, optional location,
// name, and for sensors a NUL plus battery and temperature.
func advertAppData(n *Node, tel *telemetry) []byte {
	flags := n.Role.advertType() | 0x80
	if n.HasLocation {
		flags |= 0x10
	}
	out := []byte{flags}
	if n.HasLocation {
		lat, _ := microDeg(n.Lat)
		lon, _ := microDeg(n.Lon)
		out = binary.LittleEndian.AppendUint32(out, uint32(lat))
		out = binary.LittleEndian.AppendUint32(out, uint32(lon))
	}
	out = append(out, n.Name...)
	if tel != nil {
		// CoreScope skips every NUL after the name before reading
		// telemetry, so the battery's low byte must not be 0.
		out = append(out, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(tel.batteryMV))
		out = binary.LittleEndian.AppendUint16(out, uint16(int16(tel.temperatureC*100)))
	}
	return out
}
