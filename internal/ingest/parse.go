package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/corescope/corescope/internal/db"
)

// MaxPayloadBytes bounds one MQTT payload. A meshcoretomqtt packet message is
// well under 2 KB (the raw packet is at most 255 bytes); anything far larger is
// not from a bridge and is dropped before the JSON parser sees it.
const MaxPayloadBytes = 64 << 10

// Kind says which path of INGEST.md a message takes.
type Kind uint8

const (
	// KindPacket is a meshcoretomqtt packet message (has a non-empty raw).
	KindPacket Kind = iota + 1
	// KindStatus is a meshcoretomqtt status message (topic …/<iata>/<id>/status).
	KindStatus
	// KindCompanionChannel is a legacy Format-2 channel message (meshcore/message/channel/<n>).
	KindCompanionChannel
	// KindCompanionDirect is a legacy Format-2 direct message (meshcore/message/direct/<id>).
	KindCompanionDirect
)

// Drop reasons. They are stable strings: they appear as keys of the "drops"
// object in the stats file and as the reason attribute in logs.
const (
	DropInvalidJSON   = "invalid_json"
	DropOversized     = "oversized"
	DropIgnoredTopic  = "ignored_topic"  // meshcore/status, meshcore/events/connection
	DropUnknownTopic  = "unknown_topic"  // JSON without raw on a non-status, non-companion topic (e.g. bridge debug)
	DropBlacklisted   = "blacklisted"    // observerBlacklist
	DropIATAFiltered  = "iata_filtered"  // observerIATAWhitelist or per-source iataFilter
	DropDecodeError   = "decode_error"   // invalid hex, truncated packet, oversized packet payload
	DropInvalidAdvert = "invalid_advert" // ADVERT failing structural validation (INGEST §5.3.1)
	DropBadSignature  = "bad_signature"  // ADVERT with an invalid Ed25519 signature (row in dropped_packets)
	DropForeignAdvert = "foreign_advert" // ADVERT outside geo_filter with foreignAdverts.mode=drop
	DropEmptyText     = "empty_text"     // companion message without text
	DropInvalidField  = "invalid_field"  // id/name/region over db.MaxIDLen bytes, channel index outside 0..255
	DropWriteError    = "write_error"    // the database rejected the row
)

// Envelope is one MQTT message after JSON parsing and topic analysis, before
// packet decoding. Only the fields that CoreScope uses are kept.
type Envelope struct {
	Kind       Kind
	Topic      string
	Region     string // topic segment 1 (IATA)
	ObserverID string // topic segment 2, verbatim

	// Packet and companion fields (INGEST §2.1, §2.3).
	Raw           string // hex with whitespace removed
	SNR, RSSI     *float64
	Score         *int64
	Direction     string
	Origin        string
	PayloadRegion string
	Timestamp     string // envelope timestamp, only used for clock-skew detection

	// Status fields (INGEST §2.2).
	Status string // "online" / "offline" as sent
	Meta   ObserverMeta

	// Companion (Format-2) fields.
	Text            string
	ChannelIdx      int
	SenderTimestamp *int64
}

// ObserverMeta is the device information a status message carries. Nil
// pointers and empty strings mean "not sent" and never overwrite stored values.
type ObserverMeta struct {
	Model, Firmware, ClientVersion, Radio string
	BatteryMV, UptimeSecs                 *int64
	NoiseFloor                            *float64
	TxAirSecs, RxAirSecs, RecvErrors      *int64
	PacketsSent, PacketsRecv              *int64
}

// Any reports whether the status message carried any device information.
func (m ObserverMeta) Any() bool {
	return m.Model != "" || m.Firmware != "" || m.ClientVersion != "" || m.Radio != "" ||
		m.BatteryMV != nil || m.UptimeSecs != nil || m.NoiseFloor != nil ||
		m.TxAirSecs != nil || m.RxAirSecs != nil || m.RecvErrors != nil ||
		m.PacketsSent != nil || m.PacketsRecv != nil
}

// HasMetrics reports whether an observer_metrics sample should be written.
// Like the reference, text-only meta still writes a sample (with NULL numbers).
func (m ObserverMeta) HasMetrics() bool { return m.Any() }

// DropError is returned by ParseMessage for a message that is not ingested.
// Reason is one of the Drop* constants.
type DropError struct {
	Reason string
	Err    error
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *DropError) Unwrap() error { return e.Err }

func drop(reason string, err error) error { return &DropError{Reason: reason, Err: err} }

// DropReason returns the Drop* reason of err, or DropWriteError for any other error.
func DropReason(err error) string {
	var de *DropError
	if errors.As(err, &de) {
		return de.Reason
	}
	return DropWriteError
}

// num is a JSON value that may be a number or a numeric string with a unit
// suffix ("-110dBm"). Unparseable values stay unset: the packet is still stored.
type num struct {
	v  float64
	ok bool
}

func (n num) float() *float64 {
	if !n.ok {
		return nil
	}
	v := n.v
	return &v
}

func (n num) int() *int64 {
	if !n.ok || n.v > math.MaxInt64/2 || n.v < math.MinInt64/2 {
		return nil
	}
	v := int64(math.Round(n.v))
	return &v
}

// numRange is the plausible range of a numeric field. A value outside it is
// treated like an unparseable one (stored as NULL, INGEST §10): a hostile or
// broken bridge cannot plant 1e300 dBm or a negative uptime.
type numRange struct{ lo, hi float64 }

var (
	rangeSNR     = numRange{-128, 128} // dB; LoRa reports about -20..+15
	rangeRSSI    = numRange{-300, 100} // dBm
	rangeNoise   = numRange{-300, 100} // dBm
	rangeScore   = numRange{math.MinInt32, math.MaxInt32}
	rangeBattery = numRange{0, 100_000}        // mV
	rangeUint32  = numRange{0, math.MaxUint32} // firmware counters, seconds, epoch seconds
	rangeChannel = numRange{0, 255}            // companion channel slot (uint8)
)

// in returns n, or an unset num when n is outside r.
func (n num) in(r numRange) num {
	if n.ok && (n.v < r.lo || n.v > r.hi) {
		return num{}
	}
	return n
}

// unitSuffixes are stripped case-insensitively before parsing numeric strings
// (INGEST §2.1); longer suffixes first so "dBm" is not read as "m".
var unitSuffixes = []string{"dbm", "db", "mw", "km", "mi", "m"}

func parseNumString(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	for _, suf := range unitSuffixes {
		if strings.HasSuffix(ls, suf) {
			s = strings.TrimSpace(s[:len(s)-len(suf)])
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

type statsJSON struct {
	BatteryMV, UptimeSecs, NoiseFloor, TxAirSecs, RxAirSecs, RecvErrors, PacketsSent, PacketsRecv num
}

// field stores the value of one stats key; unknown keys are skipped.
func (st *statsJSON) field(sc *scanner, key []byte) error {
	var dst *num
	switch string(key) {
	case "battery_mv":
		dst = &st.BatteryMV
	case "uptime_secs":
		dst = &st.UptimeSecs
	case "noise_floor":
		dst = &st.NoiseFloor
	case "tx_air_secs":
		dst = &st.TxAirSecs
	case "rx_air_secs":
		dst = &st.RxAirSecs
	case "recv_errors":
		dst = &st.RecvErrors
	case "packets_sent":
		dst = &st.PacketsSent
	case "packets_recv":
		dst = &st.PacketsRecv
	default:
		return sc.skip()
	}
	v, err := sc.num()
	*dst = v
	return err
}

// wireJSON is the union of the bridge's packet, status and companion fields.
// Both spellings of a key are separate fields: the uppercase spelling wins
// when both are sent (§2.1).
type wireJSON struct {
	Raw, Direction, DirectionUp, Origin, Region, Timestamp, Status    string
	Radio, Model, FirmwareVer, Firmware, ClientVer, ClientVerCC, Text string
	SNR, SNRLower, RSSI, RSSILower, Score, ScoreUpper                 num
	ChannelIdx, SenderTS                                              num
	Stats                                                             statsJSON // nested "stats" object
	Top                                                               statsJSON // the same keys at the top level
}

// parseWire reads the bridge JSON object in payload.
func parseWire(payload []byte) (*wireJSON, error) {
	w := &wireJSON{}
	sc := &scanner{b: payload}
	err := sc.object(func(key []byte) error {
		var sdst *string
		var ndst *num
		switch string(key) {
		case "raw":
			sdst = &w.Raw
		case "direction":
			sdst = &w.Direction
		case "Direction":
			sdst = &w.DirectionUp
		case "origin":
			sdst = &w.Origin
		case "region":
			sdst = &w.Region
		case "timestamp":
			sdst = &w.Timestamp
		case "status":
			sdst = &w.Status
		case "radio":
			sdst = &w.Radio
		case "model":
			sdst = &w.Model
		case "firmware_version":
			sdst = &w.FirmwareVer
		case "firmware":
			sdst = &w.Firmware
		case "client_version":
			sdst = &w.ClientVer
		case "clientVersion":
			sdst = &w.ClientVerCC
		case "text":
			sdst = &w.Text
		case "SNR":
			ndst = &w.SNR
		case "snr":
			ndst = &w.SNRLower
		case "RSSI":
			ndst = &w.RSSI
		case "rssi":
			ndst = &w.RSSILower
		case "score":
			ndst = &w.Score
		case "Score":
			ndst = &w.ScoreUpper
		case "channel_idx":
			ndst = &w.ChannelIdx
		case "sender_timestamp":
			ndst = &w.SenderTS
		case "stats":
			if sc.peek() != '{' {
				return sc.skip() // a non-object stats value is ignored, not fatal
			}
			return sc.object(func(k []byte) error { return w.Stats.field(sc, k) })
		default:
			return w.Top.field(sc, key)
		}
		if sdst != nil {
			v, _, err := sc.str()
			*sdst = v
			return err
		}
		v, err := sc.num()
		*ndst = v
		return err
	})
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

func pick(a, b num) num {
	if a.ok {
		return a
	}
	return b
}

func pickStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// splitTopic returns up to the first four segments of topic.
func splitTopic(topic string) (segs [4]string, n int) {
	for n < 4 {
		i := strings.IndexByte(topic, '/')
		if i < 0 {
			segs[n] = topic
			return segs, n + 1
		}
		segs[n] = topic[:i]
		topic = topic[i+1:]
		n++
	}
	return segs, n
}

// ParseMessage turns one MQTT message into an Envelope, applying the topic
// rules of INGEST §2.4 and §4 that do not depend on configuration. It returns
// a *DropError for messages that are not ingested. It never panics on any input.
func ParseMessage(topic string, payload []byte) (*Envelope, error) {
	env, err := parseMessage(topic, payload)
	if err != nil {
		return nil, err
	}
	if err := checkLengths(env); err != nil {
		return nil, err
	}
	return env, nil
}

// checkLengths rejects a message whose observer id, name or region the
// database would refuse. Checked here, before any row is built, so such a
// message is stored not at all and counted once as invalid_field (rather than
// half stored: an observation without its observer, or a transmission
// without its observation, counted as a write error).
func checkLengths(env *Envelope) error {
	for _, f := range [...]struct{ name, v string }{
		{"observer id", env.ObserverID}, {"origin", env.Origin}, {"region", env.Region},
	} {
		if len(f.v) > db.MaxIDLen {
			return drop(DropInvalidField, fmt.Errorf("%s of %d bytes exceeds %d", f.name, len(f.v), db.MaxIDLen))
		}
	}
	return nil
}

func parseMessage(topic string, payload []byte) (*Envelope, error) {
	if len(payload) > MaxPayloadBytes {
		return nil, drop(DropOversized, fmt.Errorf("payload of %d bytes exceeds %d", len(payload), MaxPayloadBytes))
	}
	w, err := parseWire(payload)
	if err != nil {
		return nil, drop(DropInvalidJSON, err)
	}
	if topic == "meshcore/status" || topic == "meshcore/events/connection" {
		return nil, drop(DropIgnoredTopic, nil)
	}
	segs, n := splitTopic(topic)
	env := &Envelope{Topic: topic}
	if n >= 2 {
		env.Region = segs[1]
	}
	if n >= 3 {
		env.ObserverID = segs[2]
	}
	env.Origin = w.Origin

	if n >= 4 && segs[3] == "status" && segs[1] != "message" {
		env.Kind = KindStatus
		env.Status = w.Status
		env.Meta = w.meta()
		return env, nil
	}
	env.SNR = pick(w.SNR, w.SNRLower).in(rangeSNR).float()
	env.RSSI = pick(w.RSSI, w.RSSILower).in(rangeRSSI).float()
	env.Score = pick(w.Score, w.ScoreUpper).in(rangeScore).int()
	env.Direction = pickStr(w.Direction, w.DirectionUp)
	if raw := cleanHex(w.Raw); raw != "" {
		env.Kind = KindPacket
		env.Raw = raw
		env.PayloadRegion = strings.TrimSpace(w.Region)
		env.Timestamp = w.Timestamp
		return env, nil
	}
	if segs[0] == "meshcore" && segs[1] == "message" && n >= 3 && (segs[2] == "channel" || segs[2] == "direct") {
		if strings.TrimSpace(w.Text) == "" {
			return nil, drop(DropEmptyText, nil)
		}
		env.Text = w.Text
		env.ObserverID = "companion"
		env.Origin = "L1 Pro (BLE)"
		env.Region = ""
		env.SenderTimestamp = w.SenderTS.in(rangeUint32).int()
		if segs[2] == "channel" {
			env.Kind = KindCompanionChannel
			idx, err := channelIndex(w.ChannelIdx, segs[3], n >= 4)
			if err != nil {
				return nil, err
			}
			env.ChannelIdx = idx
		} else {
			env.Kind = KindCompanionDirect
		}
		return env, nil
	}
	return nil, drop(DropUnknownTopic, nil)
}

// channelIndex is the companion channel slot: channel_idx when sent, else
// the topic's <n>, else 0. The index names the channel ("ch<n>"), so a value
// outside 0..255 or with a fraction drops the message rather than storing a
// channel that cannot exist (1e300 once became "ch-9223372036854775808").
func channelIndex(js num, seg string, hasSeg bool) (int, error) {
	var v float64
	switch {
	case js.ok:
		v = js.v
	case hasSeg:
		idx, err := strconv.Atoi(seg)
		if err != nil {
			return 0, drop(DropUnknownTopic, fmt.Errorf("channel index %q: %w", seg, err))
		}
		v = float64(idx)
	default:
		return 0, nil
	}
	if v < rangeChannel.lo || v > rangeChannel.hi || v != math.Trunc(v) {
		return 0, drop(DropInvalidField, fmt.Errorf("channel index %v outside 0..255", v))
	}
	return int(v), nil
}

func (w *wireJSON) meta() ObserverMeta {
	s, t := &w.Stats, &w.Top
	return ObserverMeta{
		Model:         strings.TrimSpace(w.Model),
		Firmware:      strings.TrimSpace(pickStr(w.FirmwareVer, w.Firmware)),
		ClientVersion: strings.TrimSpace(pickStr(w.ClientVerCC, w.ClientVer)),
		Radio:         strings.TrimSpace(w.Radio),
		BatteryMV:     pick(s.BatteryMV, t.BatteryMV).in(rangeBattery).int(),
		UptimeSecs:    pick(s.UptimeSecs, t.UptimeSecs).in(rangeUint32).int(),
		NoiseFloor:    pick(s.NoiseFloor, t.NoiseFloor).in(rangeNoise).float(),
		TxAirSecs:     pick(s.TxAirSecs, t.TxAirSecs).in(rangeUint32).int(),
		RxAirSecs:     pick(s.RxAirSecs, t.RxAirSecs).in(rangeUint32).int(),
		RecvErrors:    pick(s.RecvErrors, t.RecvErrors).in(rangeUint32).int(),
		PacketsSent:   pick(s.PacketsSent, t.PacketsSent).in(rangeUint32).int(),
		PacketsRecv:   pick(s.PacketsRecv, t.PacketsRecv).in(rangeUint32).int(),
	}
}

// cleanHex removes all whitespace (INGEST §5.1 step 1).
func cleanHex(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
