package store

import (
	"encoding/hex"
	"strings"
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
	DecodedJSON    string // decoded payload JSON exactly as stored ("" = NULL)
	FromPubkey     string // advert originator ("" = none)
	ChannelHash    string // GRP_TXT grouping key (channel name, enc_XX, ...) ("" = none)
	ScopeName      OptString

	// Pre-parsed from DecodedJSON for GRP_TXT/CHAN packets (channel views need them).
	Sender          string
	Text            string
	SenderTimestamp int64 // device clock, 0 = absent

	rawUpper bool // raw_hex was stored upper-case: render it the same way
	bytes    int64
	state    atomic.Pointer[txState]
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
// Immutable once visible.
type Observation struct {
	ID          int64
	Tx          *Transmission
	ObserverIdx int64 // observers.rowid; 0 = unknown observer
	Direction   string
	SNR         OptFloat
	RSSI        OptFloat
	Score       OptInt
	Timestamp   int64 // unix ms
	// Path is the hop list as heard by this observer.
	Path Path
	// Resolved holds, per hop, the full pubkey of the node the hop resolves to
	// ("" = unresolved). nil when no hop resolved. From the stored resolved_path
	// when present, else resolved in memory against the node prefix index.
	Resolved []string
	raw      []byte // this observer's raw bytes when they differ from Tx.Raw
	rawUpper bool
}

// RawHex returns this observer's raw bytes as hex (falling back to the
// transmission's raw bytes when the observer's are identical or absent).
func (o *Observation) RawHex() string {
	if o.raw != nil {
		return encodeHex(o.raw, o.rawUpper)
	}
	return o.Tx.RawHex()
}

// Path is a compact hop list: the hop prefixes concatenated, HopSize bytes each.
// Legacy path_json values that are not uniform hex hops are kept verbatim in
// JSON and rendered as stored.
type Path struct {
	Hops    []byte
	HopSize uint8
	JSON    string // only set for non-uniform legacy values
}

// Len returns the number of hops.
func (p Path) Len() int {
	if p.JSON != "" {
		return len(p.Strings())
	}
	if p.HopSize == 0 {
		return 0
	}
	return len(p.Hops) / int(p.HopSize)
}

// Hop returns hop i as upper-case hex.
func (p Path) Hop(i int) string {
	if p.JSON != "" {
		return p.Strings()[i]
	}
	n := int(p.HopSize)
	return strings.ToUpper(hex.EncodeToString(p.Hops[i*n : (i+1)*n]))
}

// Strings returns the hops as upper-case hex strings (never nil).
func (p Path) Strings() []string {
	if p.JSON != "" {
		hops, _ := parseLegacyPath(p.JSON)
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
	if p.JSON != "" {
		return p.JSON
	}
	n := p.Len()
	if n == 0 {
		return "[]"
	}
	var b strings.Builder
	b.Grow(n * (int(p.HopSize)*2 + 3))
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(p.Hop(i))
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
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

// OptFloat is a nullable float (SQL REAL).
type OptFloat struct {
	V     float64
	Valid bool
}

// Ptr returns nil for NULL, else a pointer to a copy (handy for JSON `null`).
func (o OptFloat) Ptr() *float64 {
	if !o.Valid {
		return nil
	}
	v := o.V
	return &v
}

// OptInt is a nullable integer.
type OptInt struct {
	V     int64
	Valid bool
}

// Ptr returns nil for NULL, else a pointer to a copy.
func (o OptInt) Ptr() *int64 {
	if !o.Valid {
		return nil
	}
	v := o.V
	return &v
}

// OptString is a nullable string (distinguishes NULL from "").
type OptString struct {
	V     string
	Valid bool
}

// Ptr returns nil for NULL, else a pointer to a copy.
func (o OptString) Ptr() *string {
	if !o.Valid {
		return nil
	}
	v := o.V
	return &v
}

// FormatTime renders unix ms as ISO 8601 UTC with milliseconds
// (`2026-03-27T21:05:45.789Z`), the form API.md uses for packet times. 0 → "".
func FormatTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func encodeHex(b []byte, upper bool) string {
	s := hex.EncodeToString(b)
	if upper {
		return strings.ToUpper(s)
	}
	return s
}
