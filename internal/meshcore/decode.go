package meshcore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// DecodeHex cleans s (removes spaces, '\n', '\r', '\t'), hex-decodes it
// (either case) and decodes the packet. Bad hex is an error wrapping
// ErrMalformed.
func DecodeHex(s string, opts Options) (*Packet, error) {
	raw, err := ParseHex(s)
	if err != nil {
		return nil, err
	}
	return Decode(raw, opts)
}

// ParseHex performs the hex clean-up of PROTOCOL.md §2 step 1: whitespace is
// removed, then the rest must be an even number of hex digits.
func ParseHex(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \n\r\t") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\n', '\r', '\t':
				return -1
			}
			return r
		}, s)
	}
	if s == "" {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid hex: %v", ErrMalformed, err)
	}
	return raw, nil
}

// frame is the packet split into its parts, without payload decoding.
type frame struct {
	header    Header
	codes     *TransportCodes
	codesOK   bool
	pathLen   byte
	hashSize  int
	hashCount int
	path      []byte
	payload   []byte
}

// split applies the packet-level checks of PROTOCOL.md §2 (steps 2-7).
func split(raw []byte) (frame, error) {
	var f frame
	if len(raw) < 2 {
		return f, fmt.Errorf("%w: %d bytes, need at least 2", ErrMalformed, len(raw))
	}
	h := raw[0]
	f.header = Header{RouteType: int(h & 0x03), PayloadType: int(h>>2) & 0x0F, PayloadVersion: int(h >> 6)}
	off := 1
	if f.header.RouteType == RouteTransportFlood || f.header.RouteType == RouteTransportDirect {
		if len(raw) < off+4 {
			return f, fmt.Errorf("%w: too short for transport codes", ErrMalformed)
		}
		f.codesOK = true
		off += 4
	}
	if off >= len(raw) {
		return f, fmt.Errorf("%w: missing path length byte", ErrMalformed)
	}
	f.pathLen = raw[off]
	off++
	f.hashSize = int(f.pathLen>>6) + 1
	f.hashCount = int(f.pathLen & 0x3F)
	if f.hashSize == 4 {
		return f, fmt.Errorf("%w: reserved path hash size (path_len 0x%02X)", ErrMalformed, f.pathLen)
	}
	n := f.hashSize * f.hashCount
	if n > MaxPathSize {
		return f, fmt.Errorf("%w: path of %d bytes exceeds %d (path_len 0x%02X)", ErrMalformed, n, MaxPathSize, f.pathLen)
	}
	if off+n > len(raw) {
		return f, fmt.Errorf("%w: path of %d bytes runs past end of packet (%d bytes left)", ErrMalformed, n, len(raw)-off)
	}
	f.path = raw[off : off+n : off+n]
	f.payload = raw[off+n:]
	if len(f.payload) > MaxPacketPayload {
		return f, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrMalformed, len(f.payload), MaxPacketPayload)
	}
	return f, nil
}

// Decode decodes one raw packet. Packet-level problems return an error that
// wraps ErrMalformed; a payload too short for its type still decodes, with
// Payload.Error set. The returned Packet references raw (no copy).
func Decode(raw []byte, opts Options) (*Packet, error) {
	f, err := split(raw)
	if err != nil {
		return nil, err
	}
	p := &Packet{
		Header:       f.header,
		PathLenByte:  f.pathLen,
		Raw:          raw,
		PathBytes:    f.path,
		PayloadBytes: f.payload,
	}
	if f.codesOK {
		p.TransportCodes = &TransportCodes{
			Code1: binary.LittleEndian.Uint16(raw[1:3]),
			Code2: binary.LittleEndian.Uint16(raw[3:5]),
		}
	}
	p.HeaderPath = Path{HashSize: f.hashSize, HashCount: f.hashCount, Hops: splitHops(f.path, f.hashSize)}
	p.Path = p.HeaderPath
	direct := f.header.RouteType == RouteDirect || f.header.RouteType == RouteTransportDirect
	if direct && f.hashCount == 0 && f.header.PayloadType != PayloadTrace {
		// CoreScope reports an unknown (0) hash size for zero-hop direct packets.
		p.Path.HashSize = 0
	}
	p.Hash = hashParts(byte(f.header.PayloadType), f.pathLen, f.payload)
	decodePayload(p, f.payload, opts)
	return p, nil
}

// splitHops renders path entries of size bytes as upper-case hex; a
// trailing partial entry is dropped. The result is never nil.
func splitHops(b []byte, size int) []string {
	if size <= 0 || len(b) < size {
		return []string{}
	}
	n := len(b) / size
	hops := make([]string, n)
	// One backing string for all hops: a single allocation.
	all := upperHex(b[:n*size])
	for i := range hops {
		hops[i] = all[i*2*size : (i+1)*2*size]
	}
	return hops
}

// ContentHash returns the de-duplication hash of a raw packet (PROTOCOL.md
// §4): 16 lower-case hex digits of SHA-256 over the payload type, the TRACE
// path_len, and the payload. Input that does not parse is an error wrapping
// ErrMalformed (CoreScope's hex-prefix fallback is deliberately not kept).
func ContentHash(raw []byte) (string, error) {
	f, err := split(raw)
	if err != nil {
		return "", err
	}
	return hashParts(byte(f.header.PayloadType), f.pathLen, f.payload), nil
}

func hashParts(payloadType, pathLen byte, payload []byte) string {
	// The hashed input is at most 3+184 bytes: build it on the stack so
	// hashing does not allocate.
	var buf [3 + MaxPacketPayload]byte
	buf[0] = payloadType
	n := 1
	if payloadType == PayloadTrace {
		// A trace passes the same nodes again on its way back; every SNR
		// byte added makes a new hash, as in the firmware.
		buf[1] = pathLen
		n = 3
	}
	var sum [sha256.Size]byte
	if len(payload) <= MaxPacketPayload {
		n += copy(buf[n:], payload)
		sum = sha256.Sum256(buf[:n])
	} else {
		h := sha256.New()
		h.Write(buf[:n])
		h.Write(payload)
		h.Sum(sum[:0])
	}
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}

const hexUpper = "0123456789ABCDEF"

func upperHex(b []byte) string {
	out := make([]byte, len(b)*2)
	for i, c := range b {
		out[i*2] = hexUpper[c>>4]
		out[i*2+1] = hexUpper[c&0x0F]
	}
	return string(out)
}

// PathHops returns the hops stored in path_json: the header path, or for a
// TRACE with a route, the route hops. Never nil.
func (p *Packet) PathHops() []string {
	if p.Path.Hops == nil {
		return []string{}
	}
	return p.Path.Hops
}

// Result returns the "decoded" object of POST /api/decode.
func (p *Packet) Result() DecodeResult {
	return DecodeResult{Header: p.Header, Path: p.Path, Payload: &p.Payload}
}
