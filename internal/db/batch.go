package db

import (
	"fmt"
	"time"
)

// TimeFormat is the one format of every TEXT time column we write: RFC 3339,
// UTC, second precision. SQL compares these columns as strings, which is only
// correct when every writer uses exactly this format.
const TimeFormat = "2006-01-02T15:04:05Z"

// FormatTime renders t in TimeFormat (UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Batch is everything one group commit writes. WriteBatch applies it in one
// transaction in this order: observers, transmissions, observations, nodes,
// metrics, dropped packets — so an observation always finds its observer and
// its transmission, and a node upsert knows whether its advert was new.
type Batch struct {
	Observers     []ObserverUpsert
	Transmissions []Transmission
	Observations  []Observation
	Nodes         []NodeUpsert
	Metrics       []Metrics
	Dropped       []Dropped
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int {
	return len(b.Observers) + len(b.Transmissions) + len(b.Observations) + len(b.Nodes) + len(b.Metrics) + len(b.Dropped)
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	b.Observers = b.Observers[:0]
	b.Transmissions = b.Transmissions[:0]
	b.Observations = b.Observations[:0]
	b.Nodes = b.Nodes[:0]
	b.Metrics = b.Metrics[:0]
	b.Dropped = b.Dropped[:0]
}

// Transmission is one unique packet (keyed by content hash). Inserting an
// existing hash is a duplicate and changes nothing.
type Transmission struct {
	RawHex         string    // raw packet hex as first received ("" for companion-bridge messages)
	Hash           string    // content hash, required
	FirstSeen      time.Time // receive time of the first observation, required
	RouteType      int
	PayloadType    int
	PayloadVersion int
	DecodedJSON    string  // decoded payload object; "" = NULL
	FromPubkey     string  // ADVERT originator pubkey (lowercase hex); "" = NULL
	ChannelHash    string  // GRP_TXT channel key (name, enc_XX, chN); "" = NULL
	ScopeName      *string // nil = not transport-scoped; "" = scoped, unknown region
}

// Observation is one observer hearing a transmission. It is de-duplicated by
// (transmission, observer, path): the same observer reporting the same packet
// over the same path again keeps the first row.
type Observation struct {
	TxHash       string // hash of the transmission (in this batch or already stored), required
	ObserverID   string // observers.id; "" or unknown → observer_idx NULL
	Direction    string // "" = NULL
	SNR, RSSI    *float64
	Score        *int
	PathJSON     string // JSON array of hop prefixes, "[]" = no hops
	Timestamp    int64  // unix seconds (ingest clock), required
	RawHex       string // raw hex as this observer received it; "" = NULL
	ResolvedPath string // JSON array of full pubkeys or null per hop; "" = NULL
}

// NodeUpsert records a valid advert. Empty strings and nil pointers never
// blank a stored value. advert_count is incremented only when AdvertHash names
// a transmission that this batch inserted as new (unique adverts, not
// receptions). A node that retention had moved to inactive_nodes is moved back
// with its history.
type NodeUpsert struct {
	PublicKey    string // lowercase hex, required
	Name         string
	Role         string
	Lat, Lon     *float64 // both or neither
	BatteryMv    *int
	TemperatureC *float64
	Seen         time.Time // ingest time, required
	AdvertHash   string    // hash of the advert transmission
	Foreign      bool      // advert outside the geo filter → foreign_advert = 1
	DefaultScope *string   // transport scope of the advert, nil = leave
}

// ObserverUpsert records a message from an observer: a packet (Packet=true:
// packet_count += 1 and last_packet_at) or a status. Empty strings and nil
// pointers keep the stored values. Seen zero leaves last_seen alone (e.g. for
// retained or "offline" status messages) but still creates the row.
type ObserverUpsert struct {
	ID            string // topic segment, verbatim; required
	Name          string
	IATA          string
	Seen          time.Time
	Packet        bool
	Model         string
	Firmware      string
	ClientVersion string
	Radio         string
	BatteryMv     *int
	UptimeSecs    *int64
	NoiseFloor    *float64
	// ClockSkewSeconds, when set, records a naive-clock event at Seen (or now).
	ClockSkewSeconds *int64
}

// Metrics is one observer_metrics sample; At is rounded to the writer's
// sample interval, and the last sample in a bucket wins.
type Metrics struct {
	ObserverID  string // required
	At          time.Time
	NoiseFloor  *float64
	TxAirSecs   *int64
	RxAirSecs   *int64
	RecvErrors  *int64
	BatteryMv   *int
	PacketsSent *int64
	PacketsRecv *int64
}

// Dropped is one rejected packet (dropped_packets).
type Dropped struct {
	Hash         string
	RawHex       string
	Reason       string // required
	ObserverID   string
	ObserverName string
	NodePubkey   string
	NodeName     string
	At           time.Time
}

// Result reports what WriteBatch did. Rows that failed validation are listed
// in Rejected and were not written; the rest of the batch was.
type Result struct {
	NewTransmissions       int
	DuplicateTransmissions int
	NewObservations        int
	DuplicateObservations  int
	ObserverUpserts        int
	NodeUpserts            int
	Metrics                int
	Dropped                int
	Rejected               []RowError
}

// RowKind names the slice of a Batch a RowError refers to.
type RowKind string

// Row kinds of a Batch.
const (
	KindObserver     RowKind = "observer"
	KindTransmission RowKind = "transmission"
	KindObservation  RowKind = "observation"
	KindNode         RowKind = "node"
	KindMetrics      RowKind = "metrics"
	KindDropped      RowKind = "dropped"
)

// RowError is one rejected row: Batch.<Kind>[Index] failed with Err.
type RowError struct {
	Kind  RowKind
	Index int
	Err   error
}

func (e RowError) Error() string { return fmt.Sprintf("%s[%d]: %v", e.Kind, e.Index, e.Err) }

// Unwrap exposes the cause for errors.Is.
func (e RowError) Unwrap() error { return e.Err }
