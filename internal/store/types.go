package store

import (
	"sync/atomic"
	"time"
)

// Transmission is one unique packet (one transmissions row). Every exported field
// is immutable once the transmission is visible to readers; the set of
// observations changes and is read through Observations/Best/Latest, which load
// an immutable state published atomically by the sync.
type Transmission struct {
	ID             int64
	Hash           string // 16 lower-hex chars
	Raw            []byte // raw packet bytes, decoded from raw_hex once
	FirstSeen      int64  // unix ms
	RouteType      int8   // -1 = NULL
	PayloadType    int8   // -1 = NULL
	PayloadVersion int8   // -1 = NULL
	rawUpper       bool   // raw_hex was stored upper-case: render it the same way
	bytes          int32  // self-accounted size (packed here to stay in a smaller size class)
	DecodedJSON    string // decoded payload JSON exactly as stored ("" = NULL)
	FromPubkey     string // advert originator ("" = none)
	ChannelHash    string // GRP_TXT grouping key (channel name, enc_XX, ...) ("" = none)
	ScopeName      OptString

	// Pre-parsed from DecodedJSON for GRP_TXT/CHAN packets (channel views need them).
	Sender          string
	Text            string
	SenderTimestamp int64 // device clock, 0 = absent

	state atomic.Pointer[txState]
	// nodes this transmission is attributed to in the byNode index (sync-only).
	nodes []string
}

// txState is the part of a transmission that grows as observations arrive. It is
// replaced, never mutated, once published.
type txState struct {
	obs       []*Observation // ascending id
	best      *Observation   // longest path; ties keep the most recent
	latest    int64          // unix ms of the newest observation (FirstSeen if none)
	observers int            // distinct observer count
}

// Observations returns the transmission's observations in id order. The slice is
// shared and must not be modified.
func (t *Transmission) Observations() []*Observation {
	if st := t.state.Load(); st != nil {
		return st.obs
	}
	return nil
}

// Best returns the observation whose display fields represent the transmission
// (the longest path; ties keep the most recent), or nil when it has none.
func (t *Transmission) Best() *Observation {
	if st := t.state.Load(); st != nil {
		return st.best
	}
	return nil
}

// Latest returns the time (unix ms) of the newest observation, or FirstSeen.
func (t *Transmission) Latest() int64 {
	if st := t.state.Load(); st != nil && st.latest > 0 {
		return st.latest
	}
	return t.FirstSeen
}

// ObservationCount returns the number of observations held for the transmission.
func (t *Transmission) ObservationCount() int { return len(t.Observations()) }

// ObserverCount returns the number of distinct observers that heard it.
func (t *Transmission) ObserverCount() int {
	if st := t.state.Load(); st != nil {
		return st.observers
	}
	return 0
}

// RawHex returns the raw bytes as hex, in the case they were stored in.
func (t *Transmission) RawHex() string { return encodeHex(t.Raw, t.rawUpper) }

// Observation is one observer hearing a transmission (one observations row).
// Immutable once visible. Kept compact: there are several per transmission.
type Observation struct {
	ID          int64
	Tx          *Transmission
	ObserverIdx int64 // observers.rowid; 0 = unknown observer
	Direction   string
	SNR         OptFloat
	RSSI        OptFloat
	Timestamp   int64 // unix ms
	// Path is the hop list as heard by this observer.
	Path Path
	// Resolved holds, per hop, the full pubkey of the node the hop resolves to
	// ("" = unresolved). nil when no hop resolved. From the stored resolved_path
	// when present, else resolved in memory against the node prefix index.
	Resolved []string
	// raw is this observer's raw packet when it cannot be rebuilt from Tx.Raw
	// and Path (rare: usually only the path bytes differ). A pointer keeps the
	// struct in the 144-byte size class.
	raw      *string
	score    int32
	hasScore bool
	rawUpper bool
	rawSame  bool // the observer's raw bytes equal Tx.Raw exactly
}

// Score returns the bridge's score for this reception.
func (o *Observation) Score() OptInt { return OptInt{int64(o.score), o.hasScore} }

// RawHex returns this observer's raw bytes as hex: the stored ones when they
// differ from what the transmission's raw bytes and this path give, else
// rebuilt (the transmission's bytes with this observer's path).
func (o *Observation) RawHex() string {
	if o.raw != nil {
		return encodeHex([]byte(*o.raw), o.rawUpper)
	}
	if o.rawSame {
		return o.Tx.RawHex()
	}
	if b, ok := rebuildRaw(o.Tx.Raw, o.Path, nil); ok {
		return encodeHex(b, o.Tx.rawUpper)
	}
	return o.Tx.RawHex()
}

// rebuildRaw returns tx raw bytes with the path section replaced by p (packet
// layout PROTOCOL.md §1). ok is false when the raw bytes do not parse or p is a
// legacy path. The result is appended to buf.
func rebuildRaw(raw []byte, p Path, buf []byte) ([]byte, bool) {
	if len(raw) < 2 || p.isLegacy() {
		return nil, false
	}
	off := 1
	if rt := raw[0] & 0x03; rt == 0 || rt == 3 {
		off += 4
	}
	if len(raw) <= off {
		return nil, false
	}
	plb := raw[off]
	size := int(plb>>6) + 1
	n := int(plb&0x3F) * size
	if size == 4 || off+1+n > len(raw) {
		return nil, false
	}
	count := p.Len()
	hs := int(p.HopSize)
	if count > 0 {
		if hs < 1 || hs > 3 || count > 63 {
			return nil, false
		}
		size = hs
	}
	buf = append(buf[:0], raw[:off]...)
	buf = append(buf, byte((size-1)<<6|count))
	buf = append(buf, p.Hops...)
	return append(buf, raw[off+1+n:]...), true
}

// Path is a compact hop list: the hop prefixes' bytes concatenated, HopSize
// bytes each. Legacy path_json values that are not uniform hex hops are kept
// verbatim in Hops with HopSize 0 and rendered as stored.
type Path struct {
	Hops    string // raw hop bytes (HopSize > 0), or legacy path_json text (HopSize 0)
	HopSize uint8
}

func (p Path) isLegacy() bool { return p.HopSize == 0 && p.Hops != "" }

// Len returns the number of hops.
func (p Path) Len() int {
	if p.isLegacy() {
		return len(p.Strings())
	}
	if p.HopSize == 0 {
		return 0
	}
	return len(p.Hops) / int(p.HopSize)
}

// Hop returns hop i as upper-case hex.
func (p Path) Hop(i int) string {
	if p.isLegacy() {
		return p.Strings()[i]
	}
	n := int(p.HopSize)
	return encodeHex([]byte(p.Hops[i*n:(i+1)*n]), true)
}

// Strings returns the hops as upper-case hex strings (never nil).
func (p Path) Strings() []string {
	if p.isLegacy() {
		hops, _ := parseLegacyPath(p.Hops)
		return hops
	}
	out := make([]string, p.Len())
	for i := range out {
		out[i] = p.Hop(i)
	}
	return out
}

// PathJSON renders the path as stored in path_json: `["AB","CD"]`, `[]` when empty.
func (p Path) PathJSON() string {
	if p.isLegacy() {
		return p.Hops
	}
	n := p.Len()
	if n == 0 {
		return "[]"
	}
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, n*(int(p.HopSize)*2+3)+1)
	b = append(b, '[')
	for i := 0; i < len(p.Hops); i++ {
		if i%int(p.HopSize) == 0 {
			if i > 0 {
				b = append(b, '"', ',')
			}
			b = append(b, '"')
		}
		b = append(b, digits[p.Hops[i]>>4], digits[p.Hops[i]&0x0F])
	}
	b = append(b, '"', ']')
	return string(b)
}

// Node is one nodes row. Immutable; a changed row replaces the value.
type Node struct {
	PublicKey         string // lower-case hex
	Name              string
	Role              string
	Lat, Lon          OptFloat
	LastSeen          int64 // unix ms, 0 = NULL
	FirstSeen         int64 // unix ms, 0 = NULL
	AdvertCount       int64
	BatteryMV         OptInt
	TemperatureC      OptFloat
	Foreign           bool
	DefaultScope      OptString
	MultibyteSup      int64
	MultibyteEvidence string
}

// Observer is one observers row. Immutable; a changed row replaces the value.
type Observer struct {
	Idx               int64 // rowid, what observations.observer_idx points to
	ID                string
	Name              string
	IATA              string
	LastSeen          int64 // unix ms, 0 = NULL
	FirstSeen         int64
	PacketCount       int64
	Model             OptString
	Firmware          OptString
	ClientVersion     OptString
	Radio             OptString
	BatteryMV         OptInt
	UptimeSecs        OptInt
	NoiseFloor        OptFloat
	Inactive          bool
	LastPacketAt      int64
	ClockSkewSeconds  OptInt
	ClockSkewCount24h int64
	ClockLastNaiveAt  int64
}

// Opt is a nullable value (SQL NULL vs a value, including "" and 0).
type Opt[T any] struct {
	V     T
	Valid bool
}

// Ptr returns nil for NULL, else a pointer to a copy (handy for JSON `null`).
func (o Opt[T]) Ptr() *T {
	if !o.Valid {
		return nil
	}
	v := o.V
	return &v
}

// The nullable column types of the store's records.
type (
	OptFloat  = Opt[float64]
	OptInt    = Opt[int64]
	OptString = Opt[string]
)

// FormatTime renders unix ms as ISO 8601 UTC with milliseconds
// (`2026-03-27T21:05:45.789Z`), the form API.md uses for packet times. 0 → "".
func FormatTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	h, mi, sec := t.Clock()
	milli := int(ms % 1000)
	if milli < 0 {
		milli += 1000
	}
	// Hand-rolled: this runs for every time field of every packet rendered.
	var b [24]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, milli, 3)
	b[23] = 'Z'
	return string(b[:])
}

func encodeHex(b []byte, upper bool) string {
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	out := make([]byte, len(b)*2)
	for i, c := range b {
		out[2*i] = digits[c>>4]
		out[2*i+1] = digits[c&0x0F]
	}
	return string(out)
}
