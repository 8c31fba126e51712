package meshcore

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"
)

// ADVERT app-data flag bits (high nibble); the low nibble is the node type.
const (
	AdvertHasLocation = 0x10
	AdvertHasFeat1    = 0x20
	AdvertHasFeat2    = 0x40
	AdvertHasName     = 0x80
)

// ADVERT node types (flags & 0x0F).
const (
	AdvertTypeNone     = 0
	AdvertTypeChat     = 1
	AdvertTypeRepeater = 2
	AdvertTypeRoom     = 3
	AdvertTypeSensor   = 4
)

const maxAdvertNameBytes = 32

// AdvertRole returns CoreScope's role label for an ADVERT node type:
// none, companion, repeater, room, sensor, or "type-N".
func AdvertRole(t int) string {
	switch t {
	case AdvertTypeNone:
		return "none"
	case AdvertTypeChat:
		return "companion"
	case AdvertTypeRepeater:
		return "repeater"
	case AdvertTypeRoom:
		return "room"
	case AdvertTypeSensor:
		return "sensor"
	}
	return "type-" + strconv.Itoa(t)
}

// advertLayout holds the app-data offsets found while parsing, so that the
// JSON decoder and the byte breakdown agree on every field.
type advertLayout struct {
	flags              int // -1: no app data
	locAt, feat1At     int // -1 when absent; offsets within app data
	feat2At            int
	nameAt, nameEnd    int // name bytes [nameAt, nameEnd) before sanitising
	telemetryAt        int
	battery, tempRaw   int
	hasBatt, hasTemp   bool
	latRaw, lonRaw     int32
	feat1Val, feat2Val int
}

func parseAdvertApp(app []byte) advertLayout {
	l := advertLayout{flags: -1, locAt: -1, feat1At: -1, feat2At: -1, nameAt: -1, telemetryAt: -1}
	if len(app) == 0 {
		return l
	}
	f := app[0]
	l.flags = int(f)
	i := 1
	if f&AdvertHasLocation != 0 && len(app) >= i+8 {
		l.locAt = i
		l.latRaw = int32(binary.LittleEndian.Uint32(app[i:]))
		l.lonRaw = int32(binary.LittleEndian.Uint32(app[i+4:]))
		i += 8
	}
	if f&AdvertHasFeat1 != 0 && len(app) >= i+2 {
		l.feat1At = i
		l.feat1Val = int(binary.LittleEndian.Uint16(app[i:]))
		i += 2
	}
	if f&AdvertHasFeat2 != 0 && len(app) >= i+2 {
		l.feat2At = i
		l.feat2Val = int(binary.LittleEndian.Uint16(app[i:]))
		i += 2
	}
	if f&AdvertHasName != 0 {
		l.nameAt = i
		j := i
		for j < len(app) && app[j] != 0 {
			j++
		}
		l.nameEnd = j
		// CoreScope skips the terminator and any further NULs before
		// looking for sensor telemetry.
		for j < len(app) && app[j] == 0 {
			j++
		}
		i = j
	}
	if f&0x0F == AdvertTypeSensor && len(app)-i >= 4 {
		l.telemetryAt = i
		l.battery = int(binary.LittleEndian.Uint16(app[i:]))
		l.tempRaw = int(int16(binary.LittleEndian.Uint16(app[i+2:])))
		l.hasBatt = l.battery >= 1 && l.battery <= 10000
		l.hasTemp = l.tempRaw >= -5000 && l.tempRaw <= 10000
	}
	return l
}

// sanitizeName drops control characters (except tab and newline) and DEL,
// then cuts to 32 bytes at a UTF-8 character boundary ([quirk]: CoreScope
// cuts mid-character, producing U+FFFD).
func sanitizeName(b []byte) string {
	clean := true
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F {
			clean = false
			break
		}
	}
	if !clean {
		out := make([]byte, 0, len(b))
		for _, c := range b {
			if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F {
				continue
			}
			out = append(out, c)
		}
		b = out
	}
	if len(b) > maxAdvertNameBytes {
		n := maxAdvertNameBytes
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	return string(b)
}

func decodeAdvert(p *Packet, b []byte, opts Options) {
	if len(b) < advertFixedLen {
		p.Payload = tooShort("ADVERT", b, errTooShortAdvert)
		return
	}
	pub, sig, app := b[0:32], b[36:100], b[100:]
	ts := binary.LittleEndian.Uint32(b[32:36])
	pl := Payload{
		Type:         "ADVERT",
		PubKey:       hex.EncodeToString(pub),
		Timestamp:    ts,
		TimestampISO: time.Unix(int64(ts), 0).UTC().Format("2006-01-02T15:04:05.000Z"),
		Signature:    hex.EncodeToString(sig),
	}
	if !opts.SkipSignature {
		pl.SignatureValid = boolPtr(verifyAdvert(b))
	}
	l := parseAdvertApp(app)
	if l.flags >= 0 {
		t := l.flags & 0x0F
		pl.Flags = &AdvertFlags{
			Raw:         l.flags,
			Type:        t,
			Chat:        t == AdvertTypeChat,
			Repeater:    t == AdvertTypeRepeater,
			Room:        t == AdvertTypeRoom,
			Sensor:      t == AdvertTypeSensor,
			HasLocation: l.flags&AdvertHasLocation != 0,
			HasFeat1:    l.flags&AdvertHasFeat1 != 0,
			HasFeat2:    l.flags&AdvertHasFeat2 != 0,
			HasName:     l.flags&AdvertHasName != 0,
		}
	}
	if l.locAt >= 0 {
		pl.Lat = floatPtr(float64(l.latRaw) / 1e6)
		pl.Lon = floatPtr(float64(l.lonRaw) / 1e6)
	}
	if l.nameAt >= 0 {
		pl.Name = sanitizeName(app[l.nameAt:l.nameEnd])
	}
	if l.feat1At >= 0 {
		pl.Feat1 = intPtr(l.feat1Val)
	}
	if l.feat2At >= 0 {
		pl.Feat2 = intPtr(l.feat2Val)
	}
	if l.hasBatt {
		pl.BatteryMV = intPtr(l.battery)
	}
	if l.hasTemp {
		pl.TemperatureC = floatPtr(float64(l.tempRaw) / 100)
	}
	p.Payload = pl
}

// verifyAdvert checks the Ed25519 signature over exactly the signed bytes:
// public key || timestamp || app data (header, path and signature excluded).
func verifyAdvert(b []byte) bool {
	msg := make([]byte, 0, 36+len(b)-advertFixedLen)
	msg = append(msg, b[0:36]...)
	msg = append(msg, b[advertFixedLen:]...)
	return ed25519.Verify(ed25519.PublicKey(b[0:32]), msg, b[36:100])
}

// Advert returns the typed ADVERT content; ok is false for other payload
// types and for adverts too short to carry a public key.
func (p *Packet) Advert() (AdvertInfo, bool) {
	if p.Header.PayloadType != PayloadAdvert || p.Payload.PubKey == "" {
		return AdvertInfo{}, false
	}
	pl := &p.Payload
	a := AdvertInfo{
		PubKey:         pl.PubKey,
		Timestamp:      pl.Timestamp,
		Type:           -1,
		Role:           "none",
		Name:           pl.Name,
		BatteryMV:      pl.BatteryMV,
		TemperatureC:   pl.TemperatureC,
		SignatureValid: pl.SignatureValid != nil && *pl.SignatureValid,
	}
	a.SignatureChecked = pl.SignatureValid != nil
	if pl.Flags != nil {
		a.Type = pl.Flags.Type
		a.Role = AdvertRole(pl.Flags.Type)
	}
	if pl.Lat != nil && pl.Lon != nil {
		a.HasLocation = true
		a.Lat, a.Lon = *pl.Lat, *pl.Lon
	}
	return a, true
}
