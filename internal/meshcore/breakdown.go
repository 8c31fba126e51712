package meshcore

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// Breakdown decodes raw (without decryption or signature checks) and lists
// the byte ranges of its fields in order; see Packet.Breakdown. Malformed
// packets return the decode error.
func Breakdown(raw []byte) ([]Field, error) {
	p, err := Decode(raw, Options{SkipSignature: true})
	if err != nil {
		return nil, err
	}
	return p.Breakdown(), nil
}

// fieldList appends fields in offset order and fills any gap (bytes no
// decoder claimed) with a "payload" field, so the result always tiles the
// packet exactly.
type fieldList struct {
	raw    []byte
	cursor int
	fields []Field
}

func (l *fieldList) add(off, n int, name, value, desc, kind string) {
	if n <= 0 || off < l.cursor || off+n > len(l.raw) {
		return
	}
	l.fill(off, "Unparsed bytes", "bytes no field claims")
	l.fields = append(l.fields, Field{Offset: off, Length: n, Name: name, Value: value, Description: desc, Kind: kind})
	l.cursor = off + n
}

// addHex adds a field whose value is its bytes in upper-case hex.
func (l *fieldList) addHex(off, n int, name, desc, kind string) {
	if n <= 0 || off+n > len(l.raw) {
		return
	}
	l.add(off, n, name, upperHex(l.raw[off:off+n]), desc, kind)
}

func (l *fieldList) fill(to int, name, desc string) {
	if to > len(l.raw) {
		to = len(l.raw)
	}
	if to > l.cursor {
		l.fields = append(l.fields, Field{
			Offset: l.cursor, Length: to - l.cursor, Name: name,
			Value: upperHex(l.raw[l.cursor:to]), Description: desc, Kind: "payload",
		})
		l.cursor = to
	}
}

// Breakdown lists the byte ranges of every field of the packet, in order,
// tiling Raw exactly (no gaps, no overlaps). Hops are numbered from 0 as in
// CoreScope's UI ("Hop 0"). Kinds: header, transport,
// path_len, path (hops), snr (TRACE header path), hash, mac, ciphertext,
// pubkey, timestamp, signature, flags, location, feature, name, telemetry,
// appdata, tag, route, control, data, payload (anything else).
func (p *Packet) Breakdown() []Field {
	l := &fieldList{raw: p.Raw, fields: make([]Field, 0, 16)}
	h := p.Header
	l.add(0, 1, "Header", fmt.Sprintf("0x%02X", p.Raw[0]),
		fmt.Sprintf("route %s (%d), payload %s (%d), version %d",
			h.RouteTypeName(), h.RouteType, h.PayloadTypeName(), h.PayloadType, h.PayloadVersion), "header")
	off := 1
	if p.TransportCodes != nil {
		l.add(1, 2, "Transport code 1", p.TransportCodes.Code1Hex(), "region scope code (0000 = unscoped)", "transport")
		l.add(3, 2, "Transport code 2", p.TransportCodes.Code2Hex(), "reserved (return region)", "transport")
		off = 5
	}
	hp := p.HeaderPath
	l.add(off, 1, "Path length", fmt.Sprintf("0x%02X", p.PathLenByte),
		fmt.Sprintf("%d hops × %d byte(s) = %d bytes", hp.HashCount, hp.HashSize, len(p.PathBytes)), "path_len")
	off++
	trace := h.PayloadType == PayloadTrace
	for i, hop := range hp.Hops {
		if trace {
			snr := float64(int8(p.PathBytes[i*hp.HashSize])) / 4
			l.add(off, hp.HashSize, "SNR "+strconv.Itoa(i), hop,
				fmt.Sprintf("SNR %s dB recorded by hop %d", strconv.FormatFloat(snr, 'f', -1, 64), i), "snr")
		} else {
			l.add(off, hp.HashSize, "Hop "+strconv.Itoa(i), hop, "public key prefix of a repeater", "path")
		}
		off += hp.HashSize
	}
	p.payloadFields(l, off)
	l.fill(len(p.Raw), "Unparsed payload", "payload bytes the decoder does not interpret")
	return l.fields
}

func (p *Packet) payloadFields(l *fieldList, o int) {
	b := p.PayloadBytes
	n := len(b)
	if p.Payload.Error == errTooShort || p.Payload.Error == errTooShortAdvert {
		l.addHex(o, n, "Payload", "payload "+p.Payload.Error, "payload")
		return
	}
	switch p.Header.PayloadType {
	case PayloadReq, PayloadResponse, PayloadTxtMsg, PayloadPath:
		l.addHex(o, 1, "Destination hash", "first byte of the destination public key", "hash")
		l.addHex(o+1, 1, "Source hash", "first byte of the source public key", "hash")
		l.addHex(o+2, 2, "Cipher MAC", "HMAC-SHA256 of the ciphertext, first 2 bytes", "mac")
		desc := "AES-128-ECB, pair's shared secret (not decryptable passively)"
		if p.Header.PayloadType == PayloadPath {
			desc = "encrypted returned path and extra payload"
		}
		l.addHex(o+4, n-4, "Ciphertext", desc, "ciphertext")
	case PayloadAck:
		l.add(o, 4, "ACK checksum", p.Payload.ExtraHash, "SHA-256 of the acknowledged message, first 4 bytes (LE)", "hash")
		l.addHex(o+4, 1, "Attempt", "attempt number (firmware 1.16+)", "payload")
		l.addHex(o+5, 1, "Random", "random byte making repeated ACK hashes distinct", "payload")
	case PayloadAdvert:
		p.advertFields(l, o)
	case PayloadGrpTxt, PayloadGrpData:
		l.addHex(o, 1, "Channel hash", "SHA-256 of the channel secret, first byte", "hash")
		l.addHex(o+1, 2, "Cipher MAC", "HMAC-SHA256 (channel secret) of the ciphertext, first 2 bytes", "mac")
		desc := "AES-128-ECB with the channel secret"
		if p.Payload.DecryptionStatus == string(Decrypted) {
			desc += "; decrypted with " + p.Payload.Channel
		}
		l.addHex(o+3, n-3, "Ciphertext", desc, "ciphertext")
	case PayloadAnonReq:
		l.addHex(o, 1, "Destination hash", "first byte of the destination public key", "hash")
		l.addHex(o+1, 32, "Sender public key", "Ed25519 key of the sender (often ephemeral)", "pubkey")
		l.addHex(o+33, 2, "Cipher MAC", "HMAC-SHA256 of the ciphertext, first 2 bytes", "mac")
		l.addHex(o+35, n-35, "Ciphertext", "AES-128-ECB, ECDH(destination, sender) secret", "ciphertext")
	case PayloadTrace:
		p.traceFields(l, o)
	case PayloadMultipart:
		if n < 1 {
			return
		}
		inner := int(b[0] & 0x0F)
		l.add(o, 1, "Multipart header", fmt.Sprintf("0x%02X", b[0]),
			fmt.Sprintf("%d more packet(s), inner type %s", b[0]>>4, PayloadTypeName(inner)), "flags")
		if inner == PayloadAck && n >= 5 {
			l.add(o+1, 4, "Inner ACK checksum", p.Payload.InnerAckCrc, "checksum of the acknowledged message (LE)", "hash")
			l.addHex(o+5, n-5, "Inner extra", "extended ACK bytes", "payload")
		} else {
			l.addHex(o+1, n-1, "Inner payload", "payload of type "+PayloadTypeName(inner), "payload")
		}
	case PayloadControl:
		p.controlFields(l, o)
	case PayloadRawCustom:
		l.addHex(o, n, "Custom data", "application-defined bytes", "data")
	default:
		l.addHex(o, n, "Payload", "reserved payload type", "payload")
	}
}

func (p *Packet) advertFields(l *fieldList, o int) {
	b := p.PayloadBytes
	ts := binary.LittleEndian.Uint32(b[32:36])
	l.addHex(o, 32, "Public key", "Ed25519 public key of the advertising node", "pubkey")
	l.add(o+32, 4, "Timestamp", strconv.FormatUint(uint64(ts), 10),
		time.Unix(int64(ts), 0).UTC().Format(time.RFC3339)+" (sender clock)", "timestamp")
	sigDesc := "Ed25519 over public key || timestamp || app data"
	if v := p.Payload.SignatureValid; v != nil {
		if *v {
			sigDesc += " (valid)"
		} else {
			sigDesc += " (INVALID)"
		}
	}
	l.addHex(o+36, 64, "Signature", sigDesc, "signature")
	app := b[advertFixedLen:]
	a := o + advertFixedLen
	lay := parseAdvertApp(app)
	if lay.flags < 0 {
		return
	}
	f := byte(lay.flags)
	l.add(a, 1, "Flags", fmt.Sprintf("0x%02X", f), fmt.Sprintf("type %s; location %t, feature 1 %t, feature 2 %t, name %t",
		AdvertRole(int(f&0x0F)), f&AdvertHasLocation != 0, f&AdvertHasFeat1 != 0, f&AdvertHasFeat2 != 0, f&AdvertHasName != 0), "flags")
	if lay.locAt >= 0 {
		l.add(a+lay.locAt, 4, "Latitude", strconv.FormatFloat(float64(lay.latRaw)/1e6, 'f', -1, 64), "int32 LE, degrees × 1e6", "location")
		l.add(a+lay.locAt+4, 4, "Longitude", strconv.FormatFloat(float64(lay.lonRaw)/1e6, 'f', -1, 64), "int32 LE, degrees × 1e6", "location")
	}
	if lay.feat1At >= 0 {
		l.add(a+lay.feat1At, 2, "Feature 1", strconv.Itoa(lay.feat1Val), "uint16 LE, reserved", "feature")
	}
	if lay.feat2At >= 0 {
		l.add(a+lay.feat2At, 2, "Feature 2", strconv.Itoa(lay.feat2Val), "uint16 LE, reserved", "feature")
	}
	if lay.nameAt >= 0 && lay.nameEnd > lay.nameAt {
		l.add(a+lay.nameAt, lay.nameEnd-lay.nameAt, "Name", p.Payload.Name, "node name, UTF-8", "name")
	}
	if lay.telemetryAt >= 0 {
		l.fill(a+lay.telemetryAt, "Name terminator", "NUL bytes after the name")
		l.add(a+lay.telemetryAt, 2, "Battery", strconv.Itoa(lay.battery)+" mV", "uint16 LE (sensor telemetry)", "telemetry")
		l.add(a+lay.telemetryAt+2, 2, "Temperature",
			strconv.FormatFloat(float64(lay.tempRaw)/100, 'f', -1, 64)+" °C", "int16 LE / 100 (sensor telemetry)", "telemetry")
	}
	if l.cursor < len(l.raw) {
		l.fields = append(l.fields, Field{Offset: l.cursor, Length: len(l.raw) - l.cursor, Name: "App data (rest)",
			Value: upperHex(l.raw[l.cursor:]), Description: "app data not interpreted (padding or unknown)", Kind: "appdata"})
		l.cursor = len(l.raw)
	}
}

func (p *Packet) traceFields(l *fieldList, o int) {
	b := p.PayloadBytes
	n := len(b)
	l.add(o, 4, "Trace tag", strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[0:4])), 10), "random per trace (uint32 LE)", "tag")
	l.add(o+4, 4, "Auth code", strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[4:8])), 10), "uint32 LE", "tag")
	size := 1 << (b[8] & 3)
	l.add(o+8, 1, "Trace flags", fmt.Sprintf("0x%02X", b[8]), fmt.Sprintf("route entries of %d byte(s)", size), "flags")
	for i, at := 0, o+traceFixedLen; at+size <= o+n; i, at = i+1, at+size {
		l.addHex(at, size, "Route hop "+strconv.Itoa(i), "node prefix the trace must visit", "route")
	}
}

func (p *Packet) controlFields(l *fieldList, o int) {
	b := p.PayloadBytes
	n := len(b)
	if n < 1 {
		return
	}
	sub := b[0] >> 4
	desc := fmt.Sprintf("sub-type 0x%X", sub)
	switch sub {
	case 0x8:
		desc += " DISCOVER_REQ"
	case 0x9:
		desc += fmt.Sprintf(" DISCOVER_RESP, node type %s", AdvertRole(int(b[0]&0x0F)))
	}
	if b[0]&0x80 != 0 {
		desc += " (zero-hop only)"
	}
	l.add(o, 1, "Control flags", fmt.Sprintf("0x%02X", b[0]), desc, "control")
	switch {
	case sub == 0x8 && n >= 6:
		l.add(o+1, 1, "Type filter", fmt.Sprintf("0x%02X", b[1]), "one bit per advert type", "control")
		l.addHex(o+2, 4, "Tag", "echoed by responders", "tag")
		if n >= 10 {
			l.add(o+6, 4, "Since", strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[6:10])), 10), "unix time (uint32 LE)", "timestamp")
		}
	case sub == 0x9 && n >= 6:
		l.add(o+1, 1, "SNR", strconv.FormatFloat(float64(int8(b[1]))/4, 'f', -1, 64)+" dB", "int8, SNR × 4", "control")
		l.addHex(o+2, 4, "Tag", "echoed from the request", "tag")
		l.addHex(o+6, n-6, "Public key", "responder's public key (8-byte prefix or full 32 bytes)", "pubkey")
	}
	l.addHex(l.cursor, len(l.raw)-l.cursor, "Control data", "control payload", "data")
}
