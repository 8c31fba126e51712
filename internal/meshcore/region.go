package meshcore

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
)

// RegionName returns name trimmed with a leading '#' added if missing.
func RegionName(name string) string {
	name = strings.TrimSpace(name)
	if !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	return name
}

// RegionKey derives the 16-byte region scope key: SHA256("#name")[0:16].
func RegionKey(name string) [16]byte {
	s := sha256.Sum256([]byte(RegionName(name)))
	var k [16]byte
	copy(k[:], s[:16])
	return k
}

// RegionCode computes transport code 1 for a region key (PROTOCOL.md §1.2):
// HMAC-SHA256(key, payload_type || payload)[0:2] as uint16 LE, with the
// reserved values 0x0000 and 0xFFFF mapped to 0x0001 and 0xFFFE.
func RegionCode(key [16]byte, payloadType int, payload []byte) uint16 {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte{byte(payloadType & 0x0F)})
	m.Write(payload)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	c := uint16(sum[0]) | uint16(sum[1])<<8
	switch c {
	case 0x0000:
		c = 0x0001
	case 0xFFFF:
		c = 0xFFFE
	}
	return c
}

// Region is a named region scope key.
type Region struct {
	Name string // "#name"
	Key  [16]byte
}

// NewRegion returns the region for name ('#' added when missing).
func NewRegion(name string) Region { return Region{Name: RegionName(name), Key: RegionKey(name)} }

// Scoped reports whether the packet carries a region scope (code 1 != 0).
func (p *Packet) Scoped() bool { return p.TransportCodes != nil && p.TransportCodes.Code1 != 0 }

// MatchRegion returns the name of the first region whose code equals the
// packet's transport code 1, or "" when the packet is unscoped or no region
// matches.
func (p *Packet) MatchRegion(regions []Region) string {
	if !p.Scoped() {
		return ""
	}
	for _, r := range regions {
		if RegionCode(r.Key, p.Header.PayloadType, p.PayloadBytes) == p.TransportCodes.Code1 {
			return r.Name
		}
	}
	return ""
}
