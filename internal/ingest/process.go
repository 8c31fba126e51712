package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/meshcore"
)

// record is everything one message writes, in ingest terms. The storer maps
// it onto the database's row types. Nil parts are not written.
type record struct {
	now      time.Time
	observer *observerRec // upserted before the observation so observer_idx is set
	tx       *txRec
	obs      *obsRec
	node     *nodeRec
	metrics  *metricsRec
	dropped  *droppedRec
	skew     *skewRec
}

type observerRec struct {
	ID, Name, IATA string
	Packet         bool // a packet message (sets last_packet_at); false = status
	NoLiveness     bool // retained/offline status: keep last_seen
	Meta           ObserverMeta
}

type txRec struct {
	RawHex, Hash                       string
	RouteType, PayloadType, PayloadVer int
	DecodedJSON                        string
	FromPubkey, ChannelHash, ScopeName *string
	IsAdvert                           bool
}

type obsRec struct {
	ObserverID string // "" or an id without an observer row → observer_idx NULL
	Direction  string
	SNR, RSSI  *float64
	Score      *int64
	PathJSON   string
	RawHex     string
}

type nodeRec struct {
	PubKey, Name, Role string
	Lat, Lon           *float64
	BatteryMV          *int
	TemperatureC       *float64
	Foreign            bool
	Scope              *string // transport scope of the advert, if scoped
}

type metricsRec struct {
	ObserverID string
	Bucket     time.Time
	Meta       ObserverMeta
}

type droppedRec struct {
	Hash, RawHex, Reason     string
	ObserverID, ObserverName string
	NodePubkey, NodeName     string
}

type skewRec struct {
	ObserverID    string
	OffsetSeconds int64
}

// prepare parses, filters and decodes one MQTT message into an item. Errors
// are *DropError values: the message is counted and acknowledged, not written.
func (ing *Ingestor) prepare(s *source, topic string, payload []byte, retained bool) (*item, error) {
	if err := ing.protect(s, topic); err != nil {
		return nil, err // before parsing: a flood costs only this
	}
	return ing.prepareAt(s, topic, payload, retained, ing.now())
}

// prepareAt is prepare with the receive time given: live traffic uses the
// ingest clock, a trusted import (Import) each record's own time. Imports
// bypass the observer rate limit and lists (protect): they are the
// operator's own data.
func (ing *Ingestor) prepareAt(s *source, topic string, payload []byte, retained bool, at time.Time) (*item, error) {
	env, err := ParseMessage(topic, payload)
	if err != nil {
		return nil, err
	}
	if err := ing.filter(s, env); err != nil {
		return nil, err
	}
	now := at.UTC().Truncate(time.Second)
	it := &item{topic: topic, rec: record{now: now}}
	switch env.Kind {
	case KindStatus:
		err = ing.prepareStatus(env, retained, &it.rec)
	case KindPacket:
		err = ing.preparePacket(s, env, &it.rec)
	case KindCompanionChannel, KindCompanionDirect:
		prepareCompanion(env, &it.rec)
	}
	if err != nil {
		return nil, err
	}
	return it, nil
}

// filter applies the observer blacklist, the global IATA whitelist and the
// per-source iataFilter (INGEST §4, with the [improve]s: both filters are
// case-insensitive, companion topics carry no region and are exempt, and the
// per-source filter does not apply to status messages).
func (ing *Ingestor) filter(s *source, env *Envelope) error {
	companion := env.Kind == KindCompanionChannel || env.Kind == KindCompanionDirect
	if !companion && len(ing.blacklist) > 0 && ing.blacklist[strings.ToLower(strings.TrimSpace(env.ObserverID))] {
		return drop(DropBlacklisted, fmt.Errorf("observer %s", short(env.ObserverID)))
	}
	if companion {
		return nil
	}
	region := strings.ToUpper(strings.TrimSpace(env.Region))
	if len(ing.whitelist) > 0 && !ing.whitelist[region] {
		return drop(DropIATAFiltered, nil)
	}
	if env.Kind == KindPacket && s != nil && s.iata != nil && !s.iata[region] {
		return drop(DropIATAFiltered, nil)
	}
	return nil
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (ing *Ingestor) prepareStatus(env *Envelope, retained bool, rec *record) error {
	if env.ObserverID == "" {
		return drop(DropUnknownTopic, nil)
	}
	rec.observer = &observerRec{
		ID:   env.ObserverID,
		Name: strings.TrimSpace(env.Origin),
		IATA: strings.ToUpper(strings.TrimSpace(env.Region)),
		Meta: env.Meta,
	}
	// [improve] A retained status (replayed by the broker on every subscribe)
	// and the bridge's last-will "offline" say nothing about the observer being
	// alive now: they update the device info but not last_seen, and write no
	// metrics sample.
	if retained || strings.EqualFold(env.Status, "offline") {
		rec.observer.NoLiveness = true
		return nil
	}
	if env.Meta.HasMetrics() {
		rec.metrics = &metricsRec{ObserverID: env.ObserverID, Bucket: bucket(rec.now, ing.sampleInterval), Meta: env.Meta}
	}
	return nil
}

// bucket rounds t to the nearest multiple of interval (INGEST §6.2).
func bucket(t time.Time, interval time.Duration) time.Time {
	if interval <= 0 {
		return t
	}
	return t.Round(interval).UTC()
}

func (ing *Ingestor) preparePacket(s *source, env *Envelope, rec *record) error {
	raw, err := meshcore.ParseHex(env.Raw)
	if err != nil {
		return drop(DropDecodeError, err)
	}
	p, err := ing.decode(raw)
	if err != nil {
		return drop(DropDecodeError, err)
	}
	if env.ObserverID != "" {
		iata := env.PayloadRegion
		if iata == "" {
			iata = env.Region
		}
		if iata == "" && s != nil {
			iata = s.cfg.Region
		}
		rec.observer = &observerRec{
			ID:     env.ObserverID,
			Name:   strings.TrimSpace(env.Origin),
			IATA:   strings.ToUpper(strings.TrimSpace(iata)),
			Packet: true,
		}
	}
	hops := p.PathHops()
	pathJSON, _ := json.Marshal(hops)
	tx := &txRec{
		RawHex:      env.Raw,
		Hash:        p.Hash,
		RouteType:   p.Header.RouteType,
		PayloadType: p.Header.PayloadType,
		PayloadVer:  p.Header.PayloadVersion,
		DecodedJSON: string(p.PayloadJSON()),
	}
	if g, ok := p.Group(); ok && p.Header.PayloadType == meshcore.PayloadGrpTxt {
		ch := "enc_" + g.ChannelHashHex
		if g.DecryptionStatus == meshcore.Decrypted && g.Channel != "" {
			ch = g.Channel
		}
		tx.ChannelHash = &ch
	}
	scope := ing.scopeOf(p)
	tx.ScopeName = scope
	if a, ok := p.Advert(); ok {
		if err := ing.checkAdvert(p, a, env, rec, scope); err != nil {
			return err
		}
		if rec.dropped != nil {
			return nil // bad signature: only the dropped_packets row is written
		}
		if ing.advertOutside(s, rec.node) {
			return drop(DropGeoFiltered, nil)
		}
		pk := strings.ToLower(a.PubKey)
		tx.FromPubkey = &pk
		tx.IsAdvert = true
	}
	rec.tx = tx
	rec.obs = &obsRec{
		ObserverID: env.ObserverID,
		Direction:  env.Direction,
		SNR:        env.SNR,
		RSSI:       env.RSSI,
		Score:      env.Score,
		PathJSON:   string(pathJSON),
		RawHex:     env.Raw,
	}
	if env.ObserverID != "" && env.Timestamp != "" {
		if off, ok := ing.naiveSkew(env.Timestamp, rec.now); ok {
			rec.skew = &skewRec{ObserverID: env.ObserverID, OffsetSeconds: off}
		}
	}
	return nil
}

// decode decodes raw, reusing the signature verdict of an advert already
// verified for another observer.
func (ing *Ingestor) decode(raw []byte) (*meshcore.Packet, error) {
	opts := meshcore.Options{Keys: ing.keys}
	if len(raw) < 2 || (raw[0]>>2)&0x0F != meshcore.PayloadAdvert {
		return meshcore.Decode(raw, opts)
	}
	if h, err := meshcore.ContentHash(raw); err == nil {
		if valid, ok := ing.sigs.get(h); ok {
			opts.SkipSignature = true
			p, err := meshcore.Decode(raw, opts)
			if err == nil && p.Payload.PubKey != "" && p.Payload.Error == "" {
				p.Payload.SignatureValid = &valid
			}
			return p, err
		}
	}
	p, err := meshcore.Decode(raw, opts)
	if err == nil && p.Payload.SignatureValid != nil {
		ing.sigs.put(p.Hash, *p.Payload.SignatureValid)
	}
	return p, err
}

// checkAdvert applies INGEST §5.3 (structure, signature, geo filter) and fills
// rec.node or rec.dropped. A non-nil error drops the message.
func (ing *Ingestor) checkAdvert(p *meshcore.Packet, a meshcore.AdvertInfo, env *Envelope, rec *record, scope *string) error {
	if err := validateAdvert(p, a); err != nil {
		return drop(DropInvalidAdvert, err)
	}
	if ing.validateSigs && a.SignatureChecked && !a.SignatureValid {
		// The rejected advert is recorded for the operator (GET
		// /api/dropped-packets) and nothing else is written.
		rec.dropped = &droppedRec{
			Hash: p.Hash, RawHex: env.Raw, Reason: "invalid signature",
			ObserverID: env.ObserverID, ObserverName: env.Origin,
			NodePubkey: strings.ToLower(a.PubKey), NodeName: a.Name,
		}
		rec.observer = nil
		return nil
	}
	foreign := false
	if a.HasLocation && ing.geo != nil && !ing.geo(a.Lat, a.Lon) {
		if ing.foreignDrop {
			return drop(DropForeignAdvert, nil)
		}
		foreign = true
	}
	role := a.Role
	if a.Type < 0 {
		role = "companion" // no app data / flags: the reference's default (INGEST §6.3)
	}
	n := &nodeRec{
		PubKey:       strings.ToLower(a.PubKey),
		Name:         a.Name,
		Role:         role,
		BatteryMV:    a.BatteryMV,
		TemperatureC: a.TemperatureC,
		Foreign:      foreign,
		Scope:        scope,
	}
	if a.HasLocation {
		lat, lon := a.Lat, a.Lon
		n.Lat, n.Lon = &lat, &lon
	}
	rec.node = n
	return nil
}

// validateAdvert is the structural check of INGEST §5.3.1.
func validateAdvert(p *meshcore.Packet, a meshcore.AdvertInfo) error {
	if p.Payload.Error != "" {
		return fmt.Errorf("advert payload: %s", p.Payload.Error)
	}
	if len(a.PubKey) < 16 || strings.Trim(a.PubKey, "0") == "" {
		return errors.New("advert public key missing or all zeros")
	}
	if a.HasLocation {
		if math.IsNaN(a.Lat) || math.IsNaN(a.Lon) || math.IsInf(a.Lat, 0) || math.IsInf(a.Lon, 0) ||
			a.Lat < -90 || a.Lat > 90 || a.Lon < -180 || a.Lon > 180 {
			return fmt.Errorf("advert location %v,%v out of range", a.Lat, a.Lon)
		}
	}
	if len(a.Name) > 64 {
		return fmt.Errorf("advert name of %d bytes", len(a.Name))
	}
	for _, r := range a.Name {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return errors.New("advert name has control characters")
		}
	}
	switch a.Role {
	case "repeater", "companion", "room", "sensor", "none":
	default:
		if !strings.HasPrefix(a.Role, "type-") {
			return fmt.Errorf("advert role %q", a.Role)
		}
	}
	return nil
}

// scopeOf returns scope_name (INGEST §5.4): nil unless the route is a
// transport route with code1 ≠ 0; then the matching hashRegions name, or ""
// when no configured region matches.
func (ing *Ingestor) scopeOf(p *meshcore.Packet) *string {
	tc := p.TransportCodes
	if tc == nil || tc.Code1 == 0 {
		return nil
	}
	name := ""
	for _, r := range ing.regions {
		if regionCode(r.key, byte(p.Header.PayloadType), p.PayloadBytes) == tc.Code1 {
			name = r.name
			break
		}
	}
	return &name
}

type regionKey struct {
	name string
	key  [16]byte
}

// newRegionKeys derives the transport keys of hashRegions (INGEST §8.2).
func newRegionKeys(names []string) []regionKey {
	seen := map[string]bool{}
	var out []regionKey
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !strings.HasPrefix(n, "#") {
			n = "#" + n
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		sum := sha256.Sum256([]byte(n))
		var k regionKey
		k.name = n
		copy(k.key[:], sum[:16])
		out = append(out, k)
	}
	return out
}

// regionCode is the transport code a region key gives a payload: the first
// two bytes of HMAC-SHA256(key, type ‖ payload) little-endian, with 0 and
// 0xFFFF reserved.
func regionCode(key [16]byte, payloadType byte, payload []byte) uint16 {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte{payloadType})
	m.Write(payload)
	sum := m.Sum(nil)
	c := binary.LittleEndian.Uint16(sum[:2])
	switch c {
	case 0:
		c = 1
	case 0xFFFF:
		c = 0xFFFE
	}
	return c
}

// naiveSkew implements INGEST §7: a zone-less envelope timestamp more than 15
// minutes from now is a naive local clock; the signed offset in seconds is
// returned (negative = observer behind UTC). Zoned or unusable timestamps
// report nothing.
func (ing *Ingestor) naiveSkew(ts string, now time.Time) (int64, bool) {
	ts = strings.TrimSpace(ts)
	if ts == "" || strings.HasSuffix(ts, "Z") || strings.HasSuffix(ts, "z") {
		return 0, false
	}
	if i := strings.LastIndexAny(ts, "+-"); i > 10 { // an offset after the date part
		return 0, false
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", ts)
	if err != nil {
		return 0, false
	}
	off := t.Sub(now)
	if off > 14*time.Hour || off < -30*24*time.Hour {
		return 0, false
	}
	if off.Abs() <= 15*time.Minute {
		return 0, false
	}
	return int64(off.Round(time.Second) / time.Second), true
}

// prepareCompanion builds the synthetic transmission of a legacy Format-2
// message (INGEST §5.5): no raw bytes, a hash that includes the ingest time
// (so these never dedup), observer "companion" without an observer row.
func prepareCompanion(env *Envelope, rec *record) {
	at := rec.now.Format(time.RFC3339)
	var key, typ, ch string
	pt := meshcore.PayloadTxtMsg
	if env.Kind == KindCompanionChannel {
		ch = "ch" + strconv.Itoa(env.ChannelIdx)
		key = "ch:" + strconv.Itoa(env.ChannelIdx) + ":" + env.Text + ":" + at
		typ = "CHAN"
		pt = meshcore.PayloadGrpTxt
	} else {
		key = "dm:" + env.Text + ":" + at
		typ = "DM"
	}
	sum := sha256.Sum256([]byte(key))
	sender := ""
	if i := strings.Index(env.Text, ": "); i >= 0 && i < 50 {
		sender = env.Text[:i]
	}
	dj := companionJSON{Type: typ, Text: env.Text, Sender: sender, SenderTimestamp: env.SenderTimestamp}
	if ch != "" {
		dj.Channel = ch
	}
	b, _ := json.Marshal(dj)
	tx := &txRec{
		Hash:        hex.EncodeToString(sum[:8]),
		RouteType:   meshcore.RouteFlood,
		PayloadType: pt,
		DecodedJSON: string(b),
	}
	if ch != "" {
		tx.ChannelHash = &ch
	}
	rec.tx = tx
	rec.obs = &obsRec{
		ObserverID: env.ObserverID,
		Direction:  env.Direction,
		SNR:        env.SNR,
		RSSI:       env.RSSI,
		Score:      env.Score,
		PathJSON:   "[]",
	}
}

type companionJSON struct {
	Type            string `json:"type"`
	Channel         string `json:"channel,omitempty"`
	Text            string `json:"text"`
	Sender          string `json:"sender"`
	SenderTimestamp *int64 `json:"sender_timestamp,omitempty"`
}
