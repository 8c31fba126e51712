package meshcore

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

const (
	errTooShort       = "too short"
	errTooShortAdvert = "too short for advert"

	anomalyTraceShort  = "TRACE payload decode failed: too short"
	anomalyTraceRoute  = "TRACE packet with non-DIRECT routing (expected DIRECT or TRANSPORT_DIRECT)"
	advertFixedLen     = 100 // pubkey 32 + timestamp 4 + signature 64
	anonReqMinLen      = 35  // dest 1 + pubkey 32 + MAC 2
	traceFixedLen      = 9   // tag 4 + auth 4 + flags 1
	grpMinCipherForKey = 5   // CoreScope only tries keys on >= 5 ciphertext bytes
)

func decodePayload(p *Packet, b []byte, opts Options) {
	switch p.Header.PayloadType {
	case PayloadReq, PayloadResponse, PayloadTxtMsg:
		decodeDatagram(p, b)
	case PayloadAck:
		decodeAck(p, b)
	case PayloadAdvert:
		decodeAdvert(p, b, opts)
	case PayloadGrpTxt:
		decodeGrpTxt(p, b, opts)
	case PayloadGrpData:
		decodeGrpData(p, b, opts)
	case PayloadAnonReq:
		decodeAnonReq(p, b)
	case PayloadPath:
		decodePathPayload(p, b)
	case PayloadTrace:
		decodeTrace(p, b)
	case PayloadMultipart:
		decodeMultipart(p, b)
	case PayloadControl:
		decodeControl(p, b)
	case PayloadRawCustom:
		decodeRawCustom(p, b)
	default:
		p.Payload = Payload{Type: "UNKNOWN", Raw: hex.EncodeToString(b)}
	}
}

func tooShort(typ string, b []byte, msg string) Payload {
	return Payload{Type: typ, Raw: hex.EncodeToString(b), Error: msg}
}

func intPtr(v int) *int           { return &v }
func boolPtr(v bool) *bool        { return &v }
func floatPtr(v float64) *float64 { return &v }
func hexByte(b byte) string       { return hex.EncodeToString([]byte{b}) }
func upperHexByte(b byte) string  { return string([]byte{hexUpper[b>>4], hexUpper[b&0x0F]}) }
func le32hex(b []byte) string     { return fmt.Sprintf("%08x", binary.LittleEndian.Uint32(b)) }

// decodeDatagram handles REQ, RESPONSE and TXT_MSG: an encrypted envelope
// that only the two endpoints can open.
func decodeDatagram(p *Packet, b []byte) {
	typ := p.Header.PayloadTypeName()
	if len(b) < 4 {
		p.Payload = tooShort(typ, b, errTooShort)
		return
	}
	p.Payload = Payload{
		Type:          typ,
		DestHash:      hexByte(b[0]),
		SrcHash:       hexByte(b[1]),
		MAC:           hex.EncodeToString(b[2:4]),
		EncryptedData: hex.EncodeToString(b[4:]),
	}
}

func decodeAck(p *Packet, b []byte) {
	if len(b) < 4 {
		p.Payload = tooShort("ACK", b, errTooShort)
		return
	}
	p.Payload = Payload{Type: "ACK", ExtraHash: le32hex(b[0:4])}
}

func decodeAnonReq(p *Packet, b []byte) {
	if len(b) < anonReqMinLen {
		p.Payload = tooShort("ANON_REQ", b, errTooShort)
		return
	}
	p.Payload = Payload{
		Type:            "ANON_REQ",
		DestHash:        hexByte(b[0]),
		MAC:             hex.EncodeToString(b[33:35]),
		EncryptedData:   hex.EncodeToString(b[35:]),
		EphemeralPubKey: hex.EncodeToString(b[1:33]),
	}
}

func decodePathPayload(p *Packet, b []byte) {
	if len(b) < 4 {
		p.Payload = tooShort("PATH", b, errTooShort)
		return
	}
	p.Payload = Payload{
		Type:     "PATH",
		DestHash: hexByte(b[0]),
		SrcHash:  hexByte(b[1]),
		MAC:      hex.EncodeToString(b[2:4]),
		PathData: hex.EncodeToString(b[4:]),
	}
}

// decodeTrace reads the trace envelope; when it carries a route, the
// packet's Path becomes that route and the header path bytes become SNRs.
func decodeTrace(p *Packet, b []byte) {
	direct := p.Header.RouteType == RouteDirect || p.Header.RouteType == RouteTransportDirect
	if !direct {
		p.Anomaly = anomalyTraceRoute
	}
	if len(b) < traceFixedLen {
		p.Payload = tooShort("TRACE", b, errTooShort)
		p.Anomaly = anomalyTraceShort
		return
	}
	flags := int(b[8])
	p.Payload = Payload{
		Type:       "TRACE",
		Tag:        binary.LittleEndian.Uint32(b[0:4]),
		AuthCode:   binary.LittleEndian.Uint32(b[4:8]),
		TraceFlags: intPtr(flags),
	}
	route := b[traceFixedLen:]
	if len(route) == 0 {
		return
	}
	p.Payload.PathData = hex.EncodeToString(route)
	if len(p.PathBytes) > 0 {
		snr := make([]float64, len(p.PathBytes))
		for i, c := range p.PathBytes {
			snr[i] = float64(int8(c)) / 4
		}
		p.Payload.SNRValues = snr
	}
	size := 1 << (flags & 3)
	hops := splitHops(route, size)
	p.Path = Path{HashSize: size, HashCount: len(hops), Hops: hops, HopsCompleted: intPtr(p.HeaderPath.HashCount)}
}

func decodeMultipart(p *Packet, b []byte) {
	if len(b) < 1 {
		p.Payload = tooShort("MULTIPART", b, errTooShort)
		return
	}
	inner := int(b[0] & 0x0F)
	p.Payload = Payload{
		Type:          "MULTIPART",
		Remaining:     intPtr(int(b[0] >> 4)),
		InnerType:     intPtr(inner),
		InnerTypeName: PayloadTypeName(inner),
	}
	switch {
	case inner == PayloadAck && len(b) >= 5:
		p.Payload.InnerAckCrc = le32hex(b[1:5])
	case len(b) > 1:
		p.Payload.InnerPayload = hex.EncodeToString(b[1:])
	}
}

func decodeControl(p *Packet, b []byte) {
	if len(b) < 1 {
		p.Payload = tooShort("CONTROL", b, errTooShort)
		return
	}
	p.Payload = Payload{
		Type:        "CONTROL",
		Raw:         hex.EncodeToString(b),
		CtrlFlags:   hexByte(b[0]),
		CtrlZeroHop: boolPtr(b[0]&0x80 != 0),
		CtrlLength:  intPtr(len(b)),
	}
}

func decodeRawCustom(p *Packet, b []byte) {
	p.Payload = Payload{Type: "RAW_CUSTOM", Raw: hex.EncodeToString(b), RawLength: intPtr(len(b))}
	if len(b) > 0 {
		p.Payload.FirstByteTag = upperHexByte(b[0])
	}
}
